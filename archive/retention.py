"""Retention schedules and due dates (DOMAIN.md "Retention and destruction", MIIT order 25 art. 11).

A schedule per category says from what the period runs (its trigger), how many years, and the authority it
rests on. It is kept by the archive administrator and versioned: a change adds a version, none is edited,
and each change is written to the event log. No rule may go below the legal minimum: subscriber identity
records are kept for the whole service and 2 years after it ends, and every customer file holds the
customer's identity papers, so every trigger is bounded below by service end + LEGAL_MINIMUM_YEARS and a
file whose service has not ended (no 销户/过户 event) is never due.

Due dates are exact to the day: the period ends on the same month and day, `years` later (closed 2024-03-15
→ due 2026-03-15). A period that starts on 29 February ends on 1 March of a year without that day (never
a day early). The year-end trigger counts from the cut-off at the end of the business date's year: a file
of 2025 with 3 years is due on 2029-01-01. An appraisal that keeps a file longer moves its date to the
later `keep_until`.
"""
import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from org import access
from records.models import Category, Record

from . import events
from .base import ChainError, log, require
from .models import DestructionItem, DestructionList, RetentionRule, ServiceEvent, VolumeItem

LEGAL_MINIMUM_YEARS = 2  # MIIT order no. 25 of 2013, art. 11
EVENT_RULE_CHANGED = events.RETENTION_RULE
T = RetentionRule.Trigger
MIIT = "工业和信息化部令第25号《电话用户真实身份信息登记规定》第十一条"
DEFAULTS = {
    Category.OWNERSHIP: (T.SERVICE_END, 2, MIIT),
    Category.GENERAL: (T.SERVICE_END, 2, MIIT),
    Category.AGREEMENT: (T.AGREEMENT_END, 2, MIIT + "；协议约定的期限"),
}
TRIGGER_ZH = {T.SERVICE_END: "服务终止（销户/过户）后", T.YEAR_END: "业务日期所在年度终了后",
              T.AGREEMENT_END: "协议到期与服务终止后（取较晚者）"}


def add_years(day, years):
    """The same month and day `years` later; 29 February → 1 March when that year has no such day."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return datetime.date(day.year + years, 3, 1)


@dataclass(frozen=True)
class Rule:
    category: str
    trigger: str
    years: int
    authority: str
    version: int  # 0: the built-in default, never changed yet

    @property
    def label(self):
        return f"{TRIGGER_ZH[self.trigger]} {self.years} 年（第 {self.version} 版）"


def rules():
    """{category: Rule} in force: the newest version of each category, else the default."""
    found = {}
    for row in RetentionRule.objects.order_by("category", "-version"):
        found.setdefault(row.category, Rule(row.category, row.trigger, row.years, row.authority, row.version))
    for category, (trigger, years, authority) in DEFAULTS.items():
        found.setdefault(category, Rule(category, trigger, years, authority, 0))
    return found


def change_rule(actor, category, trigger, years, authority, request=None):
    """Add the next version of a category's schedule; refused below the legal minimum."""
    require(actor, "retention.schedule", None)
    if category not in Category.values:
        raise ChainError(_("Unknown category."))
    if trigger not in T.values:
        raise ChainError(_("Unknown trigger."))
    try:
        years = int(years)
    except (TypeError, ValueError):
        raise ChainError(_("The period must be a whole number of years.")) from None
    if years < LEGAL_MINIMUM_YEARS:
        raise ChainError(_("A period below the legal minimum of %(n)d years after the service ends is not "
                           "allowed (MIIT order 25, art. 11).") % {"n": LEGAL_MINIMUM_YEARS})
    authority = (authority or "").strip()
    if not authority:
        raise ChainError(_("Name the authority the rule rests on."))
    with transaction.atomic():
        last = RetentionRule.objects.select_for_update().filter(category=category).order_by("-version").first()
        before = rules()[category]
        row = RetentionRule.objects.create(category=category, version=(last.version if last else 0) + 1,
                                           trigger=trigger, years=years, authority=authority[:200],
                                           changed_by=actor)
        log(EVENT_RULE_CHANGED, actor, row, request, category=category, version=row.version,
            before={"trigger": before.trigger, "years": before.years, "authority": before.authority,
                    "version": before.version},
            after={"trigger": trigger, "years": years, "authority": row.authority})
    return row


