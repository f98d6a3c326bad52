"""DA/T 70 checks at the handover (archive/dat70.py) and archival packages (archive/bag.py): a volume whose
files are intact leaves the hall and exports to a BagIt bag that validates with the bagit library and round
trips; a changed file fails the bag; a changed master or missing metadata blocks the handover with its
reason in Chinese."""
import hashlib
import io
import json
import xml.etree.ElementTree as ET
from io import StringIO
from pathlib import Path

import bagit
import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError

from archive import bag, handover
from archive.base import ChainError
from archive.binding import Bind, CloseMonth
from archive.models import HandoverForm, Volume
from org.models import AuditEvent, Hall
from records import fixity, intake
from records.models import Record, StoredObject
from records.storage import customer_files
from tests.archive_helpers import PASSWORD, day, small_pdf, to_keeper
from tests.records.test_fixity import s3_options, tiff, use_s3

pytestmark = pytest.mark.django_db
ID_NUMBER = "510302199001011234"


def bound_volume(users, n=3):
    """n scanned files of H11 on 2026-10-05 (intake: masters with their hashes), OCR done (an access copy with
    its hash), through the level-1 audit to the keeper, bound and closed short at month end."""
    clerk, hall = users("clerk-H11"), Hall.objects.get(code="H11")
    records = []
    for i in range(n):
        record = intake.ingest(clerk, hall=hall, clerk=clerk, fileobj=io.BytesIO(tiff(i + 1)), name=f"s{i}.tif",
                               channel=Record.Channel.COMMAND, business_date=day(5))
        data = small_pdf(f"copy {i}")
        record.access_copy.save(f"H11/{record.pk}.pdf", ContentFile(data), save=False)
        fixity.register(record.access_copy.name, StoredObject.Kind.ACCESS, hashlib.sha256(data).hexdigest(),
                        len(data), record=record)
        Record.objects.filter(pk=record.pk).update(
            access_copy=record.access_copy.name, status=Record.Status.OCR_DONE, category="agreement",
            transaction_no=f"SC20261005{i:05d}", business_type='入网协议<b>&"', customer_name="张三",
            service_number="13800001234", id_number=ID_NUMBER)
        records.append(Record.objects.get(pk=record.pk))
    Record.objects.get(pk=records[0].pk).save()  # the ID number through the field (encrypted, hashed)
    to_keeper(users, "H11", day(5))
    keeper = users("keeper-H11")
    Bind(keeper, records).run()
    CloseMonth(keeper, hall, 2026, 10, today=day(31)).run()
    return Volume.objects.get(), records


def give(users, volume):
    return handover.GiveHallBranch(users("keeper-H11"), PASSWORD, [volume]).run()


