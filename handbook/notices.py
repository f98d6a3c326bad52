"""Telling readers what is about to change: an approved version of a procedure that is scheduled to take
effect (Wagtail's approved_go_live_at: published with a go-live date in the future, so approved) within
HANDBOOK_NOTICE_DAYS days. Every handbook page shows the notices (the handbook is the staff's home page:
staff have no admin), each with a link to the procedure's current version."""
import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from wagtail.models import Page, Revision

from . import versions

MAX_NOTICES = 10


def upcoming(days=None, now=None):
    """[{"title", "version", "date", "url"}] of approved versions taking effect within `days` (default
    HANDBOOK_NOTICE_DAYS), soonest first; `url` is "" for a procedure that is not live yet."""
    from .models import ProcedurePage, SubProcedurePage

    days = settings.HANDBOOK_NOTICE_DAYS if days is None else days
    if days <= 0:
        return []
    now = now or timezone.now()
    types = ContentType.objects.get_for_models(ProcedurePage, SubProcedurePage).values()
    revisions = list(Revision.page_revisions.filter(
        content_type__in=types, approved_go_live_at__gt=now,
        approved_go_live_at__lte=now + datetime.timedelta(days=days)).order_by("approved_go_live_at", "pk")
        [:MAX_NOTICES])
    pages = Page.objects.in_bulk([int(r.object_id) for r in revisions])
    notices = []
    for revision in revisions:
        page = pages.get(int(revision.object_id))
        if page is None:
            continue
        content = revision.content or {}
        notices.append({"title": content.get("title") or page.title,
                        "version": versions.label(content.get("version", "")).lstrip("V"),
                        "date": timezone.localtime(revision.approved_go_live_at).date(),
                        "url": page.url if page.live else ""})
    return notices
