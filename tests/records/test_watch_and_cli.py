"""The watched intake folder and the `record` command."""
import io
import json

import pytest
from django.core.management import CommandError, call_command

from org.models import AuditEvent
from records.models import Record
from records.watch import Watcher, move_aside
from tests.records.test_records_api import small_png

ID = "11010519491231002X"
MASKED = "1101**********002X"


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue()


@pytest.fixture
def intake_dir(tmp_path, settings, org_demo):
    settings.INTAKE_DIR = tmp_path / "intake"
    return settings.INTAKE_DIR


def _drop(root, hall, clerk, name, data):
    folder = root / hall / clerk
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return folder


def test_folder_takes_good_files_and_refuses_bad_ones(intake_dir):
    clerk_dir = _drop(intake_dir, "H11", "clerk-H11", "good.png", small_png())
    _drop(intake_dir, "H11", "clerk-H11", "empty.pdf", b"")
    stranger = _drop(intake_dir, "H11", "nobody", "x.png", small_png("另一份"))
    wrong_hall = _drop(intake_dir, "H12", "clerk-H11", "y.png", small_png("第三份"))
    out = run("watch_intake", "--once", "--stable", "0")

    record = Record.objects.get()
    assert record.channel == Record.Channel.FOLDER and record.hall.code == "H11"
    assert record.status == Record.Status.OCR_QUEUED
    assert AuditEvent.objects.filter(action="record.receive", actor_name="clerk-H11").count() == 1
    assert (clerk_dir / "done" / "good.png").read_bytes() == small_png()
    assert not (clerk_dir / "good.png").exists()

    assert (clerk_dir / "failed" / "empty.pdf").exists() and not (clerk_dir / "empty.pdf").exists()
    assert "empty.pdf" in (clerk_dir / "failed" / "empty.pdf.reason.txt").read_text(encoding="utf-8")
    assert "nobody" in (stranger / "failed" / "x.png.reason.txt").read_text(encoding="utf-8")
    assert "H12" in (wrong_hall / "failed" / "y.png.reason.txt").read_text(encoding="utf-8")
    lines = [line for line in out.splitlines() if line.startswith(("已接收", "未接收"))]
    assert len(lines) == 4 and any(f"#{record.pk}" in line for line in lines)


def test_duplicate_and_name_clash_get_a_suffix(intake_dir):
    clerk_dir = _drop(intake_dir, "H11", "clerk-H11", "a.png", small_png())
    run("watch_intake", "--once", "--stable", "0")
    _drop(intake_dir, "H11", "clerk-H11", "a.png", small_png())  # same content again: a duplicate
    run("watch_intake", "--once", "--stable", "0")
    assert (clerk_dir / "done" / "a.png").exists() and (clerk_dir / "failed" / "a.png").exists()
    _drop(intake_dir, "H11", "clerk-H11", "a.png", small_png())
    run("watch_intake", "--once", "--stable", "0")
    assert (clerk_dir / "failed" / "a-1.png").exists()
    assert "#" in (clerk_dir / "failed" / "a-1.png.reason.txt").read_text(encoding="utf-8")
    assert Record.objects.count() == 1


def test_move_aside_never_overwrites(tmp_path):
    for n in range(3):
        (tmp_path / "scan.tif").write_text(str(n))
        move_aside(tmp_path / "scan.tif", "done")
    assert sorted(p.name for p in (tmp_path / "done").iterdir()) == ["scan-1.tif", "scan-2.tif", "scan.tif"]
    assert (tmp_path / "done" / "scan.tif").read_text() == "0"


def test_a_file_still_growing_is_not_taken(intake_dir):
    clock = [0.0]
    clerk_dir = _drop(intake_dir, "H11", "clerk-H11", "big.png", small_png()[:100])
    watcher = Watcher(intake_dir, stable=2, log=lambda line: None, clock=lambda: clock[0])
    assert watcher.run_once() == (0, 1)  # first sight
    clock[0] = 1.5
    (clerk_dir / "big.png").write_bytes(small_png())  # the copy goes on
    assert watcher.run_once() == (0, 1)
    clock[0] = 3.0
    assert watcher.run_once() == (0, 1)  # unchanged, but only for 1.5 s
    clock[0] = 3.6
    assert watcher.run_once() == (1, 0)
    assert (clerk_dir / "done" / "big.png").exists() and Record.objects.count() == 1


def test_once_waits_out_the_stable_time(intake_dir):
    clerk_dir = _drop(intake_dir, "H11", "clerk-H11", "scan.png", small_png())
    out = run("watch_intake", "--once", "--stable", "0.2")
    assert (clerk_dir / "done" / "scan.png").exists() and "处理 1 个文件" in out


