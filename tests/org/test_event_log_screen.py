"""Issue 16, the event log screen in words: actions and object types as Chinese words (one label per event-name
constant of every app's events.py, in org/eventlabels.py), details as readable text with Chinese keys and
personal data still masked, the filters in Chinese; a row about a handover form links to it."""
import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from django.conf import settings

from archive import events as archive_events
from org import auditlog, eventlabels
from org.models import AuditEvent

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")


def _events_modules():
    """Every app's events.py."""
    root = Path(settings.BASE_DIR)
    for info in pkgutil.iter_modules([str(root)]):
        if (root / info.name / "events.py").exists():
            yield importlib.import_module(f"{info.name}.events")


def test_every_event_name_constant_has_chinese_words():
    modules = list(_events_modules())
    assert {m.__name__ for m in modules} >= {"archive.events", "records.events"}
    for module in modules:
        for name, code in vars(module).items():
            if name.isupper() and isinstance(code, str):
                assert code in eventlabels.ACTIONS, f"{module.__name__}.{name} ({code}) has no label"
                assert CJK.search(eventlabels.action_label(code)), code
    for code in ["org.hall.change", "org.roleassignment.delete", "handbook.workflow.approve", "auth.login"]:
        assert CJK.search(eventlabels.action_label(code)), code
    assert eventlabels.action_label("something.new") == "something.new"  # unknown: the code as it is


def _rows(page):
    return re.findall(r"<tr[^>]*>.*?</tr>", page, re.S)


def test_the_list_shows_words_and_links_the_handover_form(client, org_demo):
    from archive.models import HandoverForm
    from org.models import Branch

    form = HandoverForm.objects.create(kind="hall_branch", branch=Branch.objects.get(code="B1"),
                                       giver=org_demo["archivist"], figures={"records": 2})
    auditlog.record(archive_events.HANDOVER_RECEIVE, actor=org_demo["archivist"], obj=form,
                    details={"from": "given", "to": "accepted", "kind": "hall_branch", "counted": ["general"],
                             "not_counted": ["agreement"], "discrepancy": "协议类少一份"})
    client.force_login(org_demo["archivist"])
    page = client.get("/admin/auditevent/", {"action": archive_events.HANDOVER_RECEIVE}).content.decode()
    row = next(r for r in _rows(page) if "签收交接表" in r)
    assert "handover.receive" not in row and "archive.handoverform" not in row
    assert re.search(r"<td[^>]*>\s*交接表\s*</td>", row)  # the object type in words
    assert f'href="/admin/archive/forms/{form.pk}/"' in row
    assert "原状态：交出方已签字，待接收方签收；新状态：已签收" in row
    assert "已清点：综合类；未清点：协议类；差异说明：协议类少一份" in row
    assert "{" not in row


def test_inspect_shows_details_as_text_with_personal_data_masked(client, org_demo, make_record):
    record = make_record("H11")
    old = auditlog.record("record.correct_field", actor=org_demo["archivist"],  # an old row: the name in clear
                          obj=("records.record", str(record.pk), f"{record.transaction_no} 李四光"),
                          details={"field": "customer_name", "old": "李四", "new": "李四光"})
    noted = auditlog.record(archive_events.VOLUME_RETURN, actor=org_demo["archivist"], obj=("archive.volume", "9", "V"),
                            details={"reason": "证件 110105194912310029 不清", "to": "keeper-H11", "level": "l2"})
    client.force_login(org_demo["archivist"])
    page = client.get(f"/admin/auditevent/inspect/{old.pk}/").content.decode()
    assert "更正字段" in page and "客户资料" in page
    assert "字段：客户姓名；原值：李*；新值：李**" in page
    assert "李四" not in page and "{&#x27;" not in page and "&quot;field&quot;" not in page
    page = client.get(f"/admin/auditevent/inspect/{noted.pk}/").content.decode()
    assert "退回资料册" in page
    assert "交给：keeper-H11；原因：证件 1101**********0029 不清；环节：二级稽核" in page
    assert "110105194912310029" not in page


