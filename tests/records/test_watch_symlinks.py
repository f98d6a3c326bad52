"""The watched folder takes only regular files that really are in <hall>/<clerk>/: links at any level (file,
clerk folder, hall folder, done/ and failed/), hard links and FIFOs are refused with a reason, also when
swapped in between the listing and the opening; the link's target is never touched."""
import io
import os
import threading

import pytest
from django.core.management import call_command

from records.models import Record
from records.watch import Watcher
from tests.records.test_records_api import small_png


def run_watcher():
    out, err = io.StringIO(), io.StringIO()
    call_command("watch_intake", "--once", "--stable", "0", stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


@pytest.fixture
def intake_dir(tmp_path, settings, org_demo):
    settings.INTAKE_DIR = tmp_path / "intake"
    settings.INTAKE_DIR.mkdir()
    return settings.INTAKE_DIR


@pytest.fixture
def access_copy(tmp_path):
    """Another hall's file outside the intake folder (as an access copy in the media folder)."""
    path = tmp_path / "media" / "access" / "H12" / "1.png"
    path.parent.mkdir(parents=True)
    path.write_bytes(small_png("另一营业厅的客户资料"))
    return path


def clerk_folder(root, hall="H11", clerk="clerk-H11"):
    folder = root / hall / clerk
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def reason(folder, name):
    return (folder / "failed" / f"{name}.reason.txt").read_text(encoding="utf-8")


def assert_no_record_in(hall_code):
    assert not Record.objects.filter(hall__code=hall_code).exists()


def test_a_link_to_another_halls_file_is_refused_and_its_target_kept(intake_dir, access_copy):
    folder = clerk_folder(intake_dir)
    (folder / "stolen.png").symlink_to(access_copy)
    out = run_watcher()
    assert_no_record_in("H11")
    assert os.path.islink(folder / "failed" / "stolen.png")  # the link itself moved aside, not what it names
    assert "链接" in reason(folder, "stolen.png") and "stolen.png" in out
    assert access_copy.read_bytes() == small_png("另一营业厅的客户资料")


def test_a_relative_link_into_another_halls_intake_folder_is_refused(intake_dir):
    mine, theirs = clerk_folder(intake_dir), clerk_folder(intake_dir, "H12", "clerk-H12")
    (theirs / "x.png").write_bytes(small_png("H12 的资料"))
    (mine / "x.png").symlink_to("../../H12/clerk-H12/x.png")
    run_watcher()
    assert_no_record_in("H11")
    assert Record.objects.get().hall.code == "H12"  # their own file is still theirs
    assert (theirs / "done" / "x.png").read_bytes() == small_png("H12 的资料")
    assert "链接" in reason(mine, "x.png")


def test_a_clerk_folder_that_is_a_link_is_refused(intake_dir):
    theirs = clerk_folder(intake_dir, "H12", "clerk-H12")
    (theirs / "scan.png").write_bytes(small_png("H12 的资料"))
    (intake_dir / "H11").mkdir()
    (intake_dir / "H11" / "clerk-H11").symlink_to("../H12/clerk-H12", target_is_directory=True)
    out = run_watcher()
    assert_no_record_in("H11")
    assert os.path.islink(intake_dir / "H11" / "failed" / "clerk-H11")
    assert "链接" in (intake_dir / "H11" / "failed" / "clerk-H11.reason.txt").read_text(encoding="utf-8")
    assert "H11/clerk-H11" in out


def test_a_hall_folder_that_is_a_link_is_refused(intake_dir, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "clerk-H11").mkdir(parents=True)
    (elsewhere / "clerk-H11" / "scan.png").write_bytes(small_png("别处的资料"))
    (intake_dir / "H11").symlink_to(elsewhere, target_is_directory=True)
    run_watcher()
    assert_no_record_in("H11")
    assert os.path.islink(intake_dir / "failed" / "H11")
    assert "链接" in (intake_dir / "failed" / "H11.reason.txt").read_text(encoding="utf-8")
    assert (elsewhere / "clerk-H11" / "scan.png").read_bytes() == small_png("别处的资料")


def test_a_hard_link_to_a_file_elsewhere_is_refused(intake_dir, access_copy):
    folder = clerk_folder(intake_dir)
    os.link(access_copy, folder / "copy.png")
    run_watcher()
    assert_no_record_in("H11")
    assert "硬链接" in reason(folder, "copy.png") and access_copy.exists()


def test_a_fifo_is_refused_without_blocking(intake_dir):
    folder = clerk_folder(intake_dir)
    os.mkfifo(folder / "pipe.png")
    (folder / "good.png").write_bytes(small_png())
    run_watcher()
    assert Record.objects.get().hall.code == "H11"  # the good file beside it is taken
    assert "普通文件" in reason(folder, "pipe.png")


def _take_within(watcher, path, hall, clerk, unblock):
    """watcher.take() (in this thread: it uses the test database); a take still running after 30 s is
    released by `unblock` from a watchdog thread and fails the test."""
    done, fired = threading.Event(), threading.Event()

    def watchdog():
        if not done.wait(timeout=30):
            fired.set()
            unblock()

    guard = threading.Thread(target=watchdog)
    guard.start()
    try:
        record = watcher.take(path, hall, clerk)
    finally:
        done.set()
        guard.join()
    assert not fired.is_set(), "take() blocked on the file"
    return record


def test_files_swapped_after_the_listing_are_refused(intake_dir, access_copy):
    """take() runs after the listing: a file replaced meanwhile by a link or a FIFO, or a clerk folder
    replaced by a link, is refused when it is opened."""
    lines = []
    watcher = Watcher(intake_dir, stable=0, log=lines.append, log_error=lines.append)
    folder = clerk_folder(intake_dir)
    (folder / "a.png").symlink_to(access_copy)  # was a regular file when listed
    assert _take_within(watcher, folder / "a.png", "H11", "clerk-H11", lambda: None) is None
    os.mkfifo(folder / "b.png")

    def unblock():
        with open(folder / "b.png", "wb"):
            pass

    assert _take_within(watcher, folder / "b.png", "H11", "clerk-H11", unblock) is None
    theirs = clerk_folder(intake_dir, "H12", "clerk-H12")
    (theirs / "c.png").write_bytes(small_png("H12 的资料"))
    (intake_dir / "H11" / "clerk-H11").rename(intake_dir / "H11" / "old")
    (intake_dir / "H11" / "clerk-H11").symlink_to("../H12/clerk-H12", target_is_directory=True)
    assert _take_within(watcher, folder / "c.png", "H11", "clerk-H11", lambda: None) is None
    assert_no_record_in("H11")
    assert access_copy.exists() and (theirs / "c.png").exists()
    assert all(line.startswith("未接收") for line in lines) and len(lines) == 3


def test_a_done_folder_that_is_a_link_does_not_carry_files_elsewhere(intake_dir):
    mine, theirs = clerk_folder(intake_dir), clerk_folder(intake_dir, "H12", "clerk-H12")
    (mine / "done").symlink_to("../../H12/clerk-H12", target_is_directory=True)
    (mine / "failed").symlink_to("../../H12/clerk-H12", target_is_directory=True)
    (mine / "good.png").write_bytes(small_png())
    (mine / "empty.png").write_bytes(b"")
    out = run_watcher()
    assert "出错" not in out  # one pass: the links are moved aside before the folders are needed
    assert list(theirs.iterdir()) == []  # nothing landed in the other hall's folder
    assert Record.objects.get().hall.code == "H11"
    assert (mine / "done" / "good.png").is_file() and not os.path.islink(mine / "done")
    assert (mine / "failed" / "empty.png").is_file() and not os.path.islink(mine / "failed")


def test_a_planted_reason_file_link_is_not_written_through(intake_dir, tmp_path):
    folder = clerk_folder(intake_dir)
    (folder / "failed").mkdir()
    planted = tmp_path / "planted.txt"
    (folder / "failed" / "empty.png.reason.txt").symlink_to(planted)  # dangling: exists() says no
    (folder / "empty.png").write_bytes(b"")
    run_watcher()
    assert not planted.exists()
    assert (folder / "failed" / "empty-1.png.reason.txt").is_file()
