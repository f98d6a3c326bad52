"""Screens of look-ups and loans (archive/loans.py): ask, approve or refuse, issue and take back, copies,
the electronic view (pages logged, downloads watermarked) and the register 借阅登记簿 with its monthly PDF.
Every object comes from a query narrowed by org.access (outside it: 404); every change asks again."""
import datetime

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from org import access, auditlog
from records import pageview
from records.models import Record

from . import events, loan_pdf, loans
from .models import CopyRequest, Loan
from .views import Screen, _int, _pdf, action_view


def _loan(request, pk):
    return get_object_or_404(loans.visible_loans(request.user), pk=pk)


class LoansView(Screen):
    template_name = "archive/loans.html"
    page_title = gettext_lazy("Look-ups and loans")
    action = "loan.request"

    def get_context_data(self, **kwargs):
        user = self.request.user
        pending, copies = loans.to_approve(user)
        # each list names the requester: fetched with the loans (one query a list, however many loans)
        desk = access.visible(user, Loan.objects.filter(form=Loan.Form.ON_SITE, status__in=[
            Loan.Status.APPROVED, Loan.Status.ISSUED]), "loan.issue").select_related("requester") \
            if access.may(user, "loan.issue") else []
        return super().get_context_data(
            mine=Loan.objects.filter(requester=user)[:50], pending=pending.select_related("requester"),
            pending_copies=copies.select_related("loan"), desk=desk,
            overdue=loans.overdue(user).select_related("requester") if access.may(user, "loan.register") else [],
            forms=Loan.Form.choices, days=loans.period_days(), now=timezone.now(), **kwargs)


class LoanView(Screen):
    template_name = "archive/loan.html"
    page_title = gettext_lazy("Loan request")
    action = "loan.request"

    def get_context_data(self, **kwargs):
        user = self.request.user
        loan = _loan(self.request, kwargs.pop("pk"))
        pending, copies = loans.to_approve(user)
        return super().get_context_data(
            loan=loan, items=loan.items.select_related("record", "volume"), copies=loan.copies.all(),
            rows=loan_pdf.register_rows([loan]), header=loan_pdf.HEADER,
            may_decide=pending.filter(pk=loan.pk).exists(), copies_to_decide=set(copies.values_list("pk", flat=True)),
            may_issue=access.can(user, "loan.issue", loan), mine=loan.requester_id == user.pk,
            open_view=loans.open_views(user, timezone.now()).filter(pk=loan.pk).exists(), **kwargs)


def _numbers(text):
    return [n for n in (text or "").replace("，", ",").replace("、", ",").replace("\n", ",").split(",") if n.strip()]


@action_view
def loan_request(request):
    loan = loans.request_loan(request.user, request.POST.get("purpose"), request.POST.get("form"),
                              _int(request.POST.get("days") or loans.period_days(), _("Period (days)")),
                              _numbers(request.POST.get("records")), _numbers(request.POST.get("volumes")), request)
    return _("Request %(number)s sent to your superior.") % {"number": loan.number}


@action_view
def loan_approve(request, pk):
    loans.approve(request.user, _loan(request, pk), request.POST.get("password"), request)
    return _("Approved and signed.")


@action_view
def loan_refuse(request, pk):
    loans.refuse(request.user, _loan(request, pk), request.POST.get("reason"), request)
    return _("Refused.")


@action_view
def loan_issue(request, pk):
    loans.issue(request.user, _loan(request, pk), request.POST.get("password"), request.POST.get("borrower_password"),
                request)
    return _("Issued; both sides signed.")


@action_view
def loan_return(request, pk):
    loan = _loan(request, pk)
    counted = _int(request.POST.get("pages"), _("Pages counted"))
    loans.take_back(request.user, loan, counted, request.POST.get("condition"), request.POST.get("password"),
                    request.POST.get("borrower_password"), request)
    return _("Returned; both sides signed.")


@action_view
def copy_request(request, pk):
    loans.request_copy(request.user, _loan(request, pk), _int(request.POST.get("pages"), _("Pages")),
                       request.POST.get("reason"), request)
    return _("Copy request sent to your superior.")


