"""Event-log entries for logins, failed passwords (sign-in and signature), lockouts and API tokens, and for
every change to the organisation."""
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from knox.signals import token_expired

from . import auditlog
from .lockout import SIGNING
from .middleware import current_request, current_user
from .models import Branch, Department, Hall, RoleAssignment, User

AUDITED_MODELS = (Branch, Hall, Department, RoleAssignment, User)
USER_FIELDS_LOGGED = ("username", "full_name", "employee_no", "is_active", "is_superuser")


@receiver(user_login_failed)
def login_failed(sender, credentials, request=None, **kwargs):
    """Every failed authenticate(): a sign-in form, or a password re-entered to sign a document."""
    credentials = credentials or {}
    username = str(credentials.get("username", ""))[:150]
    signing = credentials.get(SIGNING)
    if signing is not None:
        auditlog.record("signature.password_failed", actor_name=username,
                        obj=(signing.get("type", ""), signing.get("id", ""), signing.get("repr", "")),
                        details={"username": username, "step": signing.get("step", "")}, request=request)
        return
    auditlog.record("auth.login_failed", actor_name=username, obj=("auth.user", "", username),
                    details={"username": username, "path": getattr(request, "path", "")}, request=request)


@receiver(user_locked_out)
def locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    auditlog.record("auth.locked_out", actor_name=str(username or "")[:150],
                    obj=("auth.user", "", str(username or "")),
                    details={"username": username or "", "address": ip_address or "",
                             "path": getattr(request, "path", "")}, request=request)


@receiver(token_expired)
def api_token_expired(sender, username, source=None, **kwargs):
    auditlog.record("api_token.expired", actor_name="", obj=("knox.authtoken", "", str(username)),
                    details={"username": username})


@receiver(user_logged_in)
def logged_in(sender, request, user, **kwargs):
    auditlog.record("auth.login", actor=user, obj=user, request=request)


@receiver(user_logged_out)
def logged_out(sender, request, user, **kwargs):
    if user is not None:
        auditlog.record("auth.logout", actor=user, obj=user, request=request)


def _snapshot(instance):
    if isinstance(instance, User):
        return {f: getattr(instance, f) for f in USER_FIELDS_LOGGED}
    data = {}
    for field in instance._meta.concrete_fields:
        data[field.attname] = field.value_from_object(instance)
    return data


def _changed(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw:
        return
    if isinstance(instance, User) and update_fields and set(update_fields) <= {"last_login"}:
        return  # the login itself is logged as auth.login
    action = f"org.{instance._meta.model_name}.{'create' if created else 'change'}"
    auditlog.record(action, actor=current_user(), obj=instance, details=_snapshot(instance),
                    request=current_request())


def _deleted(sender, instance, **kwargs):
    auditlog.record(f"org.{instance._meta.model_name}.delete", actor=current_user(), obj=instance,
                    details=_snapshot(instance), request=current_request())


for _model in AUDITED_MODELS:
    post_save.connect(_changed, sender=_model, dispatch_uid=f"audit-save-{_model.__name__}")
    post_delete.connect(_deleted, sender=_model, dispatch_uid=f"audit-delete-{_model.__name__}")
