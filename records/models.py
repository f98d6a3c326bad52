"""The customer file (客户资料): one business transaction's paper file.

This is the record's core; the digitisation issue adds scans, pages, OCR and the full state machine.
"""
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.fields.json import KT
from django.db.models.lookups import GreaterThan
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

from org.pii import EncryptedIDField, lookup_hash, mask
from org.states import Machine, Move

from . import events
from .storage import access_copy_name, customer_files, master_name


class Category(models.TextChoices):
    OWNERSHIP = "ownership", _("Ownership")
    GENERAL = "general", _("General")
    AGREEMENT = "agreement", _("Agreement")


class BusinessType(models.Model):
    """The admin-kept table: which business type falls into which category."""
    wagtail_reference_index_ignore = True  # holds no references to Wagtail content

    name = models.CharField(_("Business type"), max_length=60, unique=True)
    category = models.CharField(_("Category"), max_length=20, choices=Category.choices)
    active = models.BooleanField(_("Active"), default=True,
                                 help_text=_("An inactive business type is no longer recognised on new scans"))

    class Meta:
        verbose_name = _("Business type")
        verbose_name_plural = _("Business types")
        ordering = ["category", "name"]

    def __str__(self):
        return f"{self.name}（{self.get_category_display()}）"


class TransactionFormat(models.Model):
    """An operator's transaction-number format (受理编号格式), kept in the admin; records/formats.py reads
    it for the key-field reader."""
    wagtail_reference_index_ignore = True  # holds no references to Wagtail content

    operator = models.CharField(_("Operator"), max_length=60)
    template = models.CharField(
        _("Number format"), max_length=60,
        help_text=_("A = an uppercase letter, YYYYMMDD = the business date, 9 = a digit; any other character "
                    "stands for itself. Example: AAYYYYMMDD99999"))
    prefixes = models.CharField(
        _("Fixed letters"), max_length=100, blank=True,
        help_text=_("Optional: the letters a number begins with, in place of the A's at the start of the "
                    "format; several separated by commas (e.g. SC,BJ)"))
    active = models.BooleanField(_("Active"), default=True)

    class Meta:
        verbose_name = _("Transaction number format")
        verbose_name_plural = _("Transaction number formats")
        ordering = ["operator", "template"]
        constraints = [models.UniqueConstraint(fields=["operator", "template", "prefixes"],
                                               name="one_row_per_transaction_format")]

    def clean(self):
        from .formats import split_prefixes, validate_template

        self.template = (self.template or "").strip()
        self.prefixes = ",".join(split_prefixes(self.prefixes))
        validate_template(self.template, self.prefixes)

    def __str__(self):
        return f"{self.operator} {self.template}" + (f"（{self.prefixes}）" if self.prefixes else "")


@register_setting(icon="view", order=500)
class FieldReadingSettings(BaseGenericSetting):
    """How the key-field reader decides (admin → 设置 → 识别设置); records/formats.py reads it."""
    wagtail_reference_index_ignore = True  # holds no references to Wagtail content

    confidence_threshold = models.FloatField(
        _("Confidence threshold"), default=0.75, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("A key field read with a lower confidence (0 to 1) is flagged for a person to check"))

    class Meta:
        verbose_name = _("Field reading settings")
        verbose_name_plural = _("Field reading settings")

    def __str__(self):
        return str(self._meta.verbose_name)


def _today():
    return timezone.localdate()


# the key fields a customer file keeps in Record.fields (records.keyfields.LABELS)
KEY_FIELDS = ("transaction_no", "service_number", "id_number", "business_date", "business_type", "customer_name")


def flagged_q():
    """Files with a key field flagged for a person to check (待核对: Record.flagged_fields is not empty), as
    a database filter: a field's "problem" is a sentence, or null once it is settled."""
    q = Q(pk__in=[])
    for name in KEY_FIELDS:
        path = f"fields__{name}__problem"
        # a text after "" that is not JSON null (SQLite's KT reads a JSON null as the text "null")
        q |= Q(GreaterThan(KT(path), "")) & ~Q(**{path: None})
    return q


