"""Billing exports as they really come (issue 13): GBK/GB18030 CSV and .xlsx from Excel, what Excel does to long
numbers, over-long values, line numbers after quoted line breaks, and bulk writes."""
import datetime
import io
import re
import zipfile

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


def xlsx_inline_bytes(rows):
    """A workbook written as a stream (openpyxl write-only): text as inline strings, as BOSS exports are."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    for values in [reconcile.HEADER, *rows]:
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"


def sheet_xml(data):
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return package.read(SHEET), {p.filename: package.read(p) for p in package.infolist()}


def repacked(data, replace):
    """The workbook with some parts ({name: bytes}) replaced or added."""
    _, parts = sheet_xml(data)
    parts.update(replace)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in parts.items():
            package.writestr(name, content)
    return out.getvalue()


def with_shared_strings(data):
    """The workbook with its text in a shared-string table, as Excel saves it (openpyxl writes inline strings)."""
    xml, parts = sheet_xml(data)
    table = []

    def shared(match):
        table.append(match.group(2))
        return match.group(1) + f' t="s"><v>{len(table) - 1}</v></c>'.encode()

    xml = re.sub(rb'(<c r="[A-Z]+\d+"(?: s="\d+")?) t="inlineStr"><is><t>(.*?)</t></is></c>', shared, xml)
    strings = b"".join(b"<si><t>" + text + b"</t></si>" for text in table)
    rels = parts["xl/_rels/workbook.xml.rels"].replace(b"</Relationships>", (
        b'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
        b'Target="sharedStrings.xml" Id="rIdShared"/></Relationships>'))
    types = parts["[Content_Types].xml"].replace(b"</Types>", (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'spreadsheetml.sharedStrings+xml"/></Types>'))
    sst = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + strings + b"</sst>"
    return repacked(data, {SHEET: xml, "xl/_rels/workbook.xml.rels": rels, "[Content_Types].xml": types,
                           "xl/sharedStrings.xml": sst})


def test_xlsx_shared_and_inline_strings_give_the_same_rows(db):
    full = row(受理编号="ＳＣ０００２", 服务号码="１３８００００１２３４")  # full-width digits in text cells
    inline = xlsx_inline_bytes([row(), full])
    shared = with_shared_strings(inline)
    assert b"inlineStr" in sheet_xml(inline)[0] and b"inlineStr" not in sheet_xml(shared)[0]
    for name, data in (("shared.xlsx", shared), ("inline.xlsx", inline)):
        report = reconcile.import_report(None, data, name)
        stored = list(ReportRow.objects.filter(report=report).order_by("line").values_list(
            "line", "transaction_no", "service_number", "customer_name", "id_number_hash"))
        assert stored == [(2, "SC0001", "13800001234", "张三", reconcile.lookup_hash(ID)),
                          (3, "SC0002", "13800001234", "张三", reconcile.lookup_hash(ID))]
        report.delete()


def test_xlsx_number_cells_of_ids_and_dates_are_read_exactly_or_refused(db):
    exact = row(受理编号="SC0001")
    exact[0], exact[2], exact[5] = 20261102000001, 11, 13800001234  # whole numbers within 15 digits: kept
    exact[1] = datetime.datetime(2026, 11, 2, 23, 59, 59)
    report = reconcile.import_report(None, xlsx_bytes([exact]), "numbers.xlsx")
    stored = ReportRow.objects.get(report=report)
    assert (stored.transaction_no, stored.hall_code, stored.service_number) == ("20261102000001", "11", "13800001234")
    assert stored.accepted_at == reconcile.timezone.make_aware(datetime.datetime(2026, 11, 2, 23, 59, 59))
    report.delete()

    day_only, time_only, as_text, quoted, long_name = (row(受理编号=f"SC{n}") for n in range(2, 7))
    day_only[1], time_only[1] = datetime.date(2026, 11, 2), datetime.time(10, 31)
    as_text[8] = "5.10302E+17"  # a text cell holding what Excel showed
    quoted[5] = "'13800001234"
    long_name[6] = "张" * 61
    problems = refused(xlsx_bytes([day_only, time_only, as_text, quoted, long_name]))
    assert problems == [
        "第 2 行：受理时间“2026-11-02”无法识别（应如 2026-11-02 10:31:00）",
        "第 3 行：受理时间“10:31:00”无法识别（应如 2026-11-02 10:31:00）",
        "第 4 行第 9 列（证件号码）：是科学计数法：Excel 已把长数字截断，原值无法恢复（" + reconcile._REEXPORT + "）",
        "第 5 行第 6 列（服务号码）：以单引号 ' 开头：这是 Excel 的文本前缀，不是数据（" + reconcile._REEXPORT + "）",
        "第 6 行第 7 列（客户姓名）：长 61 个字符，超过上限 60 个字符"]


def test_xlsx_rows_keep_excels_numbers_after_empty_rows_and_wide_formatting(db):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(reconcile.HEADER)
    sheet.append(row())
    sheet.append([None] * 9)  # an empty row in the middle
    sheet.append(row(受理编号="SC0002", 受理时间="昨天"))
    sheet["M10"] = " "  # a stray formatted cell far right and below: a blank column and row
    out = io.BytesIO()
    book.save(out)
    assert refused(out.getvalue()) == ["第 4 行：受理时间“昨天”无法识别（应如 2026-11-02 10:31:00）"]


def test_damaged_workbooks_are_refused_with_a_message_never_a_traceback(db, settings):
    good = xlsx_bytes([row()])
    assert refused(good[: len(good) // 2]) == ["无法读取该 Excel 文件（.xlsx 已损坏或不是 Excel 工作簿）"]
    broken_sheet = repacked(good, {SHEET: b"<worksheet><sheetData><row><c t="})
    assert refused(broken_sheet) == ["无法读取该 Excel 文件（工作表已损坏）"]
    no_workbook = repacked(good, {"xl/workbook.xml": b"not xml"})
    assert refused(no_workbook)[0].startswith("无法读取该 Excel 文件")
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as package:
        package.writestr("word/document.xml", "<w:document/>")
    assert refused(docx.getvalue()) == ["无法读取该 Excel 文件（.xlsx 已损坏或不是 Excel 工作簿）"]
    settings.RECONCILE_MAX_XLSX_UNPACKED_BYTES = 2 ** 20  # a zip bomb is refused before it is unpacked
    bomb = repacked(good, {SHEET: sheet_xml(good)[0] + b" " * (2 * 2 ** 20)})
    assert "解压后有 2 MB，超过允许的 1 MB" in refused(bomb)[0]


def test_a_sheet_reaching_far_right_or_down_is_refused_before_it_is_read(db):
    """calamine holds every cell of the sheet's extent: one stray value far away would take the worker's memory."""
    for cell, expected in (("AB7", "工作表在第 Z 列之后还有内容"), ("A900000", "工作表有内容直到第 900000 行")):
        book = openpyxl.Workbook()
        book.active.append(reconcile.HEADER)
        book.active.append(row())
        book.active[cell] = "x"
        out = io.BytesIO()
        book.save(out)
        assert refused(out.getvalue())[0].startswith(expected)
