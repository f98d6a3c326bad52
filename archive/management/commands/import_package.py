"""`manage.py import_package DIR --check`: validate an archival package (a BagIt bag written by export_volume)
against its manifests and the integrity checks, and against the archive when the volume is here."""
import json

from django.core.management.base import BaseCommand, CommandError

from archive import bag


class Command(BaseCommand):
    help = "校验归档信息包：BagIt 清单、每个文件的元数据记录、档号与序号、事件日志哈希链，并与系统中的卷比对。"

    def add_arguments(self, parser):
        parser.add_argument("path", help="信息包目录")
        parser.add_argument("--check", action="store_true", required=True,
                            help="只校验，不导入（目前唯一的方式）")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出")

    def handle(self, *args, **options):
        result = bag.check(options["path"])
        if options["json"]:
            self.stdout.write(json.dumps(bag.as_dict(result), ensure_ascii=False))
        else:
            for line in result.problems:
                self.stdout.write(line)
            if result.ok:
                compared = "，与系统中的卷一致" if result.compared_with_database else ""
                self.stdout.write(f"信息包校验通过：卷 {result.volume}，{result.records} 份文件，"
                                  f"{result.files} 个电子文件，{result.bytes} 字节{compared}")
        if not result.ok:
            raise CommandError(f"信息包校验未通过：{len(result.problems)} 个问题", returncode=1)
