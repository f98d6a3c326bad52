"""The generated database of bench/pages.py: customer files spread over the demo organisation and about twelve
months, in every state of the chain, with the rows the daily screens read.

`generate(count)` runs inside a set-up Django (the bench's own database, or the test database of
tests/test_bench_pages.py) and writes everything with bulk_create in batches: customer files with their scan
and OCR pages, level-1 audits and their marks, volumes of 30 and their items, the three kinds of handover
form, level-2 audits with their seeded samples, error-register entries, marketing checks, storage locations
and loans, the event log (hash-chained in order, as org/auditlog.py writes it, and the chain head) and the
database search backend's index (built through the backend's own reindex).

The states follow the files' business dates, counted back from `today`:
  today and yesterday   OCR done, waiting for the daily close (a few queued or failed; 10% with a flagged field)
  2 days ago            sorted, the day's level-1 audit open, about half marked (5% of those in error)
  3 days ago            level-1 passed, the audit signed, the clerk→hall form waiting for the keeper
  4–5 days ago          with the hall keeper, waiting for binding
  earlier               bound in volumes of 30 (by hall, category and month); the volumes:
    this month            bound, with the keeper (the last of each category still open)
    last month            handed to the branch (one hall's form still waiting), level-2 audits under way,
                          one volume per branch returned
    two months ago        level-2 passed, the branch→marketing form of one branch waiting
    older                 with the marketing department (checked), the oldest shelved in the archive
"""
import datetime
import hashlib
import json
import random
from collections import defaultdict

from bench.words import BUSINESS, GIVEN, STREETS, SURNAMES
from bench.words import PHRASES as FORM_PHRASES

PHRASES = FORM_PHRASES + ["本人已阅读并同意《中国移动客户入网服务协议》全部条款", "业务办理后二十四小时内生效",
                          "如有疑问请拨打客服热线10086咨询", "客户确认所留联系方式真实有效"]
ERROR_KINDS = ["缺客户签名", "证件复印件不清", "受理单信息不全", "缺经办人签字", "业务类型填写错误"]
BATCH = 2000


def person(rng):
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def id_number(rng, n):
    from records.keyfields import id_check_digit  # the app's own MOD 11-2

    body = (f"{rng.choice(['510302', '510303', '510304', '510311', '510321', '510322'])}"
            f"{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{n % 1000:03d}")
    return body + id_check_digit(body)


def page_texts(rng, n, hall, date, business, name, agent, number, ident, pages):
    """OCR text of an acceptance form (about 600 characters) and of its agreement pages (about 900)."""
    first = "\n".join([
        f"中国移动通信集团四川有限公司自贡分公司 业务受理单 受理编号 SL{date:%Y%m%d}{n:07d}",
        f"客户姓名：{name} 证件类型：居民身份证 证件号码：{ident[:6]}********{ident[-4:]} 服务号码：{number}",
        f"联系地址：自贡市{rng.choice(['自流井区', '贡井区', '大安区', '沿滩区'])}{rng.choice(STREETS)}"
        f"{rng.randint(1, 300)}号{rng.randint(1, 30)}栋{rng.randint(1, 6)}单元",
        f"业务类型：{business} 受理营业厅：{hall.name} 受理时间：{date:%Y-%m-%d} {rng.randint(9, 19):02d}:"
        f"{rng.randint(0, 59):02d}",
        "业务内容：" + "；".join(rng.sample(PHRASES, 8)) + "。",
        "客户须知：" + "；".join(rng.sample(PHRASES, 6)) + "。",
        f"经办人：{agent} 工号：{hall.code}{rng.randint(1, 40):03d}  客户签名：{name}  日期：{date:%Y年%m月%d日}",
    ])
    texts = [first]
    for p in range(2, pages + 1):
        texts.append(f"第{p}页 入网服务协议\n" + "\n".join(
            f"第{k}条 " + "，".join(rng.sample(PHRASES, 5)) + "。" for k in range(1, 7)))
    return texts


