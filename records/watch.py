"""The watched intake folder: INTAKE_DIR/<hall code>/<clerk username>/<files>.

A file is taken once its size and modification time have not changed for `stable` seconds (so a file still
being copied is left alone). It is ingested with the clerk as actor (channel "folder") and moved to done/,
or to failed/ next to a <name>.reason.txt saying why. Names already in done/ or failed/ get a numeric
suffix; nothing is overwritten. Only files directly inside a clerk folder are taken; hidden files and
the done/ and failed/ folders are skipped. A file at the wrong level goes to that level's failed/.

Only what really is in the hall's folder is taken: a link (a file, a clerk or hall folder, done/ or failed/),
a FIFO, device or socket, and a file with another name (hard link) go to failed/ with the reason, the link
itself moved, what it points to untouched. Every path is walked with records.nofollow, so a link swapped in
after the listing is refused when the file is opened.

A file that cannot be read is refused by records.intake like any other bad file. An unexpected error (the
database or storage down, a fault of ours) is logged and the file tried again on later passes; a file that
still fails after `give_up` seconds goes to failed/ with a reason, so it is never retried forever.
"""
import os
import time
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import translation
from django.utils.translation import gettext as _

from . import intake, nofollow
from .models import Record

DONE, FAILED = "done", "failed"
REASON_SUFFIX = ".reason.txt"
LANGUAGE = "zh-hans"  # reason files are read by hall staff
NOT_A_FOLDER = ".not-a-folder"  # a link or file named done/failed is renamed so before it is moved aside


def _reason(kind):
    return {nofollow.LINK: _("Links (shortcuts) are not taken: folders must be real folders and files the "
                             "scans themselves."),
            nofollow.SPECIAL: _("Not a regular file (a pipe, device or socket): not taken."),
            "hardlink": _("The file has another name elsewhere (a hard link): put a copy of the scan here."),
            "place": _("The folder changed while the file was being read: it is looked at again next time."),
            "reserved": _("done and failed are the names of the watcher's folders: a file or link of that name "
                          "is not taken."),
            "gave_up": _("The file could not be received because of a system error (recorded in the service "
                         "log), tried again for %(minutes)d minutes. Tell the administrator; when it is fixed, "
                         "put the file back in the clerk's folder.")}[kind]


def move_aside(path, folder_name, reason=None, root=None):
    """Move `path` into its folder's done/ or failed/ without overwriting and without following a link
    anywhere below `root` (default: the file's own folder); write the reason beside it."""
    path = Path(path)
    root = Path(root) if root is not None else path.parent
    parts = path.relative_to(root).parts
    parent = nofollow.open_dir(root, parts[:-1])
    try:
        name = parts[-1]
        if name in (DONE, FAILED):  # standing where our folder belongs: free the name first
            name = nofollow.move(name, parent, parent, new_name=name + NOT_A_FOLDER)
        folder = nofollow.own_folder(folder_name, parent)
        try:
            target = nofollow.move(name, parent, folder, also=(REASON_SUFFIX,))
            if reason is not None:
                nofollow.write_new(target + REASON_SUFFIX, folder, reason + "\n")
        finally:
            os.close(folder)
    finally:
        os.close(parent)
    return path.parent / folder_name / target


