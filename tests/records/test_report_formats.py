"""Billing exports as they really come (issue 13): GBK/GB18030 CSV and .xlsx from Excel, what Excel does to long
numbers, over-long values, line numbers after quoted line breaks, and bulk writes."""
import datetime
import io

import openpyxl
import pytest

from org.models import AuditEvent
from records import reconcile
from records.models import OperatorReport, ReportRow

ID = "510302199001011234"
ROW = ["SC0001", "2026-11-02 10:31:00", "H11", "H11CLERK01", "普通开户", "13800001234", "张三", "居民身份证", ID]


def csv_bytes(rows, encoding="utf-8", header=None):
    lines = [",".join(header or reconcile.HEADER)] + [",".join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def row(**changes):
    values = dict(zip(reconcile.HEADER, ROW))
    values.update(changes)
    return list(values.values())


def xlsx_bytes(rows, header=None):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header or reconcile.HEADER)
    for values in rows:
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def refused(data):
    with pytest.raises(reconcile.ReportError) as err:
        reconcile.import_report(None, data, "boss.csv")
    assert not OperatorReport.objects.exists() and not ReportRow.objects.exists()
    return err.value.problems


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_gbk_and_gb18030_csv_are_read(db, encoding):
    report = reconcile.import_report(None, csv_bytes([row(客户姓名="张三丰")], encoding), "gbk.csv")
    stored = ReportRow.objects.get(report=report)
    assert (stored.customer_name, stored.business_type, stored.id_number) == ("张三丰", "普通开户", ID)


def test_xlsx_is_read_with_real_dates_and_text_cells(db):
    values = row()
    values[1] = datetime.datetime(2026, 11, 2, 10, 31)  # Excel's own date cell
    values[5] = 13800001234  # a phone number as a number cell: an exact integer, kept
    report = reconcile.import_report(None, xlsx_bytes([values, row(受理编号="SC0002")]), "boss.xlsx")
    rows = list(ReportRow.objects.filter(report=report).order_by("line"))
    assert [r.line for r in rows] == [2, 3]
    assert rows[0].service_number == "13800001234" and rows[0].id_number == ID
    assert rows[0].accepted_at == reconcile.timezone.make_aware(datetime.datetime(2026, 11, 2, 10, 31))


def test_trailing_empty_columns_are_ignored(db):
    data = csv_bytes([row() + ["", " "], row(受理编号="SC0002") + [""]], header=reconcile.HEADER + ["", ""])
    assert reconcile.import_report(None, data, "wide.csv").row_count == 2
    book_rows = [row(受理编号="SC0003") + [None, None]]
    assert reconcile.import_report(None, xlsx_bytes(book_rows, reconcile.HEADER + [None]), "w.xlsx").row_count == 1


def test_full_width_digits_are_normalised(db):
    full = row(受理编号="ＳＣ０００１", 服务号码="１３８００００１２３４", 证件号码="５１０３０２１９９００１０１１２３４",
               受理时间="２０２６-１１-０２ １０:３１:００")
    stored = ReportRow.objects.get(report=reconcile.import_report(None, csv_bytes([full]), "fw.csv"))
    assert (stored.transaction_no, stored.service_number, stored.id_number) == ("SC0001", "13800001234", ID)
    assert stored.id_number_hash == reconcile.lookup_hash(ID)


def test_excel_scientific_notation_and_text_prefix_are_refused_by_line_and_column(db):
    problems = refused(csv_bytes([row(), row(受理编号="SC0002", 证件号码="5.10302E+17"),
                                  row(受理编号="SC0003", 服务号码="'13800001234")]))
    assert problems[0].startswith("第 3 行第 9 列（证件号码）：是科学计数法"), problems
    assert "5.10302E+17" not in problems[0]  # an ID number (even a damaged one) is never repeated
    assert problems[1].startswith("第 4 行第 6 列（服务号码）：以单引号 ' 开头"), problems
    assert len(problems) == 2


def test_xlsx_number_cells_that_excel_damaged_are_refused(db):
    damaged = row(受理编号="SC0002")
    damaged[8] = 510302199001011234  # Excel keeps 15 digits: stored as 5.10302199001011E+17
    text = row(受理编号="SC0003", 服务号码="1.38E+10")
    decimals = row(受理编号="SC0004")
    decimals[5] = 13800001234.5
    problems = refused(xlsx_bytes([row(), damaged, text, decimals]))
    assert [p.split("：")[0] for p in problems] == ["第 3 行第 9 列（证件号码）", "第 4 行第 6 列（服务号码）",
                                                    "第 5 行第 6 列（服务号码）"]
    assert "15 位有效数字" in problems[0] and "科学计数法" in problems[1] and "小数" in problems[2]


def test_over_long_values_are_refused_not_stored(db):
    problems = refused(csv_bytes([row(客户姓名="张" * 61), row(受理编号="SC0002", 服务号码="1" * 21),
                                  row(受理编号="SC0003", 证件号码="1" * 33)]))
    assert problems == ["第 2 行第 7 列（客户姓名）：长 61 个字符，超过上限 60 个字符",
                        "第 3 行第 6 列（服务号码）：长 21 个字符，超过上限 20 个字符",
                        "第 4 行第 9 列（证件号码）：长 33 个字符，超过上限 32 个字符"]


def test_line_numbers_stay_right_after_quoted_line_breaks(db):
    text = "\r\n".join([",".join(reconcile.HEADER), ",".join(row()).replace("普通开户", '"普通\r\n开户\r\n业务"'),
                        ",".join(row(受理编号="SC0002", 受理时间="昨天"))]) + "\r\n"
    problems = refused(text.encode("gbk"))
    assert problems == ["第 5 行：受理时间“昨天”无法识别（应如 2026-11-02 10:31:00）"]
    report = reconcile.import_report(None, text.replace("昨天", "2026-11-02 11:00:00").encode(), "ok.csv")
    assert list(ReportRow.objects.filter(report=report).values_list("line", flat=True).order_by("line")) == [2, 5]


def test_old_xls_and_broken_xlsx_get_a_clear_message(db):
    assert "旧版 Excel" in refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)[0]
    assert "无法读取该 Excel 文件" in refused(b"PK\x03\x04 not a workbook")[0]


def test_a_large_report_is_written_in_batches_with_one_event(db, django_assert_max_num_queries):
    rows = [row(受理编号=f"SC{n:06d}") for n in range(5000)]
    events = AuditEvent.objects.count()
    with django_assert_max_num_queries(120):  # batches (SQLite: ~80 rows per INSERT), never a query per row
        report = reconcile.import_report(None, csv_bytes(rows), "big.csv")
    assert ReportRow.objects.filter(report=report).count() == 5000 == report.row_count
    assert AuditEvent.objects.count() == events + 1
    assert ReportRow.objects.filter(id_number_hash=reconcile.lookup_hash(ID)).count() == 5000
