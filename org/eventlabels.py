"""The event log in words: every action, object type and detail key the log holds, named once here in Chinese
(through gettext; the stored rows keep their codes, the hash chain covers them).

The actions are the event-name constants of each app's events.py (archive/events.py, records/events.py)
and the names org and the handbook write directly; `action_label()` also names the families written with a
variable part (org.<model>.create, handbook.workflow.<step>). tests/org/test_event_log_screen.py checks
that every constant of every events.py has its label here.

`details_text()` turns a row's details into one line of text: keys as words, state codes and categories as
their labels, lists joined, nested values in brackets. Personal data stays masked: the details come from
AuditEvent.get_details_display() (older rows masked there), ID numbers inside any text are masked again
(org.pii.mask_text), so are mobile numbers typed into a note, a reason or an error (org.pii.mask_mobiles:
138****8000), and a customer's name or service number under its own key is masked whatever it holds.
The event log's CSV/XLSX export (org/viewsets.py) writes the same words and text."""
from django.apps import apps
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy

from archive import events as archive_events
from records import events as record_events

A, R = archive_events, record_events

ACTIONS = {
    # records/events.py
    R.RECORD_RECEIVE: _("File received"),
    R.RECORD_CREATE: _("File created"),
    R.RECORD_CORRECT_FIELD: _("Field corrected"),
    R.RECORD_DOWNLOAD: _("File downloaded"),
    R.RECORD_VIEW_PAGE: _("Page image viewed"),
    R.RECORD_DUPLICATE_REFUSED: _("Duplicate upload refused"),
    R.OCR_QUEUE: _("Queued for OCR"),
    R.OCR_RETRY: _("OCR retried"),
    R.OCR_START: _("OCR started"),
    R.OCR_DONE: _("OCR finished"),
    R.OCR_FAILED: _("OCR failed"),
    R.OCR_REQUEUE: _("OCR queued again"),
    R.REPORT_IMPORT: _("Operation report imported"),
    R.REPORT_IMPORT_QUEUED: _("Report import queued"),
    R.REPORT_IMPORT_START: _("Report import started"),
    R.REPORT_IMPORT_DONE: _("Report import finished"),
    R.REPORT_IMPORT_REFUSED: _("Report import refused"),
    R.REPORT_IMPORT_FAILED: _("Report import failed"),
    R.REPORT_IMPORT_REQUEUED: _("Report import queued again"),
    R.REPORT_IMPORT_ABANDONED: _("Report import abandoned"),
    R.ORPHANS_REMOVED: _("Unreferenced stored files removed"),
    R.RECORD_NAME_SUGGESTED: _("Customer name suggested from the report"),
    R.RECORD_CONFIRM_REPORT_NAME: _("Customer name confirmed from the report"),
    R.BUSINESS_TYPE_CREATE: _("Business type added"),
    R.BUSINESS_TYPE_CHANGE: _("Business type changed"),
    R.TRANSACTION_FORMAT_CREATE: _("Transaction number format added"),
    R.TRANSACTION_FORMAT_CHANGE: _("Transaction number format changed"),
    R.FIELD_READING_CHANGE: _("Field reading settings changed"),
    # archive/events.py
    A.DAILY_CLOSE: _("Daily close"),
    A.LEVEL1_OPEN: _("Level-1 audit record opened"),
    A.LEVEL1_MARK: _("Level-1 audit mark"),
    A.ERROR_REGISTER: _("Error registered"),
    A.ERROR_CORRECT: _("Error corrected"),
    A.HANDOVER_GIVE: _("Handover form signed by the giver"),
    A.HANDOVER_RECEIVE: _("Handover form received"),
    A.HANDOVER_RETURN: _("Handover form rejected"),
    A.SIGNATURE: _("Signature"),
    A.VOLUME_OPEN: _("Volume opened"),
    A.VOLUME_BIND: _("Files bound"),
    A.VOLUME_CLOSE_SHORT: _("Volume closed short at month close"),
    A.VOLUME_RETURN: _("Volume returned"),
    A.VOLUME_FIX: _("Returned volume fixed"),
    A.VOLUME_DOWNLOAD: _("Volume downloaded"),
    A.LEVEL2_SAMPLE: _("Level-2 sample drawn"),
    A.LEVEL2_FINDING: _("Level-2 finding"),
    A.LEVEL2_PASS: _("Level-2 audit passed"),
    A.MARKETING_CHECK: _("Marketing check"),
    A.MARKETING_PROCESS_CHECK: _("Quarterly process check"),
    A.MARKETING_PROCESS_FINDING: _("Process check finding"),
    A.DESTRUCTION_DRAW: _("Destruction list drawn up"),
    A.DESTRUCTION_APPRAISE: _("Destruction list appraised"),
    A.DESTRUCTION_APPROVE: _("Destruction list approved"),
    A.DESTRUCTION_EXECUTE: _("Destruction carried out"),
    A.DESTRUCTION_FILE: _("File destroyed"),
    A.DESTRUCTION_WITNESS: _("Destruction witnessed"),
    A.DESTRUCTION_CLOSE: _("Destruction list closed"),
    A.DESTRUCTION_STORAGE: _("Stored copies deleted"),
    A.RETENTION_HOLD_ADD: _("Hold placed"),
    A.RETENTION_HOLD_RELEASE: _("Hold released"),
    A.RETENTION_DELETION_REQUEST: _("Deletion request"),
    A.RETENTION_RESTRICTED_OPEN: _("Restricted file opened"),
    A.RETENTION_RESTRICTED_DOWNLOAD: _("Restricted file downloaded"),
    A.RETENTION_RULE: _("Retention period changed"),
    "retention.service_events.import": _("Service events imported"),
    # org
    "auth.login": _("Signed in"),
    "auth.logout": _("Signed out"),
    "auth.login_failed": _("Sign-in failed"),
    "auth.locked_out": _("Locked out after failed sign-ins"),
    "auth.lockout_reset": _("Sign-in lockout lifted"),
    "signature.password_failed": _("Wrong password when signing"),
    "api_token.create": _("API token made"),
    "api_token.revoke": _("API token revoked"),
    "api_token.expired": _("Expired API token used"),
    "pii.view_full": _("Full ID number viewed"),
    "export": _("List exported"),
    "search.export": _("Search results exported"),
    "search.saved.save": _("Search saved"),
    "search.saved.delete": _("Saved search deleted"),
    "auditlog.verified": _("Event log verified"),
    "auditlog.unverified": _("Event log could not be verified"),
    "auditlog.broken": _("Event log found broken"),
    # handbook
    "handbook.import": _("Handbook imported"),
    "handbook.print": _("Handbook printed"),
    "handbook.groups.sync": _("Handbook editor groups updated"),
    "handbook.procedure.read": _("Procedure read"),
    "handbook.procedure.print": _("Procedure printed"),
    "handbook.procedure.publish": _("Procedure version took effect"),
    "handbook.procedure.unpublish": _("Procedure withdrawn"),
    "handbook.procedure.delete": _("Procedure deleted"),
    "handbook.procedure.revision": _("Procedure draft saved"),
    "handbook.procedure.revision_change": _("Procedure draft changed"),
    "handbook.procedure.schedule": _("Procedure scheduled to take effect"),
    # archive/events.py (issue 17: integrity, custody, loans) and records/events.py's fixity check
    A.DAT70_CHECK: _("DA/T 70 check run"),
    A.DAT70_REFUSED: _("Handover refused by the DA/T 70 check"),
    A.PACKAGE_EXPORT: _("Archival package exported"),
    A.CUSTODY_SHELVE: _("Volume shelved"),
    A.CUSTODY_RELOCATE: _("Volume moved to another box"),
    A.CUSTODY_TRANSFER: _("Volume sent to another store"),
    A.CUSTODY_RECEIVE: _("Volume received at a store"),
    A.CUSTODY_DESTROY: _("Volume removed from its shelf for destruction"),
    A.LOAN_REQUEST: _("Loan requested"),
    A.LOAN_APPROVE: _("Loan approved"),
    A.LOAN_REFUSE: _("Loan refused"),
    A.LOAN_ISSUE: _("Loan issued"),
    A.LOAN_RETURN: _("Loan returned"),
    A.LOAN_COPY_REQUEST: _("Copy requested"),
    A.LOAN_COPY_APPROVE: _("Copy approved"),
    A.LOAN_COPY_REFUSE: _("Copy refused"),
    A.LOAN_COPY_MADE: _("Copy made"),
    A.LOAN_VIEW_PAGE: _("Page viewed through an electronic view"),
    A.LOAN_DOWNLOAD: _("Access copy downloaded on a loan"),
    A.LOAN_REGISTER_PDF: _("Loan register printed"),
    A.STORE_CREATE: _("Store created"),
    A.STORE_CHANGE: _("Store changed"),
    A.BOX_CREATE: _("Box created"),
    A.BOX_CHANGE: _("Box changed"),
    R.FIXITY_PROBLEMS: _("Stored files failed the fixity check"),
}

