"""Look-ups and loans (查阅、借阅, issue 17). A request names files or volumes, the purpose, the form (read on
site, or an electronic view for a limited time) and the period; the requester's superior (org.access.
superior_filter) approves it with a signature or refuses it with a reason; the archivist issues an on-site
loan and takes it back (pages counted against the recorded pages, the condition noted, both sides sign).

Rules: an item on loan is not lent again (the volume's custody is on loan: the table refuses); volumes and
files with ID copies are read on site only; copying needs its own approval and every copy is logged; the
period is the setting LOAN_PERIOD_DAYS (default 7), the longest a request may ask. An approved electronic
view gives its requester exactly its files until `expires_at`: the grant is a query registered with
org.access (access.granted), so at that moment the files are gone from every screen of the view."""
import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from org import access, auditlog, states
from org.roles import ScopeKind
from records.models import Record

from . import events, signatures
from .base import require
from .models import CopyRequest, Custody, Loan, LoanItem, Volume, VolumeItem

Refused = states.Refused
READ = "loan.read"  # the temporary grant of an electronic view (access.granted)


def period_days():
    """The loan period: the default of a request and the longest it may ask (settings.LOAN_PERIOD_DAYS)."""
    return int(getattr(settings, "LOAN_PERIOD_DAYS", 7))


def _place(user):
    """The requester's hall and branch (the narrowest of their roles), which place the request in org.access."""
    found = access.assignments(user)
    for a in found:
        if a.scope == ScopeKind.HALL:
            return a.hall, a.hall.branch
    for a in found:
        if a.scope == ScopeKind.BRANCH:
            return None, a.branch
    return None, None


def _number(now):
    """JY-YYYYMMDD-NNNN, the day's next; two requests in the same instant are serialised by the lock on the
    day's newest request (the unique number refuses the second otherwise)."""
    prefix = f"JY-{timezone.localtime(now):%Y%m%d}-"
    last = (Loan.objects.select_for_update().filter(number__startswith=prefix).order_by("-number")
            .values_list("number", flat=True).first())
    return f"{prefix}{int(last.rsplit('-', 1)[1]) + 1 if last else 1:04d}"


def records_of(loan):
    """The files a request covers: those it names and those in the volumes it names."""
    return Record.objects.filter(Q(pk__in=loan.items.exclude(record=None).values("record_id")) | Q(
        volume_item__volume_id__in=loan.items.exclude(volume=None).values("volume_id")))


def volumes_of(loan):
    """The paper volumes a request takes out of their boxes (a file goes with its bound volume)."""
    return Volume.objects.filter(Q(pk__in=loan.items.exclude(volume=None).values("volume_id")) | Q(
        pk__in=VolumeItem.objects.filter(record_id__in=loan.items.exclude(record=None).values("record_id"))
        .values("volume_id")))


def with_id_copies(records):
    """The files among `records` that carry a copy of an ID paper (an ID number was taken from them)."""
    return records.exclude(id_number_hash="")


def _lookup(records, volumes):
    found_records = {r.transaction_no: r for r in Record.objects.filter(transaction_no__in=records)}
    found_volumes = {v.number: v for v in Volume.objects.filter(number__in=volumes)}
    missing = [n for n in records if n not in found_records] + [n for n in volumes if n not in found_volumes]
    if missing:
        raise Refused(_("Not found: %(list)s") % {"list": "、".join(missing)})
    return list(found_records.values()), list(found_volumes.values())


def on_loan(volumes, besides=None):
    """The volumes among `volumes` whose paper is out now, or promised to an approved on-site loan other
    than `besides`."""
    promised = LoanItem.objects.filter(loan__status__in=[Loan.Status.APPROVED, Loan.Status.ISSUED],
                                       loan__form=Loan.Form.ON_SITE).exclude(loan=besides)
    return volumes.filter(Q(custody__status=Custody.Status.ON_LOAN) | Q(Exists(promised.filter(
        Q(volume=OuterRef("pk")) | Q(record__volume_item__volume=OuterRef("pk"))))))


