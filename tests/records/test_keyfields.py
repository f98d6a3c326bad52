"""Key fields from OCR text: extraction, validation, confidence, flagged failures."""
import pytest

from records import keyfields as kf

VALID_ID = "11010519491231002X"


def test_check_digit_iso7064():
    assert kf.id_check_digit("11010519491231002") == "X"
    assert kf.check_id_number(VALID_ID) is None
    assert kf.check_id_number("110105194912310021") == "证件号码校验位错误"
    assert kf.check_id_number("110105194902300020") == "证件号码中的出生日期不存在"
    assert "18位" in kf.check_id_number("1101051949")


@pytest.mark.parametrize("number,ok", [("13800001234", True), ("19912345678", True), ("12800001234", False),
                                       ("1380000123", False), ("138000012345", False)])
def test_mobile(number, ok):
    assert (kf.check_mobile(number) is None) is ok


def test_dates():
    assert kf.parse_date("受理时间：2026年11月2日 10:31")[0].isoformat() == "2026-11-02"
    assert kf.parse_date("2026/11/02")[0].isoformat() == "2026-11-02"
    assert kf.parse_date("20261102")[0].isoformat() == "2026-11-02"
    assert kf.parse_date("2026-02-30")[1].startswith("日期不存在")


def test_extract_from_a_form():
    text = (f"业务受理单\n受理编号：SC2026110200123\n客户姓名：张三\n服务号码： 138 0000 1234\n"
            f"证件号码：{VALID_ID}\n受理时间：2026年11月02日 10:31\n")
    fields = kf.extract(text)
    assert fields["transaction_no"].value == "SC2026110200123"
    assert fields["service_number"].value == "13800001234"
    assert fields["id_number"].value == VALID_ID
    assert fields["business_date"].value == "2026-11-02"
    assert fields["customer_name"].value == "张三"
    assert fields["business_type"].flagged  # not on this form
    assert all(not f.flagged and f.confidence >= 0.9 for n, f in fields.items() if n != "business_type")


def test_ocr_confusions_are_repaired_with_lower_confidence():
    fields = kf.extract("服务号码：138OOOO1234\n证件号码：11O10519491231002X")
    assert fields["service_number"].value == "13800001234"
    assert fields["id_number"].value == VALID_ID
    assert 0.5 < fields["id_number"].confidence < 0.95


def test_invalid_value_is_flagged_not_dropped():
    fields = kf.extract("证件号码：110105194912310021\n服务号码：12800001234")
    assert fields["id_number"].flagged and fields["id_number"].value == "110105194912310021"
    assert fields["id_number"].problem == "证件号码校验位错误"
    assert fields["id_number"].confidence < 0.5
    assert fields["service_number"].flagged


def test_missing_field_is_flagged():
    field = kf.extract("一些无关文字")["transaction_no"]
    assert field.flagged and field.value == "" and field.confidence == 0


@pytest.mark.parametrize("read,flagged", [("张三", False), ("欧阳娜娜", False), ("阿卜杜·热合曼", False),
                                          ("JOHN SMITH", False), ("Maria de la Cruz", False),
                                          ("OR", True), ("Br", True), ("Rat", True), ("BES", True)])
def test_a_name_read_as_a_few_latin_letters_is_flagged(read, flagged):
    field = kf.extract(f"客户姓名：{read}\n")["customer_name"]
    assert field.value == read and field.flagged is flagged
    assert (field.problem or "").startswith("客户姓名疑似识别错误") is flagged
