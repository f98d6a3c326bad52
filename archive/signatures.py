"""A signature is an authenticated act: the password is asked again, the time and a SHA-256 of the document's
canonical content are stamped, and the event log gets the act. One signature per slot and document.

The password goes through django.contrib.auth.authenticate() like a sign-in, so django-axes counts a wrong
one and refuses a locked-out user, and the failure is logged with the document (org/signals.py). A
transition verifies it before its transaction (archive/base.py), so the count and the log row of a
failure are not rolled back with the refused step.
"""
import hashlib
import json

from django.contrib.auth import authenticate
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from org import lockout

from . import events
from .base import ChainError, log
from .models import DestructionList, HandoverForm, Level1Audit, Level2Audit, Loan, Signature

SLOT_LABELS = {"giver": "交出方", "receiver": "接收方", "rejection": "拒收", "auditor": "稽核人",
               "approver": "审批（总经理）", "executor": "执行销毁", "witness1": "监销人", "witness2": "监销人",
               "issuer": "出借（档案管理员）", "borrower": "借阅人", "return_archivist": "归还接收（档案管理员）",
               "return_borrower": "归还（借阅人）"}


def document_type(doc):
    return {HandoverForm: "handover_form", Level1Audit: "level1_audit", Level2Audit: "level2_audit",
            DestructionList: "destruction_list", Loan: "loan"}[type(doc)]


def canonical(doc):
    """The content a signature covers, as a plain dict (also what the printed form shows)."""
    if isinstance(doc, HandoverForm):
        return {
            "form": doc.kind, "id": doc.pk, "hall": doc.hall.code if doc.hall_id else None, "branch": doc.branch.code,
            "day": doc.day, "year": doc.year, "month": doc.month, "giver": doc.giver.username,
            "records": sorted(r.transaction_no or f"#{r.pk}" for r in doc.records.all()),
            "volumes": sorted(v.number for v in doc.volumes.all()), "figures": doc.figures,
            "replaces": doc.replaces_id,
        }
    if isinstance(doc, DestructionList):
        return {
            "list": doc.number, "id": doc.pk, "on": doc.on_date, "drawn_by": doc.drawn_by.username,
            "items": [(i.record_id, i.transaction_no, i.decision, i.keep_until, i.reason, i.outcome,
                       i.content_sha256) for i in doc.items.order_by("position")],
            "paper_volumes": doc.paper_volumes,
        }
    if isinstance(doc, Loan):
        return {
            "loan": doc.number, "id": doc.pk, "requester": doc.requester.username, "purpose": doc.purpose,
            "form": doc.form, "days": doc.days, "items": sorted(str(i) for i in doc.items.all()),
            "status": doc.status, "decided_by": doc.decided_by.username if doc.decided_by_id else None,
            "expires_at": doc.expires_at, "due_at": doc.due_at, "pages_expected": doc.pages_expected,
            "pages_counted": doc.pages_counted, "condition": doc.condition,
        }
    if isinstance(doc, Level1Audit):
        return {
            "record": "level1_audit", "id": doc.pk, "hall": doc.hall.code, "day": doc.day,
            "auditor": doc.auditor.username, "notes": doc.notes,
            "marks": sorted((m.record.transaction_no or f"#{m.record_id}", m.result, m.note)
                            for m in doc.marks.select_related("record")),
        }
    return {
        "record": "level2_audit", "id": doc.pk, "volume": doc.volume.number, "auditor": doc.auditor.username,
        "seed": doc.seed, "sample": doc.sample, "findings": doc.findings, "result": doc.result, "reason": doc.reason,
    }


def content_sha256(doc):
    text = json.dumps(canonical(doc), sort_keys=True, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def verify_password(user, password, request=None, document=None):
    """Raise ChainError unless `password` is the user's own and neither the user nor the address is locked.

    `document` describes what is being signed for the event log: {"type", "id", "repr", "step"}."""
    if request is None:  # the shell or a test: no address, the user name still counts
        request = HttpRequest()
    target = dict(document or {})
    target.setdefault("type", "")
    if password:
        found = authenticate(request, username=user.get_username(), password=password,
                             **{lockout.SIGNING: target})
        if found is not None and found.pk == user.pk:
            return
    if getattr(request, "axes_locked_out", False):
        raise ChainError(lockout.message(request, {"username": user.get_username()}))
    raise ChainError(_("Wrong password: nothing was signed. Enter your own login password to sign."))


def sign(user, doc, slot, request=None, **details):
    """Stamp the signature; the caller has verified the password (Transition.run, verify_password)."""
    kind = document_type(doc)
    if Signature.objects.filter(document_type=kind, document_id=doc.pk, slot=slot).exists():
        raise ChainError(_("This document already carries that signature; it cannot be signed twice."))
    digest = content_sha256(doc)
    now = timezone.now()
    event = log(events.SIGNATURE, user, doc, request, document=kind, slot=slot, sha256=digest,
                signed_at=now.isoformat(), **details)
    try:
        with transaction.atomic():
            return Signature.objects.create(document_type=kind, document_id=doc.pk, slot=slot, signer=user,
                                            signed_at=now, content_sha256=digest, event_seq=event.seq)
    except IntegrityError:
        raise ChainError(_("This document already carries that signature; it cannot be signed twice.")) from None


def signatures_of(doc):
    return {s.slot: s for s in Signature.objects.filter(document_type=document_type(doc), document_id=doc.pk)
            .select_related("signer")}