def test_misplaced_file_goes_to_failed(intake_dir):
    (intake_dir / "H11").mkdir(parents=True)
    (intake_dir / "H11" / "loose.png").write_bytes(small_png())
    run("watch_intake", "--once", "--stable", "0")
    assert (intake_dir / "H11" / "failed" / "loose.png.reason.txt").exists()
    assert Record.objects.count() == 0


# --- record show / list ---------------------------------------------------------------------------

@pytest.fixture
def sample(make_record):
    record = make_record("H11", id_number=ID, status=Record.Status.OCR_DONE,
                         fields={"id_number": {"value": MASKED, "confidence": 0.93, "problem": None},
                                 "service_number": {"value": "1380000", "confidence": 0.4,
                                                    "problem": "服务号码应为以1开头的11位手机号码"}})
    record.pages.create(number=1, dpi=300, skew=1.2, confidence=87.0, warnings=[], problems=["空白页"])
    from org import auditlog

    auditlog.record("record.ocr_done", actor_name="worker", obj=record, details={"pages": 1})
    return record


def test_show_masks_without_as(sample):
    out = run("record", "show", str(sample.pk))
    assert MASKED in out and ID not in out
    assert "服务号码（service_number）：1380000 / 0.40 / 服务号码应为" in out
    assert "识别次数：" in out  # every column under its Chinese label
    assert "第 1 页" in out and "空白页" in out and "record.ocr_done" in out
    assert not AuditEvent.objects.filter(action="pii.view_full").exists()


def test_show_json_and_full_number_for_allowed_user(sample):
    data = json.loads(run("record", "show", str(sample.pk), "--json", "--as", "l1-H11"))
    assert data["record"]["id_number"] == ID and data["record"]["status"] == "ocr_done"
    assert data["key_fields"]["id_number"]["value"] == MASKED
    assert data["pages"][0]["problems"] == ["空白页"] and data["pages"][0]["dpi"] == 300
    assert [e["action"] for e in data["history"]] == ["record.ocr_done", "pii.view_full"]  # this view included
    event = AuditEvent.objects.get(action="pii.view_full")
    assert event.actor_name == "l1-H11" and event.object_id == str(sample.pk) and event.details["purpose"] == "cli"
    data = json.loads(run("record", "show", str(sample.pk), "--json", "--as", "clerk-H11"))
    assert data["record"]["id_number"] == MASKED
    assert AuditEvent.objects.filter(action="pii.view_full").count() == 1


def test_show_refuses_missing_or_out_of_scope(sample):
    with pytest.raises(CommandError, match="不存在"):
        run("record", "show", "999999")
    with pytest.raises(CommandError, match="outside your scope"):
        run("record", "show", str(sample.pk), "--as", "clerk-H21")
    with pytest.raises(CommandError, match="nobody"):
        run("record", "show", str(sample.pk), "--as", "nobody")


def test_list_scoped_filtered_and_json(sample, make_record):
    other = make_record("H21")
    out = run("record", "list")
    assert f"{sample.pk}\tH11\tocr_done" in out and f"{other.pk}\tH21" in out and "service_number" in out
    rows = json.loads(run("record", "list", "--json", "--as", "clerk-H11"))
    assert [r["id"] for r in rows] == [sample.pk] and rows[0]["flagged"] == ["service_number"]
    assert json.loads(run("record", "list", "--json", "--hall", "H21", "--as", "clerk-H11")) == []
    rows = json.loads(run("record", "list", "--json", "--status", "received"))
    assert [r["id"] for r in rows] == [other.pk]
    with pytest.raises(CommandError, match="ocr_queued"):
        run("record", "list", "--status", "done")


def test_ingest_folder_refuses_links_inside_it(tmp_path, org_demo, capsys):
    """`ingest FOLDER` takes the regular files and names every link inside the folder as refused, never
    following it (a link to a file elsewhere, a link to a folder elsewhere)."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.png").write_bytes(small_png())
    scans = tmp_path / "scans"
    scans.mkdir()
    (scans / "good.png").write_bytes(small_png())
    (scans / "link.png").symlink_to(outside / "secret.png")
    (scans / "linked-folder").symlink_to(outside, target_is_directory=True)
    with pytest.raises(CommandError, match="2 个文件未接收"):
        call_command("ingest", str(scans), "--hall", "H11", "--clerk", "clerk-H11")
    err = capsys.readouterr().err
    assert "link.png" in err and "linked-folder" in err and "符号链接" in err
    assert Record.objects.count() == 1
    assert (outside / "secret.png").exists()
