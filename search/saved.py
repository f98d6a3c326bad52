"""Saved searches: a user keeps the search on the screen (text, filters, dates, sort) under a name and opens
it again from the list on the search page. Only the owner sees, opens or deletes one (another user's is
not found); saving and deleting are written to the event log. A search for a whole ID number is not kept
(the number would be stored in clear): its last 6 characters find the file as well."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseNotAllowed, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from org import access, auditlog, pii

from . import events
from .models import SavedSearch

KEYS = ("q", "date_from", "date_to", "sort")  # and the screen's filters (views.FILTERS)


def clean_query(text, filter_names):
    """The query string `text` with only the screen's own parameters (no page), filled ones only."""
    params, out = QueryDict(text or ""), QueryDict(mutable=True)
    for key in (*KEYS, *filter_names):
        values = [v.strip() for v in params.getlist(key) if v.strip()]
        if values:
            out.setlist(key, values)
    return out.urlencode()


def for_user(user):
    return SavedSearch.objects.filter(user=user)


def _holds_a_number(text):
    return bool(pii.id_number_query(text)) or pii.mask_text(text) != text


def save(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if access.scope(request.user, "record.view").empty:
        raise PermissionDenied
    from .views import FILTERS

    name = (request.POST.get("name") or "").strip()[:80]
    query = clean_query(request.POST.get("query"), FILTERS)
    back = reverse("search_admin:search") + (f"?{query}" if query else "")
    if not name or not query:
        messages.error(request, _("Give the search a name, and search for something first"))
        return redirect(back)
    if _holds_a_number(QueryDict(query).get("q", "")):
        messages.error(request, _("A search for an ID number is not saved; search for its last 6 characters "
                                  "and save that"))
        return redirect(back)
    with transaction.atomic():
        saved, created = SavedSearch.objects.update_or_create(user=request.user, name=name,
                                                              defaults={"query": query})
        auditlog.record(events.SAVED_SEARCH_SAVE, actor=request.user, obj=saved, request=request,
                        details={"name": name, "query": query, "replaced": not created})
    messages.success(request, _("Search “%(name)s” saved") % {"name": name})
    return redirect(back)


def delete(request, pk):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    saved = get_object_or_404(for_user(request.user), pk=pk)
    with transaction.atomic():
        auditlog.record(events.SAVED_SEARCH_DELETE, actor=request.user, obj=saved, request=request,
                        details={"name": saved.name, "query": saved.query})
        saved.delete()
    messages.success(request, _("Saved search “%(name)s” deleted") % {"name": saved.name})
    return redirect("search_admin:search")