def _copy(request, pk):
    copy = get_object_or_404(CopyRequest.objects.select_related("loan"), pk=pk)
    get_object_or_404(loans.visible_loans(request.user), pk=copy.loan_id)
    return copy


@action_view
def copy_decide(request, pk):
    loans.decide_copy(request.user, _copy(request, pk), request.POST.get("decision") == "approve", request)
    return _("Decision recorded.")


@action_view
def copy_made(request, pk):
    loans.copy_made(request.user, _copy(request, pk), request)
    return _("Copies recorded.")


# --- the electronic view ----------------------------------------------------------------------------------

def _granted(request, pk):
    """The request (the user's own) and the files it gives now; 404 when it gives nothing (expired, refused,
    someone else's): the time is part of the query (org.access.granted)."""
    loan = get_object_or_404(Loan.objects.filter(requester=request.user.pk), pk=pk)
    files = access.granted(request.user, Record.objects.all(), loans.READ, loan=loan)
    return loan, files


class ElectronicView(Screen):
    template_name = "archive/loan_view.html"
    page_title = gettext_lazy("Electronic view")
    action = "loan.request"

    def get_context_data(self, **kwargs):
        loan, files = _granted(self.request, kwargs.pop("pk"))
        files = list(files.order_by("transaction_no"))
        if not files:
            raise Http404
        return super().get_context_data(
            loan=loan, files=[(f, range(1, pageview.page_total(f) + 1)) for f in files], **kwargs)


def loan_page(request, pk, record_pk, number):
    loan, files = _granted(request, pk)
    record = get_object_or_404(files, pk=record_pk)
    try:
        data, what = pageview.render(record, number)
    except pageview.Unavailable:
        raise Http404 from None
    auditlog.record(events.LOAN_VIEW_PAGE, actor=request.user, obj=record, request=request,
                    details={"loan": loan.number, "page": number, "file": what})
    return HttpResponse(data, content_type="image/jpeg")


def loan_download(request, pk, record_pk):
    loan, files = _granted(request, pk)
    record = get_object_or_404(files, pk=record_pk)
    if not record.access_copy:
        raise Http404
    now = timezone.now()
    with record.access_copy.open("rb") as fh:
        data = loan_pdf.watermarked(fh.read(), loan_pdf.watermark_line(request.user, loan, now))
    auditlog.record(events.LOAN_DOWNLOAD, actor=request.user, obj=record, request=request,
                    details={"loan": loan.number, "file": "access_copy", "watermarked_at": now.isoformat()})
    response = _pdf(data, f"{loan.number}-{record.transaction_no or record.pk}.pdf")
    response["Content-Disposition"] = response["Content-Disposition"].replace("inline", "attachment")
    return response


# --- the register -----------------------------------------------------------------------------------------

def _month(request):
    value = request.GET.get("month") or timezone.localdate().strftime("%Y-%m")
    try:
        day = datetime.date.fromisoformat(f"{value}-01")
    except ValueError:
        raise Http404 from None
    return day.year, day.month


def _register(user):
    if not access.may(user, "loan.register"):
        raise PermissionDenied
    return access.visible(user, Loan.objects.all(), "loan.register")


class RegisterView(Screen):
    template_name = "archive/loan_register.html"
    page_title = gettext_lazy("Loan register")
    action = "loan.register"

    def get_context_data(self, **kwargs):
        year, month = _month(self.request)
        rows = loan_pdf.register_rows(loan_pdf.month_loans(_register(self.request.user), year, month))
        return super().get_context_data(rows=rows, header=loan_pdf.HEADER, month=f"{year}-{month:02d}", **kwargs)


def register_pdf(request):
    year, month = _month(request)
    found = loan_pdf.month_loans(_register(request.user), year, month)
    auditlog.record(events.LOAN_REGISTER_PDF, actor=request.user, request=request,
                    details={"month": f"{year}-{month:02d}", "loans": [loan.number for loan in found]})
    return _pdf(loan_pdf.register_pdf(found, year, month), f"loan-register-{year}-{month:02d}.pdf")
