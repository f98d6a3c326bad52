"""import_service_events FILE.csv [--as USER]: the billing system's 销户/过户 events (archive/service_events.py)."""
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from org.cli import acting_user

from archive import service_events
from records.reconcile import ReportError


class Command(BaseCommand):
    help = ("Import service events (header 服务号码,证件号码,事件,事件日期; 事件 is 销户 or 过户; UTF-8 or GB18030). "
            "A file with a bad row is refused whole, naming every bad line.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--as", dest="username", help="act as this user (permission and event log)")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        actor = acting_user(options["username"])
        try:
            batch = service_events.import_events(actor, path.read_bytes(), path.name)
        except PermissionDenied as error:
            raise CommandError(f"未导入：{error}") from None
        except ReportError as error:
            raise CommandError("未导入，未保存任何数据：\n  " + "\n  ".join(error.problems)) from None
        self.stdout.write(f"已导入第 {batch.pk} 批：{batch.row_count} 条服务事件")
