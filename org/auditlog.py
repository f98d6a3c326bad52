"""Writing and verifying the tamper-evident event log.

Every row's hash covers its own content and the previous row's hash, so changing, removing or reordering
any row breaks the chain from that row on. Rows are appended under a lock on the chain head, so two
writers never fork the chain. On PostgreSQL triggers (migrations org/0002, org/0003) refuse UPDATE, DELETE
and TRUNCATE, on SQLite UPDATE and DELETE. A consistent rewrite by someone with the tables' owner rights
(every hash and the head recomputed) is caught by the anchors outside the database: org/anchors.py.
"""
import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from .auditlog_models import AuditEvent, ChainHead
from .clientip import client_ip

GENESIS = "0" * 64


def _canonical(seq, created_at, actor_name, action, object_type, object_id, object_repr, details, ip):
    payload = {
        "seq": seq,
        "at": created_at.isoformat(timespec="microseconds"),
        "actor": actor_name,
        "action": action,
        "type": object_type,
        "id": object_id,
        "repr": object_repr,
        "details": details,
        "ip": ip,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder)


def row_hash(prev_hash, event):
    body = _canonical(event.seq, event.created_at, event.actor_name, event.action, event.object_type,
                      event.object_id, event.object_repr, event.details, event.ip_address)
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def _describe(obj):
    if obj is None:
        return "", "", ""
    if isinstance(obj, tuple):  # ("type", "id", "repr") for things that are not model instances
        kind, ident, text = (list(obj) + ["", "", ""])[:3]
        return str(kind), str(ident), str(text)[:200]
    meta = obj._meta
    # a model whose str() carries personal data (a customer file: the customer's name) names itself in the
    # log by log_repr() instead: the log is kept after the file is destroyed and cannot be edited then
    text = obj.log_repr() if hasattr(obj, "log_repr") else str(obj)
    return f"{meta.app_label}.{meta.model_name}", str(obj.pk), text[:200]


def record(action, actor=None, obj=None, details=None, request=None, actor_name=None):
    """Append one event. Call inside the transaction that makes the change, so both commit or neither."""
    object_type, object_id, object_repr = _describe(obj)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    name = actor_name or (actor.get_username() if actor is not None else "")
    ip = ""
    if request is not None:
        ip = (client_ip(request) or "")[:45]
    # Normalise details through JSON once so that what is hashed is what the database returns.
    clean_details = json.loads(json.dumps(details or {}, cls=DjangoJSONEncoder, ensure_ascii=False))
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
        event = AuditEvent(
            seq=head.seq + 1,
            created_at=timezone.now(),
            actor=actor,
            actor_name=name[:150],
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_repr=object_repr,
            details=clean_details,
            ip_address=ip,
            prev_hash=head.hash,
        )
        event.hash = row_hash(head.hash, event)
        event.save(force_insert=True)
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])
    return event


class ChainBroken(Exception):
    def __init__(self, seq, reason, source=""):
        self.seq = seq
        self.reason = reason
        self.source = source  # the anchor that disagrees with the database, if that is how it was found
        super().__init__(f"row #{seq}: {reason}")


def _in_batches(batch_size, after=None, upto=None):
    """Rows in sequence order, fetched in keyset batches (bounded memory, no server-side cursor)."""
    last = after
    while True:
        query = AuditEvent.objects.order_by("seq")
        if upto is not None:
            query = query.filter(seq__lte=upto)
        if last is not None:
            query = query.filter(seq__gt=last)
        batch = list(query[:batch_size])
        if not batch:
            return
        yield from batch
        last = batch[-1].seq


def walk(after_seq=0, prev=GENESIS, upto=None, batch_size=2000):
    """Check the rows after #after_seq (whose hash is `prev`) up to #upto or the end, in order; return
    (number of rows, last seq, last hash), or raise ChainBroken at the first bad row."""
    expected_seq = after_seq + 1
    count = 0
    last_pk = None
    for event in _in_batches(batch_size, after=after_seq or None, upto=upto):
        if event.seq != expected_seq:
            raise ChainBroken(expected_seq, f"missing or reordered: found #{event.seq} where #{expected_seq} belongs")
        if last_pk is not None and event.pk < last_pk:
            raise ChainBroken(event.seq, "rows reordered (insertion order differs from sequence)")
        if event.prev_hash != prev:
            raise ChainBroken(event.seq, "previous-row hash does not match: a row before it was changed or removed")
        if row_hash(prev, event) != event.hash:
            raise ChainBroken(event.seq, "content does not match its hash: this row was changed")
        prev = event.hash
        last_pk = event.pk
        expected_seq += 1
        count += 1
    return count, expected_seq - 1, prev


def verify(batch_size=2000):
    """Walk the whole chain in order; return the number of rows, or raise ChainBroken at the first bad row.

    This proves the chain consistent, not unchanged: org.anchors.verify() also compares it with the anchors."""
    count, _, prev = walk(batch_size=batch_size)
    head = ChainHead.objects.filter(pk=1).first()
    if head and head.seq != count:
        raise ChainBroken(count + 1, f"the log ends at #{count} but #{head.seq} rows were written: rows were removed")
    if head and head.hash != prev:
        raise ChainBroken(count, "the last row's hash differs from the chain head")
    return count
