"""`manage.py ingest`: files or folders of scans into records. A folder goes on past a bad file (refused
with its reason, or an unexpected error logged) and ends with a summary; the exit status is non-zero when
any file was not received."""
import logging
import os
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from records import batch, intake
from records.models import Category, Page, Record

log = logging.getLogger(__name__)
SYSTEM_ERROR = "接收时出现系统错误（详情已记入日志），请稍后重试；如仍失败请联系管理员"


def _files(paths, refused):
    """The regular files under `paths`. Inside a folder, links and special files are refused (appended
    to `refused`), never followed: as in the watched folder, a link could bring in another hall's file."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = []
            for top, dirs, names in os.walk(path, followlinks=False):
                for name in sorted(dirs + names):
                    entry = Path(top) / name
                    if name.startswith("."):
                        continue
                    if entry.is_symlink():
                        refused.append((entry, "是链接（符号链接），不接收"))
                    elif name in names and not entry.is_file():
                        refused.append((entry, "不是普通文件，不接收"))
                    elif name in names:
                        found.append(entry)
            yield from sorted(found)
        elif path.is_file():
            yield path
        else:
            raise CommandError(f"找不到文件或文件夹：{raw}")


class Command(BaseCommand):
    help = "Ingest scanned customer files (PDF, TIFF, JPEG, PNG); one record per file; OCR runs in the worker."
    requires_system_checks = []  # a scanner script calls this often: start fast

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--hall", required=True)
        parser.add_argument("--clerk", required=True, help="username of the clerk whose files these are")
        parser.add_argument("--category", choices=[c.value for c in Category])
        parser.add_argument("--split", action="store_true",
                            help="a PATH is a batch scan: split it into customer files at the separator sheets")
        parser.add_argument("--wait", action="store_true", help="show progress until OCR has finished")

    def handle(self, *args, **options):
        try:
            hall, clerk = intake.resolve(options["hall"], options["clerk"])
        except intake.IntakeError as error:
            raise CommandError(error.message) from None
        created, failed, refused = [], 0, []
        for path in _files(options["paths"], refused):
            try:
                result = self._ingest(path, hall, clerk, options)
            except intake.IntakeError as error:
                failed += 1
                self.stderr.write(f"未接收 {path}: {error.message}")
                continue
            except Exception:  # a fault of ours or of a service, not of the file: the next file is tried
                log.exception("ingest of %s failed", path)
                failed += 1
                self.stderr.write(f"未接收 {path}: {SYSTEM_ERROR}")
                continue
            for record in result.records:
                created.append(record.pk)
                self.stdout.write(f"{record.pk}\t{path}\t{record.page_count} 页")
            for part, message, _existing in result.refused:
                failed += 1
                self.stderr.write(f"未接收 {path} 的 {part}: {message}")
        for path, message in refused:
            failed += 1
            self.stderr.write(f"未接收 {path}: {message}")
        if options["wait"] and created:
            self._wait(created)
        self.stderr.write(f"已接收 {len(created)} 份，未接收 {failed} 个")  # stdout: one line per record
        if failed:
            raise CommandError(f"{failed} 个文件未接收（原因见上）")

    @staticmethod
    def _ingest(path, hall, clerk, options):
        with open(path, "rb") as fh:
            kwargs = {"hall": hall, "clerk": clerk, "fileobj": fh, "name": path.name,
                      "channel": Record.Channel.COMMAND, "category": options["category"] or ""}
            if options["split"]:
                return batch.ingest_batch(clerk, **kwargs)
            return batch.BatchResult(records=[intake.ingest(clerk, **kwargs)])

    def _wait(self, ids):
        """Progress bar over all pages until every record has left the OCR queue."""
        total = sum(Record.objects.filter(pk__in=ids).values_list("page_count", flat=True)) or 1
        active = {Record.Status.OCR_QUEUED, Record.Status.OCR_RUNNING, Record.Status.RECEIVED}
        while True:
            records = list(Record.objects.filter(pk__in=ids).only("status", "page_count"))
            finished = [r for r in records if r.status not in active]
            done_pages = Page.objects.filter(record_id__in=ids).count()
            width = 30
            filled = int(width * min(done_pages, total) / total) if len(finished) < len(records) else width
            sys.stdout.write(f"\rOCR [{'#' * filled}{'.' * (width - filled)}] {done_pages}/{total} 页，"
                             f"{len(finished)}/{len(records)} 份完成")
            sys.stdout.flush()
            if len(finished) == len(records):
                break
            time.sleep(1)
        sys.stdout.write("\n")
        for r in Record.objects.filter(pk__in=ids):
            line = f"{r.pk}\t{r.get_status_display()}"
            if r.status == Record.Status.OCR_FAILED:
                line += f"\t{r.ocr_error}"
            elif r.flagged_fields:
                line += "\t需核对：" + "、".join(r.flagged_fields)
            self.stdout.write(line)