class Events:
    """Event-log rows collected as plain tuples, then written in time order with the hash chain of
    org/auditlog.py (row_hash over the previous row's hash) and the chain head set to the last row."""

    def __init__(self):
        self.rows = []

    def add(self, at, action, actor, obj, details=None):
        if isinstance(obj, tuple):
            object_type, object_id, text = obj
        else:
            meta = obj._meta
            object_type, object_id = f"{meta.app_label}.{meta.model_name}", str(obj.pk)
            text = obj.log_repr() if hasattr(obj, "log_repr") else str(obj)
        self.rows.append((at, len(self.rows), action, actor.pk if actor else None, actor.username if actor else "worker",
                          object_type, object_id, text[:200], details or {}))

    def write(self):
        from django.db import transaction

        from org import auditlog
        from org.auditlog_models import AuditEvent, ChainHead

        self.rows.sort(key=lambda r: (r[0], r[1]))
        with transaction.atomic():
            head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
            seq, prev = head.seq, head.hash
            for first in range(0, len(self.rows), BATCH):
                batch = []
                for at, _order, action, actor_id, name, otype, oid, text, details in self.rows[first:first + BATCH]:
                    seq += 1
                    event = AuditEvent(seq=seq, created_at=at.astimezone(datetime.timezone.utc), actor_id=actor_id, actor_name=name, action=action,
                                       object_type=otype, object_id=oid, object_repr=text,
                                       details=json.loads(json.dumps(details, ensure_ascii=False)), ip_address="",
                                       prev_hash=prev)
                    event.hash = prev = auditlog.row_hash(prev, event)
                    batch.append(event)
                AuditEvent.objects.bulk_create(batch)
            head.seq, head.hash = seq, prev
            head.save(update_fields=["seq", "hash"])
        return len(self.rows)


def _at(day, hour, minute=0, rng=None):
    from django.utils import timezone

    minute = minute if rng is None else rng.randint(0, 59)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute, rng.randint(0, 59) if rng else 0)))


def _months_back(today, day):
    return (today.year - day.year) * 12 + today.month - day.month


def _bulk(model, rows):
    made = []
    for first in range(0, len(rows), BATCH):
        made += model.objects.bulk_create(rows[first:first + BATCH])
    return made


def _when(model, rows, field):
    """auto_now_add set the creation time to now: put back the time the row was made in the story."""
    for row in rows:
        setattr(row, field, row.wanted)
    model.objects.bulk_update(rows, [field], batch_size=BATCH)