def test_the_filters_are_in_chinese_and_filter(client, org_demo):
    auditlog.record("auth.login", actor=org_demo["archivist"], obj=("auth.user", "", "x"))
    auditlog.record(archive_events.VOLUME_FIX, actor=org_demo["archivist"], obj=("archive.volume", "1", "H11-V1"),
                    details={"note": "补签"})
    auditlog.record(archive_events.VOLUME_BIND, actor=org_demo["archivist"], obj=("archive.volume", "2", "H11-V2"))
    client.force_login(org_demo["archivist"])
    page = client.get("/admin/auditevent/").content.decode()
    for label in ("动作", "范围", "操作人账号", "对象类型", "对象编号", "起始日期", "截止日期"):
        assert label in page, label
    assert re.search(r'<option value="volume.fix"[^>]*>退回资料册已整改</option>', page)
    assert re.search(r'<option value="archive.volume"[^>]*>卷</option>', page)
    assert re.search(r'<option value="volume."[^>]*>装订与资料册</option>', page)

    one = client.get("/admin/auditevent/", {"action": archive_events.VOLUME_FIX}).content.decode()
    assert "H11-V1" in one and "H11-V2" not in one and "说明：补签" in one
    area = client.get("/admin/auditevent/", {"action__startswith": "volume."}).content.decode()
    assert "H11-V1" in area and "H11-V2" in area
    typed = client.get("/admin/auditevent/", {"object_type": "archive.volume"}).content.decode()
    assert "H11-V2" in typed
    today = AuditEvent.objects.latest("seq").created_at.date().isoformat()
    dated = client.get("/admin/auditevent/", {"created_at__date__gte": today, "action": "volume.bind"})
    assert "H11-V2" in dated.content.decode()
    dated = client.get("/admin/auditevent/", {"created_at__date__lte": "2000-01-01", "action": "volume.bind"})
    assert "H11-V2" not in dated.content.decode()


def _discrepancy(org_demo, note, form_id="7"):
    return auditlog.record(archive_events.HANDOVER_RECEIVE, actor=org_demo["archivist"],
                           obj=("archive.handoverform", form_id, f"交接表 {form_id}"),
                           details={"from": "given", "to": "accepted", "discrepancy": note})


def test_mobile_numbers_in_free_text_are_masked_transaction_numbers_stay(client, org_demo):
    phone = _discrepancy(org_demo, "客户电话 13800138000 未签字，另一号码 139-1234-5678、137 0000 1111", "7")
    number = _discrepancy(org_demo, "流水号 SC1380013800088 少一份，工单 1380013800012", "8")
    assert eventlabels.details_text(phone).endswith(
        "差异说明：客户电话 138****8000 未签字，另一号码 139****5678、137****1111")
    assert eventlabels.details_text(number).endswith("差异说明：流水号 SC1380013800088 少一份，工单 1380013800012")
    client.force_login(org_demo["archivist"])
    page = client.get("/admin/auditevent/", {"action": archive_events.HANDOVER_RECEIVE}).content.decode()
    row = next(r for r in _rows(page) if "客户电话" in r)
    assert "138****8000" in row and "139****5678" in row and "SC1380013800088" in page
    for clear in ("13800138000", "139-1234-5678", "137 0000 1111"):
        assert clear not in row, clear
    inspect = client.get(f"/admin/auditevent/inspect/{phone.pk}/").content.decode()
    assert "138****8000" in inspect and "13800138000" not in inspect


def _export(client, fmt, **filters):
    answer = client.get("/admin/auditevent/", {"export": fmt, **filters})
    assert answer.status_code == 200, answer.status_code
    return b"".join(answer.streaming_content) if answer.streaming else answer.content


