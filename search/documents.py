"""The record document: what of a customer file goes into the index (never the ID number itself: its keyed
lookup hash for exact search and its masked form for display; every ID-like number in the OCR text is
masked by the registry, org.pii.mask_text, before either backend stores the document).

People find a file by the last 4 digits of the phone number or the last 6 of the ID number (a habit at the
counter): the document carries `phone_tail` and `id_tail`, the latter as a keyed hash (org.pii.tail_hash),
computed here from the record's fields whenever the document is (re)built, so both backends get them."""
import re

from django.urls import reverse

from org.pii import id_tail, mask, tail_hash

from records.models import Page, Record

from .registry import DocType

RECORD_KEYWORDS = {
    "transaction_no": "keyword", "service_number": "keyword", "id_hash": "keyword", "customer_name": "keyword",
    "branch": "keyword", "hall": "keyword", "category": "keyword", "status": "keyword",
    "business_type": "keyword", "business_date": "date", "volume": "keyword", "holder": "keyword",
    "location": "keyword", "has_errors": "boolean", "url": "keyword", "phone_tail": "keyword", "id_tail": "keyword",
}
RECORD_TAILS = {"phone_tail": "phone", "id_tail": "id"}
PHONE_TAIL = 4
# what a hit shows (search/results.py): named fields, never the OCR text
RECORD_RESULT = ("title", "transaction_no", "business_date", "branch", "hall", "category", "status",
                 "business_type", "customer_name", "service_number", "id_number_masked", "volume", "holder",
                 "location", "has_errors", "url")


def record_custody(records):
    """Where each paper file is now: {record id: {"volume", "holder", "location"}} for the record dicts (RECORD_COLUMNS),
    from the archive chain (its bound volume and who holds it)."""
    from archive.custody import locations

    return locations(records)


RECORD_COLUMNS = ("id", "hall_id", "transaction_no", "customer_name", "service_number", "id_number",
                  "id_number_hash", "category", "status", "business_type", "business_date", "fields", "holder_id",
                  "clerk_id")


def record_open_errors(record_ids):
    """The ids among `record_ids` of files with an uncorrected error in the archive chain's error register
    (level 1, level 2 ...): the document's has_errors (有差错) counts them. One query."""
    from archive.errors import records_with_open_errors

    return records_with_open_errors(record_ids)


def record_document(record, pages, hall, url, custody, open_error=False):
    """One document from a record's column values (a dict), its pages [(text, problems)], its Hall, the
    inspect URL without the id, its custody ({"volume", "holder"}) and whether an error registered against
    it is still uncorrected."""
    text = "\n".join(t for t, _ in pages if t)
    flagged = any(f.get("problem") for f in (record["fields"] or {}).values())
    has_errors = (open_error or flagged or record["status"] == Record.Status.OCR_FAILED
                  or any(p for _, p in pages))
    title = " ".join(x for x in (record["transaction_no"] or "", record["customer_name"], record["business_type"])
                     if x)
    return {
        "id": record["id"],
        "title": title or f"#{record['id']}",
        "text": "\n".join(x for x in (record["customer_name"], record["business_type"], text) if x),
        "transaction_no": record["transaction_no"] or "",
        "service_number": record["service_number"],
        "id_hash": record["id_number_hash"],
        "phone_tail": phone_tail(record["service_number"]),
        "id_tail": tail_hash(id_tail(record["id_number"])),
        "id_number_masked": mask(record["id_number"]),
        "customer_name": record["customer_name"],
        "branch": hall.branch.code,
        "hall": hall.code,
        "hall_id": hall.pk,
        "branch_id": hall.branch_id,
        "category": record["category"],
        "status": record["status"],
        "business_type": record["business_type"],
        "business_date": record["business_date"].isoformat() if record["business_date"] else None,
        "has_errors": bool(has_errors),
        "url": f"{url}{record['id']}/",
        "volume": custody.get("volume"),
        "holder": custody.get("holder"),
        "location": custody.get("location") or "",
    }


def phone_tail(number):
    """The last PHONE_TAIL digits of a service number ("" when it has fewer digits)."""
    digits = re.sub(r"\D", "", number or "")
    return digits[-PHONE_TAIL:] if len(digits) >= PHONE_TAIL else ""


def record_documents(pks):
    """Documents of the records among `pks`, read with plain value queries (fast enough for bulk loads)."""
    from org.models import Hall

    halls = {h.pk: h for h in Hall.objects.select_related("branch")}
    url = reverse("record:inspect", args=[0])[:-2]  # "/admin/record/inspect/" + id + "/"
    pks = list(pks)
    for i in range(0, len(pks), 1000):
        chunk = pks[i:i + 1000]
        pages = {}
        for rid, text, problems in (Page.objects.filter(record_id__in=chunk).order_by("record_id", "number")
                                    .values_list("record_id", "text", "problems")):
            pages.setdefault(rid, []).append((text, problems))
        records = list(_indexed().filter(pk__in=chunk).values(*RECORD_COLUMNS))
        custody = record_custody(records)
        open_errors = record_open_errors(r["id"] for r in records)
        for record in records:
            yield record_document(record, pages.get(record["id"], []), halls[record["hall_id"]], url,
                                  custody[record["id"]], open_error=record["id"] in open_errors)


def record_pks():
    return _indexed().order_by("pk").values_list("pk", flat=True).iterator(chunk_size=5000)


def _indexed():
    """The files that have a search document: not a destroyed file's stub, and none that a restriction hides
    from viewing (org.access: a customer's deletion request)."""
    from org import access

    return Record.objects.exclude(status=Record.Status.DESTROYED).filter(access.restriction(Record, "record.view"))


RECORD = DocType(
    name="record",
    load=record_documents,
    all_pks=record_pks,
    keyword_fields=RECORD_KEYWORDS,
    facets=("branch", "hall", "category", "status", "business_type", "volume", "has_errors"),
    date_field="business_date",
    exact_fields=("transaction_no", "service_number"),
    hash_field="id_hash",
    sorts={"date": "-business_date", "date_asc": "business_date", "transaction": "transaction_no"},
    scope_action="record.view",
    scoped=True,
    result_fields=RECORD_RESULT,
    verbatim_fields=("transaction_no", "url"),  # the file's own reference number, searched as typed
    tail_fields=RECORD_TAILS,
    version=2,  # 2: phone_tail and id_tail
)
