"""The record document: what of a customer file goes into the index (never the ID number itself, only its
keyed lookup hash)."""
from django.db.models import Prefetch
from django.urls import reverse

from records.models import Page, Record

from .registry import DocType

RECORD_KEYWORDS = {
    "transaction_no": "keyword", "service_number": "keyword", "id_hash": "keyword", "customer_name": "keyword",
    "branch": "keyword", "hall": "keyword", "category": "keyword", "status": "keyword",
    "business_type": "keyword", "business_date": "date", "volume": "keyword", "holder": "keyword",
    "has_errors": "boolean", "url": "keyword",
}


def record_custody(record):
    """Where the paper file is now: its bound volume and who holds it (filled by the archive chain)."""
    return {"volume": None, "holder": None}


def record_document(record):
    pages = "\n".join(p.text for p in record.pages.all() if p.text)
    has_errors = bool(record.flagged_fields) or record.status == Record.Status.OCR_FAILED or any(
        p.problems for p in record.pages.all())
    title = " ".join(x for x in (record.transaction_no or "", record.customer_name, record.business_type) if x)
    return {
        "id": record.pk,
        "title": title or f"#{record.pk}",
        "text": "\n".join(x for x in (record.customer_name, record.business_type, pages) if x),
        "transaction_no": record.transaction_no or "",
        "service_number": record.service_number,
        "id_hash": record.id_number_hash,
        "customer_name": record.customer_name,
        "branch": record.hall.branch.code,
        "hall": record.hall.code,
        "hall_id": record.hall_id,
        "branch_id": record.hall.branch_id,
        "category": record.category,
        "status": record.status,
        "business_type": record.business_type,
        "business_date": record.business_date.isoformat() if record.business_date else None,
        "has_errors": has_errors,
        "url": reverse("record:inspect", args=[record.pk]),
        **record_custody(record),
    }


def record_documents(pks):
    pages = Prefetch("pages", Page.objects.only("record_id", "number", "text", "problems").order_by("number"))
    records = (Record.objects.filter(pk__in=list(pks)).select_related("hall__branch")
               .defer("id_number", "access_copy").prefetch_related(pages))
    for record in records.iterator(chunk_size=500):
        yield record_document(record)


def record_pks():
    return Record.objects.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=5000)


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
)