class Record(models.Model):
    wagtail_reference_index_ignore = True  # holds no references to Wagtail content
    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        OCR_QUEUED = "ocr_queued", _("OCR queued")
        OCR_RUNNING = "ocr_running", _("OCR running")
        OCR_DONE = "ocr_done", _("OCR done")
        OCR_FAILED = "ocr_failed", _("OCR failed")
        # the audit and handover chain (archive/): daily close → level-1 audit → clerk→hall → binding
        SORTED = "sorted", _("Sorted at daily close")
        L1_PASSED = "l1_passed", _("Level-1 audit passed")
        L1_ERROR = "l1_error", _("Level-1 audit error")
        AT_HALL = "at_hall", _("With the hall records keeper")
        BOUND = "bound", _("Bound in a volume")
        # the end of its life (archive/destruction.py): only the stub is left
        DESTROYED = "destroyed", _("Destroyed")

    # The allowed moves of `status` (org.states.move makes them); the chain's moves are added by
    # archive/models.py. records/transitions.py's docstring shows the whole table.
    moves = Machine(Status, [
        Move("queue_ocr", {Status.RECEIVED}, Status.OCR_QUEUED, "record.create", events.OCR_QUEUE),
        Move("retry_ocr", {Status.OCR_FAILED, Status.OCR_DONE}, Status.OCR_QUEUED, "record.retry", events.OCR_RETRY),
        Move("start_ocr", {Status.OCR_QUEUED, Status.OCR_RUNNING}, Status.OCR_RUNNING, None, events.OCR_START,
             note="a worker claims it (a running one once its lease ran out)"),
        Move("finish_ocr", {Status.OCR_RUNNING}, Status.OCR_DONE, None, events.OCR_DONE),
        Move("fail_ocr", {Status.OCR_RUNNING, Status.OCR_QUEUED}, Status.OCR_FAILED, None, events.OCR_FAILED),
        Move("requeue_ocr", {Status.OCR_RUNNING}, Status.OCR_QUEUED, None, events.OCR_REQUEUE,
             note="a transient fault, or its lease ran out (lease.py)"),
    ])

    class IdType(models.TextChoices):
        RESIDENT = "resident_id", _("Resident ID card")
        PASSPORT = "passport", _("Passport")
        HK_MACAO = "hk_macao", _("Hong Kong/Macao resident travel permit")
        TAIWAN = "taiwan", _("Taiwan resident travel permit")
        OTHER = "other", _("Other")

    class Channel(models.TextChoices):
        ADMIN = "admin", _("Admin upload")
        COMMAND = "command", _("Command line")
        FOLDER = "folder", _("Watched folder")
        API = "api", _("REST API")
        MANUAL = "manual", _("Manual entry")

    hall = models.ForeignKey("org.Hall", on_delete=models.PROTECT, related_name="records", verbose_name=_("Hall"))
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="records",
                              verbose_name=_("Clerk"))
    business_date = models.DateField(_("Business date"), default=_today)
    business_type = models.CharField(_("Business type"), max_length=60, blank=True)
    category = models.CharField(_("Category"), max_length=20, choices=Category.choices, blank=True)
    transaction_no = models.CharField(_("Transaction number"), max_length=40, unique=True, null=True, blank=True)
    customer_name = models.CharField(_("Customer name"), max_length=60, blank=True)
    service_number = models.CharField(_("Service number"), max_length=20, blank=True, db_index=True)
    id_type = models.CharField(_("ID type"), max_length=20, choices=IdType.choices, default=IdType.RESIDENT)
    id_number = EncryptedIDField(_("ID number"), blank=True)
    id_number_hash = models.CharField(_("ID number hash"), max_length=64, blank=True, db_index=True, editable=False)
    status = models.CharField(_("Status"), max_length=20, choices=Status.choices, default=Status.RECEIVED,
                              db_index=True)
    channel = models.CharField(_("Channel"), max_length=10, choices=Channel.choices, default=Channel.MANUAL)
    # OCR results: key fields as {name: {value, confidence, problem, corrected_by}}; the ID number's value
    # is never kept here (only in the encrypted column).
    fields = models.JSONField(_("Key fields"), default=dict, blank=True)
    page_count = models.PositiveIntegerField(_("Pages"), default=0)
    access_copy = models.FileField(_("Access copy (searchable PDF)"), upload_to=access_copy_name,
                                   storage=customer_files, max_length=255, blank=True)
    ocr_error = models.TextField(_("OCR error"), blank=True)
    ocr_attempts = models.PositiveIntegerField(_("OCR attempts"), default=0)
    ocr_heartbeat = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    # who holds the paper file now (archive.custody); once bound, the volume's holder
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("Holder"))

    scope_hall_path = "hall"

    class Meta:
        verbose_name = _("Customer file")
        verbose_name_plural = _("Customer files")
        ordering = ["-business_date", "-id"]
        # 待核对 (flagged_q) in the list's order: the few flagged files without reading every file's key
        # fields (1.7 s at 100,000 files, bench/pages.py); the query's condition is the index's, word for word
        indexes = [models.Index(fields=["-business_date", "-id"], condition=flagged_q(), name="record_flagged")]

    def save(self, *args, **kwargs):
        self.id_number_hash = lookup_hash(self.id_number)
        super().save(*args, **kwargs)

    @property
    def id_number_masked(self):
        return mask(self.id_number)

    def public_fields(self):
        """The key fields as shown anywhere: the ID number is masked (it is stored masked too)."""
        return {name: ({**entry, "value": mask(entry.get("value"))} if name == "id_number" else dict(entry))
                for name, entry in (self.fields or {}).items()}

    @property
    def flagged_fields(self):
        return [name for name, f in (self.fields or {}).items() if f.get("problem")]

    @property
    def flagged_summary(self):
        """The flagged key fields by their names, for lists ("" when nothing is flagged); each key field is
        stored in the column of the same name."""
        return "、".join(str(self._meta.get_field(name).verbose_name) for name in self.flagged_fields)

    def __str__(self):
        return f"{self.transaction_no or '#' + str(self.pk)} {self.customer_name}".strip()

    def log_repr(self):
        """How the event log names the file: without the customer's name (org/auditlog.py)."""
        return self.transaction_no or f"#{self.pk}"


