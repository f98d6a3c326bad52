"""What happens around the handbook's pages: every change goes to the event log; a publish writes the
revision log and tells search; role assignments keep the handbook's groups in step."""
from django.db.models.signals import post_delete, post_save
from wagtail.models import Revision
from wagtail.signals import (page_published, page_unpublished, task_approved, task_rejected, task_submitted,
                             workflow_approved, workflow_cancelled, workflow_rejected, workflow_submitted)

from org import auditlog
from org.middleware import current_request, current_user
from org.models import RoleAssignment

from . import groups, indexing, revisionlog
from .models import ProcedureBase


def _is_procedure(page):
    return isinstance(page, ProcedureBase)


def published(sender, instance, revision=None, **kwargs):
    if _is_procedure(instance):
        revisionlog.write(instance, revision=revision, user=kwargs.get("user") or current_user())
        indexing.procedure_changed(instance)


def unpublished(sender, instance, **kwargs):
    if _is_procedure(instance):
        auditlog.record("handbook.procedure.unpublish", actor=kwargs.get("user") or current_user(), obj=instance,
                        details={"version": instance.version}, request=current_request())
        indexing.procedure_changed(instance)


def deleted(sender, instance, **kwargs):
    auditlog.record("handbook.procedure.delete", actor=current_user(), obj=instance,
                    details={"version": instance.version, "title": instance.title}, request=current_request())
    indexing.procedure_changed(instance, deleted=True)


def revision_saved(sender, instance, created, **kwargs):
    """A draft saved (a new revision) or a revision scheduled to go live later."""
    model = instance.content_type.model_class() if instance.content_type_id else None
    if model is None or not issubclass(model, ProcedureBase):
        return
    action = "handbook.procedure.revision" if created else "handbook.procedure.revision_change"
    if instance.approved_go_live_at:
        action = "handbook.procedure.schedule"
    content = instance.content or {}
    auditlog.record(action, actor=instance.user or current_user(), obj=(
        "handbook.procedure", instance.object_id, content.get("title", "")), request=current_request(),
        details={"revision": instance.pk, "version": content.get("version"),
                 "go_live_at": instance.approved_go_live_at})


def _workflow_event(name):
    def receiver(sender, instance, user=None, **kwargs):
        obj = getattr(instance, "content_object", None) or getattr(
            getattr(instance, "workflow_state", None), "content_object", None)
        if obj is None or not _is_procedure(obj.specific if hasattr(obj, "specific") else obj):
            return
        details = {"state": instance.pk}
        if hasattr(instance, "task_id"):
            details.update(task=str(instance.task), comment=getattr(instance, "comment", ""))
        auditlog.record(f"handbook.workflow.{name}", actor=user or current_user(), obj=obj, details=details,
                        request=current_request())
    receiver.__name__ = f"workflow_{name}"
    return receiver


def role_changed(sender, instance, **kwargs):
    if kwargs.get("raw"):
        return
    from org.models import User

    user = User.objects.filter(pk=instance.user_id).first()
    if user is not None:
        groups.sync_user(user)


RECEIVERS = []


def connect():
    page_published.connect(published, dispatch_uid="handbook-published")
    page_unpublished.connect(unpublished, dispatch_uid="handbook-unpublished")
    from .models import ProcedurePage, SubProcedurePage

    for model in (ProcedurePage, SubProcedurePage):
        post_delete.connect(deleted, sender=model, dispatch_uid=f"handbook-deleted-{model.__name__}")
    post_save.connect(revision_saved, sender=Revision, dispatch_uid="handbook-revision")
    for signal, name in [(workflow_submitted, "submit"), (workflow_approved, "approve"),
                         (workflow_rejected, "reject"), (workflow_cancelled, "cancel"),
                         (task_submitted, "task_submit"), (task_approved, "task_approve"),
                         (task_rejected, "task_reject")]:
        receiver = _workflow_event(name)
        RECEIVERS.append(receiver)  # signals keep weak references
        signal.connect(receiver, dispatch_uid=f"handbook-{name}")
    post_save.connect(role_changed, sender=RoleAssignment, dispatch_uid="handbook-roles-save")
    post_delete.connect(role_changed, sender=RoleAssignment, dispatch_uid="handbook-roles-delete")
