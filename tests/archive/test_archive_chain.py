"""One month of one branch (B1) through the whole chain, with a level-1 error, a rejected clerk→hall form,
a rejected hall→branch form, a level-2 return, their re-handovers, the monthly form and the marketing checks."""
import pytest
from django.core.exceptions import PermissionDenied

from archive import custody, dailyclose, errors, handover, level1, level2, monthly, sampling
from archive.base import ChainError
from archive.binding import Bind, CloseMonth, FixReturned
from archive.models import ErrorEntry, HandoverForm, Level2Audit, Signature, Volume
from archive.signatures import content_sha256
from org import auditlog
from org.models import AuditEvent, Branch, Hall
from records import reconcile
from records.models import Record
from tests.archive_helpers import PASSWORD, day, make_day, report_csv, to_keeper

S, V = Record.Status, Volume.Status


def test_one_month_of_branch_b1_through_the_whole_chain(make_record, users):
    h11, h12, b1 = Hall.objects.get(code="H11"), Hall.objects.get(code="H12"), Branch.objects.get(code="B1")
    clerk, l1, keeper = users("clerk-H11"), users("l1-H11"), users("keeper-H11")
    auditor, marketing = users("auditor-B1"), users("marketing")

    # the month's paper: H11 has 65 general, 4 agreements, 3 ownership files over three days; H12 a few
    plan = {1: ["general"] * 22 + ["agreement"] * 4, 2: ["general"] * 22 + ["ownership"] * 3, 3: ["general"] * 21}
    days = {n: make_day(make_record, "H11", day(n), cats) for n, cats in plan.items()}
    h12_files = make_day(make_record, "H12", day(2), ["general", "ownership"])
    everything = [r for rs in days.values() for r in rs] + h12_files
    extra = "T-NO-PAPER-1,2026-10-03 11:00:00,H11,H11CLERK01,普通开户,13800009999,李四,居民身份证,"
    # the archive imports the report of both halls (a level-1 auditor may import only their own hall's rows)
    report = reconcile.import_report(users("archivist"), report_csv(everything, [extra]), "boss-2026-10.csv")

    # 1. daily close, day 1
    counts = dailyclose.DailyClose(clerk, h11, day(1)).run()
    assert counts == {"ownership": 0, "general": 22, "agreement": 4}
    with pytest.raises(ChainError):
        dailyclose.DailyClose(clerk, h11, day(1)).run()  # nothing left to sort

    # 2. level-1 audit: beside the report, 100% marked; one error registered and corrected
    audit = level1.open_audit(l1, h11, day(1), report)
    rec = level1.reconciliation(audit)
    assert len(rec.matched) == 26 and not rec.no_report_row and not rec.mismatches
    first, *rest = days[1]
    level1.Mark(l1, audit, first, passed=False, error_kind="缺客户签名", note="受理单无签名").run()
    for record in rest:
        level1.Mark(l1, audit, record, passed=True).run()
    with pytest.raises(ChainError, match="100%"):
        level1.Sign(l1, audit, PASSWORD).run()
    with pytest.raises(ChainError, match="未整改的差错"):
        level1.Mark(l1, audit, first, passed=True).run()
    entry = ErrorEntry.objects.get(record=first)
    assert (entry.clerk, entry.level, entry.kind) == (clerk, "l1", "缺客户签名")
    errors.CorrectError(clerk, entry).run()
    level1.Mark(l1, audit, first, passed=True).run()
    with pytest.raises(ChainError, match="密码错误"):
        level1.Sign(l1, audit, "wrong").run()
    level1.Sign(l1, audit, PASSWORD).run()
    with pytest.raises(ChainError, match="已签署"):
        level1.Sign(l1, audit, PASSWORD).run()

    # 3. clerk→hall: rejected once (count wrong), re-handed over on a new linked form
    form = handover.GiveClerkHall(l1, PASSWORD, audit).run()
    assert form.figures == {"records": 26, "by_category": {"ownership": 0, "general": 22, "agreement": 4}}
    with pytest.raises(ChainError, match="原因"):
        handover.Reject(keeper, PASSWORD, form, "").run()
    handover.Reject(keeper, PASSWORD, form, "份数与交接表不符").run()
    first.refresh_from_db()
    assert custody.record_location(first) == {"volume": None, "holder": l1.get_full_name(), "location": ""}
    form2 = handover.GiveClerkHall(l1, PASSWORD, audit).run()
    assert form2.replaces == form
    with pytest.raises(ChainError, match="密码错误"):
        handover.Receive(keeper, "nope", form2).run()
    handover.Receive(keeper, PASSWORD, form2).run()
    with pytest.raises(ChainError, match="已是"):
        handover.Receive(keeper, PASSWORD, form2).run()
    assert Record.objects.filter(pk__in=[r.pk for r in days[1]], status=S.AT_HALL, holder=keeper).count() == 26
    for n in (2, 3):
        to_keeper(users, "H11", day(n), report)
    to_keeper(users, "H12", day(2), report)

    # 4. binding: 65 general → 30 + 30 + 5 at month close; agreements and ownership short at month close
    bound = Bind(keeper, Record.objects.filter(hall=h11, status=S.AT_HALL)).run()
    assert sorted((v.number, v.items.count()) for v in bound) == [
        ("H11-2026-QS-001", 3), ("H11-2026-XY-001", 4), ("H11-2026-ZH-001", 30), ("H11-2026-ZH-002", 30),
        ("H11-2026-ZH-003", 5)]
    closed = CloseMonth(keeper, h11, 2026, 10, today=day(31)).run()
    assert sorted(v.number for v in closed) == ["H11-2026-QS-001", "H11-2026-XY-001", "H11-2026-ZH-003"]
    Bind(users("keeper-H12"), Record.objects.filter(hall=h12)).run()
    CloseMonth(users("keeper-H12"), h12, 2026, 10, today=day(31)).run()
    first.refresh_from_db()
    assert custody.record_location(first)["volume"].startswith("H11-2026-")
    assert custody.record_location(first)["holder"] == keeper.get_full_name()

    # 5. hall→branch: the first form is rejected whole; the re-handover is a new form linked to it
    h11_volumes = list(Volume.objects.filter(hall=h11).order_by("number"))
    hb = handover.GiveHallBranch(keeper, PASSWORD, h11_volumes).run()
    assert hb.figures["volumes"] == 5 and hb.figures["records"] == 72
    handover.Reject(auditor, PASSWORD, hb, "封面缺日期").run()
    assert set(Volume.objects.filter(hall=h11).values_list("status", "holder")) == {(V.RETURNED, keeper.pk)}
    for volume in h11_volumes:
        FixReturned(keeper, volume, "补写封面日期").run()
    hb2 = handover.GiveHallBranch(keeper, PASSWORD, h11_volumes).run()
    assert hb2.replaces == hb
    handover.Receive(auditor, PASSWORD, hb2).run()
    hb12 = handover.GiveHallBranch(users("keeper-H12"), PASSWORD, Volume.objects.filter(hall=h12)).run()
    handover.Receive(auditor, PASSWORD, hb12).run()
    zh1 = Volume.objects.get(number="H11-2026-ZH-001")
    assert custody.volume_location(zh1)["holder"] == auditor.get_full_name()

    # 6. level-2: seeded samples (≥30% of files, ≥50% of agreements); ZH-001 fails, goes back, comes again
    for volume in Volume.objects.filter(hall__branch=b1).order_by("number"):
        l2 = level2.Start(auditor, volume).run()
        share = 0.5 if volume.category == "agreement" else 0.3
        assert len(l2.sample) >= share * volume.items.count() and len(set(l2.sample)) == len(l2.sample)
        event = AuditEvent.objects.get(action="level2.sample", details__audit=l2.pk)
        assert event.details["seed"] == l2.seed and event.details["sample"] == l2.sample
        ids = list(volume.items.values_list("record_id", flat=True))
        assert sampling.draw(ids, len(l2.sample), event.details["seed"]) == l2.sample  # reproducible
        for pk in l2.sample:
            bad = volume == zh1 and pk == l2.sample[0]
            level2.Finding(auditor, l2, Record.objects.get(pk=pk), ok=not bad,
                           error_kind="证件复印件不清" if bad else "").run()
        with pytest.raises(ChainError, match="原因") if volume == zh1 else _nothing():
            level2.Finish(auditor, l2, PASSWORD).run()
        if volume == zh1:
            level2.Finish(auditor, l2, PASSWORD, reason="证件复印件不清").run()
    zh1.refresh_from_db()
    assert (zh1.status, zh1.holder) == (V.RETURNED, keeper)
    hb2.refresh_from_db()
    assert hb2.notes[0]["volume"] == zh1.number and hb2.notes[0]["reason"] == "证件复印件不清"
    with pytest.raises(ChainError, match="请先整改"):
        FixReturned(keeper, zh1, "重新复印").run()
    errors.CorrectError(clerk, ErrorEntry.objects.get(level="l2")).run()
    FixReturned(keeper, zh1, "重新复印").run()
    hb3 = handover.GiveHallBranch(keeper, PASSWORD, [zh1]).run()
    assert hb3.replaces == hb2
    handover.Receive(auditor, PASSWORD, hb3).run()
    l2b = level2.Start(auditor, zh1).run()
    for pk in l2b.sample:
        level2.Finding(auditor, l2b, Record.objects.get(pk=pk), ok=True).run()
    level2.Finish(auditor, l2b, PASSWORD).run()
    assert Level2Audit.objects.filter(volume=zh1).count() == 2
    assert set(Volume.objects.filter(hall__branch=b1).values_list("status", flat=True)) == {V.L2_PASSED}

    # 7. branch→marketing with the month's figures; marketing receives and checks
    with pytest.raises(PermissionDenied):
        handover.GiveBranchMarketing(users("auditor-B2"), PASSWORD, b1, 2026, 10).run()
    bm = handover.GiveBranchMarketing(auditor, PASSWORD, b1, 2026, 10).run()
    assert bm.figures["by_hall"] == {"H11": {"ownership": 3, "general": 65}, "H12": {"ownership": 1, "general": 1}}
    assert bm.figures["agreements"] == 4 and bm.figures["records"] == 74
    handover.Receive(marketing, PASSWORD, bm).run()
    assert set(Volume.objects.filter(hall__branch=b1).values_list("status", "holder")) == {
        (V.AT_MARKETING, marketing.pk)}
    check = monthly.MonthlyCheck(marketing, bm).run()
    assert check.differences == [{"kind": "paper_missing", "transaction_no": "T-NO-PAPER-1", "hall": "H11"}]
    process = monthly.ProcessCheck(marketing, b1, 2026, 4).run()
    assert len(process.sample) == 1  # 10% of 4 agreements, at least one

    # every signature and every return is in the (intact) event log
    assert auditlog.verify() > 0
    signatures = Signature.objects.all()
    # 4 level-1 records; clerk→hall 5 forms × 2; hall→branch 4 forms × 2; 8 level-2 records; branch→marketing 2
    assert signatures.count() == 4 + 10 + 8 + 8 + 2
    for sig in signatures:
        event = AuditEvent.objects.get(seq=sig.event_seq)
        assert event.action == "signature" and event.details["sha256"] == sig.content_sha256
        assert event.details["slot"] == sig.slot and event.actor_id == sig.signer_id
    assert content_sha256(bm) == Signature.objects.get(document_type="handover_form", document_id=bm.pk,
                                                       slot="giver").content_sha256
    returns = AuditEvent.objects.filter(action__in=["handover.return", "volume.return"])
    assert sorted(e.details.get("reason") for e in returns) == ["份数与交接表不符", "封面缺日期", "证件复印件不清"]
    assert HandoverForm.objects.filter(status="rejected").count() == 2


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