class Scan(models.Model):
    """The original file as scanned: the preservation master, kept untouched (DA/T 31-2017)."""
    wagtail_reference_index_ignore = True  # holds no references to Wagtail content

    class Kind(models.TextChoices):
        PDF = "pdf", "PDF"
        TIFF = "tiff", "TIFF"
        JPEG = "jpeg", "JPEG"
        PNG = "png", "PNG"

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="scans", verbose_name=_("Customer file"))
    master = models.FileField(_("Preservation master"), upload_to=master_name, storage=customer_files,
                              max_length=255)
    original_name = models.CharField(_("Original file name"), max_length=255)
    kind = models.CharField(_("Type"), max_length=10, choices=Kind.choices)
    size = models.BigIntegerField(_("Size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    page_count = models.PositiveIntegerField(_("Pages"))
    # DA/T 31 capture metadata, one dict per page as read from the file at intake (records/capture.py):
    # dpi, colour mode, compression, device, software, time, operator, batch; what the file does not say is
    # None and named in the page's "unknown" list, never guessed
    capture = models.JSONField(_("Capture metadata"), default=list, blank=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    scope_hall_path = "record__hall"

    class Meta:
        verbose_name = _("Scan")
        verbose_name_plural = _("Scans")

    def __str__(self):
        return self.original_name


class StoredObject(models.Model):
    """One object in the customer-file storage with the SHA-256 and size recorded when it was stored, and
    the result of its last fixity check (records/fixity.py): masters, access copies and volume PDFs."""
    wagtail_reference_index_ignore = True  # holds no references to Wagtail content

    class Kind(models.TextChoices):
        MASTER = "master", _("Preservation master")
        ACCESS = "access", _("Access copy")
        VOLUME_PDF = "volume_pdf", _("Volume PDF")

    class Result(models.TextChoices):
        PENDING = "", pgettext_lazy("fixity", "Not checked yet")
        OK = "ok", _("Intact")
        CHANGED = "changed", _("Changed")
        MISSING = "missing", _("Missing")
        UNREADABLE = "unreadable", _("Unreadable")

    key = models.CharField(_("Storage key"), max_length=255, unique=True)
    kind = models.CharField(_("Kind"), max_length=12, choices=Kind.choices)
    record = models.ForeignKey(Record, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="stored_objects", verbose_name=_("Customer file"))
    volume_number = models.CharField(_("Volume number"), max_length=60, blank=True, db_index=True)
    size = models.BigIntegerField(_("Size (bytes)"), null=True, blank=True)
    # "" only for an object stored before hashes were recorded: its first check records the baseline
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    recorded_at = models.DateTimeField(_("Recorded at"), default=timezone.now)
    last_checked = models.DateTimeField(_("Last checked"), null=True, blank=True, db_index=True)
    last_result = models.CharField(_("Last result"), max_length=12, choices=Result.choices, blank=True,
                                   db_index=True)
    last_error = models.CharField(_("Problem"), max_length=300, blank=True)

    scope_hall_path = "record__hall"

    class Meta:
        verbose_name = _("Stored object")
        verbose_name_plural = _("Stored objects")
        ordering = ["key"]

    def __str__(self):
        return self.key


class Page(models.Model):
    """One page of a record: its OCR text and DA/T 31-2017 page checks."""
    wagtail_reference_index_ignore = True  # holds no references to Wagtail content

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="pages")
    number = models.PositiveIntegerField(_("Page"))
    text = models.TextField(_("Text"), blank=True)
    confidence = models.FloatField(_("OCR confidence"), null=True)
    dpi = models.PositiveIntegerField(null=True)
    skew = models.FloatField(default=0)
    ink_ratio = models.FloatField(default=0)
    warnings = models.JSONField(default=list, blank=True)
    problems = models.JSONField(default=list, blank=True)
    piece = models.CharField(max_length=255, blank=True)  # this page's searchable PDF until the copy is assembled
    # key fields read on this page by layout (records.layout): {field: {"value", "confidence", "box", ...}}
    fields = models.JSONField(default=dict, blank=True)

    scope_hall_path = "record__hall"

    class Meta:
        ordering = ["record", "number"]
        constraints = [models.UniqueConstraint(fields=["record", "number"], name="one_row_per_page")]

    def __str__(self):
        return f"{self.record_id} p{self.number}"


class OperatorReport(models.Model):
    """One imported clerk operation report (营业员操作报表) from the billing system (BOSS)."""
    wagtail_reference_index_ignore = True  # holds no references to Wagtail content

    source_name = models.CharField(_("File"), max_length=255)
    sha256 = models.CharField(max_length=64, unique=True, editable=False)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("Imported by"))
    imported_at = models.DateTimeField(_("Imported at"), auto_now_add=True)
    row_count = models.PositiveIntegerField(_("Rows"), default=0)

    class Meta:
        verbose_name = _("Operator report")
        verbose_name_plural = _("Operator reports")
        ordering = ["-imported_at"]

    def __str__(self):
        return f"{self.source_name} ({self.row_count})"


class ReportRow(models.Model):
    wagtail_reference_index_ignore = True  # holds no references to Wagtail content
    report = models.ForeignKey(OperatorReport, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField()
    transaction_no = models.CharField(_("Transaction number"), max_length=40, db_index=True)
    accepted_at = models.DateTimeField(_("Accepted at"))
    hall_code = models.CharField(_("Hall"), max_length=20, db_index=True)
    employee_no = models.CharField(_("Staff number"), max_length=30)
    business_type = models.CharField(_("Business type"), max_length=60)
    service_number = models.CharField(_("Service number"), max_length=20)
    customer_name = models.CharField(_("Customer name"), max_length=60)
    id_type = models.CharField(_("ID type"), max_length=40)
    id_number = EncryptedIDField(_("ID number"), blank=True)
    id_number_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)

    class Meta:
        ordering = ["report", "line"]

    def save(self, *args, **kwargs):
        self.id_number_hash = lookup_hash(self.id_number)
        super().save(*args, **kwargs)


def report_upload_name(instance, filename):
    """report-imports/<random>/<name>: the uploaded report until its background import has read it."""
    from .storage import _with_random_folder

    return _with_random_folder("report-imports", filename.rsplit("/", 1)[-1][-100:])


class ReportImport(models.Model):
    """One upload of a report on the screen, imported in the background (records.tasks.import_report_job).

    The file waits in the private records storage (it shows ID numbers) and is deleted once read; the job
    row says how far the import is and, when it ends, the report or the problems (by line and column)."""
    wagtail_reference_index_ignore = True  # holds no references to Wagtail content

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    moves = Machine(Status, [
        Move("start", {Status.QUEUED}, Status.RUNNING, None, events.REPORT_IMPORT_START),
        # RUNNING or QUEUED: a job queued again by the reaper but not started by anyone is still its worker's
        # to end (records/reportjobs.py _finish, records/reportlease.py)
        Move("finish", {Status.RUNNING, Status.QUEUED}, Status.DONE, None, events.REPORT_IMPORT_DONE),
        Move("refuse", {Status.RUNNING, Status.QUEUED}, Status.FAILED, None, events.REPORT_IMPORT_REFUSED,
             note="the report has problems (by line and column)"),
        Move("fail", {Status.RUNNING, Status.QUEUED}, Status.FAILED, None, events.REPORT_IMPORT_FAILED,
             note="an internal error"),
        Move("requeue", {Status.RUNNING}, Status.QUEUED, None, events.REPORT_IMPORT_REQUEUED,
             note="its worker stopped renewing the lease (records/reportlease.py)"),
        Move("abandon", {Status.RUNNING}, Status.FAILED, None, events.REPORT_IMPORT_ABANDONED,
             note="its worker stopped on every attempt"),
    ])

    source_name = models.CharField(_("File"), max_length=255)
    upload = models.FileField(upload_to=report_upload_name, storage=customer_files, max_length=255, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                                    verbose_name=_("Imported by"))
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=20, blank=True)  # "reading" or "saving" while running
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)  # an estimate (lines of the file) until the end
    problems = models.JSONField(default=list, blank=True)
    report = models.ForeignKey(OperatorReport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The lease of the worker running it (records/reportlease.py): its start number is the token, the
    # heartbeat is renewed while it works; a running job without one for a lease is taken over.
    attempts = models.PositiveIntegerField(default=0, editable=False)
    heartbeat = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.source_name} ({self.status})"

    @property
    def finished(self):
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self):
        if self.status == self.Status.DONE:
            return 100
        return min(99, self.rows_done * 100 // self.rows_total) if self.rows_total else 0