def run_command(name, *args):
    out = StringIO()
    try:
        call_command(name, *args, stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    return 0, out.getvalue()


def test_a_sound_volume_is_handed_over_and_its_bag_validates_and_round_trips(org_demo, users, settings,
                                                                              monkeypatch, tmp_path):
    use_s3(settings, s3_options(), monkeypatch)
    volume, records = bound_volume(users)
    form = give(users, volume)
    assert form.status == HandoverForm.Status.GIVEN

    from archive.custody_models import Loan, LoanItem

    asked = Loan.objects.create(number="JY-TEST-1", requester=users("clerk-H11"), purpose="核对客户投诉",
                                form=Loan.Form.ON_SITE, days=3)  # a request as archive/loans.py records it
    LoanItem.objects.create(loan=asked, volume=volume)
    code, out = run_command("export_volume", volume.number, "--to", str(tmp_path), "--as", "archivist")
    assert code == 0 and "已导出卷" in out and "借阅记录 1 条" in out
    path = tmp_path / volume.number
    package = bagit.Bag(str(path))
    assert package.is_valid() and package.info["Payload-Oxum"].endswith(".%d" % sum(
        1 for p in (path / "data").rglob("*") if p.is_file()))
    assert {"manifest-sha256.txt", "tagmanifest-sha256.txt", "bag-info.txt"} <= {p.name for p in path.iterdir()}
    # the masters, access copies and the volume PDF, with the hashes recorded at intake
    manifest = dict(reversed(line.split(None, 1)) for line in
                    (path / "manifest-sha256.txt").read_text().splitlines())
    masters = sorted(k for k in manifest if k.startswith("data/files/") and "/master-" in k)
    assert len(masters) == 3 and len([k for k in manifest if k.endswith("/access.pdf")]) == 3
    assert "data/files/volume.pdf" in manifest
    assert sorted(manifest[k] for k in masters) == sorted(r.scans.get().sha256 for r in records)
    assert package.info["Archive-File-Count"] == "7" and package.info["Archive-Record-Count"] == "3"
    # one XML record per file; user text escaped; ID numbers masked by default
    xml_files = list((path / "data" / "metadata" / "files").rglob("*.xml"))
    assert len(xml_files) == 7
    ns = {"p": bag.NAMESPACE}
    root = ET.parse(next(p for p in xml_files if p.name == "master-1.tif.xml")).getroot()
    assert root.findtext("p:record/p:businessType", None, ns) == '入网协议<b>&"'
    assert root.find("p:capture/p:page/p:dpi", ns).text == "300x300"
    all_text = "".join(p.read_text(encoding="utf-8") for p in (path / "data").rglob("*") if p.suffix in (".xml", ".json", ".jsonl"))
    assert ID_NUMBER not in all_text and "<b>" not in all_text
    loans = json.loads((path / "data" / "loans" / "loans.json").read_text(encoding="utf-8"))
    assert [(loan["number"], loan["purpose"], loan["items"][0]["volume"]) for loan in loans["loans"]] == [
        (asked.number, "核对客户投诉", volume.number)]
    assert package.info["Archive-Loan-Count"] == "1"
    forms = json.loads((path / "data" / "handover" / "forms.json").read_text(encoding="utf-8"))
    assert {f["kind"] for f in forms} == {"clerk_hall", "hall_branch"}
    events = [json.loads(line) for line in (path / "data" / "log" / "events.jsonl").read_text().splitlines()]
    assert "record.receive" in {e["action"] for e in events}
    export = AuditEvent.objects.get(action="archive.package_export")
    assert export.actor_name == "archivist" and export.details["files"] == 7

    # the round trip: export then check matches counts and hashes
    code, out = run_command("import_package", str(path), "--check")
    assert code == 0 and "信息包校验通过" in out and "与系统中的卷一致" in out
    result = bag.check(path)
    assert (result.ok, result.files, result.records) == (True, 7, 3)


def test_a_bag_with_a_changed_file_fails(org_demo, users, tmp_path):
    volume, _ = bound_volume(users, n=2)
    written = bag.export(volume, tmp_path, actor_name="test")
    master = next((written.path / "data" / "files").rglob("master-1.tif"))
    data = bytearray(master.read_bytes())
    data[-1] ^= 0xFF
    master.write_bytes(bytes(data))
    assert not bagit.Bag(str(written.path)).is_valid()
    code, out = run_command("import_package", str(written.path), "--check")
    relative = master.relative_to(written.path).as_posix()
    assert code == 1 and "信息包校验未通过" in out
    assert f"清单校验失败：{relative}" in out
    assert "SHA-256 与元数据记录不符" in out


def test_a_changed_master_blocks_the_handover_and_says_why(org_demo, users):
    volume, records = bound_volume(users, n=2)
    key = records[1].scans.get().master.name
    target = Path(customer_files().path(key))
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of the stored master
    target.write_bytes(bytes(data))
    with pytest.raises(ChainError) as refused:
        give(users, volume)
    message = str(refused.value)
    assert "四性检测未通过" in message and "真实性" in message and "保存版内容已变更" in message
    assert f"{volume.number}-02" in message  # the file's 档号
    assert not HandoverForm.objects.filter(kind="hall_branch").exists()
    assert AuditEvent.objects.filter(action="integrity.dat70_refused").count() == 1
    code, out = run_command("dat70_check", volume.number)
    assert code == 1 and "保存版内容已变更" in out


def test_missing_metadata_and_a_broken_sequence_block_the_handover(org_demo, users):
    volume, records = bound_volume(users, n=2)
    Record.objects.filter(pk=records[0].pk).update(business_type="")
    volume.items.filter(position=2).update(position=3)
    with pytest.raises(ChainError) as refused:
        give(users, volume)
    message = str(refused.value)
    assert "完整性" in message and "缺少必填元数据：业务类型" in message and "卷内序号不连续" in message


def test_a_sound_volume_passes_the_check_on_demand(org_demo, users):
    volume, _ = bound_volume(users, n=2)
    code, out = run_command("dat70_check", volume.number)
    assert code == 0 and "四性检测通过" in out
    assert AuditEvent.objects.filter(action="integrity.dat70_check").get().details["passed"] is True


def test_the_volume_page_runs_the_checks_and_the_dashboard_shows_fixity_problems(org_demo, users, client):
    from django.urls import reverse

    volume, records = bound_volume(users, n=2)
    client.force_login(users("archivist"))
    page = client.get(reverse("archive_admin:volume", args=[volume.pk])).content.decode()
    assert 'id="archive-dat70"' in page and "四性检测" in page
    answer = client.post(reverse("archive_admin:volume_dat70", args=[volume.pk]), follow=True).content.decode()
    assert "四性检测通过" in answer
    client.force_login(users("keeper-H11"))  # not theirs to run
    assert 'id="archive-dat70"' not in client.get(reverse("archive_admin:volume", args=[volume.pk])).content.decode()

    key = records[0].scans.get().master.name
    Path(customer_files().path(key)).unlink()
    assert fixity.run().problems
    client.force_login(users("archivist"))
    page = client.get(reverse("archive_admin:dashboard")).content.decode()
    section = page.split('id="archive-integrity"')[1].split("</section>")[0]
    assert "缺失" in section and key in section and records[0].transaction_no in section
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "固定性检查发现问题的存储文件" in home


def test_a_changed_stored_file_is_not_exported(org_demo, users, tmp_path):
    volume, records = bound_volume(users, n=2)
    target = Path(customer_files().path(records[0].access_copy.name))
    target.write_bytes(target.read_bytes() + b"%")
    code, out = run_command("export_volume", volume.number, "--to", str(tmp_path))
    assert code == 1 and "未导出" in out and "access.pdf" in out
    assert list(tmp_path.iterdir()) == []  # nothing half-written is left
    assert not AuditEvent.objects.filter(action="archive.package_export").exists()


def test_bad_input_to_the_package_commands_is_answered_in_words(org_demo, users, tmp_path):
    code, out = run_command("export_volume", "H99-2026-XX-999", "--to", str(tmp_path), "--as", "archivist")
    assert code != 0 and "没有卷 H99-2026-XX-999" in out
    assert not any(tmp_path.iterdir())  # nothing half-written
    code, out = run_command("import_package", str(tmp_path / "missing"), "--check")
    assert code == 1 and "信息包校验未通过" in out
    (tmp_path / "notabag").mkdir()
    (tmp_path / "notabag" / "x.txt").write_text("不是信息包")
    code, out = run_command("import_package", str(tmp_path / "notabag"), "--check")
    assert code == 1 and "信息包校验未通过" in out