class Watcher:
    def __init__(self, root, stable=2.0, log=print, log_error=print, clock=time.monotonic, give_up=None):
        self.root = Path(root)
        self.stable = stable
        self.log = log
        self.log_error = log_error
        self.clock = clock
        self.seen = {}  # path → ((size, mtime), first time seen with that size and mtime)
        self.give_up = give_up if give_up is not None else getattr(settings, "INTAKE_GIVE_UP_SECONDS", 600)
        self.failing = {}  # path → first time an unexpected error stopped it

    def _listing(self, parts):
        """(name, kind) of the folder root/parts, hidden entries left out; [] if it cannot be read now."""
        try:
            fd = nofollow.open_dir(self.root, parts)
        except FileNotFoundError:
            return []
        except (nofollow.Refused, OSError) as exc:  # became a link since it was listed, or unreadable
            self.log_error(f"出错，稍后重试\t{'/'.join(parts)}\t{type(exc).__name__}: {exc}")
            return []
        try:
            found = [(name, kind) for name, kind in nofollow.entries(fd) if not name.startswith(".")]
        finally:
            os.close(fd)
        # a link or file named failed/ or done/ is moved aside before anything needs those folders
        return sorted(found, key=lambda entry: ({FAILED: 0, DONE: 1}.get(entry[0], 2), entry))

    def candidates(self):
        """(path, hall code, clerk username, refusal) of every entry in the tree: a file to take (refusal None;
        username None for a misplaced level), or an entry refused on sight (a link, a special file...)."""
        for hall, kind in self._listing(()):
            if kind == nofollow.FOLDER:
                if hall not in (DONE, FAILED):
                    yield from self._clerk_level(hall)
                continue
            yield self.root / hall, None, None, self._refusal(hall, kind)

    def _clerk_level(self, hall):
        for clerk, kind in self._listing((hall,)):
            if kind != nofollow.FOLDER:
                yield self.root / hall / clerk, hall, None, self._refusal(clerk, kind)
            elif clerk not in (DONE, FAILED):
                for name, kind in self._listing((hall, clerk)):
                    if kind != nofollow.FOLDER:  # sub-folders (done/, failed/ among them) are left alone
                        yield self.root / hall / clerk / name, hall, clerk, self._refusal(name, kind)

    @staticmethod
    def _refusal(name, kind):
        if kind in (nofollow.LINK, nofollow.SPECIAL):
            return kind
        return "reserved" if name in (DONE, FAILED) else None

    def is_stable(self, path):
        try:
            info = os.lstat(path)
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
        for path, hall_code, username, refusal in list(self.candidates()):
            present.add(path)
            if refusal not in (nofollow.LINK, nofollow.SPECIAL) and not self.is_stable(path):  # nothing to copy
                waiting += 1
                continue
            self.seen.pop(path, None)
            try:
                self.take(path, hall_code, username, refusal)
            except Exception as exc:  # a fault of ours or the database's, not of the file: try again later
                self.log_error(f"出错，稍后重试\t{path.relative_to(self.root)}\t{type(exc).__name__}: {exc}")
                self._maybe_give_up(path)
                continue
            self.failing.pop(path, None)
            taken += 1
        self.seen = {p: v for p, v in self.seen.items() if p in present}
        self.failing = {p: v for p, v in self.failing.items() if p in present}
        return taken, waiting

    def _maybe_give_up(self, path):
        """After `give_up` seconds of unexpected errors the file goes to failed/ with a reason."""
        first = self.failing.setdefault(path, self.clock())
        if self.clock() - first < self.give_up:
            return
        with translation.override(LANGUAGE):
            reason = _reason("gave_up") % {"minutes": max(1, round(self.give_up / 60))}
        try:
            target = move_aside(path, FAILED, reason, root=self.root)
        except Exception as exc:  # the file went away, or its folder cannot be written: next pass
            self.log_error(f"出错，稍后重试\t{path.relative_to(self.root)}\t{type(exc).__name__}: {exc}")
            return
        self.failing.pop(path, None)
        self.log(f"未接收\t{path.relative_to(self.root)}\t{reason}\t→ {target.relative_to(self.root)}")

    def take(self, path, hall_code, username, refusal=None):
        """Ingest the file at `path` (opened without following any link), or move it to failed/ with the
        reason it is refused; a refused entry whose folder has itself become a link is only reported."""
        with translation.override(LANGUAGE):
            return self._take(path, hall_code, username, refusal)

    def _take(self, path, hall_code, username, refusal):
        shown = path.relative_to(self.root)
        try:
            if refusal:
                raise nofollow.Refused(refusal, path.name)
            if username is None:
                raise intake.IntakeError("文件须放在 <营业厅编码>/<营业员用户名>/ 文件夹中")
            hall, clerk = intake.resolve(hall_code, username)
            with nofollow.open_file(self.root, shown.parts) as fh:
                record = intake.ingest(clerk, hall=hall, clerk=clerk, fileobj=fh, name=path.name,
                                       channel=Record.Channel.FOLDER)
        except (intake.IntakeError, PermissionDenied, nofollow.Refused) as exc:
            reason = _reason(exc.kind) if isinstance(exc, nofollow.Refused) else (
                getattr(exc, "message", None) or str(exc))
            try:
                target = move_aside(path, FAILED, reason, root=self.root)
            except nofollow.Refused:  # its own folder is a link now: that link is refused on the next pass
                self.log(f"未接收\t{shown}\t{reason}")
                return None
            self.log(f"未接收\t{shown}\t{reason}\t→ {target.relative_to(self.root)}")
            return None
        target = move_aside(path, DONE, root=self.root)
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
