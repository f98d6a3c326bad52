"""待办: the home page's task list. For the signed-in user, each kind of step their roles may take (org.access.may
on the kind's action, from the one ACTIONS table) with how many are waiting and a link straight to the screen
where the step is done: the list screen where one exists, else the oldest waiting object's own screen.

One small function per kind returns the waiting objects as a queryset narrowed by org.access.visible (the scope
is part of the query, never a filter afterwards), ordered oldest first, and where its link goes. The counts are
COUNT queries; a link that names an object costs one more query, only when something is waiting. The handbook's
approvals come through Wagtail's own workflow API (each task's `get_task_states_user_can_moderate`), so this
module knows nothing of the handbook's models.
"""
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from org import access
from records.models import Category, Record, flagged_q

from .level1 import AUDITABLE
from .models import (
    DestructionItem, DestructionList, ErrorEntry, HandoverForm, Level1Audit, MarketingCheck, Signature, Volume,
)

RecordStatus, VolumeStatus, FormStatus = Record.Status, Volume.Status, HandoverForm.Status
ListStatus = DestructionList.Status
PASSED_LEVEL2 = [VolumeStatus.L2_PASSED, VolumeStatus.AT_MARKETING]



@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    action: str  # the org.access action of the step: the row is shown only to those who may take it somewhere
    waiting: object  # function(user) → (ordered queryset of what waits, url or function(first row) → url)


@dataclass(frozen=True)
class Task:
    key: str
    label: str
    count: int
    url: str


KINDS = []


def kind(key, label, action):
    def register(fn):
        KINDS.append(Kind(key, label, action, fn))
        return fn
    return register


def tasks(user):
    """The user's rows, in the order of the chain: every kind their roles may do, with its count (0 included)."""
    rows = []
    for k in KINDS:
        if not access.may(user, k.action):
            continue
        queryset, url = k.waiting(user)
        count = queryset.count()
        if count and callable(url):
            url = url(queryset.first())
        rows.append(Task(k.key, str(k.label), count, url if count else ""))
    return rows


def _waiting(user, model, action, **where):
    """`model`'s objects matching `where` that `action` reaches for `user` (the scope inside the query)."""
    return access.visible(user, model.objects.filter(**where), action)


def _level1_url(hall_id, day):
    return reverse("archive_admin:level1", args=[hall_id, f"{day:%Y-%m-%d}"])


def _form_url(form):
    return reverse("archive_admin:form", args=[form.pk])


def _volume_url(volume):
    return reverse("archive_admin:volume", args=[volume.pk])


def _days(queryset):
    """The distinct (hall, business day) pairs of `queryset`'s files, oldest first."""
    return queryset.order_by().values("hall", "business_date").distinct().order_by("business_date", "hall")


def _on_a_given_form():
    """A volume (OuterRef "pk") on a handover form waiting for its receiver."""
    return Exists(HandoverForm.volumes.through.objects.filter(volume=OuterRef("pk"),
                                                              handoverform__status=FormStatus.GIVEN))


# --- the clerk --------------------------------------------------------------------------------------

@kind("check_files", _("Files to check before the daily close"), "dailyclose.run")
def check_files(user):
    """The clerk's own files waiting for the daily close with a flagged key field or without a category (the
    daily close refuses those); each is corrected on its record page."""
    files = _waiting(user, Record, "dailyclose.run", clerk=user, status=RecordStatus.OCR_DONE)
    return (files.filter(flagged_q() | Q(category="")).order_by("business_date", "pk"),
            lambda record: reverse("record:inspect", args=[record.pk]))


@kind("close_days", _("Days to close"), "dailyclose.run")
def close_days(user):
    files = _waiting(user, Record, "dailyclose.run", clerk=user, status=RecordStatus.OCR_DONE)
    return _days(files), reverse("archive_admin:daily_close")


# --- the level-1 auditor ----------------------------------------------------------------------------

def _signed_audit(**where):
    return Level1Audit.objects.filter(signed_at__isnull=False, **where)


@kind("audit_days", _("Days to audit (level 1)"), "audit.level1")
def audit_days(user):
    """Days with sorted files whose level-1 audit record is not signed yet."""
    files = _waiting(user, Record, "audit.level1", status__in=AUDITABLE).exclude(
        Exists(_signed_audit(hall=OuterRef("hall"), day=OuterRef("business_date"))))
    return _days(files), lambda row: _level1_url(row["hall"], row["business_date"])


