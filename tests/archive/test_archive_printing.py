"""The printable PDFs: volume cover (with QR), the two audit records, the three handover forms, and the bound
volume in the required order. Checked with pdftotext (Chinese text) and a QR decoder."""
import io
import subprocess

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from archive import handover, level2, printing
from archive.binding import Bind, CloseMonth
from archive.models import HandoverForm, Level1Audit, Volume
from org.models import Branch, Hall
from records.models import Record
from tests.archive_helpers import PASSWORD, day, make_day, to_keeper


def pdf_pages(data):
    """Text of every page, as pdftotext extracts it."""
    count = len(PdfReader(io.BytesIO(data)).pages)
    out = []
    for n in range(1, count + 1):
        text = subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), "-", "-"], input=data,
                              capture_output=True, check=True).stdout.decode("utf-8")
        out.append(text)
    return out


def first_page_qr(data):
    png = subprocess.run(["pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "1", "-"], input=data,
                         capture_output=True, check=True).stdout
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


@pytest.fixture
def volume_at_branch(make_record, users):
    files = make_day(make_record, "H11", day(5), ["agreement"] * 3, with_copy=True)
    form = to_keeper(users, "H11", day(5))
    keeper = users("keeper-H11")
    Bind(keeper, files).run()
    CloseMonth(keeper, Hall.objects.get(code="H11"), 2026, 10, today=day(31)).run()
    volume = Volume.objects.get()
    hb = handover.GiveHallBranch(keeper, PASSWORD, [volume]).run()
    handover.Receive(users("auditor-B1"), PASSWORD, hb).run()
    return Volume.objects.get(), form, hb, files


def test_volume_pdf_in_order_cover_l1_l2_files_and_l2_regenerated(volume_at_branch, users):
    volume, _, _, files = volume_at_branch
    data = printing.volume_pdf(volume)
    pages = pdf_pages(data)
    assert len(pages) == 3 + 3
    assert "客户资料卷 封面" in pages[0] and "H11-2026-XY-001" in pages[0] and "协议类" in pages[0]
    assert "3份" in pages[0] and "2026-10-05 至 2026-10-05" in pages[0] and "月末结卷" in pages[0]
    assert "资料管理员" in pages[0].split("装订人")[1].splitlines()[0]  # bound by the keeper
    assert first_page_qr(data) == [f"http://testserver/admin/archive/volumes/{volume.pk}/"]  # its page, scanned
    assert "一级稽核记录表" in pages[1] and all(f.transaction_no in pages[1] for f in files)
    assert "二级稽核记录表" in pages[2] and "□ 通过" in pages[2] and "合格" not in pages[2]
    assert [p.strip() for p in pages[3:]] == [f.transaction_no for f in sorted(files, key=lambda r: r.transaction_no)]

    auditor = users("auditor-B1")
    audit = level2.Start(auditor, volume).run()
    assert len(audit.sample) == 2  # 50% of 3 agreements, rounded up
    for pk in audit.sample:
        level2.Finding(auditor, audit, Record.objects.get(pk=pk), ok=True, note="齐全").run()
    level2.Finish(auditor, audit, PASSWORD).run()
    after = pdf_pages(printing.volume_pdf(volume))[2]
    assert "结论：通过" in after and audit.seed in after and after.count("合格") == 2
    assert "分公司业务稽核" in after


def test_the_three_handover_forms_and_the_level1_record_print_in_chinese(volume_at_branch, users):
    volume, ch, hb, files = volume_at_branch
    text = pdf_pages(printing.handover_form_pdf(HandoverForm.objects.get(pk=ch.pk)))[0]
    assert "《营业员-营业厅交接表》" in text and "协议类" in text and "已接收" in text
    assert all(f.transaction_no in text for f in files) and "交出方" in text and "接收方" in text
    text = pdf_pages(printing.handover_form_pdf(HandoverForm.objects.get(pk=hb.pk)))[0]
    assert "《营业厅-分公司交接表》" in text and "H11-2026-XY-001" in text
    assert "五星街一级稽核" not in text and str(users("auditor-B1")) in text

    auditor = users("auditor-B1")
    audit = level2.Start(auditor, volume).run()
    for pk in audit.sample:
        level2.Finding(auditor, audit, Record.objects.get(pk=pk), ok=True).run()
    level2.Finish(auditor, audit, PASSWORD).run()
    bm = handover.GiveBranchMarketing(auditor, PASSWORD, Branch.objects.get(code="B1"), 2026, 10).run()
    handover.Reject(users("marketing"), PASSWORD, bm, "明细不全").run()
    text = pdf_pages(printing.handover_form_pdf(HandoverForm.objects.get(pk=bm.pk)))[0]
    assert "《分公司-市场部交接表》" in text and "2026年10月" in text and "拒收原因：明细不全" in text
    assert "协议类（全分公司汇总）" in text and "已拒收" in text

    text = pdf_pages(printing.level1_record_pdf([Level1Audit.objects.get()]))[0]
    assert "一级稽核记录表" in text and "100%交叉稽核" in text and text.count("通过") == 3


def test_volume_pdf_screen_streams_the_volume_and_logs_the_view(volume_at_branch, users, client):
    from django.urls import reverse

    from org.models import AuditEvent

    volume, _, _, files = volume_at_branch
    client.force_login(users("auditor-B1"))
    response = client.get(reverse("archive_admin:volume_pdf", args=[volume.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.streaming and f'filename="{volume.number}.pdf"' in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    assert len(PdfReader(io.BytesIO(data)).pages) == 6
    event = AuditEvent.objects.get(action="volume.download")
    assert event.actor_name == "auditor-B1" and event.object_id == str(volume.pk)
    assert sorted(event.details["records"]) == sorted(f.pk for f in files)
    client.force_login(users("auditor-B2"))  # another branch: not found, nothing logged
    assert client.get(reverse("archive_admin:volume_pdf", args=[volume.pk])).status_code == 404
    assert AuditEvent.objects.filter(action="volume.download").count() == 1