def service_ends(records):
    """{record id: the day its service ended, or None}: the first 销户 of its number, or 过户 of its number
    with its holder's ID number (by hash), on or after its business date."""
    records = list(records)
    numbers = sorted({r.service_number for r in records if r.service_number})
    events = {}
    for start in range(0, len(numbers), 500):
        for e in ServiceEvent.objects.filter(service_number__in=numbers[start:start + 500]).order_by("date"):
            events.setdefault(e.service_number, []).append(e)
    ends = {}
    for r in records:
        ends[r.pk] = next((e.date for e in events.get(r.service_number, ()) if e.date >= r.business_date and (
            e.kind == ServiceEvent.Kind.CLOSED or (r.id_number_hash and e.id_number_hash == r.id_number_hash))),
            None)
    return ends


def agreement_end(record):
    """An agreement's end as read from its key field `agreement_end` (YYYY-MM-DD), if any."""
    value = ((record.fields or {}).get("agreement_end") or {}).get("value")
    try:
        return datetime.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def due_date(record, rule, service_end, keep_until=None):
    """The first day `record` may be appraised for destruction, or None while its service runs."""
    if service_end is None:
        return None
    legal = add_years(service_end, LEGAL_MINIMUM_YEARS)
    if rule.trigger == T.SERVICE_END:
        due = add_years(service_end, rule.years)
    elif rule.trigger == T.YEAR_END:
        due = datetime.date(record.business_date.year + 1 + rule.years, 1, 1)
    else:
        due = add_years(service_end, rule.years)
        end = agreement_end(record)
        if end and end > due:
            due = end
    due = max(due, legal)
    return max(due, keep_until) if keep_until else due


def keep_until(record_ids):
    """{record id: the latest date an appraisal kept it until}."""
    found = {}
    for rid, until in (DestructionItem.objects.filter(record_id__in=record_ids, decision=DestructionItem.Decision.KEEP)
                       .values_list("record_id", "keep_until")):
        if until and (rid not in found or until > found[rid]):
            found[rid] = until
    return found


@dataclass
class Due:
    record: Record
    eligible_on: datetime.date
    rule: Rule
    service_end: datetime.date
    volume_number: str = ""


def on_open_list():
    """Files on a list that is not finished yet (they are not drawn twice)."""
    return Q(destruction_items__list__status__in=[DestructionList.Status.DRAWN, DestructionList.Status.APPROVED],
             destruction_items__decision__in=[DestructionItem.Decision.PENDING, DestructionItem.Decision.DESTROY])


def due_files(user, on, hall=None, action="retention.view", include_held=False):
    """The files in `user`'s scope that may be appraised on `on`, oldest first: service ended, period over,
    not held, not destroyed, not on an unfinished list."""
    from . import holds

    records = access.visible(user, Record.objects.exclude(status=Record.Status.DESTROYED), action)
    records = records.filter(service_number__in=ServiceEvent.objects.values("service_number")).exclude(on_open_list())
    if hall is not None:
        records = records.filter(hall=hall)
    records = list(records.select_related("hall").distinct())
    ends, kept, schedule = service_ends(records), keep_until([r.pk for r in records]), rules()
    held = set() if include_held else holds.held_ids([r.pk for r in records])
    found = []
    for r in records:
        rule = schedule.get(r.category or Category.GENERAL)
        when = due_date(r, rule, ends[r.pk], kept.get(r.pk))
        if when is not None and when <= on and r.pk not in held:
            found.append(Due(r, when, rule, ends[r.pk]))
    volumes = dict(VolumeItem.objects.filter(record_id__in=[d.record.pk for d in found])
                   .values_list("record_id", "volume__number"))
    for d in found:
        d.volume_number = volumes.get(d.record.pk, "")
    return sorted(found, key=lambda d: (d.eligible_on, d.record.pk))
