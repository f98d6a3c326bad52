"""Admin screens of retention and destruction: the due list, holds, the schedule, the service-event
upload, and the destruction lists step by step. Objects come from querysets narrowed by org.access for the
action at hand (outside it: 404); every change goes through the steps of retention.py, holds.py,
service_events.py and destruction.py, which ask org.access again. Lists are city-wide, so only whole-city
grants reach them; auditors see every screen and the PDF but no button acts for them."""
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin import messages

from org import access
from org.models import Hall, User
from org.pii import mask_text
from records.models import Category, Record
from records.reconcile import ReportError

from . import destruction, holds, restriction, retention, service_events
from .base import ChainError, log
from .destruction_pdf import list_pdf
from .models import DestructionItem, DestructionList, Hold, ServiceEventImport, Volume
from .views import Screen, _date, _pdf, action_view, scoped, scoped_halls


class RetentionView(Screen):
    template_name = "archive/retention.html"
    page_title = gettext_lazy("Retention and holds")
    action = "retention.view"

    def get_context_data(self, **kwargs):
        user, get = self.request.user, self.request.GET
        try:
            on = _date(get["on"]) if get.get("on") else timezone.localdate()
        except ChainError:
            raise Http404 from None
        halls = scoped_halls(user, "retention.view")
        hall = halls.filter(code=get.get("hall")).first() if get.get("hall") else None
        due = retention.due_files(user, on, hall)
        whole_city = access.can(user, "retention.view")
        return super().get_context_data(
            on=on, hall=hall, halls=halls, due=due[:500], due_count=len(due), rules=retention.rules(),
            categories=Category.choices, triggers=retention.T.choices, minimum=retention.LEGAL_MINIMUM_YEARS,
            holds=Hold.objects.filter(released_at__isnull=True).select_related("record", "volume", "placed_by")[:200]
            if whole_city else [],
            imports=ServiceEventImport.objects.all()[:10] if whole_city else [],
            may_hold=access.may(user, "retention.hold"), may_import=access.may(user, "retention.import"),
            may_schedule=access.may(user, "retention.schedule"), may_draw=access.may(user, "destruction.draw"),
            may_request=access.may(user, "retention.request"),
            **kwargs)


@action_view
def service_events_upload(request):
    if not access.may(request.user, "retention.import"):
        raise PermissionDenied
    upload = request.FILES.get("file")
    if upload is None:
        raise ChainError(_("Choose the CSV file of service events."))
    try:
        batch = service_events.import_events(request.user, upload.read(), upload.name, request)
    except ReportError as error:
        raise ChainError(_("Nothing was imported: ") + "；".join(error.problems)) from None
    return _("Imported %(n)d service events.") % {"n": batch.row_count}


@action_view
def schedule_change(request):
    if not access.may(request.user, "retention.schedule"):
        raise PermissionDenied
    p = request.POST
    row = retention.change_rule(request.user, p.get("category"), p.get("trigger"), p.get("years"), p.get("authority"),
                                request)
    return _("Version %(v)d of the schedule is in force.") % {"v": row.version}


@action_view
def hold_add(request):
    if not access.may(request.user, "retention.hold"):
        raise PermissionDenied
    p = request.POST
    record = volume = None
    if p.get("record"):
        record = scoped(request, Record, p["record"], "retention.hold")
    if p.get("volume"):
        volumes = Volume.objects.filter(number=p["volume"].strip())
        volume = access.visible(request.user, volumes, "retention.hold").first()
        if volume is None:
            raise ChainError(_("No such volume."))
    hold = holds.Place(request.user, p.get("reason"), record=record, volume=volume,
                       id_number=p.get("customer_id") or None, request=request).run()
    return _("Hold %(id)d placed.") % {"id": hold.pk}


@action_view
def hold_release(request, pk):
    hold = Hold.objects.filter(pk=pk).first()
    if hold is None or not access.can(request.user, "retention.hold", hold.record or hold.volume):
        raise Http404
    holds.Release(request.user, hold, request.POST.get("reason"), request).run()
    return _("Hold %(id)d released.") % {"id": hold.pk}


class ListsView(Screen):
    template_name = "archive/destruction_lists.html"
    page_title = gettext_lazy("Destruction lists")
    action = "retention.view"

    def get_context_data(self, **kwargs):
        lists = access.visible(self.request.user, DestructionList.objects.all(), "retention.view").annotate(
            files=Count("items"), destroyed=Count("items", filter=Q(items__outcome="destroyed")))
        return super().get_context_data(lists=lists[:200], today=timezone.localdate(),
                                        may_draw=access.may(self.request.user, "destruction.draw"), **kwargs)


class ListView(Screen):
    template_name = "archive/destruction_list.html"
    page_title = gettext_lazy("Destruction list")
    action = "retention.view"

    def get_context_data(self, **kwargs):
        kwargs.pop("pk", None)
        lst = scoped(self.request, DestructionList, self.kwargs["pk"], "retention.view")
        user = self.request.user
        S = DestructionList.Status
        signed = destruction.signatures.signatures_of(lst)
        slot = {lst.witness1_id: "witness1", lst.witness2_id: "witness2"}.get(user.pk)
        return super().get_context_data(
            lst=lst, items=lst.items.select_related("decided_by"), signatures=signed,
            may_appraise=lst.status == S.DRAWN and access.can(user, "destruction.appraise", lst),
            may_approve=lst.status == S.DRAWN and access.can(user, "destruction.approve", lst),
            may_execute=lst.status == S.APPROVED and access.can(user, "destruction.execute", lst),
            may_purge=bool(lst.storage_pending) and access.can(user, "destruction.execute", lst),
            may_witness=lst.status == S.DESTROYED and slot is not None and slot not in signed,
            witnesses=User.objects.filter(is_active=True, role_assignments__role__in=sorted(
                access.ACTIONS["destruction.witness"])).distinct().order_by("username"),
            **kwargs)


