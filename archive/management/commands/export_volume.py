"""`manage.py export_volume NUMBER --to DIR`: the volume's archival package, a BagIt bag (archive/bag.py)."""
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from archive import bag
from archive.models import Volume
from org import access
from org.cli import acting_user


class Command(BaseCommand):
    help = "导出卷的归档信息包（BagIt）：保存版、利用版、卷PDF、每个文件的XML元数据、事件日志、交接单和借阅记录。"

    def add_arguments(self, parser):
        parser.add_argument("number", help="卷号")
        parser.add_argument("--to", required=True, help="写入的目录（信息包是其中以卷号命名的子目录）")
        parser.add_argument("--as", dest="as_user", help="以该用户的权限和名义导出（写入事件日志）")
        parser.add_argument("--unmasked-ids", action="store_true",
                            help="写入完整证件号码（仅限有权查看的 --as 用户，每次查看都记入事件日志）")

    def handle(self, *args, **options):
        volume = Volume.objects.filter(number=options["number"]).select_related("hall").first()
        if volume is None:
            raise CommandError(f"没有卷 {options['number']}")
        actor = acting_user(options["as_user"])
        if actor is not None and not access.can(actor, "archive.export", volume):
            raise CommandError(f"{actor.username} 无权导出卷 {volume.number}")
        if options["unmasked_ids"] and actor is None:
            raise CommandError("完整证件号码只能由有权查看的用户导出：请用 --as 指定用户")
        try:
            written = bag.export(volume, options["to"], actor=actor, actor_name="manage.py export_volume",
                                 reveal_ids=options["unmasked_ids"])
        except (bag.PackageError, PermissionDenied) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"已导出卷 {volume.number} 的归档信息包：{written.path}")
        self.stdout.write(f"共 {written.files} 个文件，{written.bytes} 字节"
                          + ("" if written.volume_pdf else "（卷内文件没有利用版，未包含卷PDF）"))
        self.stdout.write(f"借阅记录 {written.loans} 条（loans/loans.json）")
