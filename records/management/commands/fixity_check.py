"""`manage.py fixity_check [--due] [--json]`: re-read stored masters, access copies and volume PDFs and compare
them with the SHA-256 recorded when they were stored (records/fixity.py). Without --due every object is read;
with --due the slice the worker's periodic job reads. Exits 1 when an object is missing, changed or
unreadable, naming it."""
import json

from django.core.management.base import BaseCommand, CommandError

from records import fixity


class Command(BaseCommand):
    help = "固定性检查：重新读取存储的保存版、利用版和卷PDF，与入库时记录的 SHA-256 比对；发现问题时退出码为 1。"

    def add_arguments(self, parser):
        parser.add_argument("--due", action="store_true", help="只检查本周期轮到的一批（与后台定时任务相同）")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出")

    def handle(self, *args, **options):
        objects = fixity.due() if options["due"] else None
        report = fixity.run(objects, actor_name="manage.py fixity_check")
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            for line in report.lines():
                self.stdout.write(line)
        if not report.ok:
            raise CommandError(f"固定性检查发现 {len(report.problems)} 个问题", returncode=1)
