"""retention due | hold add | hold release | purge: the shell's side of archive/retention.py, holds.py and
destruction.py. Every step asks org.access for the --as user and writes the event log."""
import datetime
import json

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from org.cli import acting_user

from archive import destruction, holds, retention
from archive.base import ChainError
from archive.models import DestructionList, Hold, Volume
from org.models import Hall
from records.models import Record


def _day(text):
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"日期应为 YYYY-MM-DD：{text}") from None


class Command(BaseCommand):
    help = "Retention: list due files, place and release holds, finish a destruction's storage deletion."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="command", required=True)
        due = sub.add_parser("due", help="files that may be appraised on a day (held files are not listed)")
        due.add_argument("--on", type=_day, help="the day (default today)")
        due.add_argument("--hall", help="only this hall (code)")
        due.add_argument("--json", action="store_true")
        due.add_argument("--as", dest="as_user", help="in this user's scope (default: everything)")
        hold = sub.add_parser("hold").add_subparsers(dest="hold_command", required=True)
        add = hold.add_parser("add", help="place a hold; prints its id")
        target = add.add_mutually_exclusive_group(required=True)
        target.add_argument("--record", type=int)
        target.add_argument("--volume")
        target.add_argument("--customer-id", dest="customer_id")
        add.add_argument("--reason", required=True)
        add.add_argument("--as", dest="as_user", required=True)
        release = hold.add_parser("release", help="release a hold, with a reason")
        release.add_argument("hold", type=int)
        release.add_argument("--reason", required=True)
        release.add_argument("--as", dest="as_user", required=True)
        purge = sub.add_parser("purge", help="delete the storage objects a destruction left to delete")
        purge.add_argument("list", help="the list's number (XH-...)")
        purge.add_argument("--as", dest="as_user", required=True)

    def _user(self, name):
        return acting_user(name)

    def handle(self, *args, **options):
        try:
            if options["command"] == "due":
                return self.due(options)
            if options["command"] == "purge":
                lst = DestructionList.objects.filter(number=options["list"]).first()
                if lst is None:
                    raise CommandError(f"没有销毁清册 {options['list']}")
                actor = self._user(options["as_user"])
                if not destruction.access.can(actor, "destruction.execute", lst):
                    raise CommandError("无权执行销毁")
                lst = destruction.purge_storage(lst, actor)
                self.stdout.write(f"{lst.number}：存储对象已全部删除")
                return
            actor = self._user(options["as_user"])
            if options["hold_command"] == "add":
                return self.hold_add(actor, options)
            hold = Hold.objects.filter(pk=options["hold"]).first()
            if hold is None:
                raise CommandError(f"没有冻结 {options['hold']}")
            holds.Release(actor, hold, options["reason"]).run()
            self.stdout.write(f"冻结 {hold.pk} 已解除")
        except (ChainError, PermissionDenied) as error:
            raise CommandError(str(error) or "无权操作") from None

    def hold_add(self, actor, options):
        record = volume = None
        if options["record"] is not None:
            record = Record.objects.filter(pk=options["record"]).first()
            if record is None:
                raise CommandError(f"没有客户资料 {options['record']}")
        if options["volume"]:
            volume = Volume.objects.filter(number=options["volume"]).first()
            if volume is None:
                raise CommandError(f"没有卷 {options['volume']}")
        hold = holds.Place(actor, options["reason"], record=record, volume=volume,
                           id_number=options["customer_id"]).run()
        self.stdout.write(str(hold.pk))

    def due(self, options):
        from django.utils import timezone

        actor = self._user(options["as_user"]) if options["as_user"] else None
        hall = None
        if options["hall"]:
            hall = Hall.objects.filter(code=options["hall"]).first()
            if hall is None:
                raise CommandError(f"没有营业厅 {options['hall']}")
        on = options["on"] or timezone.localdate()
        found = retention.due_files(actor or _System(), on, hall)
        if options["json"]:
            self.stdout.write(json.dumps([{
                "record": d.record.pk, "eligible_on": d.eligible_on.isoformat(),
                "transaction_no": d.record.transaction_no, "hall": d.record.hall.code,
                "category": d.record.category, "business_date": d.record.business_date.isoformat(),
                "service_end": d.service_end.isoformat(), "rule": d.rule.label, "volume": d.volume_number,
            } for d in found], ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{on} 可鉴定销毁的客户资料：{len(found)} 份")
        for d in found:
            self.stdout.write(f"  #{d.record.pk} {d.record.transaction_no or ''} {d.record.hall.code} "
                              f"到期 {d.eligible_on}（{d.rule.label}）{d.volume_number}")


class _System:
    """The shell without --as: everything, like a superuser (access.visible answers Q())."""

    is_authenticated = True
    is_active = True
    is_superuser = True
    pk = None
