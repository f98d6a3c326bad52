"""The event-log names this app writes (org.auditlog). The values are stored in the hash-chained log, so
they never change; code names them only through these constants."""

# customer files
RECORD_RECEIVE = "record.receive"
RECORD_CREATE = "record.create"
RECORD_CORRECT_FIELD = "record.correct_field"
RECORD_DOWNLOAD = "record.download"
RECORD_VIEW_PAGE = "record.view_page"  # a page image on the record page (it shows the full ID number)
RECORD_DUPLICATE_REFUSED = "record.duplicate_refused"
# the OCR part of the record's state table (records/models.py)
OCR_QUEUE = "record.ocr_queue"
OCR_RETRY = "record.ocr_retry"
OCR_START = "record.ocr_start"
OCR_DONE = "record.ocr_done"
OCR_FAILED = "record.ocr_failed"
OCR_REQUEUE = "record.ocr_requeue"
# the clerk operation report and its background import (records/reportjobs.py)
REPORT_IMPORT = "report.import"
REPORT_IMPORT_QUEUED = "report.import_queued"
REPORT_IMPORT_START = "report.import_start"
REPORT_IMPORT_DONE = "report.import_done"
REPORT_IMPORT_REFUSED = "report.import_refused"
REPORT_IMPORT_FAILED = "report.import_failed"
REPORT_IMPORT_REQUEUED = "report.import_requeue"
REPORT_IMPORT_ABANDONED = "report.import_abandoned"
ORPHANS_REMOVED = "record.orphans_removed"  # customer-file objects no row referred to (records/orphans.py)
# names from the billing report (records/suggest.py): suggested for a flagged name, then confirmed by a person
RECORD_NAME_SUGGESTED = "record.name_suggested"
RECORD_CONFIRM_REPORT_NAME = "record.confirm_report_name"
# the admin-kept rules (records/rules_admin.py): business types, transaction-number formats, field reading
BUSINESS_TYPE_CREATE = "rules.business_type_create"
BUSINESS_TYPE_CHANGE = "rules.business_type_change"
TRANSACTION_FORMAT_CREATE = "rules.transaction_format_create"
TRANSACTION_FORMAT_CHANGE = "rules.transaction_format_change"
FIELD_READING_CHANGE = "rules.field_reading_change"
# integrity (records/fixity.py): a fixity check that found missing, changed or unreadable stored objects
FIXITY_PROBLEMS = "integrity.fixity_problems"