# families written with a variable part: org/signals.py (org.<model>.<change>), handbook/signals.py
CHANGES = {"create": _("%(thing)s created"), "change": _("%(thing)s changed"), "delete": _("%(thing)s deleted")}
WORKFLOW = {"submit": _("Procedure submitted for approval"), "approve": _("Procedure approved"),
            "reject": _("Procedure sent back"), "cancel": _("Approval cancelled"),
            "task_submit": _("Approval step started"), "task_approve": _("Approval step approved"),
            "task_reject": _("Approval step rejected")}

# object types that are not (or not only) models of this project
OBJECT_TYPES = {
    "auth.user": _("User"),
    "knox.authtoken": _("API token"),
    "handbook.handbook": _("Handbook"),
    "handbook.procedure": _("Procedure"),
    "search.record": _("Search results"),
    "storage": _("File storage"),
    "archive.handoverform": _("Handover form"),
    "archive.level1audit": _("Level-1 audit record"),
    "archive.level2audit": _("Level-2 audit record"),
    "archive.marketingcheck": _("Marketing check"),
    # models whose verbose name is Django's default (English words made from the class name)
    "archive.auditmark": _("Audit mark on a file"),
    "archive.deletionrequest": _("Deletion request"),
    "archive.destructionitem": _("Destruction list entry"),
    "archive.hold": _("Retention hold"),
    "archive.loanitem": _("Loan entry"),
    "archive.serviceevent": _("Service event (closed or transferred number)"),
    "archive.serviceeventimport": _("Service events import"),
    "archive.signature": _("Signature"),
    "archive.volumeitem": _("Volume entry"),
    "org.chainhead": _("Event log chain head"),
    "records.page": _("Page of a customer file"),
    "records.reportimport": _("Report import"),
    "records.reportrow": _("Report row"),
    "search.indexstate": _("Search index state"),
    "search.searchdoc": _("Search index document"),
}

