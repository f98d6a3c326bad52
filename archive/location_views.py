"""The archivist's shelf screen (archive/locations.py): every kept volume with its box and custody state,
shelving a volume into a box and the moves (another box, out for transfer, received back, destroyed)."""
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from org import access

from . import locations
from .base import ChainError
from .models import Box, Custody, Volume
from .views import Screen, action_view


class LocationsView(Screen):
    template_name = "archive/locations.html"
    page_title = gettext_lazy("Storage locations")
    action = "location.manage"

    def get_context_data(self, **kwargs):
        rows = locations.visible_custody(self.request.user, "location.manage").order_by("box__store__code", "box__row",
                                                                                         "box__column", "box__shelf",
                                                                                         "box__number", "volume__number")
        q = self.request.GET.get("q", "").strip()
        if q:
            rows = rows.filter(volume__number__icontains=q)
        status = self.request.GET.get("status", "")
        if status in Custody.Status.values:
            rows = rows.filter(status=status)
        return super().get_context_data(rows=rows[:300], boxes=Box.objects.filter(active=True).select_related("store"),
                                        statuses=Custody.Status.choices, q=q, status=status, **kwargs)


def _box(request):
    return get_object_or_404(Box.objects.select_related("store"), pk=request.POST.get("box") or 0)


@action_view
def shelve(request):
    if not access.may(request.user, "location.manage"):
        raise PermissionDenied
    number = (request.POST.get("volume") or "").strip()
    volume = access.visible(request.user, Volume.objects.filter(number=number), "location.manage").first()
    if volume is None:
        raise ChainError(_("Not found: %(list)s") % {"list": number})
    custody = locations.shelve(request.user, volume, _box(request), request)
    return _("%(volume)s is at %(place)s.") % {"volume": volume.number, "place": locations.label(custody)}


@action_view
def custody_step(request, pk):
    custody = get_object_or_404(locations.visible_custody(request.user, "location.manage"), pk=pk)
    step = request.POST.get("step")
    if step == "relocate":
        locations.relocate(request.user, custody, _box(request), request)
    elif step == "transfer":
        locations.transfer(request.user, custody, request.POST.get("note", ""), request)
    elif step == "receive":
        locations.receive(request.user, custody, _box(request), request)
    elif step == "destroy":
        locations.destroy(request.user, custody, request.POST.get("note", ""), request)
    else:
        raise ChainError(_("Unknown step."))
    return _("%(volume)s: %(place)s.") % {"volume": custody.volume.number, "place": locations.label(custody)}
