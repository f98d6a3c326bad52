"""The roles of DOMAIN.md and the scope each may be bound to."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CLERK = "clerk", _("Clerk")
    L1_AUDITOR = "l1_auditor", _("Level-1 auditor")
    KEEPER = "keeper", _("Hall records keeper")
    BRANCH_AUDITOR = "branch_auditor", _("Branch business auditor")
    MARKETING = "marketing", _("Marketing business group")
    ARCHIVIST = "archivist", _("Archive administrator")
    AUDITOR = "auditor", _("Auditor")
    STAFF = "staff", _("Staff")
    AUTHOR = "author", _("Process author")
    OFFICE = "office", _("Office")
    GM = "gm", _("General manager")
    DEPTHEAD = "depthead", _("Department head")
    SYSADMIN = "sysadmin", _("System administrator")


class ScopeKind(models.TextChoices):
    HALL = "hall", _("Hall")
    BRANCH = "branch", _("Branch")
    ALL = "all", _("Whole city")


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
