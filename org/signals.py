"""Event-log entries for logins and for every change to the organisation."""
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import auditlog
from .middleware import current_request, current_user
from .models import Branch, Department, Hall, RoleAssignment, User

AUDITED_MODELS = (Branch, Hall, Department, RoleAssignment, User)
USER_FIELDS_LOGGED = ("username", "full_name", "employee_no", "is_active", "is_superuser")


@receiver(user_login_failed)
def login_failed(sender, credentials, request=None, **kwargs):
    username = str((credentials or {}).get("username", ""))[:150]
    auditlog.record("auth.login_failed", actor_name=username, obj=("auth.user", "", username),
                    details={"username": username}, request=request)


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