def request_loan(requester, purpose, form, days, record_numbers=(), volume_numbers=(), request=None):
    if not access.may(requester, "loan.request"):
        raise PermissionDenied
    purpose = (purpose or "").strip()
    if not purpose:
        raise Refused(_("Say what the files are needed for."))
    if form not in Loan.Form.values:
        raise Refused(_("Choose read on site or electronic view."))
    if not 1 <= days <= period_days():
        raise Refused(_("The period is 1 to %(n)s days.") % {"n": period_days()})
    numbers = [n.strip() for n in record_numbers if n.strip()], [n.strip() for n in volume_numbers if n.strip()]
    if not numbers[0] and not numbers[1]:
        raise Refused(_("Name at least one file or volume."))
    hall, branch = _place(requester)
    with transaction.atomic():
        records, volumes = _lookup(*numbers)
        now = timezone.now()
        loan = Loan.objects.create(number=_number(now), requester=requester, hall=hall, branch=branch,
                                   purpose=purpose, form=form, days=days)
        LoanItem.objects.bulk_create([LoanItem(loan=loan, record=r) for r in records] +
                                     [LoanItem(loan=loan, volume=v) for v in volumes])
        _check_items(loan)
        loan.pages_expected = records_of(loan).aggregate(n=Sum("page_count"))["n"] or 0
        loan.save(update_fields=["pages_expected"])
        auditlog.record(events.LOAN_REQUEST, actor=requester, obj=loan, request=request, details={
            "form": form, "days": days, "purpose": purpose, "records": numbers[0], "volumes": numbers[1]})
    return loan


def _check_items(loan):
    if loan.form == Loan.Form.ELECTRONIC:
        marked = with_id_copies(records_of(loan))
        if marked.exists():
            raise Refused(_("Files with ID copies are read on site only: %(list)s") % {
                "list": "、".join(str(r.transaction_no or r.pk) for r in marked[:10])})
        return
    volumes = volumes_of(loan)
    stored = set(volumes.filter(custody__status__in=[Custody.Status.IN_STORE, Custody.Status.ON_LOAN])
                 .values_list("pk", flat=True))
    loose = [str(r.transaction_no or r.pk) for r in records_of(loan).filter(volume_item=None)]
    absent = [v.number for v in volumes if v.pk not in stored]
    if loose or absent:
        raise Refused(_("Not kept in the archive's store, so it cannot be lent: %(list)s")
                      % {"list": "、".join(loose + absent)})
    out = on_loan(volumes, besides=loan)
    if out.exists():
        raise Refused(_("On loan already; it cannot be lent again until it is back: %(list)s")
                      % {"list": "、".join(v.number for v in out)})


def _superior(actor, loan):
    if not Loan.objects.filter(pk=loan.pk).filter(access.superior_filter(actor)).exists():
        raise PermissionDenied(_("Only the requester's superior approves this request."))


def _may_decide(approver, loan):
    """Asked before the password: only the requester's superior (in scope) gets that far."""
    if not access.can(approver, "loan.approve", loan):
        raise PermissionDenied(_("You may not do this here (%(action)s)") % {"action": "loan.approve"})
    _superior(approver, loan)


def approve(approver, loan, password, request=None):
    """The superior approves and signs; an electronic view opens now, for the request's days."""
    _may_decide(approver, loan)
    signatures.verify_password(approver, password, request, {"type": "archive.loan", "id": str(loan.pk),
                                                              "repr": loan.number, "step": "loan.approve"})

    def guard(row):
        _superior(approver, row)
        _check_items(row)

    with transaction.atomic():
        now = timezone.now()
        changes = {"decided_by": approver, "decided_at": now}
        if loan.form == Loan.Form.ELECTRONIC:
            changes["expires_at"] = now + datetime.timedelta(days=loan.days)
        states.move(loan, "approve", approver, request=request, guard=guard,
                    details={"expires_at": changes.get("expires_at")}, **changes)
        signatures.sign(approver, loan, "approver", request)
    return loan


def refuse(approver, loan, reason, request=None):
    _may_decide(approver, loan)
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("Give the reason for the refusal."))
    return states.move(loan, "refuse", approver, request=request, guard=lambda row: _superior(approver, row),
                       details={"reason": reason}, decided_by=approver, decided_at=timezone.now(), refusal=reason)


def _both_sign(archivist, password, loan, borrower_password, request, step):
    require(archivist, "loan.issue", loan)  # before any password is tried
    doc = {"type": "archive.loan", "id": str(loan.pk), "repr": loan.number, "step": step}
    signatures.verify_password(archivist, password, request, doc)
    signatures.verify_password(loan.requester, borrower_password, request, doc)


def issue(archivist, loan, password, borrower_password, request=None):
    """Hand an approved on-site loan over: its volumes go on loan (never one already out), both sign."""
    require(archivist, "loan.issue", loan)
    if loan.form != Loan.Form.ON_SITE:
        raise Refused(_("An electronic view is not issued on paper."))
    _both_sign(archivist, password, loan, borrower_password, request, "loan.issue")
    with transaction.atomic():
        now = timezone.now()
        custody = Custody.objects.filter(volume__in=volumes_of(loan))
        states.move(loan, "issue", archivist, request=request, along=[(custody, "lend", {})],
                    details={"due_at": now + datetime.timedelta(days=loan.days)}, issued_by=archivist,
                    issued_at=now, due_at=now + datetime.timedelta(days=loan.days))
        signatures.sign(archivist, loan, "issuer", request)
        signatures.sign(loan.requester, loan, "borrower", request)
    return loan