# what a key of the details means (a context of its own: the short words are not other screens' words)


def D(word):
    return pgettext_lazy("event log detail", word)


KEYS = {
    "from": D("from"), "to": D("to"), "ids": D("objects"), "along": D("along with"), "type": D("object type"),
    "reason": D("reason"), "note": D("note"), "notes": D("notes"), "kind": D("kind"), "figures": D("figures"),
    "records": D("files"), "volumes": D("volumes"), "volume": D("volume"), "count": D("count"),
    "status": D("status"), "number": D("number"), "month": D("month"), "year": D("year"), "day": D("date"),
    "forms": D("handover forms"), "form": D("handover form"), "level": D("level"), "audit": D("audit record"),
    "field": D("field"), "old": D("old value"), "new": D("new value"), "category": D("category"),
    "purpose": D("purpose"), "sha256": D("content digest (SHA-256)"), "slot": D("signed as"),
    "document": D("document"), "signed_at": D("signed at"), "seed": D("sample seed"), "sample": D("sample"),
    "file": D("file"), "revision": D("revision"), "version": D("version"), "go_live_at": D("takes effect at"),
    "state": D("workflow state"), "task": D("approval step"), "comment": D("comment"),
    "by_category": D("files by category"), "by_hall": D("by hall"), "agreements": D("agreements"),
    "volumes_by_category": D("volumes by category"), "replaces": D("re-handover of form"),
    "counted": D("rows counted"), "not_counted": D("rows not counted"), "discrepancy": D("discrepancy"),
    "hall": D("hall"), "branch": D("branch"), "clerk": D("clerk"), "channel": D("channel"),
    "transaction_no": D("transaction number"), "attempt": D("attempt"), "error": D("error"),
    "by": D("by"), "at": D("at"), "ok": D("passed"), "result": D("result"), "quarter": D("quarter"),
    "differences": D("differences"), "username": D("user name"), "full_name": D("name"),
    "employee_no": D("employee number"), "is_active": D("active"), "is_superuser": D("superuser"),
    "role": D("role"), "scope": D("scope"), "department": D("department"), "user": D("user"),
    "code": D("code"), "name": D("name"), "rows": D("rows"), "format": D("format"), "query": D("query"),
    "filters": D("filters"), "existing": D("existing file"), "list": D("destruction list"),
    "items": D("items"), "witness": D("witness"), "expires": D("expires"), "days": D("days"),
    "seq": D("row"), "checked": D("rows checked"), "i": D("item"),
    "page": D("page"), "pages": D("pages"), "page_warnings": D("page warnings"), "flagged": D("fields to check"),
    "report": D("report"), "line": D("report line"), "source": D("source"), "suggested": D("suggested value"),
    "attempts": D("attempts"), "bytes": D("bytes"), "problems": D("problems"),
}

