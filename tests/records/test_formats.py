"""The admin-kept rules of the key-field reader (issue 15): transaction-number formats (records/formats.py),
their admin screens and the business types' (records/rules_admin.py), and the confidence threshold setting."""
import datetime
import re

import pytest

from org.models import AuditEvent, RoleAssignment, User
from org.roles import Role, ScopeKind
from records import events, formats
from records.models import BusinessType, FieldReadingSettings, TransactionFormat

GOOD = "SC2026112011687"
DAY = datetime.date(2026, 11, 20)


@pytest.fixture
def default_format(db):
    """Exactly the default format (whatever earlier tests left in the table)."""
    TransactionFormat.objects.all().delete()
    return TransactionFormat.objects.create(operator="中国移动", template="AAYYYYMMDD99999")


# --- checking a value ------------------------------------------------------------------------------

def test_a_number_of_the_format_is_right(default_format):
    assert formats.check_transaction_no(GOOD) is None
    assert formats.check_transaction_no(f"  {GOOD} ") is None  # outer blanks are not characters of it
    assert formats.check_transaction_no(GOOD, DAY) is None
    assert formats.check_transaction_no(GOOD, datetime.datetime(2026, 11, 20, 10, 31)) is None


@pytest.mark.parametrize("value", ["SC2026112011687SAKE1WATE", "SC2026112011687 X", "XSC2026112011687",
                                   "sc2026112011687", "SC20261120116B7"])
def test_extra_or_wrong_characters_are_a_problem(default_format, value):
    problem = formats.check_transaction_no(value)
    assert problem.startswith("受理编号不符合任何已设置的编号格式（如 AAYYYYMMDD99999）")


def test_wrong_length_says_how_long_it_should_be(default_format):
    problem = formats.check_transaction_no("C2026112043183")  # its S lost
    assert problem == "受理编号不符合任何已设置的编号格式（如 AAYYYYMMDD99999）：应为 15 位，实为 14 位"


@pytest.mark.parametrize("value", ["SC2026133011687", "SC2026023011687", "SC0000010111687"])
def test_an_impossible_date_is_a_problem(default_format, value):
    assert formats.check_transaction_no(value) == f"受理编号中的日期 {value[2:10]} 不存在"


def test_a_date_other_than_the_business_date_is_a_problem(default_format):
    assert formats.check_transaction_no(GOOD, datetime.date(2026, 11, 21)) == "受理编号中的日期与受理时间不一致"


def test_empty_is_a_problem(default_format):
    assert formats.check_transaction_no("") == "受理编号为空"
    assert formats.check_transaction_no(None) == "受理编号为空"


def test_an_inactive_format_is_not_used(default_format):
    TransactionFormat.objects.create(operator="测试", template="T-99999999")
    default_format.active = False
    default_format.save()
    assert formats.check_transaction_no("T-12345678") is None
    assert formats.check_transaction_no(GOOD).startswith("受理编号不符合任何已设置的编号格式（如 T-99999999）")
    assert formats.allowed_characters() == "0123456789T-"


def test_without_active_formats_the_general_rule_holds(default_format):
    default_format.active = False
    default_format.save()
    assert formats.check_transaction_no("SC2026112011687SAKE1WATE") is None
    assert formats.check_transaction_no("AB-1234567") is None
    assert formats.check_transaction_no("ab1234567") == "受理编号应为 8–40 位大写字母、数字或连字符 -"
    assert formats.check_transaction_no("A1234") == "受理编号应为 8–40 位大写字母、数字或连字符 -"
    assert formats.allowed_characters() == "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-"
    assert formats.transaction_pattern().fullmatch("AB-1234567")


def test_a_format_without_a_date_and_another_operator(default_format):
    TransactionFormat.objects.create(operator="中国联通", template="LT999999999")
    assert formats.check_transaction_no("LT123456789") is None
    assert formats.check_transaction_no("LT123456789", DAY) is None  # no date part to compare
    problem = formats.check_transaction_no("LT12345678")
    assert problem == "受理编号不符合任何已设置的编号格式（如 AAYYYYMMDD99999、LT999999999）"


def test_fixed_letters(default_format):
    default_format.prefixes = "SC,BJ"
    default_format.save()
    assert formats.check_transaction_no(GOOD) is None
    assert formats.check_transaction_no("BJ" + GOOD[2:]) is None
    assert formats.check_transaction_no("XY" + GOOD[2:]) is not None
    assert formats.allowed_characters() == "0123456789BCJS"


# --- finding candidates and the whitelist ------------------------------------------------------------

def test_pattern_finds_candidates_in_text(default_format):
    TransactionFormat.objects.create(operator="中国联通", template="LT999999999")
    pattern = formats.transaction_pattern()
    assert isinstance(pattern, re.Pattern)
    text = f"受理编号：{GOOD} 客户姓名 张三 LT123456789"
    assert pattern.findall(text) == [GOOD, "LT123456789"]
    assert pattern.search("SC2026112011687SAKE").group(0) == GOOD
    assert formats.transaction_pattern(bounded=True).search("SC2026112011687SAKE") is None
    assert formats.transaction_pattern(bounded=True).search(f"编号{GOOD}。").group(0) == GOOD