def test_the_export_carries_the_screens_words_in_both_formats(client, org_demo):
    import csv
    import datetime
    import io

    from openpyxl import load_workbook

    org_demo["archivist"].full_name = "=HYPERLINK(\"x\")"  # a formula-looking value
    org_demo["archivist"].save(update_fields=["full_name"])
    event = auditlog.record(archive_events.VOLUME_RETURN, actor=org_demo["archivist"], obj=("archive.volume", "9", "V9"),
                            details={"reason": "证件 110105194912310029 不清，电话 138-0013-8000", "to": "keeper-H11",
                                     "level": "l2", "note": "-1+1"})
    client.force_login(org_demo["archivist"])
    expected_details = "交给：keeper-H11；原因：证件 1101**********0029 不清，电话 138****8000；说明：-1+1；环节：二级稽核"
    assert eventlabels.details_text(event) == expected_details
    local = timezone_local(event.created_at)

    body = _export(client, "csv", action=archive_events.VOLUME_RETURN).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 1, body
    row = rows[0]
    assert row["动作"] == "退回资料册" and row["对象类型"] == "卷" and row["动作代码"] == "volume.return"
    assert row["对象类型代码"] == "archive.volume" and row["操作人账号"] == "archivist"
    assert row["操作人"] == "'=HYPERLINK(\"x\")"  # escaped: a spreadsheet shows it as text
    assert row["详情"] == expected_details  # not a formula: the text starts with a word
    assert row["时间"] == f"{local:%Y-%m-%d %H:%M:%S}"
    assert "110105194912310029" not in body and "138-0013-8000" not in body and "{" not in body

    sheet = load_workbook(io.BytesIO(_export(client, "xlsx", action=archive_events.VOLUME_RETURN))).active
    cells = list(sheet.iter_rows())
    headings = [c.value for c in cells[0]]
    assert headings[:8] == ["序号", "时间", "操作人账号", "动作", "对象类型", "对象编号", "对象", "详情"]
    assert headings[8:11] == ["操作人", "动作代码", "对象类型代码"]
    values = dict(zip(headings, (c.value for c in cells[1])))
    assert values["动作"] == "退回资料册" and values["对象类型"] == "卷" and values["详情"] == expected_details
    assert values["操作人"] == "'=HYPERLINK(\"x\")" and values["动作代码"] == "volume.return"
    time_cell = cells[1][headings.index("时间")]
    assert values["时间"] == local.replace(microsecond=0) or values["时间"].replace(microsecond=0) == local.replace(
        microsecond=0)
    assert isinstance(values["时间"], datetime.datetime) and time_cell.number_format == "yyyy-mm-dd hh:mm:ss"
    assert not any("110105194912310029" in str(c.value) for row in cells for c in row)


def timezone_local(value):
    from django.utils import timezone

    return timezone.localtime(value).replace(tzinfo=None)

def test_ocr_page_view_and_suggestion_details_are_in_words(org_demo, make_record):
    record = make_record("H11")
    obj = ("records.record", str(record.pk), record.transaction_no)
    done = auditlog.record("record.ocr_done", actor=None, actor_name="worker", obj=obj,
                           details={"from": "ocr_running", "to": "ocr_done", "pages": 2,
                                    "flagged": ["customer_name"], "page_warnings": 1})
    seen = auditlog.record("record.page_view", actor=org_demo["archivist"], obj=obj,
                           details={"page": 2, "file": "access_copy"})
    suggested = auditlog.record("record.name_suggested", actor=org_demo["archivist"], obj=obj,
                                details={"field": "customer_name", "suggested": "袁*", "source": "report", "report": 1})
    assert "页数：2" in eventlabels.details_text(done) and "待核对字段：客户姓名" in eventlabels.details_text(done)
    assert "页面提示：1" in eventlabels.details_text(done)
    assert eventlabels.details_text(seen) == "文件：访问副本；页码：2"
    text = eventlabels.details_text(suggested)
    assert "来源：营业员操作报表" in text and "报表：1" in text and "建议值：袁*" in text
    assert not re.search(r"[a-z_]{3,}", text + eventlabels.details_text(seen) + eventlabels.details_text(done))