PERSONAL = {"customer_name": "name", "service_number": "phone", "id_number": "id"}
UNMASKED = {"sha256"}  # a digest's hex digits are no phone number


def action_label(action):
    """The words for an action code; an unknown code is shown as it is."""
    if action in ACTIONS:
        return str(ACTIONS[action])
    parts = action.split(".")
    if len(parts) == 3 and parts[0] == "org" and parts[2] in CHANGES:
        return CHANGES[parts[2]] % {"thing": type_label(f"org.{parts[1]}")}
    if len(parts) == 3 and parts[:2] == ["handbook", "workflow"] and parts[2] in WORKFLOW:
        return str(WORKFLOW[parts[2]])
    return action


def type_label(object_type):
    """The words for an object type ("app.model"): the model's own name where it is a model."""
    if not object_type:
        return ""
    if object_type in OBJECT_TYPES:
        return str(OBJECT_TYPES[object_type])
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type


def action_choices(codes=()):
    """(code, words) for the action filter: every named action and any other code given, by words."""
    known = set(ACTIONS) | {f"handbook.workflow.{k}" for k in WORKFLOW}
    known |= {f"org.{m}.{c}" for m in ("branch", "hall", "department", "roleassignment", "user") for c in CHANGES}
    return sorted(((c, action_label(c)) for c in known | set(codes)), key=lambda pair: (pair[1], pair[0]))


def type_choices(codes=()):
    known = set(OBJECT_TYPES) | {f"{m._meta.app_label}.{m._meta.model_name}" for m in apps.get_models()
                                 if m._meta.app_label in ("org", "records", "archive", "handbook", "search")}
    return sorted(((c, type_label(c)) for c in known | set(codes)), key=lambda pair: (pair[1], pair[0]))


# --- details as text --------------------------------------------------------------------------------

def _state_words(object_type):
    """{state code: label} of the state table of the row's model, if it has one."""
    from org.states import Machine

    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return {}
    machine = getattr(model, "moves", None)
    if not isinstance(machine, Machine):
        return {}
    return {code: str(machine.label(code)) for code in machine.states.values}


def _code_words():
    """Codes that stand for words wherever they are the value of these keys."""
    from archive.models import ErrorEntry, HandoverForm, MarketingCheck
    from archive.signatures import SLOT_LABELS
    from records.models import Category

    def words(choices):
        return {value: str(label) for value, label in choices}

    categories = words(Category.choices)
    return {
        "category": categories, "kind": {**words(HandoverForm.Kind.choices), **words(MarketingCheck.Kind.choices)},
        "slot": SLOT_LABELS, "level": {**words(ErrorEntry.Level.choices), "hall": pgettext("event log detail", "Hall keeper's check")},
        "document": {"handover_form": str(OBJECT_TYPES["archive.handoverform"]),
                     "level1_audit": str(OBJECT_TYPES["archive.level1audit"]),
                     "level2_audit": str(OBJECT_TYPES["archive.level2audit"]),
                     "destruction_list": gettext("Destruction list")},
        "_category": categories,
        "file": {"access_copy": pgettext("event log detail", "access copy"),
                 "master": pgettext("event log detail", "master file")},
        "source": {"report": pgettext("event log detail", "operator report")},
    }


