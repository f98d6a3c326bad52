"""verify_audit_log: the hash chain and every anchor outside the database (org/anchors.py)."""
import json

from django.core.management.base import BaseCommand, CommandError

from org import anchors, auditlog


class Command(BaseCommand):
    help = ("Walk the event log's hash chain and compare it with every anchor (local file, S3); exit non-zero "
            "naming the first row that was changed, removed or rewritten, and the anchor that shows it.")

    def add_arguments(self, parser):
        parser.add_argument("--background", action="store_true",
                            help="queue the check for the task worker instead of running it here")
        parser.add_argument("--json", action="store_true", help="print the outcome as one JSON object")

    def handle(self, *args, **options):
        if options["background"]:
            from org.tasks import verify_event_log

            result = verify_event_log.enqueue()
            self.stdout.write(f"已排队 / queued: task {result.id}")
            return
        try:
            report = anchors.verify()
        except auditlog.ChainBroken as broken:
            self._fail(options, {"status": "broken", "seq": broken.seq, "reason": broken.reason,
                                 "anchor": broken.source},
                       f"事件日志校验失败 / event log broken at row #{broken.seq}: {broken.reason}")
        except anchors.AnchorsUnavailable as exc:
            self._fail(options, {"status": "unavailable", "reason": str(exc)},
                       f"事件日志无法核对锚点 / cannot check the event log against its anchors: {exc}")
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False))
            return
        for warning in report["warnings"]:
            self.stdout.write(self.style.WARNING(f"警告 / warning: {warning}"))
        if report["status"] == "unanchored":
            self.stdout.write(f"哈希链一致但未经锚点核对 / hash chain consistent, NOT checked against "
                              f"anchors: {report['rows']} rows")
            return
        stores = ", ".join(f"{s['store']} ({s['anchors']}{'' if s['write_once'] else ', not write-once'})"
                           for s in report["stores"])
        self.stdout.write(f"事件日志完整 / event log intact: {report['rows']} rows, matches {report['anchors']} "
                          f"anchors in {stores}")

    def _fail(self, options, data, line):
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False))
        raise CommandError(line)