@kind("give_days", _("Clerk–hall handover forms to sign"), "handover.clerk_hall.give")
def give_days(user):
    """Signed days with audited files not yet on a handover form to the keeper (after a rejection too)."""
    passed = Record.objects.filter(hall=OuterRef("hall"), business_date=OuterRef("day"),
                                   status=RecordStatus.L1_PASSED)
    given = HandoverForm.objects.filter(kind=HandoverForm.Kind.CLERK_HALL, status=FormStatus.GIVEN,
                                        hall=OuterRef("hall"), day=OuterRef("day"))
    audits = access.visible(user, _signed_audit(), "handover.clerk_hall.give")
    return (audits.filter(Exists(passed)).exclude(Exists(given)).order_by("day", "hall"),
            lambda audit: _level1_url(audit.hall_id, audit.day))


@kind("fix_errors", pgettext_lazy("todo", "Errors to correct"), "error.correct")
def fix_errors(user):
    """Registered errors not yet corrected, of every level: corrected on the 差错整改 screen."""
    entries = _waiting(user, ErrorEntry, "error.correct", corrected_at__isnull=True)
    return entries.order_by("found_at", "pk"), lambda entry: reverse("archive_admin:errors")


# --- the receivers of the three handover forms ------------------------------------------------------

def _forms_to_receive(form_kind):
    action = f"handover.{form_kind}.receive"

    def waiting(user):
        forms = _waiting(user, HandoverForm, action, kind=form_kind, status=FormStatus.GIVEN)
        return forms.exclude(giver=user).order_by("created_at", "pk"), _form_url  # a giver never receives
    return action, waiting


for _kind, _label in [(HandoverForm.Kind.CLERK_HALL, _("Clerk–hall handover forms to receive")),
                      (HandoverForm.Kind.HALL_BRANCH, _("Hall–branch handover forms to receive")),
                      (HandoverForm.Kind.BRANCH_MARKETING, _("Branch–marketing handover forms to receive"))]:
    _action, _fn = _forms_to_receive(_kind)
    kind(f"receive_{_kind}", _label, _action)(_fn)


# --- the hall records keeper ------------------------------------------------------------------------

@kind("bind_files", _("Files to bind"), "volume.bind")
def bind_files(user):
    files = _waiting(user, Record, "volume.bind", status=RecordStatus.AT_HALL)
    return files.order_by("pk"), reverse("archive_admin:keeper")


@kind("give_volumes", _("Volumes to hand over to the branch"), "handover.hall_branch.give")
def give_volumes(user):
    volumes = _waiting(user, Volume, "handover.hall_branch.give", status=VolumeStatus.BOUND)
    return volumes.exclude(_on_a_given_form()).order_by("pk"), reverse("archive_admin:keeper")


@kind("fix_volumes", _("Returned volumes to fix"), "volume.fix")
def fix_volumes(user):
    volumes = _waiting(user, Volume, "volume.fix", status=VolumeStatus.RETURNED)
    return volumes.order_by("pk"), _volume_url


# --- the branch auditor -----------------------------------------------------------------------------

@kind("level2_volumes", _("Volumes to audit (level-2 sample)"), "audit.level2")
def level2_volumes(user):
    volumes = _waiting(user, Volume, "audit.level2", status=VolumeStatus.AT_BRANCH)
    return volumes.order_by("pk"), _volume_url


@kind("give_months", _("Months to hand over to marketing"), "handover.branch_marketing.give")
def give_months(user):
    """Branch months whose volumes have all passed the level-2 audit and are not on a form yet."""
    unfinished = Volume.objects.filter(hall__branch=OuterRef("hall__branch"), year=OuterRef("year"),
                                       month=OuterRef("month")).exclude(status__in=PASSED_LEVEL2)
    volumes = _waiting(user, Volume, "handover.branch_marketing.give", status=VolumeStatus.L2_PASSED)
    months = (volumes.exclude(Exists(unfinished)).exclude(_on_a_given_form()).order_by()
              .values("hall__branch", "year", "month").distinct().order_by("year", "month"))
    return months, reverse("archive_admin:branch")


# --- the marketing business group -------------------------------------------------------------------

