"""Approval routing: the office reviews every procedure first (a plain GroupApprovalTask); then this task
sends a main procedure to the general manager's group and a sub-procedure to the group of the head of its
owning department (DOMAIN.md "The handbook": approval).

The approver acts from the dashboard or from the page editor's footer (批准); both end in `on_action`, which
also tells the approver, on the page they land on, which version was approved and when it takes effect.
"""
from django.contrib.auth.models import Group
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages
from wagtail.models import Task, TaskState, WorkflowState

from org.middleware import current_request

from . import groups


def approver_group(obj):
    """The group that approves `obj` after the office's review (None when nobody can: no department)."""
    obj = obj.specific if hasattr(obj, "specific") else obj
    if getattr(obj, "is_sub_procedure", False):
        if obj.owner_department_id is None:
            return None
        return groups.department_head_group(obj.owner_department)
    return Group.objects.filter(name=groups.GM).first()


class RoutedApprovalTask(Task):
    """Approval by the general manager (main procedure) or the department head in charge (sub-procedure)."""

    class Meta:
        verbose_name = _("Approval by the general manager or the department head in charge")
        verbose_name_plural = _("Approvals by the general manager or the department head in charge")

    def user_may_approve(self, obj, user):
        if user.is_superuser:
            return True
        group = approver_group(obj)
        return group is not None and user.groups.filter(pk=group.pk).exists()

    def start(self, workflow_state, user=None):
        obj = workflow_state.content_object
        if getattr(obj, "locked", False) and obj.locked_by and not self.user_may_approve(obj, obj.locked_by):
            obj.locked, obj.locked_by, obj.locked_at = False, None, None
            obj.save(update_fields=["locked", "locked_by", "locked_at"])
        return super().start(workflow_state, user=user)

    def user_can_access_editor(self, obj, user):
        return self.user_may_approve(obj, user)

    def locked_for_user(self, obj, user):
        return not self.user_may_approve(obj, user)

    def user_can_lock(self, obj, user):
        return self.user_may_approve(obj, user)

    def user_can_unlock(self, obj, user):
        return False

    def get_actions(self, obj, user):
        if self.user_may_approve(obj, user):
            return [("reject", _("Request changes"), True), ("approve", _("Approve"), False),
                    ("approve", _("Approve with comment"), True)]
        return []

    def on_action(self, task_state, user, action_name, **kwargs):
        result = super().on_action(task_state, user, action_name, **kwargs)  # a redirect URL or None
        request = current_request()
        if action_name == "approve" and request is not None:
            text = approval_confirmation(task_state.workflow_state_id)
            if text:
                messages.success(request, text)
        return result

    def get_task_states_user_can_moderate(self, user, **kwargs):
        """The task states `user_may_approve` allows, as one query (the home page's 待办 and Wagtail's "awaiting
        your review" count them): a sub-procedure's by the head of its owning department, any other page's
        by the general manager."""
        from .models import SubProcedurePage

        states = TaskState.objects.filter(task=self.task_ptr, status=TaskState.STATUS_IN_PROGRESS)
        if user.is_superuser:
            return states
        names = set(user.groups.values_list("name", flat=True))
        subs = SubProcedurePage.objects.annotate(key=Cast("pk", CharField()))
        allowed = Q(pk__in=[])
        if groups.GM in names:
            allowed |= ~Q(workflow_state__object_id__in=subs.values("key"))
        heads = [n.removeprefix(groups.DEPTHEAD_PREFIX) for n in names if n.startswith(groups.DEPTHEAD_PREFIX)]
        if heads:
            allowed |= Q(workflow_state__object_id__in=subs.filter(owner_department__code__in=heads).values("key"))
        return states.filter(allowed)

    @classmethod
    def get_description(cls):
        return _("The general manager approves main procedures; the department head in charge approves "
                 "sub-procedures")


def approval_confirmation(workflow_state_id):
    """"Approved 《…》 V1.1, takes effect on …" once the workflow finished with this approval, else None (the
    procedure went back to the office because it was edited meanwhile)."""
    state = WorkflowState.objects.filter(pk=workflow_state_id).first()
    if state is None or state.status != WorkflowState.STATUS_APPROVED:
        return None
    page = state.content_object.specific
    revision = page.get_latest_revision()
    draft = revision.as_object() if revision else page
    values = {"title": draft.title, "version": getattr(draft, "version_label", "")}
    go_live = revision.approved_go_live_at if revision else None
    if go_live and go_live > timezone.now():
        values["date"] = date_format(timezone.localtime(go_live), "DATETIME_FORMAT")
        return gettext("Approved 《%(title)s》 %(version)s; it takes effect on %(date)s") % values
    return gettext("Approved 《%(title)s》 %(version)s; it is in effect from now on") % values