def take_back(archivist, loan, pages_counted, condition, password, borrower_password, request=None):
    """The return: the pages counted against the recorded pages (a difference must be described), the
    condition noted, the volumes back in their boxes, both sides sign."""
    condition = (condition or "").strip()
    if pages_counted is None or pages_counted < 0:
        raise Refused(_("Count the pages."))
    if not condition:
        raise Refused(_("Note the condition of the files."))
    _both_sign(archivist, password, loan, borrower_password, request, "loan.return")
    with transaction.atomic():
        custody = Custody.objects.filter(volume__in=volumes_of(loan))
        states.move(loan, "return", archivist, request=request, along=[(custody, "take_back", {})],
                    details={"pages_expected": loan.pages_expected, "pages_counted": pages_counted,
                             "pages_match": pages_counted == loan.pages_expected, "condition": condition},
                    returned_at=timezone.now(), pages_counted=pages_counted, condition=condition)
        signatures.sign(archivist, loan, "return_archivist", request)
        signatures.sign(loan.requester, loan, "return_borrower", request)
    return loan


# --- copies ---------------------------------------------------------------------------------------------

def request_copy(requester, loan, pages, reason, request=None):
    if loan.requester_id != requester.pk:
        raise PermissionDenied
    if loan.status not in (Loan.Status.APPROVED, Loan.Status.ISSUED):
        raise Refused(_("Copies are asked for on an approved loan."))
    if not (reason or "").strip() or pages < 1:
        raise Refused(_("Give the number of pages and the reason for the copy."))
    with transaction.atomic():
        copy = CopyRequest.objects.create(loan=loan, pages=pages, reason=reason.strip())
        auditlog.record(events.LOAN_COPY_REQUEST, actor=requester, obj=loan, request=request,
                        details={"copy": copy.pk, "pages": pages, "reason": copy.reason})
    return copy


def decide_copy(approver, copy, approve_it, request=None):
    def superior(row):
        if not CopyRequest.objects.filter(pk=row.pk).filter(access.superior_filter(approver, "loan__requester")).exists():
            raise PermissionDenied(_("Only the requester's superior approves this request."))
    return states.move(copy, "approve" if approve_it else "refuse", approver, request=request, log_on=copy.loan,
                       guard=superior, details={"copy": copy.pk, "pages": copy.pages}, decided_by=approver)


def copy_made(archivist, copy, request=None):
    return states.move(copy, "make", archivist, request=request, log_on=copy.loan,
                       details={"copy": copy.pk, "pages": copy.pages}, made_by=archivist)


# --- the electronic view's grant and the overdue loans ---------------------------------------------------

def open_views(user, now):
    """The user's electronic views open at `now` (approved, not yet expired)."""
    return Loan.objects.filter(requester=user, form=Loan.Form.ELECTRONIC, status=Loan.Status.APPROVED,
                               expires_at__gt=now)


def _granted_records(user, now, loan=None):
    items = LoanItem.objects.filter(loan__in=open_views(user, now))
    if loan is not None:
        items = items.filter(loan=loan)
    return Q(Exists(items.filter(Q(record=OuterRef("pk")) | Q(volume__items__record=OuterRef("pk")))))


access.grant_by(READ, _granted_records)


def overdue(user, now=None):
    """On-site loans past their due time, as far as the user's register reaches."""
    return access.visible(user, Loan.objects.filter(status=Loan.Status.ISSUED, due_at__lt=now or timezone.now()),
                          "loan.register")


def visible_loans(user):
    """The requests a user may open: their own, those they approve as the superior, and those the archive's
    desk and register reach; one query, the scope inside it."""
    q = Q(requester=user.pk) if user.is_authenticated else Q(pk__in=[])
    if access.may(user, "loan.approve"):
        q |= Q(access.scope_filter(user, Loan, "loan.approve"), access.superior_filter(user))
    for action in ("loan.issue", "loan.register"):
        if access.may(user, action):
            reach = access.scope_filter(user, Loan, action)
            if not reach:  # everything (an empty Q would vanish from the OR)
                return Loan.objects.all()
            q |= reach
    return Loan.objects.filter(q)


def to_approve(user):
    """Requests (and copy requests) waiting for this user as the requester's superior."""
    if not access.may(user, "loan.approve"):
        return Loan.objects.none(), CopyRequest.objects.none()
    loans = access.visible(user, Loan.objects.filter(status=Loan.Status.REQUESTED), "loan.approve")
    copies = access.visible(user, CopyRequest.objects.filter(status=CopyRequest.Status.REQUESTED), "loan.approve")
    return (loans.filter(access.superior_filter(user)),
            copies.filter(access.superior_filter(user, "loan__requester")))
