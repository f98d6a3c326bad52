import json
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from org.cli import acting_user

from records import reconcile


class Command(BaseCommand):
    help = ("Import a clerk operation report (CSV in UTF-8 or GBK/GB18030, or Excel .xlsx, from BOSS) and reconcile "
            "it with the customer files (synchronously; the admin screen queues it for the worker). "
            "With --as, only a user who may import reports, and only rows of that user's halls.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--as", dest="username", help="act as this user (scope and event log)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        actor = acting_user(options["username"])
        try:
            with path.open("rb") as fh:
                report = reconcile.import_report(actor, reconcile.read_report(fh), path.name)
        except PermissionDenied as error:
            raise CommandError(f"报表未导入：{error}") from None
        except reconcile.ReportError as error:
            raise CommandError("报表未导入，未保存任何数据：\n  " + "\n  ".join(error.problems)) from None
        result = reconcile.reconcile_report(report, actor)
        summary = {
            "report": report.pk, "rows": report.row_count, "matched": len(result.matched),
            "paper_missing": [r.transaction_no for r in result.paper_missing],
            "no_report_row": [r.transaction_no for r in result.no_report_row],
            "mismatches": [{"transaction_no": rec.transaction_no, "fields": diff,
                            "values": [d.as_dict() for d in diff]} for rec, _, diff in result.mismatches],
        }
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"报表 #{report.pk}：{report.row_count} 行；一致 {summary['matched']}")
        for no in summary["paper_missing"]:
            self.stdout.write(f"  缺纸质资料：{no}")
        for no in summary["no_report_row"]:
            self.stdout.write(f"  报表无此业务：{no}")
        for item in summary["mismatches"]:
            values = "；".join(f"{v['field']} 纸质 {v['paper'] or '—'} ≠ 报表 {v['report'] or '—'}" for v in item["values"])
            self.stdout.write(f"  字段不一致：{item['transaction_no']}：{values}")
