"""Reconciliation with the billing system's clerk operation report: every kind of difference, bad files."""
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from org.models import AuditEvent, User
from records import reconcile
from records.models import OperatorReport, ReportRow

HEADER = ",".join(reconcile.HEADER)
ID = "510302199001011234"


def _line(no, time="2026-11-02 10:31:00", hall="H11", clerk=None, btype="普通开户", phone="13800001234",
          name="张三", id_type="居民身份证", id_number=ID, clerk_no="H11CLERK01"):
    return ",".join([no, time, hall, clerk or clerk_no, btype, phone, name, id_type, id_number])


@pytest.fixture
def day(make_record):
    """Four paper files of one day in H11."""
    return [make_record("H11", transaction_no=f"SC{i:04d}") for i in range(1, 5)]


def users_get(username):
    return User.objects.get(username=username)


def _csv(*lines):
    return ("\n".join([HEADER, *lines]) + "\n").encode("utf-8")


def test_each_kind_of_difference(day, users):
    data = _csv(
        _line("SC0001"),                                            # matched
        _line("SC0002", phone="13900009999", name="李四"),           # mismatches, named
        _line("SC0003", id_number="110105194912310029"),           # ID number differs (compared by hash)
        _line("SC9999"),                                            # paper missing
    )                                                               # SC0004: paper with no report row
    report = reconcile.import_report(users("l1-H11"), data, "boss-20261102.csv")
    result = reconcile.reconcile_report(report)
    assert [r.transaction_no for r in result.matched] == ["SC0001"]
    assert [r.transaction_no for r in result.paper_missing] == ["SC9999"]
    assert [r.transaction_no for r in result.no_report_row] == ["SC0004"]
    mismatches = {rec.transaction_no: diff for rec, _, diff in result.mismatches}
    assert mismatches == {"SC0002": ["服务号码", "客户姓名"], "SC0003": ["证件号码"]}
    assert [d.as_dict() for d in mismatches["SC0002"]] == [
        {"field": "服务号码", "paper": "13800001234", "report": "13900009999"},
        {"field": "客户姓名", "paper": "张三", "report": "李四"}]
    assert mismatches["SC0003"][0].as_dict() == {"field": "证件号码", "paper": "5103**********1234",
                                                "report": "1101**********0029"}  # both sides masked
    assert not result.clean


def test_date_hall_clerk_type_mismatches(day, users):
    data = _csv(_line("SC0001", time="2026-11-03 09:00:00"), _line("SC0002", clerk_no="H11CLERK99"),
                _line("SC0003", btype="过户", id_type="护照"))
    report = reconcile.import_report(users("l1-H11"), data, "x.csv")
    result = reconcile.reconcile_report(report)
    mismatches = {rec.transaction_no: diff for rec, _, diff in result.mismatches}
    assert mismatches["SC0001"] == ["受理时间"]
    assert (mismatches["SC0001"][0].paper, mismatches["SC0001"][0].report) == ("2026-11-02", "2026-11-03")
    assert mismatches["SC0002"] == ["营业员工号"]
    assert mismatches["SC0003"] == ["业务类型", "证件类型"]


def test_report_id_numbers_are_encrypted(day, users):
    report = reconcile.import_report(users("l1-H11"), _csv(_line("SC0001")), "x.csv")
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT id_number FROM records_reportrow WHERE report_id = %s", [report.pk])
        assert ID not in cur.fetchone()[0]
    assert ReportRow.objects.get(report=report).id_number == ID
    assert AuditEvent.objects.filter(action="report.import", object_id=str(report.pk)).exists()


@pytest.mark.parametrize("data,message", [
    (b"", "文件为空"),
    (HEADER.encode("utf-16"), "既不是 UTF-8 也不是 GBK/GB18030"),
    (b"a,b,c\n1,2,3\n", "表头不符"),
    ((HEADER + "\n").encode(), "没有数据行"),
    (_csv("SC1,2026-11-02 10:31:00,H11"), "第 2 行：应有 9 列"),
    (_csv(_line("SC1"), _line("SC1")), "第 3 行：受理编号 SC1 与第 2 行重复"),
    (_csv(_line("SC1", time="昨天")), "受理时间“昨天”无法识别"),
])
def test_bad_files_are_refused_whole_with_a_clear_message(db, data, message):
    with pytest.raises(reconcile.ReportError) as err:
        reconcile.import_report(None, data, "bad.csv")
    assert any(message in p for p in err.value.problems), err.value.problems
    assert OperatorReport.objects.count() == 0 and ReportRow.objects.count() == 0


def test_same_file_twice_is_refused(day):
    data = _csv(_line("SC0001"))
    reconcile.import_report(None, data, "a.csv")
    with pytest.raises(reconcile.ReportError, match="已于"):
        reconcile.import_report(None, data, "a-copy.csv")
    assert OperatorReport.objects.count() == 1


def test_command_shows_the_report_rows_of_the_users_halls_only(day, tmp_path, capsys):
    import json

    path = tmp_path / "city.csv"
    path.write_bytes(_csv(_line("SC0001"), _line("SC8888", hall="H21", clerk_no="H21CLERK01"), _line("SC8889")))
    call_command("import_operator_report", str(path), "--as", "archivist", "--json")
    assert json.loads(capsys.readouterr().out)["paper_missing"] == ["SC8888", "SC8889"]
    report = OperatorReport.objects.get()
    missing = reconcile.reconcile_report(report, users_get("l1-H11")).paper_missing
    assert [r.transaction_no for r in missing] == ["SC8889"]  # H21's row is not the hall's business


def test_command(day, tmp_path, capsys):
    path = tmp_path / "boss.csv"
    path.write_bytes(_csv(_line("SC0001"), _line("SC0002", name="李四"), _line("SC7777")))
    call_command("import_operator_report", str(path), "--as", "l1-H11", "--json")
    import json

    out = json.loads(capsys.readouterr().out)
    assert out["matched"] == 1 and out["paper_missing"] == ["SC7777"]
    assert out["no_report_row"] == ["SC0003", "SC0004"]
    assert out["mismatches"] == [{"transaction_no": "SC0002", "fields": ["客户姓名"],
                                  "values": [{"field": "客户姓名", "paper": "张三", "report": "李四"}]}]
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"nonsense")
    with pytest.raises(CommandError, match="未保存任何数据"):
        call_command("import_operator_report", str(bad))


def test_level1_screen_shows_both_values_of_a_difference(make_record, users, client):
    from django.urls import reverse

    from org.models import Hall
    from tests.archive_helpers import day, make_day, report_csv

    from archive import dailyclose

    files = make_day(make_record, "H11", day(2), ["general", "general"])
    dailyclose.DailyClose(users("clerk-H11"), Hall.objects.get(code="H11"), day(2)).run()
    data = report_csv(files).replace(b",13800001234,", b",13800009999,", 1)  # the first row's number differs
    report = reconcile.import_report(users("l1-H11"), data, "boss.csv")
    client.force_login(users("l1-H11"))
    url = reverse("archive_admin:level1", args=[Hall.objects.get(code="H11").pk, "2026-10-02"])
    html = client.get(url, {"report": report.pk}).content.decode()
    assert f"{files[0].transaction_no}: 服务号码（纸质 13800001234 ≠ 报表 13800009999）" in html
