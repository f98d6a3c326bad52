"""The handbook's fixed parts, created where missing (idempotent): the root page as the site's root, its
login restriction, the groups with their page permissions, and the one approval workflow."""
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import GroupApprovalTask, GroupPagePermission, Locale, Page, PageViewRestriction, Site, \
    Workflow, WorkflowPage, WorkflowTask

from . import groups
from .models import HandbookPage
from .routing import RoutedApprovalTask

WORKFLOW_NAME = "流程手册审批"
OFFICE_TASK = "办公室审核"
APPROVAL_TASK = "总经理或分管领导审批"
TREE_ROOT_TITLE = "全部页面"  # Wagtail's tree root, above the handbook (the explorer's first breadcrumb)
# Authors and the office add and change pages; only the final approvers publish (Wagtail's workflow publishes
# as the approving user, so they need it), never an author.
EDITOR_PERMISSIONS = ("add_page", "change_page")
APPROVER_PERMISSIONS = EDITOR_PERMISSIONS + ("publish_page",)


@transaction.atomic
def ensure_handbook(title="营业厅窗口服务流程手册"):
    tree_root = _tree_root()
    if tree_root.title == "Root":  # Wagtail's migrations name it in English; the explorer's breadcrumb shows it
        Page.objects.filter(pk=tree_root.pk).update(title=TREE_ROOT_TITLE, draft_title=TREE_ROOT_TITLE)
    root = HandbookPage.objects.first()
    if root is None:
        root = _tree_root().add_child(instance=HandbookPage(title=title, slug="handbook"))
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(hostname="localhost", port=80, root_page=root, is_default_site=True,
                            site_name=_("Procedure handbook"))
    elif site.root_page_id != root.pk:
        site.root_page = root
        site.save(update_fields=["root_page"])
    if not PageViewRestriction.objects.filter(page=root).exists():
        PageViewRestriction.objects.create(page=root, restriction_type=PageViewRestriction.LOGIN)

    for name in (groups.AUTHOR, groups.OFFICE, groups.GM):
        grant_editing(Group.objects.get_or_create(name=name)[0], root)
    for group in Group.objects.filter(name__startswith=groups.DEPTHEAD_PREFIX):
        grant_editing(group, root)

    workflow, _created = Workflow.objects.get_or_create(name=WORKFLOW_NAME)
    office_task = GroupApprovalTask.objects.filter(name=OFFICE_TASK).first()
    if office_task is None:
        office_task = GroupApprovalTask.objects.create(name=OFFICE_TASK)
        office_task.groups.set([Group.objects.get(name=groups.OFFICE)])
    approval_task = RoutedApprovalTask.objects.filter(name=APPROVAL_TASK).first() or \
        RoutedApprovalTask.objects.create(name=APPROVAL_TASK)
    for order, task in enumerate([office_task, approval_task]):
        WorkflowTask.objects.update_or_create(workflow=workflow, task=task, defaults={"sort_order": order})
    WorkflowPage.objects.update_or_create(page=root, defaults={"workflow": workflow})
    return root


def _tree_root():
    """Wagtail's tree root (made by its migrations; made again if a test database was flushed)."""
    Locale.objects.get_or_create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
    return Page.get_first_root_node() or Page.add_root(instance=Page(title=TREE_ROOT_TITLE, slug="root", live=True))


def grant_editing(group, root=None):
    root = root or HandbookPage.objects.first()
    if root is None:
        return
    approver = group.name == groups.GM or group.name.startswith(groups.DEPTHEAD_PREFIX)
    for codename in APPROVER_PERMISSIONS if approver else EDITOR_PERMISSIONS:
        permission = Permission.objects.get(content_type__app_label="wagtailcore", codename=codename)
        GroupPagePermission.objects.get_or_create(group=group, page=root, permission=permission)
