"""The watched intake folder: INTAKE_DIR/<hall code>/<clerk username>/<files>.

A file is taken once its size and modification time have not changed for `stable` seconds (so a file still
being copied is left alone). It is ingested with the clerk as actor (channel "folder") and moved to done/,
or to failed/ next to a <name>.reason.txt saying why. Names already in done/ or failed/ get a numeric
suffix; nothing is overwritten. Only files directly inside a clerk folder are taken; hidden files and
the done/ and failed/ folders are skipped. A file at the wrong level goes to that level's failed/.
"""
import os
import time
from itertools import count
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.utils import translation

from . import intake
from .models import Record

DONE, FAILED = "done", "failed"
REASON_SUFFIX = ".reason.txt"
LANGUAGE = "zh-hans"  # reason files are read by hall staff


def _entries(folder):
    try:
        return sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    except FileNotFoundError:
        return []


def _free_name(folder, name):
    path = Path(name)
    for n in count():
        candidate = folder / (name if n == 0 else f"{path.stem}-{n}{path.suffix}")
        if not candidate.exists() and not candidate.with_name(candidate.name + REASON_SUFFIX).exists():
            yield candidate


def move_aside(path, folder_name, reason=None):
    """Move `path` into its folder's done/ or failed/ without overwriting; write the reason beside it."""
    folder = path.parent / folder_name
    folder.mkdir(exist_ok=True)
    for target in _free_name(folder, path.name):
        try:
            os.link(path, target)  # fails if the target exists, unlike rename
        except FileExistsError:
            continue
        except OSError:  # no hard links on this file system
            if target.exists():
                continue
            path.rename(target)
        else:
            path.unlink()
        break
    if reason is not None:
        target.with_name(target.name + REASON_SUFFIX).write_text(reason + "\n", encoding="utf-8")
    return target


class Watcher:
    def __init__(self, root, stable=2.0, log=print, log_error=print, clock=time.monotonic):
        self.root = Path(root)
        self.stable = stable
        self.log = log
        self.log_error = log_error
        self.clock = clock
        self.seen = {}  # path → ((size, mtime), first time seen with that size and mtime)

    def candidates(self):
        """(path, hall code, clerk username) of every file in the tree; None for a misplaced level."""
        for hall_dir in _entries(self.root):
            if hall_dir.is_file():
                yield hall_dir, None, None
                continue
            if hall_dir.name in (DONE, FAILED):
                continue
            for clerk_dir in _entries(hall_dir):
                if clerk_dir.is_file():
                    yield clerk_dir, hall_dir.name, None
                elif clerk_dir.name not in (DONE, FAILED):
                    for path in _entries(clerk_dir):
                        if path.is_file():
                            yield path, hall_dir.name, clerk_dir.name

    def is_stable(self, path):
        try:
            info = path.stat()
        except FileNotFoundError:
            return False
        signature, now = (info.st_size, info.st_mtime_ns), self.clock()
        previous = self.seen.get(path)
        if previous is None or previous[0] != signature:
            self.seen[path] = (signature, now)
            return self.stable <= 0
        return now - previous[1] >= self.stable

    def run_once(self):
        """One pass over the tree; returns (taken, waiting) counts."""
        taken = waiting = 0
        present = set()
        with translation.override(LANGUAGE):
            for path, hall_code, username in list(self.candidates()):
                present.add(path)
                if not self.is_stable(path):
                    waiting += 1
                    continue
                self.seen.pop(path, None)
                try:
                    self.take(path, hall_code, username)
                except Exception as exc:  # a fault of ours or the database's, not of the file: try again later
                    self.log_error(f"出错，稍后重试\t{path.relative_to(self.root)}\t{type(exc).__name__}: {exc}")
                    continue
                taken += 1
        self.seen = {p: v for p, v in self.seen.items() if p in present}
        return taken, waiting

    def take(self, path, hall_code, username):
        shown = path.relative_to(self.root)
        try:
            if username is None:
                raise intake.IntakeError("文件须放在 <营业厅编码>/<营业员用户名>/ 文件夹中")
            hall, clerk = intake.resolve(hall_code, username)
            with open(path, "rb") as fh:
                record = intake.ingest(clerk, hall=hall, clerk=clerk, fileobj=fh, name=path.name,
                                       channel=Record.Channel.FOLDER)
        except (intake.IntakeError, PermissionDenied) as exc:
            reason = getattr(exc, "message", None) or str(exc)
            target = move_aside(path, FAILED, reason)
            self.log(f"未接收\t{shown}\t{reason}\t→ {target.relative_to(self.root)}")
            return None
        target = move_aside(path, DONE)
        self.log(f"已接收\t{shown}\t客户资料 #{record.pk}，{record.page_count} 页\t→ {target.relative_to(self.root)}")
        return record

    def run_until_settled(self):
        """--once: take what is there, waiting out files not yet seen unchanged for `stable` seconds; a file
        that changes meanwhile (still being copied) is left for the next run."""
        taken, waiting = self.run_once()
        while waiting:
            time.sleep(max(self.stable, 0.1))
            more, waiting = self.run_once()
            taken += more
            if not more:
                break
        return taken, waiting