def _field_words(name):
    """A customer file's field by its name on the record page."""
    from django.core.exceptions import FieldDoesNotExist

    from records.models import Record

    try:
        return str(Record._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:  # not a column: shown as it is
        return name


def _mask(key, value):
    from . import pii

    kind = PERSONAL.get(key)
    if kind == "name":
        return value if "*" in value else pii.mask_name(value)
    if kind == "phone":
        return value if "*" in value else pii.mask_phone(value)
    if kind == "id":
        return value if "*" in value else pii.mask(value)
    if key in UNMASKED:
        return value
    return pii.mask_mobiles(pii.mask_text(value))


class _Words:
    def __init__(self, object_type, details):
        self.states = _state_words(object_type)
        self.codes = _code_words()
        self.field = details.get("field") if isinstance(details, dict) else None

    def key(self, key, value=None):
        if key == "to" and isinstance(value, str) and value not in self.states:
            return str(D("handed to"))  # a move's details name the person the things went to
        if key in ("records", "volumes") and isinstance(value, int) and not isinstance(value, bool):
            return str(D("number of files") if key == "records" else D("number of volumes"))
        if key in KEYS:
            return str(KEYS[key])
        if key in self.codes["_category"]:
            return self.codes["_category"][key]
        return key

    def value(self, key, value, parent=None):
        if value is None or value == "":
            return "-"
        if isinstance(value, bool):
            return pgettext("event log detail", "yes") if value else pgettext("event log detail", "no")
        if isinstance(value, dict):
            if key == "along" or {"type", "ids"} <= set(value):
                return self.along(value)
            return "，".join(f"{self.key(k, v)}：{self.value(k, v, parent=key)}" for k, v in _ordered(value))
        if isinstance(value, (list, tuple)):
            if not value:
                return "-"
            if key == "along":
                return "；".join(self.along(v) if isinstance(v, dict) else self.value(key, v) for v in value)
            shown = "、".join(self.value(key, v) for v in value)
            return f"（{shown}）" if any(isinstance(v, (dict, list)) for v in value) else shown
        text = str(value)
        if key in ("from", "to", "status") and text in self.states:
            return self.states[text]
        if key in ("field", "flagged"):  # a field's name (flagged: the names of the fields OCR flagged)
            return _field_words(text)
        field = parent or self.field  # {"category": {"old", "new"}} inside a correction of another field
        if key in ("old", "new") and field == "category":
            return self.codes["_category"].get(text, text)
        if key in ("counted", "not_counted"):
            hall, _sep, category = text.rpartition(":")
            return f"{hall} {self.codes['_category'].get(category, category)}".strip()
        if key in self.codes and text in self.codes[key]:
            return str(self.codes[key][text])
        return _mask(key if key not in ("old", "new") else (field or key), text)

    def along(self, summary):
        if not isinstance(summary, dict):
            return self.value("", summary)
        words = _Words(summary.get("type", ""), {})
        ids = summary.get("ids") or []
        text = f"{type_label(summary.get('type', ''))}（{len(ids)}）"
        if "from" in summary or "to" in summary:
            text += pgettext("event log detail", ": %(from)s → %(to)s") % {"from": words.value("from", summary.get("from")),
                                                       "to": words.value("to", summary.get("to"))}
        return text


_ORDER = {key: n for n, key in enumerate(KEYS)}


def _ordered(details):
    """The items in the order of KEYS (PostgreSQL's jsonb keeps no order of its own), unknown keys last."""
    return sorted(details.items(), key=lambda item: (_ORDER.get(item[0], len(_ORDER)), str(item[0])))


def details_text(event):
    """The row's details (masked, AuditEvent.get_details_display) as one line of words."""
    details = event.get_details_display()
    if not details:
        return ""
    words = _Words(event.object_type, details)
    if not isinstance(details, dict):
        return words.value("", details)
    return "；".join(f"{words.key(k, v)}：{words.value(k, v)}" for k, v in _ordered(details))


# the areas of the log, for the 范围 filter (the action codes' first word)
AREAS = [
    ("record.", _("Customer files")), ("report.", _("Operation reports")), ("rules.", _("Rule tables")),
    ("dailyclose", _("Daily close")), ("level1.", _("Level-1 audit")), ("error.", _("Error register")),
    ("handover.", _("Handover forms")), ("signature", _("Signatures")), ("volume.", _("Volumes and binding")),
    ("level2.", _("Level-2 audit")), ("marketing.", _("Marketing checks")), ("retention.", _("Retention and holds")),
    ("destruction.", _("Destruction")), ("auth.", _("Sign-in")), ("api_token.", _("API tokens")),
    ("org.", _("Organisation and roles")), ("pii.", _("Personal data viewed")), ("export", _("Exports")),
    ("search.", _("Search")), ("handbook.", _("Handbook")), ("auditlog.", _("Event log checks")),
    ("custody.", _("Storage locations")), ("loan.", _("Look-ups and loans")), ("integrity.", _("Integrity checks")),
]

# the screens of the objects a row can name, by object type
OBJECT_URLS = {"archive.handoverform": "archive_admin:form", "archive.volume": "archive_admin:volume",
               "records.record": "record:inspect"}


def object_url(event):
    """The screen of the row's object (a handover form, a volume, a customer file), or "". The screen
    itself asks whether the viewer may see it."""
    from django.urls import NoReverseMatch, reverse

    name = OBJECT_URLS.get(event.object_type)
    if not name or not str(event.object_id).isdigit():
        return ""
    try:
        return reverse(name, args=[int(event.object_id)])
    except NoReverseMatch:
        return ""
