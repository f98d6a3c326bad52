"""Helpers of the retention tests: old customer files with stored objects, volumes, service events."""
import datetime
import hashlib
import io

from django.core.files.base import ContentFile

from archive.models import Volume, VolumeItem
from archive.service_events import import_events
from org.models import Hall
from records.models import Page, Record, Scan
from records.storage import customer_files, piece_name
from tests.archive_helpers import PASSWORD, small_pdf  # noqa: F401  (PASSWORD used by the tests)

HEADER = "服务号码,证件号码,事件,事件日期"


def events_csv(*rows, encoding="utf-8"):
    return ("\n".join([HEADER, *(",".join(r) for r in rows)]) + "\n").encode(encoding)


def import_rows(user, *rows, name="boss-events.csv"):
    return import_events(user, events_csv(*rows), name)


def with_objects(record, store=None):
    """A master, an access copy and one OCR piece in the customer storage, and the page's text. Returns the
    storage names."""
    store = store or customer_files()
    data = small_pdf(f"master {record.pk}")
    master = store.save(f"masters/{record.hall.code}/t{record.pk}/{hashlib.sha256(data).hexdigest()}.pdf",
                        ContentFile(data))
    Scan.objects.create(record=record, master=master, original_name="scan.pdf", kind="pdf", size=len(data),
                        sha256=hashlib.sha256(data).hexdigest(), page_count=1)
    copy = store.save(f"access/{record.hall.code}/t{record.pk}/{record.pk}.pdf", ContentFile(small_pdf("copy")))
    piece = store.save(piece_name(record.pk, 1), ContentFile(small_pdf("piece")))
    Page.objects.create(record=record, number=1, text="客户张三 身份证 510302199001011234", piece=piece)
    record.access_copy.name = copy
    record.page_count = 1
    record.fields = {"customer_name": {"value": "张三", "confidence": 0.9}}
    record.save()
    return [master, copy, piece]


def volume_of(records, number="V-H11-2023-GEN-001", category="general"):
    hall = records[0].hall
    volume = Volume.objects.create(hall=hall, category=category, year=2023, month=5, seq=1, number=number,
                                   status=Volume.Status.AT_MARKETING)
    for n, record in enumerate(records, start=1):
        VolumeItem.objects.create(volume=volume, record=record, position=n)
        Record.objects.filter(pk=record.pk).update(status=Record.Status.BOUND)
    return volume


def old_record(make_record, number="13900000001", id_number="510302198001011111", hall="H11", **fields):
    values = {"business_date": datetime.date(2023, 5, 1), "category": "general", "service_number": number,
              "id_number": id_number, "status": Record.Status.BOUND}
    values.update(fields)
    return make_record(hall, **values)


def hall(code):
    return Hall.objects.get(code=code)


def pdf_text(data):
    from pypdf import PdfReader

    return "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def auditor(username="auditor-city", scope="all", branch=None):
    """A read-only auditor (Role.AUDITOR), city-wide or of one branch."""
    from org.models import Branch, RoleAssignment, User
    from org.roles import Role

    user = User.objects.create_user(username, password=PASSWORD, full_name=username)
    RoleAssignment.objects.create(user=user, role=Role.AUDITOR, scope=scope,
                                  branch=Branch.objects.get(code=branch) if branch else None)
    return User.objects.get(pk=user.pk)
