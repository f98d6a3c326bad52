"""The organisation (city company → branches → halls, departments), users and their scoped roles."""
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .auditlog_models import AuditEvent, ChainHead  # noqa: F401  (the event log lives in org/)
from .roles import ALLOWED_SCOPES, Role, ScopeKind


class Department(models.Model):
    """A department of the city company (市场部, 办公室 ...); owns handbook procedures."""
    wagtail_reference_index_ignore = True  # holds no references to Wagtail content

    code = models.SlugField(_("Code"), max_length=30, unique=True)
    name = models.CharField(_("Name"), max_length=60, unique=True)

    class Meta:
        verbose_name = _("Department")
        verbose_name_plural = _("Department")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Branch(models.Model):
    wagtail_reference_index_ignore = True  # holds no references to Wagtail content
    code = models.CharField(_("Code"), max_length=20, unique=True)
    name = models.CharField(_("Name"), max_length=60, unique=True)

    scope_hall_path = None  # a branch is matched by itself, see org.access

    class Meta:
        verbose_name = _("Branch")
        verbose_name_plural = _("Branch")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class Hall(models.Model):
    wagtail_reference_index_ignore = True  # holds no references to Wagtail content
    class Kind(models.TextChoices):
        SELF_RUN = "self", _("Self-run hall")
        PARTNER = "partner", _("Partner hall")

    code = models.CharField(_("Code"), max_length=20, unique=True)
    name = models.CharField(_("Name"), max_length=60)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="halls", verbose_name=_("Branch"))
    kind = models.CharField(_("Type"), max_length=10, choices=Kind.choices, default=Kind.SELF_RUN)
    active = models.BooleanField(_("Active"), default=True)
    opened_on = models.DateField(_("Opening date"), null=True, blank=True,
                                 help_text=_("A business date before it is flagged on the hall's scans"))

    scope_hall_path = "pk"

    class Meta:
        verbose_name = _("Hall")
        verbose_name_plural = _("Hall")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class User(AbstractUser):
    """A person. Chinese names are kept whole (姓名), not split into first and last."""

    full_name = models.CharField(_("Full name"), max_length=60, blank=True)
    employee_no = models.CharField(_("Staff number"), max_length=30, blank=True, db_index=True)

    class Meta:
        verbose_name = _("User")
        verbose_name_plural = _("User")

    def get_full_name(self):
        return self.full_name or self.username

    def get_short_name(self):
        return self.full_name or self.username

    def __str__(self):
        return f"{self.full_name}（{self.username}）" if self.full_name else self.username


class RoleAssignment(models.Model):
    """A user holds a role inside a scope: one hall, one branch, or all of the city."""
    wagtail_reference_index_ignore = True  # holds no references to Wagtail content

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments", verbose_name=_("User"))
    role = models.CharField(_("Role"), max_length=20, choices=Role.choices)
    scope = models.CharField(_("Scope"), max_length=10, choices=ScopeKind.choices)
    hall = models.ForeignKey(Hall, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("Hall"))
    branch = models.ForeignKey(Branch, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("Branch"))
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("Department"),
        help_text=_("Department of a process author or department head"),
    )

    class Meta:
        verbose_name = _("Role assignments")
        verbose_name_plural = _("Role assignments")
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
            raise ValidationError(_("This user already holds this role in this scope"))
        allowed = ALLOWED_SCOPES[Role(self.role)] if self.role else set()
        if self.scope and self.scope not in allowed:
            raise ValidationError({"scope": _("The role “%(role)s” cannot be bound to this scope") % {"role": Role(self.role).label}})
        if self.scope == ScopeKind.HALL and not self.hall_id:
            raise ValidationError({"hall": _("Choose a hall when the scope is a hall")})
        if self.scope == ScopeKind.BRANCH and not self.branch_id:
            raise ValidationError({"branch": _("Choose a branch when the scope is a branch")})
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


class KeyCheck(models.Model):
    """A check value of a key the database's data depends on (org/keycheck.py), never the key itself: a
    process with another key (another machine without PII_KEY, a typo) refuses to start."""

    name = models.CharField(max_length=40, primary_key=True)
    value = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("key check value")
