"""The event-log names of the audit and handover chain (org.auditlog). The values are stored in the
hash-chained log, so they never change; code names them only through these constants."""

DAILY_CLOSE = "dailyclose"
LEVEL1_OPEN = "level1.open"
LEVEL1_MARK = "level1.mark"
ERROR_REGISTER = "error.register"
ERROR_CORRECT = "error.correct"
HANDOVER_GIVE = "handover.give"
HANDOVER_RECEIVE = "handover.receive"
HANDOVER_RETURN = "handover.return"  # a form rejected: everything on it goes back to the giver
SIGNATURE = "signature"
VOLUME_OPEN = "volume.open"
VOLUME_BIND = "volume.bind"
VOLUME_CLOSE_SHORT = "volume.close_short"
VOLUME_RETURN = "volume.return"  # a volume back to the hall (from the keeper's check or the level-2 audit)
VOLUME_FIX = "volume.fix"
VOLUME_DOWNLOAD = "volume.download"
LEVEL2_SAMPLE = "level2.sample"
LEVEL2_FINDING = "level2.finding"
LEVEL2_PASS = "level2.pass"
MARKETING_CHECK = "marketing.check"
MARKETING_PROCESS_CHECK = "marketing.process_check"
MARKETING_PROCESS_FINDING = "marketing.process_finding"  # one sampled agreement of a process check checked
# retention and destruction (archive/retention.py, holds.py, destruction.py)
DESTRUCTION_DRAW = "destruction.draw"
DESTRUCTION_APPRAISE = "destruction.appraise"
DESTRUCTION_APPROVE = "destruction.approve"
DESTRUCTION_EXECUTE = "destruction.execute"
DESTRUCTION_FILE = "destruction.file"  # one file destroyed: its stub stays
DESTRUCTION_WITNESS = "destruction.witness"
DESTRUCTION_CLOSE = "destruction.close"  # the second witness signed: the list is closed, its PDF stored
DESTRUCTION_STORAGE = "destruction.storage"
RETENTION_HOLD_ADD = "retention.hold.add"
RETENTION_HOLD_RELEASE = "retention.hold.release"
RETENTION_DELETION_REQUEST = "retention.deletion_request"
RETENTION_RESTRICTED_OPEN = "retention.restricted_open"
RETENTION_RESTRICTED_DOWNLOAD = "retention.restricted_download"
RETENTION_RULE = "retention.rule"
# integrity (issue 17): DA/T 70 checks (archive/dat70.py) and archival packages (archive/bag.py)
DAT70_CHECK = "integrity.dat70_check"  # run on demand
DAT70_REFUSED = "integrity.dat70_refused"  # a handover refused because a volume failed
PACKAGE_EXPORT = "archive.package_export"
# storage locations (archive/locations.py)
CUSTODY_SHELVE = "custody.shelve"  # a volume put in a box for the first time
CUSTODY_RELOCATE = "custody.relocate"
CUSTODY_TRANSFER = "custody.transfer"
CUSTODY_RECEIVE = "custody.receive"
CUSTODY_DESTROY = "custody.destroy"
# look-ups and loans (archive/loans.py)
LOAN_REQUEST = "loan.request"
LOAN_APPROVE = "loan.approve"
LOAN_REFUSE = "loan.refuse"
LOAN_ISSUE = "loan.issue"
LOAN_RETURN = "loan.return"
LOAN_COPY_REQUEST = "loan.copy.request"
LOAN_COPY_APPROVE = "loan.copy.approve"
LOAN_COPY_REFUSE = "loan.copy.refuse"
LOAN_COPY_MADE = "loan.copy.made"
LOAN_VIEW_PAGE = "loan.view_page"  # one page shown through an electronic view
LOAN_DOWNLOAD = "loan.download"  # a watermarked copy downloaded through an electronic view
LOAN_REGISTER_PDF = "loan.register_pdf"
STORE_CREATE = "custody.store.create"
STORE_CHANGE = "custody.store.change"
BOX_CREATE = "custody.box.create"
BOX_CHANGE = "custody.box.change"
