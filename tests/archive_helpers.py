"""Helpers for the archive tests: files of a day, pushed through the real chain steps."""
import datetime
import hashlib
import io

from django.core.files.base import ContentFile
from reportlab.pdfgen import canvas

from archive import dailyclose, handover, level1, level2
from org.models import Hall
from records import fixity, reconcile
from records.models import Record, StoredObject

PASSWORD = "demo-pass-2026"


def small_pdf(text):
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    pdf.drawString(72, 720, text)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def make_day(make_record, hall_code, day, categories, with_copy=False):
    """Files of one day, OCR done, in the given categories (a list, one entry per file)."""
    made = []
    for i, category in enumerate(categories):
        record = make_record(hall_code, business_date=day, category=category, status=Record.Status.OCR_DONE,
                             transaction_no=f"{hall_code}{day:%Y%m%d}{i:04d}")
        if with_copy:  # as OCR stores it: with its fixity value (records/fixity.py)
            data = small_pdf(record.transaction_no)
            record.access_copy.save(f"{record.transaction_no}.pdf", ContentFile(data))
            fixity.register(record.access_copy.name, StoredObject.Kind.ACCESS, hashlib.sha256(data).hexdigest(),
                            len(data), record=record)
        made.append(record)
    return made


def report_csv(records, extra_rows=()):
    labels = reconcile._id_type_labels()
    lines = [",".join(reconcile.HEADER)]
    for r in records:
        lines.append(",".join([r.transaction_no, f"{r.business_date:%Y-%m-%d} 10:00:00", r.hall.code,
                               r.clerk.employee_no, r.business_type, r.service_number, r.customer_name,
                               labels[r.id_type], r.id_number]))
    lines.extend(extra_rows)
    return ("\n".join(lines) + "\n").encode("utf-8")


def to_keeper(users, hall_code, day, report=None):
    """Daily close, 100% level-1 pass, signed record, clerk→hall form signed by both sides."""
    form = give_to_keeper(users, hall_code, day, report)
    handover.Receive(users(f"keeper-{hall_code}"), PASSWORD, form).run()
    return form


def give_to_keeper(users, hall_code, day, report=None):
    """Daily close, 100% level-1 pass, signed record, the clerk→hall form signed by the level-1 auditor (not
    yet received)."""
    hall = Hall.objects.get(code=hall_code)
    clerk, l1 = users(f"clerk-{hall_code}"), users(f"l1-{hall_code}")
    dailyclose.DailyClose(clerk, hall, day).run()
    audit = level1.open_audit(l1, hall, day, report)
    for record in level1.day_records(audit).filter(status=Record.Status.SORTED):
        level1.Mark(l1, audit, record, passed=True).run()
    level1.Sign(l1, audit, PASSWORD).run()
    return handover.GiveClerkHall(l1, PASSWORD, audit).run()


def level2_passed(auditor, volumes):
    """Each volume's level-2 sample drawn, every sampled file passed and the record signed."""
    for volume in volumes:
        audit = level2.Start(auditor, volume).run()
        for pk in audit.sample:
            level2.Finding(auditor, audit, Record.objects.get(pk=pk), ok=True).run()
        level2.Finish(auditor, audit, PASSWORD).run()


def day(n, month=10):
    return datetime.date(2026, month, n)


def signed_in(browser, base, username):
    """A page of a new Chromium context (Chinese locale) signed in to the admin as `username`."""
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(f"{base}/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return page