@action_view
def draw(request):
    if not access.may(request.user, "destruction.draw"):
        raise PermissionDenied
    p = request.POST
    hall = scoped(request, Hall, p["hall"], "destruction.draw") if p.get("hall") else None
    ids = p.getlist("records") or None
    lst = destruction.Draw(request.user, _date(p.get("on")) if p.get("on") else None, ids, hall, request).run()
    request.POST = request.POST.copy()
    request.POST["next"] = reverse("archive_admin:destruction_list", args=[lst.pk])
    return _("Destruction list %(n)s drawn with %(c)d files.") % {"n": lst.number, "c": lst.items.count()}


def _list(request, pk, action):
    return scoped(request, DestructionList, pk, action)


@action_view
def appraise(request, pk):
    lst = _list(request, pk, "destruction.appraise")
    p = request.POST
    item = DestructionItem.objects.filter(list=lst, pk=p.get("item")).first()
    if item is None:
        raise ChainError(_("Choose a file of this list."))
    keep = _date(p.get("keep_until")) if p.get("decision") == DestructionItem.Decision.KEEP else None
    destruction.Appraise(request.user, item, p.get("decision"), keep, p.get("reason"), request).run()
    return _("Decision recorded.")


@action_view
def approve(request, pk):
    lst = _list(request, pk, "destruction.approve")
    destruction.Approve(request.user, request.POST.get("password"), lst, request).run()
    return _("The list is approved and signed.")


@action_view
def execute(request, pk):
    lst = _list(request, pk, "destruction.execute")
    p = request.POST
    witnesses = [User.objects.filter(pk=p.get(k)).first() if (p.get(k) or "").isdigit() else None
                 for k in ("witness1", "witness2")]
    lst = destruction.Execute(request.user, p.get("password"), lst, *witnesses, request=request).run()
    return _("Destroyed. The two witnesses now sign the list.")


@action_view
def purge(request, pk):
    lst = _list(request, pk, "destruction.execute")
    destruction.purge_storage(lst, request.user, request)
    return _("Every storage object of the list is deleted.")


@action_view
def witness(request, pk):
    lst = _list(request, pk, "destruction.witness")
    destruction.Witness(request.user, request.POST.get("password"), lst, request).run()
    return _("Signed as witness.")


def list_pdf_view(request, pk):
    lst = _list(request, pk, "retention.view")
    data = bytes(lst.final_pdf) if lst.final_pdf else list_pdf(lst)
    return _pdf(data, f"{lst.number}.pdf")


@action_view
def deletion_request(request):
    if not access.may(request.user, "retention.request"):
        raise PermissionDenied
    restriction.Request(request.user, request.POST.get("customer_id"), request.POST.get("reason"), request).run()
    return _("The deletion request is recorded; the customer's files are restricted.")


class RestrictedOpenView(Screen):
    """A file restricted by a deletion request, opened by the archivist: GET asks for the reason, POST logs
    it and shows the file."""
    template_name = "archive/restricted_open.html"
    page_title = gettext_lazy("Open a restricted file")
    action = "retention.restricted_open"

    def post(self, request, *args, **kwargs):
        record = scoped(request, Record, kwargs["pk"], "retention.restricted_open")
        step = restriction.Open(request.user, record, request.POST.get("reason"), request)
        try:
            step.run()
        except ChainError as exc:
            messages.error(request, str(exc))
            return self.get(request, *args, **kwargs)
        return self.render_to_response(self.get_context_data(opened=step.pass_, **kwargs))

    def get_context_data(self, opened="", **kwargs):
        kwargs.pop("pk", None)
        record = scoped(self.request, Record, self.kwargs["pk"], "retention.restricted_open")
        return super().get_context_data(
            record=record, opened=bool(opened), restricted=restriction.is_restricted(record),
            pages=[(p.number, mask_text(p.text)) for p in record.pages.order_by("number")] if opened else [],
            scans=record.scans.order_by("pk") if opened else [], pass_=opened, **kwargs)


def restricted_file(request, pk):
    """One scan (?scan=ID) or the access copy of a restricted file, with the pass its opening gave; every
    download is logged with the opening it rests on."""
    record = scoped(request, Record, pk, "retention.restricted_open")
    try:
        opened = restriction.check_pass(request.GET.get("pass"), request.user, record)
    except ChainError as exc:  # back to the page that asks for the reason, saying why
        messages.error(request, str(exc))
        return redirect("archive_admin:restricted_open", pk=record.pk)
    if request.GET.get("scan"):
        scan = record.scans.filter(pk=request.GET["scan"] if request.GET["scan"].isdigit() else 0).first()
        fieldfile, what = (scan.master if scan else None), "master"
    else:
        fieldfile, what = record.access_copy, "access_copy"
    if not fieldfile:
        raise Http404
    handle = fieldfile.open("rb")
    log(restriction.EVENT_DOWNLOAD, request.user, record, request, file=what, opened=opened)
    return FileResponse(handle, as_attachment=True, filename=fieldfile.name.rsplit("/", 1)[-1])