def test_allowed_characters_of_the_default(default_format):
    assert formats.allowed_characters() == "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


# --- templates --------------------------------------------------------------------------------------

@pytest.mark.parametrize("template, prefixes, problem", [
    ("", "", "编号格式不能为空"),
    ("   ", "", "编号格式不能为空"),
    ("AA YYYYMMDD", "", "编号格式不能包含空格"),
    ("----", "", "编号格式中至少要有一个 A（字母）、9（数字）或 YYYYMMDD（日期），否则它只是一个固定的编号"),
    ("SC12", "", "编号格式中至少要有一个 A（字母）、9（数字）或 YYYYMMDD（日期），否则它只是一个固定的编号"),
    ("AAYYMMDD999", "", "Y、M、D 只能以 YYYYMMDD（受理日期）的形式写在编号格式中"),
    ("aa99999", "", "编号格式含有不允许的字符：a（只能用 A、9、YYYYMMDD、其他大写字母、数字 0–8 和 -）"),
    ("AA_999", "", "编号格式含有不允许的字符：_（只能用 A、9、YYYYMMDD、其他大写字母、数字 0–8 和 -）"),
    ("YYYYMMDDYYYYMMDD", "", "YYYYMMDD（受理日期）在编号格式中只能出现一次"),
    ("9" * 41, "", "编号格式共 41 位，超过受理编号最多 40 位"),
    ("99999", "SC", "编号格式不以 A 开头，不能设置固定字母"),
    ("AA99999", "S", "固定字母“S”应为 2 个大写字母（与编号格式开头 A 的个数相同），多个用逗号分开"),
    ("AAYYYYMMDD99999", "", None),
    ("AAYYYYMMDD99999", "SC, BJ", None),
])
def test_template_problems(template, prefixes, problem):
    assert formats.template_problem(template, prefixes) == problem


# --- admin screens ----------------------------------------------------------------------------------

def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def sysadmin(org_demo):
    """The system administrator role without being a superuser."""
    user = User.objects.create_user("sysadmin", password="x", full_name="系统管理")
    RoleAssignment.objects.create(user=user, role=Role.SYSADMIN, scope=ScopeKind.ALL)
    return user


@pytest.mark.parametrize("username", ["archivist", "admin", "sysadmin"])
def test_those_who_keep_the_rules_see_and_add_formats(login, default_format, sysadmin, username):
    client = login(username)
    listing = client.get("/admin/transactionformat/")
    assert listing.status_code == 200 and "AAYYYYMMDD99999" in listing.content.decode()
    assert client.get("/admin/transactionformat/new/").status_code == 200
    response = client.post("/admin/transactionformat/new/", {"operator": "中国联通", "template": "LT999999999",
                                                             "prefixes": "", "active": "on"})
    assert response.status_code == 302
    created = TransactionFormat.objects.get(operator="中国联通")
    event = AuditEvent.objects.get(action=events.TRANSACTION_FORMAT_CREATE)
    assert event.actor_name == username and event.object_id == str(created.pk)
    assert event.details["template"] == "LT999999999" and event.details["active"] is True
    assert formats.check_transaction_no("LT123456789") is None


@pytest.mark.parametrize("username", ["clerk-H11", "l1-H11", "keeper-H11", "auditor-B1", "marketing"])
def test_others_may_not_touch_the_rules(login, default_format, username):
    client = login(username)
    for url in ("/admin/transactionformat/", "/admin/transactionformat/new/",
                f"/admin/transactionformat/edit/{default_format.pk}/", "/admin/businesstype/",
                "/admin/businesstype/new/"):
        response = client.get(url)
        assert response.status_code in (302, 403) and response.get("Location", "/admin/") == "/admin/", url
    client.post(f"/admin/transactionformat/edit/{default_format.pk}/",
                {"operator": "X", "template": "999999999", "active": ""})
    client.post("/admin/businesstype/new/", {"name": "伪造", "category": "general", "active": "on"})
    default_format.refresh_from_db()
    assert (default_format.template, default_format.active) == ("AAYYYYMMDD99999", True)
    assert not BusinessType.objects.filter(name="伪造").exists()
    assert not AuditEvent.objects.filter(action__startswith="rules.").exists()
    assert "/admin/transactionformat/" not in client.get("/admin/").content.decode()


def test_a_bad_template_is_refused_with_a_clear_message(login, default_format):
    client = login("archivist")
    response = client.post("/admin/transactionformat/new/", {"operator": "中国联通", "template": "----",
                                                             "prefixes": "", "active": "on"})
    assert response.status_code == 200
    assert "编号格式中至少要有一个 A（字母）、9（数字）或 YYYYMMDD（日期）" in response.content.decode()
    response = client.post("/admin/transactionformat/new/", {"operator": "中国联通", "template": "",
                                                             "prefixes": "", "active": "on"})
    assert response.status_code == 200 and response.context["form"].errors["template"]
    response = client.post(f"/admin/transactionformat/edit/{default_format.pk}/",
                           {"operator": "中国移动", "template": "AAYYYYMMDD99999", "prefixes": "S", "active": "on"})
    assert response.status_code == 200 and "固定字母“S”应为 2 个大写字母" in response.content.decode()
    assert TransactionFormat.objects.count() == 1
    assert TransactionFormat.objects.get().prefixes == ""
    assert not AuditEvent.objects.filter(action__startswith="rules.").exists()