def generate(count, today=None, seed=2026, months=12, log=print, index=True):
    """Write `count` customer files and their chain rows into the current database (which has the demo
    organisation or gets it). Returns a summary {state: files}."""
    from django.db import transaction

    from archive import sampling
    from archive.binding import volume_number
    from archive.models import (
        AuditMark, Box, Custody, ErrorEntry, HandoverForm, Level1Audit, Level2Audit, Loan, LoanItem,
        MarketingCheck, Signature, Store, Volume, VolumeItem,
    )
    from org import demo
    from org.models import Branch, Hall, User
    from org.pii import lookup_hash
    from records.models import Page, Record, Scan

    from django.utils import timezone

    demo.load()
    rng = random.Random(seed)
    today = today or timezone.localdate()
    start = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    for _ in range(months - 2):
        start = (start - datetime.timedelta(days=1)).replace(day=1)
    days = [start + datetime.timedelta(days=i) for i in range((today - start).days + 1)]
    halls = list(Hall.objects.select_related("branch").order_by("code"))
    branches = list(Branch.objects.order_by("code"))
    users = {u.username: u for u in User.objects.all()}
    clerk = {h.pk: users[f"clerk-{h.code}"] for h in halls}
    l1 = {h.pk: users[f"l1-{h.code}"] for h in halls}
    keeper = {h.pk: users[f"keeper-{h.code}"] for h in halls}
    auditor = {b.pk: users[f"auditor-{b.code}"] for b in branches}
    marketing, archivist = users["marketing"], users["archivist"]
    ev = Events()
    S, V, F, K = Record.Status, Volume.Status, HandoverForm.Status, HandoverForm.Kind

    # --- the files, their scans and pages --------------------------------------------------------------
    slots = [(day, hall) for day in days for hall in halls]
    weights = [0.6 if day.weekday() >= 5 else 1.0 for day, _h in slots]
    # two files in every hall on each of the last six days (every early state, even at a tiny scale), the
    # others spread at random (fewer at weekends)
    recent = [i for i, (day, _h) in enumerate(slots) if (today - day).days <= 5] * 2
    recent = recent[:count]
    chosen = sorted(recent + rng.choices(range(len(slots)), weights=weights, k=count - len(recent)))
    log(f"  {count} files over {len(days)} days ({days[0]} to {days[-1]}) and {len(halls)} halls")
    records, page_rows, scan_rows = [], [], []
    ages = []
    for n, slot in enumerate(chosen):
        day, hall = slots[slot]
        age = (today - day).days
        business, category = rng.choice(BUSINESS)
        name, agent = person(rng), person(rng)
        number = f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}"
        ident = id_number(rng, n)
        pages = 1 + (category == "agreement") + (rng.random() < 0.3)
        if age <= 1:
            status = S.OCR_DONE if rng.random() > 0.04 else rng.choice([S.OCR_QUEUED, S.OCR_FAILED])
        elif age == 2:
            status = S.SORTED
        elif age == 3:
            status = S.L1_PASSED if rng.random() > 0.01 else S.L1_ERROR
        elif age <= 5:
            status = S.AT_HALL
        else:
            status = S.BOUND
        flagged = rng.random() < (0.10 if age <= 2 else 0.005)
        fields = {
            "transaction_no": {"value": f"SL{day:%Y%m%d}{n:07d}", "confidence": 0.97, "problem": None},
            "service_number": {"value": number, "confidence": 0.95, "problem": None},
            "id_number": {"value": None, "confidence": 0.93, "problem": None},
            "business_date": {"value": day.isoformat(), "confidence": 0.99, "problem": None},
            "business_type": {"value": business, "confidence": 0.9, "problem": None},
            "customer_name": {"value": name, "confidence": 0.62 if flagged else 0.91,
                              "problem": "置信度低于阈值，请核对" if flagged else None},
        }
        ready = status not in (S.OCR_QUEUED, S.OCR_FAILED)
        records.append(Record(
            hall=hall, clerk=clerk[hall.pk], business_date=day, business_type=business, category=category,
            transaction_no=f"SL{day:%Y%m%d}{n:07d}", customer_name=name, service_number=number, id_number=ident,
            id_number_hash=lookup_hash(ident), status=status, channel=Record.Channel.FOLDER,
            fields=fields if ready else {}, page_count=pages if ready else 0,
            access_copy=f"access/{day:%Y/%m}/SL{day:%Y%m%d}{n:07d}.pdf" if ready else "",
            ocr_error="识别进程超时" if status == S.OCR_FAILED else "", ocr_attempts=1 if ready else 0,
            holder=keeper[hall.pk] if status == S.AT_HALL else None))
        scan_rows.append((n, day, pages))
        page_rows.append(page_texts(rng, n, hall, day, business, name, agent, number, ident, pages) if ready else [])
        ages.append(age)
    with transaction.atomic():
        records = _bulk(Record, records)
        created = [_at(r.business_date, 9, rng=rng) for r in records]
        for first in range(0, len(records), BATCH):
            part = records[first:first + BATCH]
            Scan.objects.bulk_create([Scan(
                record=r, master=f"masters/{day:%Y/%m}/{r.transaction_no}.pdf", original_name=f"{r.transaction_no}.pdf",
                kind=Scan.Kind.PDF, size=180_000 * pages, sha256=hashlib.sha256(f"bench-{seed}-{n}".encode()).hexdigest(),
                page_count=pages, capture=[{"dpi": 300, "colour": "bitonal", "compression": "CCITT G4",
                                            "device": "Fujitsu fi-7160", "unknown": []}] * pages)
                for r, (n, day, pages) in zip(part, scan_rows[first:first + BATCH])])
            Page.objects.bulk_create([Page(record=r, number=i, text=text, confidence=0.88, dpi=300)
                                      for r, texts in zip(part, page_rows[first:first + BATCH])
                                      for i, text in enumerate(texts, 1)])
            log(f"  files {min(len(records), first + BATCH)}/{len(records)}")
    del page_rows, scan_rows
    for r, at in zip(records, created):
        ev.add(at, "record.receive", r.clerk, r, {"channel": "folder", "pages": r.page_count})
        if r.status != S.OCR_QUEUED:
            ev.add(at + datetime.timedelta(minutes=3), "record.ocr_done" if r.status != S.OCR_FAILED
                   else "record.ocr_failed", None, r, {"from": "ocr_running", "to": "ocr_done"})

    by_day = defaultdict(list)
    for r in records:
        by_day[(r.hall_id, r.business_date)].append(r)
    hall_of = {h.pk: h for h in halls}

    # --- daily close, level-1 audits and marks, errors, clerk→hall forms -----------------------------
    audits, marks, entries, forms, form_records, signatures = [], [], [], [], [], []
    for (hall_id, day), files in sorted(by_day.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        age = (today - day).days
        if age < 2:
            continue
        hall = hall_of[hall_id]
        files.sort(key=lambda r: r.transaction_no)
        ev.add(_at(day, 18, 30), "dailyclose", clerk[hall_id], ("org.hall", str(hall_id), str(hall)),
               {"from": "ocr_done", "to": "sorted", "ids": [r.pk for r in files], "day": day.isoformat()})
        audit = Level1Audit(hall=hall, day=day, auditor=l1[hall_id],
                            signed_at=_at(day + datetime.timedelta(days=1), 11) if age >= 3 else None)
        audits.append((audit, files, age))
    hall_id_first = halls[0].pk
    with transaction.atomic():
        _bulk(Level1Audit, [a for a, _f, _age in audits])
        for audit, files, age in audits:
            marked = files if age >= 3 else files[: len(files) // 2]
            for i, r in enumerate(marked):
                when = _at(audit.day + datetime.timedelta(days=1), 9, rng=rng)
                error = ((age == 2 and (rng.random() < 0.05 or (i == 0 and hall_id_first == audit.hall_id)))
                         or r.status == S.L1_ERROR or rng.random() < 0.015)
                if age == 2:
                    r.status = S.L1_ERROR if error else S.L1_PASSED
                marks.append(AuditMark(audit=audit, record=r, result="error" if error and r.status == S.L1_ERROR
                                       else "passed"))
                if error:  # corrected, unless the file is still in error
                    still = r.status == S.L1_ERROR
                    entries.append(ErrorEntry(record=r, kind=rng.choice(ERROR_KINDS), description="一级稽核发现",
                                              clerk=r.clerk, level=ErrorEntry.Level.L1, found_by=audit.auditor,
                                              corrected_at=None if still else when + datetime.timedelta(hours=2),
                                              corrected_by=None if still else r.clerk))
                    entries[-1].wanted = when
                    ev.add(when, "error.register", audit.auditor, r, {"kind": entries[-1].kind, "level": "l1"})
                ev.add(when, "level1.mark", audit.auditor, r, {"from": "sorted", "to": r.status if age == 2 else "l1_passed",
                                                               "audit": audit.pk})
            if age >= 3:
                ev.add(audit.signed_at, "signature", audit.auditor, audit, {"document": "level1_audit", "slot": "auditor"})
                signatures.append(Signature(document_type="level1_audit", document_id=audit.pk, slot="auditor",
                                            signer=audit.auditor, signed_at=audit.signed_at,
                                            content_sha256=hashlib.sha256(str(audit.pk).encode()).hexdigest(), event_seq=0))
                on_form = [r for r in files if r.status != S.L1_ERROR]
                counts = {c: sum(1 for r in on_form if r.category == c) for c in ("ownership", "general", "agreement")}
                form = HandoverForm(kind=K.CLERK_HALL, hall=audit.hall, branch=audit.hall.branch, day=audit.day,
                                    giver=audit.auditor, receiver=None if age == 3 else keeper[audit.hall_id],
                                    status=F.GIVEN if age == 3 else F.ACCEPTED,
                                    figures={"records": len(on_form), "by_category": counts},
                                    counted=[] if age == 3 else [c for c, n in counts.items() if n])
                form.wanted = audit.signed_at
                forms.append((form, on_form, audit.signed_at))
        Record.objects.bulk_update([r for a, files, age in audits if age == 2 for r in files], ["status"],
                                   batch_size=BATCH)
        _bulk(AuditMark, marks)
        _bulk(HandoverForm, [f for f, _r, _at2 in forms])
        through = HandoverForm.records.through
        for form, on_form, at in forms:
            form_records += [through(handoverform_id=form.pk, record_id=r.pk) for r in on_form]
            ev.add(at + datetime.timedelta(minutes=5), "handover.give", form.giver, form,
                   {"kind": form.kind, "figures": form.figures})
            signatures.append(Signature(document_type="handover_form", document_id=form.pk, slot="giver",
                                        signer=form.giver, signed_at=at, content_sha256="0" * 64, event_seq=0))
            if form.status == F.ACCEPTED:
                got = at + datetime.timedelta(hours=5)
                ev.add(got, "handover.receive", form.receiver, form,
                       {"from": "given", "to": "accepted", "along": [{"type": "records.record",
                                                                     "ids": [r.pk for r in on_form],
                                                                     "from": "l1_passed", "to": "at_hall"}]})
                signatures.append(Signature(document_type="handover_form", document_id=form.pk, slot="receiver",
                                            signer=form.receiver, signed_at=got, content_sha256="0" * 64, event_seq=0))
        _bulk(through, form_records)
    log(f"  level-1 audits {len(audits)}, marks {len(marks)}, clerk→hall forms {len(forms)}")
    del marks, form_records

    # --- volumes of 30, hall→branch forms, level-2 audits, branch→marketing forms ---------------------
    groups = defaultdict(list)
    for r in records:
        if r.status == S.BOUND:
            groups[(r.hall_id, r.category, r.business_date.year, r.business_date.month)].append(r)
    seqs = defaultdict(int)
    volumes, items = [], []
    for (hall_id, category, year, month), files in sorted(groups.items(), key=lambda kv: (kv[0][2], kv[0][3], kv[0])):
        files.sort(key=lambda r: (r.business_date, r.transaction_no))
        hall = hall_of[hall_id]
        back = _months_back(today, datetime.date(year, month, 1))
        for first in range(0, len(files), 30):
            chunk = files[first:first + 30]
            seqs[(hall_id, year, category)] += 1
            seq = seqs[(hall_id, year, category)]
            full = len(chunk) == 30
            if back == 0:
                status = V.BOUND if full else V.OPEN
            elif back == 1:
                status = V.AT_BRANCH
            elif back == 2:
                status = V.L2_PASSED
            else:
                status = V.AT_MARKETING
            closed = _at(chunk[-1].business_date + datetime.timedelta(days=6), 16)
            vol = Volume(hall=hall, category=category, year=year, month=month, seq=seq,
                         number=volume_number(hall, year, category, seq), status=status,
                         holder=keeper[hall_id], bound_by=keeper[hall_id] if status != V.OPEN else None,
                         closed_at=None if status == V.OPEN else closed,
                         closed_short_reason="" if full or status == V.OPEN else "月末封卷")
            volumes.append((vol, chunk, back))
    # last month: one hall's form still waiting (its volumes with the keeper), one volume per branch returned
    waiting_hall = halls[0].pk
    returned = set()
    for vol, _chunk, back in volumes:
        if back == 1 and vol.hall_id == waiting_hall:
            vol.status = V.BOUND
        elif back == 1 and vol.hall.branch_id not in returned and vol.hall_id != waiting_hall:
            vol.status = V.RETURNED
            returned.add(vol.hall.branch_id)
    for vol, _chunk, back in volumes:
        branch_auditor = auditor[vol.hall.branch_id]
        vol.holder = {V.AT_BRANCH: branch_auditor, V.L2_PASSED: branch_auditor, V.AT_MARKETING: marketing,
                      V.RETURNED: keeper[vol.hall_id]}.get(vol.status, keeper[vol.hall_id])
    with transaction.atomic():
        _bulk(Volume, [v for v, _c, _b in volumes])
        for vol, chunk, back in volumes:
            items += [VolumeItem(volume=vol, record=r, position=i) for i, r in enumerate(chunk, 1)]
            for r in chunk:
                r.holder = vol.holder
            ev.add(_at(chunk[0].business_date + datetime.timedelta(days=6), 10), "volume.open",
                   keeper[vol.hall_id], vol, {"number": vol.number})
            ev.add(vol.closed_at or _at(chunk[-1].business_date + datetime.timedelta(days=6), 16), "volume.bind",
                   keeper[vol.hall_id], vol, {"from": "at_hall", "to": "bound", "records": [r.pk for r in chunk],
                                              "count": len(chunk), "status": "bound" if vol.status != V.OPEN else "open"})
        _bulk(VolumeItem, items)
        Record.objects.bulk_update([r for _v, chunk, _b in volumes for r in chunk], ["holder"], batch_size=BATCH)
    log(f"  volumes {len(volumes)}, volume items {len(items)}")
    del items

    # hall→branch forms: one a hall and month, from last month on back
    hb, l2s, l2_errors = [], [], []
    per_hall_month = defaultdict(list)
    for vol, chunk, back in volumes:
        if back >= 1:
            per_hall_month[(vol.hall_id, vol.year, vol.month)].append((vol, chunk, back))
    for (hall_id, year, month), vols in sorted(per_hall_month.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][0])):
        hall = hall_of[hall_id]
        back = vols[0][2]
        given = _at(datetime.date(year, month, 1) + datetime.timedelta(days=35), 10)
        waiting = back == 1 and hall_id == waiting_hall
        files = sum(len(c) for _v, c, _b in vols)
        form = HandoverForm(kind=K.HALL_BRANCH, hall=hall, branch=hall.branch, giver=keeper[hall_id],
                            receiver=None if waiting else auditor[hall.branch_id],
                            status=F.GIVEN if waiting else F.ACCEPTED,
                            figures={"volumes": len(vols), "records": files,
                                     "by_category": {c: sum(len(ch) for v, ch, _b in vols if v.category == c)
                                                     for c in ("ownership", "general", "agreement")},
                                     "volumes_by_category": {c: sum(1 for v, _ch, _b in vols if v.category == c)
                                                             for c in ("ownership", "general", "agreement")}},
                            has_returns=any(v.status == V.RETURNED for v, _c, _b in vols))
        form.wanted = given
        hb.append((form, vols, given))
    with transaction.atomic():
        _bulk(HandoverForm, [f for f, _v, _g in hb])
        through = HandoverForm.volumes.through
        _bulk(through, [through(handoverform_id=f.pk, volume_id=v.pk) for f, vols, _g in hb for v, _c, _b in vols])
        for form, vols, given in hb:
            ev.add(given, "handover.give", form.giver, form, {"kind": form.kind, "figures": form.figures})
            signatures.append(Signature(document_type="handover_form", document_id=form.pk, slot="giver",
                                        signer=form.giver, signed_at=given, content_sha256="0" * 64, event_seq=0))
            if form.status == F.ACCEPTED:
                ev.add(given + datetime.timedelta(days=1), "handover.receive", form.receiver, form,
                       {"from": "given", "to": "accepted", "along": [{"type": "archive.volume",
                                                                     "ids": [v.pk for v, _c, _b in vols],
                                                                     "from": "bound", "to": "at_branch"}]})
                signatures.append(Signature(document_type="handover_form", document_id=form.pk, slot="receiver",
                                            signer=form.receiver, signed_at=given + datetime.timedelta(days=1),
                                            content_sha256="0" * 64, event_seq=0))
            for vol, chunk, back in vols:
                if vol.status == V.BOUND:
                    continue
                ids = [r.pk for r in chunk]
                size = sampling.level2_size(len(ids), vol.category)
                seed_text = f"bench-{vol.number}"
                sample = sampling.draw(ids, size, seed_text)
                at = given + datetime.timedelta(days=3)
                if vol.status == V.AT_BRANCH and rng.random() < 0.5:
                    continue  # not started yet
                if vol.status == V.AT_BRANCH:  # under way: part of the sample checked
                    findings = {str(pk): {"ok": True, "note": ""} for pk in sample[: len(sample) // 2]}
                    result = Level2Audit.Result.OPEN
                elif vol.status == V.RETURNED:
                    findings = {str(pk): {"ok": True, "note": ""} for pk in sample}
                    findings[str(sample[0])] = {"ok": False, "note": "缺客户签名", "kind": "缺客户签名"}
                    result = Level2Audit.Result.FAILED
                    bad = next(r for r in chunk if r.pk == sample[0])
                    l2_errors.append(ErrorEntry(record=bad, kind="缺客户签名", description="二级稽核发现",
                                                clerk=bad.clerk, level=ErrorEntry.Level.L2,
                                                found_by=auditor[vol.hall.branch_id]))
                    l2_errors[-1].wanted = at
                else:
                    findings = {str(pk): {"ok": True, "note": ""} for pk in sample}
                    result = Level2Audit.Result.PASSED
                l2s.append(Level2Audit(volume=vol, auditor=auditor[vol.hall.branch_id], seed=seed_text, sample=sample,
                                       findings=findings, result=result,
                                       reason="抽检发现差错，退回营业厅整改" if result == Level2Audit.Result.FAILED else "",
                                       signed_at=None if result == Level2Audit.Result.OPEN else at))
                ev.add(at - datetime.timedelta(hours=2), "level2.sample", auditor[vol.hall.branch_id], vol,
                       {"seed": seed_text, "size": len(sample), "of": len(ids), "category": vol.category,
                        "sample": sample})
                for pk in findings:
                    ev.add(at - datetime.timedelta(hours=1), "level2.finding", auditor[vol.hall.branch_id],
                           ("records.record", pk, next(r.transaction_no for r in chunk if r.pk == int(pk))),
                           {"ok": findings[pk]["ok"], "volume": vol.number})
                if result != Level2Audit.Result.OPEN:
                    ev.add(at, "level2.pass" if result == Level2Audit.Result.PASSED else "volume.return",
                           auditor[vol.hall.branch_id], vol,
                           {"from": "at_branch", "to": "l2_passed" if result == Level2Audit.Result.PASSED else "returned"})
        _bulk(Level2Audit, l2s)
        for audit in l2s:
            if audit.signed_at:
                signatures.append(Signature(document_type="level2_audit", document_id=audit.pk, slot="auditor",
                                            signer=audit.auditor, signed_at=audit.signed_at,
                                            content_sha256="0" * 64, event_seq=0))
    log(f"  hall→branch forms {len(hb)}, level-2 audits {len(l2s)}")

    # branch→marketing forms: a branch and month, two months back and older (one branch's waiting)
    bm, checks = [], []
    per_branch_month = defaultdict(list)
    for vol, chunk, back in volumes:
        if back >= 2:
            per_branch_month[(vol.hall.branch_id, vol.year, vol.month)].append((vol, chunk, back))
    for (branch_id, year, month), vols in sorted(per_branch_month.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][0])):
        back = vols[0][2]
        if back == 2 and branch_id != branches[0].pk:
            continue  # not handed over yet: the branch auditor's to-do
        given = _at(datetime.date(year, month, 1) + datetime.timedelta(days=50), 10)
        waiting = back == 2
        by_hall = {}
        for hall in halls:
            if hall.branch_id == branch_id:
                by_hall[hall.code] = {c: sum(len(ch) for v, ch, _b in vols if v.hall_id == hall.pk and v.category == c)
                                      for c in ("ownership", "general")}
        form = HandoverForm(kind=K.BRANCH_MARKETING, branch_id=branch_id, year=year, month=month,
                            giver=auditor[branch_id], receiver=None if waiting else marketing,
                            status=F.GIVEN if waiting else F.ACCEPTED,
                            figures={"by_hall": by_hall, "records": sum(len(c) for _v, c, _b in vols),
                                     "agreements": sum(len(c) for v, c, _b in vols if v.category == "agreement"),
                                     "volumes": len(vols)})
        form.wanted = given
        bm.append((form, vols, given))
    with transaction.atomic():
        _bulk(HandoverForm, [f for f, _v, _g in bm])
        through = HandoverForm.volumes.through
        _bulk(through, [through(handoverform_id=f.pk, volume_id=v.pk) for f, vols, _g in bm for v, _c, _b in vols])
        for form, vols, given in bm:
            ev.add(given, "handover.give", form.giver, form, {"kind": form.kind, "figures": form.figures})
            if form.status == F.ACCEPTED:
                ev.add(given + datetime.timedelta(days=2), "handover.receive", form.receiver, form,
                       {"from": "given", "to": "accepted", "along": [{"type": "archive.volume",
                                                                     "ids": [v.pk for v, _c, _b in vols],
                                                                     "from": "l2_passed", "to": "at_marketing"}]})
                checks.append(MarketingCheck(kind=MarketingCheck.Kind.MONTHLY, branch_id=form.branch_id, form=form,
                                             year=form.year, period=form.month, checker=marketing))
                ev.add(given + datetime.timedelta(days=3), "marketing.check", marketing, form, {"differences": []})
        # quarterly process checks of the branches' agreements (past quarters)
        agreements = defaultdict(list)
        for vol, chunk, back in volumes:
            if vol.category == "agreement" and back >= 3:
                agreements[(vol.hall.branch_id, vol.year, (vol.month - 1) // 3 + 1)] += [r.pk for r in chunk]
        for (branch_id, year, quarter), ids in sorted(agreements.items()):
            sample = sampling.draw(ids, max(1, len(ids) // 10), f"bench-q{branch_id}-{year}-{quarter}")
            checks.append(MarketingCheck(kind=MarketingCheck.Kind.PROCESS, branch_id=branch_id, year=year,
                                         period=quarter, checker=marketing, seed=f"bench-q{branch_id}-{year}-{quarter}",
                                         sample=sample, findings={str(pk): {"ok": True, "kind": "", "note": "",
                                                                            "by": "marketing", "at": ""}
                                                                  for pk in sample}))
        _bulk(MarketingCheck, checks)
        _bulk(ErrorEntry, entries + l2_errors)
        _when(ErrorEntry, entries + l2_errors, "found_at")
        _when(HandoverForm, [f for f, _x, _y in forms + hb + bm], "created_at")
        _bulk(Signature, signatures)
    log(f"  branch→marketing forms {len(bm)}, marketing checks {len(checks)}, errors {len(entries) + len(l2_errors)}")

    # --- storage locations and loans -----------------------------------------------------------------
    with transaction.atomic():
        store, _ = Store.objects.get_or_create(code="K1", defaults={"name": "市公司档案库房"})
        shelved = [v for v, _c, back in volumes if back >= 4]
        boxes = _bulk(Box, [Box(store=store, row=1 + i // 400, column=1 + i // 40 % 10, shelf=1 + i // 8 % 5,
                                number=1 + i % 8) for i in range(len(shelved) // 6 + 1)])
        custody = [Custody(volume=v, box=boxes[i // 6], status=Custody.Status.IN_STORE) for i, v in enumerate(shelved)]
        _bulk(Custody, custody)
        for c in custody:
            ev.add(c.volume.closed_at + datetime.timedelta(days=100), "custody.shelve", archivist, c.volume,
                   {"box": str(c.box_id)})
        requesters = [users[n] for n in ("staff", "marketing", "office", "depthead")] + list(clerk.values())
        loans = []
        for i in range(min(300, max(10, count // 300))):
            who = requesters[i % len(requesters)]
            status = [Loan.Status.RETURNED, Loan.Status.RETURNED, Loan.Status.ISSUED, Loan.Status.APPROVED,
                      Loan.Status.REQUESTED, Loan.Status.REFUSED][i % 6]
            asked = timezone.now() - datetime.timedelta(days=300 - i)
            hall = next((h for h in halls if clerk[h.pk] == who), None)
            loans.append(Loan(number=f"JY{asked:%Y%m%d}{i:04d}", requester=who, hall=hall,
                              branch=hall.branch if hall else None, purpose="核对客户资料", form=Loan.Form.ON_SITE,
                              days=7, status=status, decided_by=users["gm"] if status != Loan.Status.REQUESTED else None,
                              decided_at=asked + datetime.timedelta(days=1) if status != Loan.Status.REQUESTED else None,
                              issued_by=archivist if status in (Loan.Status.ISSUED, Loan.Status.RETURNED) else None,
                              issued_at=asked + datetime.timedelta(days=2) if status in (Loan.Status.ISSUED, Loan.Status.RETURNED) else None,
                              due_at=asked + datetime.timedelta(days=9) if status in (Loan.Status.ISSUED, Loan.Status.RETURNED) else None,
                              returned_at=asked + datetime.timedelta(days=6) if status == Loan.Status.RETURNED else None))
        loans = _bulk(Loan, loans)
        _bulk(LoanItem, [LoanItem(loan=loan, volume=shelved[i * 7 % len(shelved)]) for i, loan in enumerate(loans)]
              if shelved else [])
        for i, loan in enumerate(loans):
            ev.add(timezone.now() - datetime.timedelta(days=300 - i), "loan.request", loan.requester, loan,
                   {"form": loan.form})
    log(f"  custody {len(custody)}, loans {len(loans)}")

    written = ev.write()
    log(f"  event log rows {written}")
    if index:
        from search import backends, registry

        backend = backends.get()
        docs = backend.reindex(registry.get("record"))
        log(f"  search index ({type(backend).__name__}): {docs} documents")
    summary = defaultdict(int)
    for row in Record.objects.values_list("status").order_by():
        summary[row[0]] += 1
    for row in Volume.objects.values_list("status").order_by():
        summary[f"volume:{row[0]}"] += 1
    return dict(summary)
