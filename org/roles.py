"""The roles of DOMAIN.md and the scope each may be bound to."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CLERK = "clerk", _("营业员")
    L1_AUDITOR = "l1_auditor", _("一级稽核")
    KEEPER = "keeper", _("营业厅资料管理员")
    BRANCH_AUDITOR = "branch_auditor", _("分公司业务稽核")
    MARKETING = "marketing", _("市场部业务组")
    ARCHIVIST = "archivist", _("档案资料管理员")
    AUDITOR = "auditor", _("稽核/审计")
    STAFF = "staff", _("全体员工")
    AUTHOR = "author", _("流程编制部门")
    OFFICE = "office", _("办公室")
    GM = "gm", _("总经理")
    DEPTHEAD = "depthead", _("分管领导")
    SYSADMIN = "sysadmin", _("系统管理员")


class ScopeKind(models.TextChoices):
    HALL = "hall", _("营业厅")
    BRANCH = "branch", _("分公司")
    ALL = "all", _("全市")


# Which scope kinds a role may be bound to.
ALLOWED_SCOPES = {
    Role.CLERK: {ScopeKind.HALL},
    Role.L1_AUDITOR: {ScopeKind.HALL},
    Role.KEEPER: {ScopeKind.HALL},
    Role.BRANCH_AUDITOR: {ScopeKind.BRANCH},
    Role.MARKETING: {ScopeKind.ALL},
    Role.ARCHIVIST: {ScopeKind.ALL},
    Role.AUDITOR: {ScopeKind.HALL, ScopeKind.BRANCH, ScopeKind.ALL},
    Role.STAFF: {ScopeKind.HALL, ScopeKind.BRANCH, ScopeKind.ALL},
    Role.AUTHOR: {ScopeKind.ALL},
    Role.OFFICE: {ScopeKind.ALL},
    Role.GM: {ScopeKind.ALL},
    Role.DEPTHEAD: {ScopeKind.ALL},
    Role.SYSADMIN: {ScopeKind.ALL},
}