def test_deactivating_a_format_is_logged_with_before_and_after(login, default_format):
    client = login("archivist")
    response = client.post(f"/admin/transactionformat/edit/{default_format.pk}/",
                           {"operator": "中国移动", "template": "AAYYYYMMDD99999", "prefixes": "sc"})
    assert response.status_code == 302
    default_format.refresh_from_db()
    assert default_format.active is False and default_format.prefixes == "SC"
    event = AuditEvent.objects.get(action=events.TRANSACTION_FORMAT_CHANGE)
    assert event.details["changed"] == {"active": [True, False], "prefixes": ["", "SC"]}
    assert formats.check_transaction_no(GOOD, DAY) is None  # no active format: the general rule
    assert formats.check_transaction_no("ab") is not None


def test_formats_and_business_types_are_never_deleted(login, default_format):
    business_type = BusinessType.objects.create(name="测试业务", category="general")
    client = login("admin")
    for url in (f"/admin/transactionformat/delete/{default_format.pk}/",
                f"/admin/businesstype/delete/{business_type.pk}/",
                f"/admin/transactionformat/history/{default_format.pk}/",
                f"/admin/businesstype/copy/{business_type.pk}/"):
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url
    assert TransactionFormat.objects.filter(pk=default_format.pk).exists()
    assert BusinessType.objects.filter(pk=business_type.pk).exists()


def test_business_types_are_added_edited_and_deactivated(login, org_demo):
    from records.transitions import category_for

    client = login("archivist")
    response = client.post("/admin/businesstype/new/", {"name": "宽带开户", "category": "ownership",
                                                         "active": "on"})
    assert response.status_code == 302
    row = BusinessType.objects.get(name="宽带开户")
    assert category_for("宽带开户") == "ownership" and formats.business_types()["宽带开户"] == "ownership"
    created = AuditEvent.objects.get(action=events.BUSINESS_TYPE_CREATE)
    assert created.details == {"name": "宽带开户", "category": "ownership", "active": True}
    assert "宽带开户" in client.get("/admin/businesstype/").content.decode()
    response = client.post(f"/admin/businesstype/edit/{row.pk}/", {"name": "宽带开户", "category": "agreement"})
    assert response.status_code == 302
    changed = AuditEvent.objects.get(action=events.BUSINESS_TYPE_CHANGE)
    assert changed.details["changed"] == {"category": ["ownership", "agreement"], "active": [True, False]}
    assert category_for("宽带开户") == "" and "宽带开户" not in formats.business_types()
    response = client.post("/admin/businesstype/new/", {"name": "宽带开户", "category": "general", "active": "on"})
    assert response.status_code == 200 and BusinessType.objects.filter(name="宽带开户").count() == 1


# --- the confidence threshold ---------------------------------------------------------------------

def test_threshold_is_read_back_after_a_change_in_the_admin(login, org_demo):
    FieldReadingSettings.objects.all().delete()
    assert formats.confidence_threshold() == 0.75  # no row: the default, and reading creates none
    assert not FieldReadingSettings.objects.exists()
    client = login("archivist")
    first = client.get("/admin/settings/records/fieldreadingsettings/")
    assert first.status_code == 302
    page = client.get(first.url)
    assert page.status_code == 200 and "识别设置" in page.content.decode()
    assert "置信度阈值" in page.content.decode()
    response = client.post(first.url, {"confidence_threshold": "0.6"})
    assert response.status_code == 302
    assert formats.confidence_threshold() == 0.6
    event = AuditEvent.objects.get(action=events.FIELD_READING_CHANGE)
    assert event.actor_name == "archivist" and event.details["changed"]["confidence_threshold"] == [0.75, 0.6]
    response = client.post(first.url, {"confidence_threshold": "1.5"})
    assert response.status_code == 200 and "确保该值小于或等于1.0" in response.content.decode()
    assert formats.confidence_threshold() == 0.6
    assert AuditEvent.objects.filter(action=events.FIELD_READING_CHANGE).count() == 1


def test_threshold_setting_is_only_for_those_who_keep_the_rules(login, org_demo):
    setting = FieldReadingSettings.load()
    client = login("l1-H11")
    url = f"/admin/settings/records/fieldreadingsettings/{setting.pk}/"
    assert client.get(url).status_code in (302, 403)
    client.post(url, {"confidence_threshold": "0.1"})
    assert formats.confidence_threshold() == setting.confidence_threshold
    menu = "/admin/settings/records/fieldreadingsettings/"  # the settings menu's item 识别设置
    assert menu not in client.get("/admin/").content.decode()
    home = login("archivist").get("/admin/").content.decode()
    assert menu in home and "/admin/transactionformat/" in home and "/admin/businesstype/" in home
