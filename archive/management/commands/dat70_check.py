"""`manage.py dat70_check NUMBER... [--json] [--no-read]`: the DA/T 70 四性检测 of volumes on demand
(archive/dat70.py); exits 1 when a volume fails."""
import json

from django.core.management.base import BaseCommand, CommandError

from archive import dat70
from archive.models import Volume
from org import access
from org.cli import acting_user


class Command(BaseCommand):
    help = "对卷做四性检测（真实性、完整性、可用性、安全性）；有不通过的项时退出码为 1。"

    def add_arguments(self, parser):
        parser.add_argument("numbers", nargs="+", help="卷号")
        parser.add_argument("--no-read", action="store_true", help="不重新读取文件，只检查登记信息和日志")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出")
        parser.add_argument("--as", dest="as_user", help="以该用户的权限和名义检测")

    def handle(self, *args, **options):
        actor = acting_user(options["as_user"])
        answer, failed = {}, 0
        for number in options["numbers"]:
            volume = Volume.objects.filter(number=number).first()
            if volume is None:
                raise CommandError(f"没有卷 {number}")
            if actor is not None and not access.can(actor, "integrity.check", volume):
                raise CommandError(f"{actor.username} 无权检测卷 {number}")
            found = dat70.run_on_demand(volume, actor=actor, actor_name="manage.py dat70_check",
                                        read_files=not options["no_read"])
            failed += bool(found)
            answer[number] = dat70.as_dicts(found)
            if not options["json"]:
                self.stdout.write(f"卷 {number}：" + ("四性检测通过" if not found else f"{len(found)} 项不通过"))
                for finding in found:
                    self.stdout.write("  " + finding.line())
        if options["json"]:
            self.stdout.write(json.dumps(answer, ensure_ascii=False))
        if failed:
            raise CommandError(f"{failed} 卷四性检测未通过", returncode=1)
