"""`manage.py sweep_orphans`: remove the customer-file objects no row refers to (records/orphans.py); the
worker runs the same sweep every RECORDS_ORPHAN_SWEEP_SECONDS."""
import json

from django.core.management.base import BaseCommand

from records import orphans


class Command(BaseCommand):
    help = ("Remove objects of the customer-file storage that no row refers to and that are older than "
            "RECORDS_ORPHAN_GRACE_SECONDS (left by a crash between an upload and its row).")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only name them")
        parser.add_argument("--json", action="store_true", help="answer in JSON")

    def handle(self, *args, **options):
        result = orphans.sweep(dry_run=options["dry_run"], actor_name="manage.py sweep_orphans")
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
            return
        for name in result.removed:
            self.stdout.write(name)
        verb = "可删除" if result.dry_run else "已删除"
        self.stdout.write(f"{verb} {len(result.removed)} 个无记录引用的客户文件对象（共检查 {result.checked} 个，"
                          f"其中 {result.referenced} 个有引用、{result.fresh} 个未满宽限期 "
                          f"{orphans.grace_seconds():g} 秒，均保留）")
