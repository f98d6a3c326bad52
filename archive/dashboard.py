"""The dashboard per scope: files waiting at each step, volumes in transit and who holds them, returns, and
errors per clerk and per hall over time, as inline SVG charts drawn on the server (no internet at runtime)."""
from django.db.models import Count, Prefetch
from django.db.models.functions import TruncMonth
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from org import access
from records.models import Record

from .custody import holder_label
from .models import ErrorEntry, HandoverForm, Level2Audit, Volume

S = Record.Status
STEPS = [S.OCR_DONE, S.SORTED, S.L1_ERROR, S.L1_PASSED, S.AT_HALL]
STEP_LABELS = {  # what each file is waiting for
    S.OCR_DONE: _("Waiting for the daily close"), S.SORTED: _("Waiting for the level-1 audit"),
    S.L1_ERROR: _("Level-1 error to correct"), S.L1_PASSED: _("Waiting for the keeper's signature"),
    S.AT_HALL: _("Waiting for binding"),
}


def waiting(user):
    counts = dict(access.visible(user, Record.objects.filter(status__in=STEPS), "dashboard.view")
                  .values_list("status").annotate(n=Count("pk")))
    return [(str(STEP_LABELS[step]), counts.get(step, 0)) for step in STEPS]


def in_transit(user):
    forms = (access.visible(user, HandoverForm.objects.filter(status=HandoverForm.Status.GIVEN), "dashboard.view")
             .select_related("giver", "hall", "branch")
             .prefetch_related(Prefetch("volumes", Volume.objects.select_related("holder"))))  # each names its holder
    rows = []
    for form in forms:
        for volume in form.volumes.all():
            rows.append({"volume": volume.number, "form": form, "holder": holder_label(volume.holder)})
    return rows


def volumes(user):
    return (access.visible(user, Volume.objects.exclude(status=Volume.Status.OPEN), "dashboard.view")
            .select_related("holder", "hall").order_by("status", "number"))


def returns(user):
    forms = access.visible(user, HandoverForm.objects.filter(status=HandoverForm.Status.REJECTED), "dashboard.view")
    failed = access.visible(user, Level2Audit.objects.filter(result=Level2Audit.Result.FAILED), "dashboard.view")
    return {"rejected_forms": list(forms.select_related("hall", "branch")[:50]),
            "level2_returns": list(failed.select_related("volume")[:50])}


def open_errors(user):
    """Uncorrected errors of every level in the user's scope: {"total": n, "levels": [(label, n)]}. A level-2
    error leaves its file's status alone (the whole volume goes back), so it is counted from the register."""
    qs = access.visible(user, ErrorEntry.objects.filter(corrected_at__isnull=True), "dashboard.view")
    counts = dict(qs.order_by().values_list("level").annotate(n=Count("pk")))
    return {"total": sum(counts.values()),
            "levels": [(label, counts[value]) for value, label in ErrorEntry.Level.choices if counts.get(value)]}


def errors_per_clerk(user):
    qs = access.visible(user, ErrorEntry.objects.all(), "dashboard.view")
    return [(f"{row['clerk__full_name'] or row['clerk__username']}", row["n"])
            for row in qs.values("clerk__username", "clerk__full_name").annotate(n=Count("pk")).order_by("-n")[:20]]


def errors_per_hall_month(user):
    qs = access.visible(user, ErrorEntry.objects.all(), "dashboard.view")
    rows = (qs.annotate(m=TruncMonth("found_at")).values("m", "record__hall__code").annotate(n=Count("pk"))
            .order_by("m", "record__hall__code"))
    return [(f"{row['m']:%Y-%m} {row['record__hall__code']}", row["n"]) for row in rows]


def bar_chart(pairs, title, width=560, bar_height=22):
    """Horizontal bars as an inline SVG (labels and values escaped)."""
    label_w, top = 190, 28
    height = top + bar_height * max(len(pairs), 1) + 10
    top_value = max([v for _, v in pairs] + [1])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="archive-chart" role="img" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}"><title>{escape(title)}</title>',
             f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>']
    for i, (label, value) in enumerate(pairs):
        y = top + i * bar_height
        w = int((width - label_w - 50) * value / top_value)
        parts.append(f'<text x="0" y="{y + 15}" font-size="12">{escape(label)}</text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{bar_height - 6}" fill="#2e7d8c"/>'
                     f'<text x="{label_w + w + 6}" y="{y + 15}" font-size="12">{value}</text>')
    if not pairs:
        parts.append(f'<text x="0" y="{top + 15}" font-size="12">—</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


def audit_days(user):
    """Halls and days with files waiting for the level-1 auditor."""
    qs = access.visible(user, Record.objects.filter(status__in=[S.SORTED, S.L1_ERROR, S.L1_PASSED]), "audit.level1")
    return list(qs.values("hall", "hall__code", "business_date").annotate(n=Count("pk")).order_by("business_date", "hall__code"))


def integrity_problems(user):
    """Stored objects whose last fixity check found them missing, changed or unreadable (records/fixity.py),
    for those who may see them: {"total": n, "rows": [...]}; None for everyone else."""
    if not access.may(user, "integrity.view"):
        return None
    from records import fixity

    qs = access.visible(user, fixity.problems(), "integrity.view")
    return {"total": qs.count(), "rows": list(qs.select_related("record").order_by("-last_checked")[:50])}