@kind("check_forms", _("Monthly forms to check"), "marketing.check")
def check_forms(user):
    forms = _waiting(user, HandoverForm, "marketing.check", kind=HandoverForm.Kind.BRANCH_MARKETING,
                     status=FormStatus.ACCEPTED)
    checked = MarketingCheck.objects.filter(form=OuterRef("pk"))
    return forms.exclude(Exists(checked)).order_by("created_at", "pk"), _form_url


def quarter(on):
    return on.year, (on.month - 1) // 3 + 1


@kind("process_checks", _("Quarterly process checks to do"), "marketing.check")
def process_checks(user):
    """Branch quarters (this one and the one before) with agreements bound in volumes and no process check."""
    year, q = quarter(timezone.localdate())
    before = (year, q - 1) if q > 1 else (year - 1, 4)
    months = Q()
    for y, n in ((year, q), before):
        months |= Q(year=y, month__in=range(3 * n - 2, 3 * n + 1))
    volumes = _waiting(user, Volume, "marketing.check", category=Category.AGREEMENT).filter(months)
    done = MarketingCheck.objects.filter(kind=MarketingCheck.Kind.PROCESS, branch=OuterRef("hall__branch"),
                                         year=OuterRef("year"), period=OuterRef("quarter"))
    due = (volumes.annotate(quarter=(F("month") + 2) / 3).exclude(Exists(done)).order_by()
           .values("hall__branch", "year", "quarter").distinct().order_by("year", "quarter"))
    return due, reverse("archive_admin:branch")


# --- destruction lists (city-wide: only whole-city grants reach them) -------------------------------

def _list_url(lst):
    return reverse("archive_admin:destruction_list", args=[lst.pk])


def _pending():
    return Exists(DestructionItem.objects.filter(list=OuterRef("pk"), decision=DestructionItem.Decision.PENDING))


@kind("appraise_lists", _("Destruction lists to appraise"), "destruction.appraise")
def appraise_lists(user):
    lists = _waiting(user, DestructionList, "destruction.appraise", status=ListStatus.DRAWN)
    return lists.filter(_pending()).order_by("drawn_at", "pk"), _list_url


@kind("approve_lists", _("Destruction lists to approve"), "destruction.approve")
def approve_lists(user):
    lists = _waiting(user, DestructionList, "destruction.approve", status=ListStatus.DRAWN)
    return lists.exclude(_pending()).order_by("drawn_at", "pk"), _list_url


@kind("execute_lists", _("Approved destruction lists to carry out"), "destruction.execute")
def execute_lists(user):
    lists = _waiting(user, DestructionList, "destruction.execute", status=ListStatus.APPROVED)
    return lists.order_by("drawn_at", "pk"), _list_url


@kind("witness_lists", _("Destructions to sign as witness"), "destruction.witness")
def witness_lists(user):
    """Lists destroyed with the user named as a witness who has not signed yet."""
    def unsigned(slot):
        return ~Exists(Signature.objects.filter(document_type="destruction_list", document_id=OuterRef("pk"),
                                                slot=slot))
    lists = _waiting(user, DestructionList, "destruction.witness", status=ListStatus.DESTROYED)
    mine = (Q(witness1=user) & unsigned("witness1")) | (Q(witness2=user) & unsigned("witness2"))
    return lists.filter(mine).order_by("drawn_at", "pk"), _list_url


# --- integrity (records/fixity.py): stored objects found missing, changed or unreadable -------------------

@kind("fixity_problems", _("Stored files with fixity problems"), "integrity.view")
def fixity_problems(user):
    from records import fixity

    return (access.visible(user, fixity.problems(), "integrity.view").order_by("last_checked", "pk"),
            reverse("archive_admin:dashboard") + "#archive-integrity")


# --- the handbook's approval workflow (Wagtail's tasks: the office, the general manager, department heads) -

@kind("handbook_reviews", _("Procedures to review or approve"), "handbook.review")
def handbook_reviews(user):
    """Workflow task states the user may act on (Wagtail's own "awaiting your review" rule, one query per
    active task); the step is the page editor, whose footer approves."""
    from wagtail.models import TaskState

    return (TaskState.objects.reviewable_by(user).select_related("workflow_state").order_by("started_at", "pk"),
            lambda state: reverse("wagtailadmin_pages:edit", args=[state.workflow_state.object_id]))


from . import loan_todo  # noqa: E402,F401  (its rows register themselves, after the chain's)
