"""Password guessing: the parts of django-axes' lockout that are ours.

Axes counts failures of every authenticate() in the database (shared by all processes) and refuses a locked
user name or client address (settings: AXES_*). Here: which address a request comes from (the socket, or
the entry our own reverse proxies appended), when a lockout ends, and the Chinese answer a locked-out
sign-in gets. Signature password re-entry (archive/signatures.py) shows the same message in its own screen.
"""
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q, Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from . import auditlog

# The credential that marks an authenticate() made to sign a document (not a sign-in).
SIGNING = "signing_document"


def locked_until(request, credentials=None):
    """When the current lockout of this user name or address ends (at the latest), or None if not locked."""
    AxesProxyHandler.update_request(request)
    handler = AxesProxyHandler.get_implementation()
    limit = get_failure_limit(request, credentials)
    ends = None
    for attempts in handler.get_user_attempts(request, credentials):
        seen = attempts.aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        if (seen["failures"] or 0) >= limit:
            end = seen["last"] + get_cool_off(request)
            ends = end if ends is None or end > ends else ends
    return ends


def message(request, credentials=None):
    ends = locked_until(request, credentials) or timezone.now() + get_cool_off(request)
    minutes = int(get_cool_off(request).total_seconds() // 60)
    return _("Too many failed password attempts: this user name or this computer's address is locked. "
             "Try again after %(time)s (%(minutes)d minutes after the last attempt), or ask the system "
             "administrator to unlock it.") % {"time": date_format(timezone.localtime(ends), "DATETIME_FORMAT"),
                                                "minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: what a locked-out request gets instead of the sign-in form (HTTP 429)."""
    if credentials and SIGNING in credentials and original_response is not None:
        return original_response  # the signing screen already shows message() as its error
    text = message(request, credentials)
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"error": text}, status=429)
    return render(request, "org/lockout.html", {"message": text, "back": request.path}, status=429)


def recent_failures():
    """Failures within the cool-off, summed per user name and per address (each locks on its own):
    [{"kind": "username"|"ip_address", "value", "failures", "last", "until" or None}]."""
    recent = AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - get_cool_off())
    rows = []
    for field in ("username", "ip_address"):
        for row in (recent.exclude(**{f"{field}__isnull": True}).values(field)
                    .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time")).order_by(field)):
            locked = row["failures"] >= settings.AXES_FAILURE_LIMIT
            rows.append({"kind": field, "value": row[field], "failures": row["failures"], "last": row["last"],
                         "until": row["last"] + get_cool_off() if locked else None})
    return rows


def unlock(username="", address="", everything=False, actor=None, actor_name=None, request=None):
    """Forget the failures of a user name and/or an address (or all); logged. Returns the rows removed."""
    where = Q() if everything else Q(pk__in=[])
    if username:
        where |= Q(username=username)
    if address:
        where |= Q(ip_address=address)
    with transaction.atomic():
        count = AccessAttempt.objects.filter(where).delete()[0]
        auditlog.record("auth.lockout_reset", actor=actor, actor_name=actor_name,
                        obj=("auth.user", "", username or ""), request=request,
                        details={"username": username or "", "address": address or "", "all": bool(everything),
                                 "rows": count})
    return count
