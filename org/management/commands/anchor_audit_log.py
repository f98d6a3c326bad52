"""anchor_audit_log: write the event log's chain head to the anchor stores now (the worker does it every
AUDIT_ANCHOR_INTERVAL seconds); see org/anchors.py."""
from django.core.management.base import BaseCommand, CommandError

from org import anchors, auditlog


class Command(BaseCommand):
    help = "Write the event log's head (sequence, hash, time) to the anchor stores outside the database."

    def handle(self, *args, **options):
        if not anchors.stores():
            raise CommandError("未配置锚点存储 / no anchor store configured "
                               "(AUDIT_ANCHOR_FILE, AUDIT_ANCHOR_BUCKET)")
        try:
            outcome = anchors.write_anchor()
        except auditlog.ChainBroken as broken:
            raise CommandError(f"未写锚点：事件日志校验失败 / not anchored, event log broken at row "
                               f"#{broken.seq}: {broken.reason}")
        except anchors.AnchorsUnavailable as exc:
            raise CommandError(f"锚点写入失败 / anchor not written: {exc}")
        if not outcome:
            self.stdout.write("事件日志为空，无需锚定 / the event log is empty: nothing to anchor")
        for store, what in outcome.items():
            self.stdout.write(f"{store}: {what}")
