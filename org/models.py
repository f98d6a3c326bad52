"""The organisation (city company → branches → halls, departments), users and their scoped roles."""
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .auditlog_models import AuditEvent, ChainHead  # noqa: F401  (the event log lives in org/)
from .roles import ALLOWED_SCOPES, Role, ScopeKind


class Department(models.Model):
    """A department of the city company (市场部, 办公室 ...); owns handbook procedures."""

    code = models.SlugField(_("编码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=60, unique=True)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Branch(models.Model):
    code = models.CharField(_("编码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=60, unique=True)

    scope_hall_path = None  # a branch is matched by itself, see org.access

    class Meta:
        verbose_name = _("分公司")
        verbose_name_plural = _("分公司")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class Hall(models.Model):
    class Kind(models.TextChoices):
        SELF_RUN = "self", _("自办营业厅")
        PARTNER = "partner", _("合作营业厅")

    code = models.CharField(_("编码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="halls", verbose_name=_("分公司"))
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.SELF_RUN)
    active = models.BooleanField(_("在用"), default=True)

    scope_hall_path = "pk"

    class Meta:
        verbose_name = _("营业厅")
        verbose_name_plural = _("营业厅")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class User(AbstractUser):
    """A person. Chinese names are kept whole (姓名), not split into first and last."""

    full_name = models.CharField(_("姓名"), max_length=60, blank=True)
    employee_no = models.CharField(_("工号"), max_length=30, blank=True, db_index=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def get_full_name(self):
        return self.full_name or self.username

    def get_short_name(self):
        return self.full_name or self.username

    def __str__(self):
        return f"{self.full_name}（{self.username}）" if self.full_name else self.username


class RoleAssignment(models.Model):
    """A user holds a role inside a scope: one hall, one branch, or all of the city."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments", verbose_name=_("用户"))
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    scope = models.CharField(_("范围"), max_length=10, choices=ScopeKind.choices)
    hall = models.ForeignKey(Hall, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("营业厅"))
    branch = models.ForeignKey(Branch, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("分公司"))
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("部门"),
        help_text=_("流程编制部门和分管领导所属部门"),
    )

    class Meta:
        verbose_name = _("角色分配")
        verbose_name_plural = _("角色分配")
        ordering = ["user__username", "role"]
        constraints = [
            models.CheckConstraint(
                name="role_scope_matches_target",
                condition=(
                    models.Q(scope="hall", hall__isnull=False, branch__isnull=True)
                    | models.Q(scope="branch", branch__isnull=False, hall__isnull=True)
                    | models.Q(scope="all", hall__isnull=True, branch__isnull=True)
                ),
            ),
        ]

    def clean(self):
        duplicate = RoleAssignment.objects.filter(
            user_id=self.user_id, role=self.role, scope=self.scope, hall_id=self.hall_id, branch_id=self.branch_id
        ).exclude(pk=self.pk)
        if self.user_id and duplicate.exists():
            raise ValidationError(_("该用户已有此角色和范围"))
        allowed = ALLOWED_SCOPES[Role(self.role)] if self.role else set()
        if self.scope and self.scope not in allowed:
            raise ValidationError({"scope": _("角色“%(role)s”不能绑定到此范围") % {"role": Role(self.role).label}})
        if self.scope == ScopeKind.HALL and not self.hall_id:
            raise ValidationError({"hall": _("范围为营业厅时必须选择营业厅")})
        if self.scope == ScopeKind.BRANCH and not self.branch_id:
            raise ValidationError({"branch": _("范围为分公司时必须选择分公司")})
        if self.scope != ScopeKind.HALL:
            self.hall = None
        if self.scope != ScopeKind.BRANCH:
            self.branch = None

    def scope_label(self):
        if self.scope == ScopeKind.HALL:
            return str(self.hall)
        if self.scope == ScopeKind.BRANCH:
            return str(self.branch)
        return str(ScopeKind.ALL.label)

    def __str__(self):
        return f"{self.user.username}: {self.get_role_display()} @ {self.scope_label()}"
