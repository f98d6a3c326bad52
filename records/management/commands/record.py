"""`record show ID` and `record list`: a customer file from the shell.

Without --as the ID number is masked. With --as USERNAME the user's scope applies and the full number is
shown only if that user may see it, which is written to the event log like any other full view.
"""
import datetime
import json

from django.core.management.base import BaseCommand, CommandError

from org.cli import acting_user
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from org import access, pii
from org.models import AuditEvent, Hall
from records.models import Record

COLUMNS = ["id", "hall", "clerk", "transaction_no", "business_date", "business_type", "category", "customer_name",
           "service_number", "id_type", "id_number", "status", "channel", "page_count", "ocr_error", "ocr_attempts",
           "access_copy", "created_at"]


def _label(name):
    return str(Record._meta.get_field(name).verbose_name) if name != "id" else "ID"


def _text(name, value):
    """A column's value for people: choices by their name (with the stored value), '—' for empty."""
    if value in (None, ""):
        return "—"
    if isinstance(value, datetime.datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    choices = dict(Record._meta.get_field(name).choices or ()) if name != "id" else {}
    return f"{choices[value]}（{value}）" if value in choices else value



class Command(BaseCommand):
    help = "Show one customer file (record show ID) or list customer files (record list)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="sub", required=True, metavar="{show,list}")
        show = sub.add_parser("show", help="one customer file with key fields, page checks and history")
        show.add_argument("record_id", type=int, metavar="ID")
        lst = sub.add_parser("list", help="one line per customer file")
        lst.add_argument("--hall", help="hall code")
        lst.add_argument("--status", help="one of: " + ", ".join(Record.Status.values))
        for p in (show, lst):
            p.add_argument("--json", action="store_true", help="machine-readable output")
            p.add_argument("--as", dest="as_user", metavar="USERNAME",
                           help="act as this user: their scope, and the full ID number only if their role allows")

    def handle(self, *args, **options):
        self.actor = self._actor(options["as_user"])
        records = Record.objects.select_related("hall", "clerk")
        if self.actor is not None:
            records = access.visible(self.actor, records, "record.view")
        if options["sub"] == "show":
            return self.show(records, options["record_id"], options["json"])
        return self.list_records(records, options)

    def _actor(self, username):
        return acting_user(username)

    def _out(self, data):
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, cls=DjangoJSONEncoder))

    # --- show -------------------------------------------------------------------------------------

    def show(self, records, pk, as_json):
        record = records.filter(pk=pk).first()
        if record is None:
            if self.actor is not None:
                raise CommandError(f"客户资料 #{pk} 不存在或不在 {self.actor.username} 的权限范围内"
                                   f"（not found or outside your scope）")
            raise CommandError(f"客户资料 #{pk} 不存在（not found）")
        data = self._describe(record)
        if as_json:
            return self._out(data)
        self._print(data)

    def _describe(self, record):
        columns = {name: getattr(record, name) for name in COLUMNS}
        columns.update(hall=record.hall.code, clerk=record.clerk.username, access_copy=record.access_copy.name,
                       created_at=timezone.localtime(record.created_at),
                       id_number=pii.reveal(self.actor, record, purpose="cli") if self.actor
                       else record.id_number_masked)
        events = AuditEvent.objects.filter(object_type="records.record", object_id=str(record.pk)).order_by("seq")
        return {
            "record": columns,
            "key_fields": record.public_fields(),
            "pages": list(record.pages.order_by("number").values(
                "number", "dpi", "skew", "ink_ratio", "confidence", "warnings", "problems")),
            "scans": list(record.scans.values("original_name", "kind", "size", "sha256", "page_count")),
            "history": [{"seq": e.seq, "at": timezone.localtime(e.created_at), "actor": e.actor_name, "action": e.action,
                         "details": e.details} for e in events],
        }

    def _print(self, data):
        write = self.stdout.write
        for name, value in data["record"].items():
            write(f"{_label(name)}：{_text(name, value)}")
        write("\n识别结果（值 / 置信度 / 问题）：")
        for name, f in data["key_fields"].items():
            confidence = f.get("confidence")
            confidence = f"{confidence:.2f}" if isinstance(confidence, (int, float)) else "—"
            fixed = f"（{f['corrected_by']} 已更正）" if f.get("corrected_by") else ""
            label = _label(name) if name in COLUMNS else name
            write(f"  {label}（{name}）：{f.get('value') or '—'} / {confidence} / {f.get('problem') or '无'}{fixed}")
        write("\n页面检查：")
        for p in data["pages"]:
            write(f"  第 {p['number']} 页：{p['dpi'] or '?'} dpi，倾斜 {p['skew']:.1f}°，置信度 "
                  f"{p['confidence'] if p['confidence'] is not None else '—'}，"
                  f"问题 {'；'.join(p['problems']) or '无'}，提示 {'；'.join(p['warnings']) or '无'}")
        write("\n历史：")
        for e in data["history"]:
            write(f"  {e['seq']}\t{e['at']:%Y-%m-%d %H:%M:%S}\t{e['actor'] or '—'}\t{e['action']}\t"
                  f"{json.dumps(e['details'], ensure_ascii=False)}")

    # --- list -------------------------------------------------------------------------------------

    def list_records(self, records, options):
        if options["hall"]:
            if not Hall.objects.filter(code=options["hall"]).exists():
                raise CommandError(f"没有营业厅 {options['hall']}")
            records = records.filter(hall__code=options["hall"])
        if options["status"]:
            if options["status"] not in Record.Status.values:
                raise CommandError(f"无效的状态 {options['status']}；可用：{', '.join(Record.Status.values)}")
            records = records.filter(status=options["status"])
        rows = [{"id": r.pk, "hall": r.hall.code, "status": r.status, "transaction_no": r.transaction_no or "",
                 "pages": r.page_count, "flagged": r.flagged_fields} for r in records.iterator()]
        if options["json"]:
            return self._out(rows)
        for row in rows:
            self.stdout.write(f"{row['id']}\t{row['hall']}\t{row['status']}\t{row['transaction_no'] or '—'}\t"
                              f"{row['pages']} 页\t" + ("需核对：" + "、".join(row["flagged"]) if row["flagged"] else ""))
        self.stdout.write(f"共 {len(rows)} 份")
