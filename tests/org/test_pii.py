"""ID numbers: encrypted at rest, keyed-hash lookup, masked on screens/API/exports, every full view logged."""
import pytest
from django.db import connection

from org import pii
from org.models import AuditEvent
from records.models import Record

ID = "510302199001011234"


def _raw_column(record):
    with connection.cursor() as cur:
        cur.execute("SELECT id_number, id_number_hash FROM records_record WHERE id = %s", [record.pk])
        return cur.fetchone()


def test_encrypted_at_rest_and_found_by_hash(make_record):
    record = make_record(id_number=ID)
    raw, digest = _raw_column(record)
    assert ID not in raw and raw.startswith("v1:")
    assert Record.objects.get(pk=record.pk).id_number == ID
    assert Record.objects.filter(id_number_hash=pii.lookup_hash("5103 0219 9001 011234")).get() == record
    assert digest != pii.lookup_hash("510302199001011235")
    # the same number encrypts differently each time (random nonce), so ciphertexts reveal no equality
    other = make_record(id_number=ID)
    assert _raw_column(other)[0] != raw


def test_mask_keeps_first_and_last_four():
    assert pii.mask(ID) == "5103**********1234"
    assert pii.mask("51030219900101123x") == "5103**********123X"
    assert pii.mask("1234567") == "*******"
    assert pii.mask("") == ""


def test_tampered_ciphertext_is_refused(make_record):
    record = make_record(id_number=ID)
    raw = _raw_column(record)[0]
    forged = raw[:-4] + ("AAAA" if not raw.endswith("AAAA") else "BBBB")
    with connection.cursor() as cur:
        cur.execute("UPDATE records_record SET id_number = %s WHERE id = %s", [forged, record.pk])
    with pytest.raises(Exception):
        Record.objects.get(pk=record.pk).id_number  # noqa: B018


def test_reveal_full_for_allowed_role_and_logged(make_record, users):
    record = make_record("H11", id_number=ID)
    before = AuditEvent.objects.filter(action="pii.view_full").count()
    assert pii.reveal(users("l1-H11"), record) == ID
    assert pii.reveal(users("archivist"), record) == ID
    assert AuditEvent.objects.filter(action="pii.view_full").count() == before + 2
    event = AuditEvent.objects.filter(action="pii.view_full").latest("seq")
    assert event.actor_name == "archivist" and event.object_id == str(record.pk)
    assert ID not in str(event.details)


@pytest.mark.parametrize("username", ["clerk-H11", "keeper-H11", "auditor-B1", "marketing", "admin", "l1-H12"])
def test_reveal_masked_for_others_and_not_logged(make_record, users, username):
    record = make_record("H11", id_number=ID)
    before = AuditEvent.objects.filter(action="pii.view_full").count()
    assert pii.reveal(users(username), record) == "5103**********1234"
    assert AuditEvent.objects.filter(action="pii.view_full").count() == before


def test_admin_screens_mask_and_reveal_is_logged(make_record, users, client):
    record = make_record("H11", id_number=ID)
    client.force_login(users("clerk-H11"))
    listing = client.get("/admin/record/").content.decode()
    assert "5103**********1234" in listing and ID not in listing
    page = client.get(f"/admin/record/inspect/{record.pk}/?reveal=1").content.decode()
    assert ID not in page and "5103**********1234" in page
    client.force_login(users("l1-H11"))
    page = client.get(f"/admin/record/inspect/{record.pk}/").content.decode()
    assert ID not in page and "?reveal=1" in page
    page = client.get(f"/admin/record/inspect/{record.pk}/?reveal=1").content.decode()
    assert ID in page
    assert AuditEvent.objects.filter(action="pii.view_full", actor_name="l1-H11",
                                     details__purpose="admin.inspect").exists()


def test_admin_record_outside_scope_is_not_found(make_record, users, client):
    record = make_record("H21")
    client.force_login(users("l1-H11"))
    assert client.get(f"/admin/record/inspect/{record.pk}/?reveal=1").status_code == 404
    listing = client.get("/admin/record/").content.decode()
    assert record.transaction_no not in listing


def test_export_is_masked_scoped_and_logged(make_record, users, client):
    mine = make_record("H11", id_number=ID)
    theirs = make_record("H21", id_number="110101199003077777")
    client.force_login(users("archivist"))
    client.force_login(users("l1-H11"))
    response = client.get("/admin/record/", {"export": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8")
    assert mine.transaction_no in body and theirs.transaction_no not in body
    assert "5103**********1234" in body and ID not in body
    event = AuditEvent.objects.filter(action="export").latest("seq")
    assert event.actor_name == "l1-H11" and event.details["rows"] == 1


def test_api_masks_and_reveals_only_to_allowed(make_record, users, client):
    record = make_record("H11", id_number=ID)
    make_record("H31")
    client.force_login(users("clerk-H11"))
    data = client.get("/api/records/").json()
    assert [r["transaction_no"] for r in data["results"]] == [record.transaction_no]
    assert data["results"][0]["id_number"] == "5103**********1234"
    assert client.get(f"/api/records/{record.pk}/id-number/").status_code == 403
    client.force_login(users("l1-H11"))
    response = client.get(f"/api/records/{record.pk}/id-number/")
    assert response.status_code == 200 and response.json()["id_number"] == ID
    assert AuditEvent.objects.filter(action="pii.view_full", actor_name="l1-H11", details__purpose="api").exists()


def test_api_token_auth_and_anonymous_refused(make_record, users, client):
    from org import tokens

    make_record("H11")
    assert client.get("/api/records/").status_code in (401, 403)
    _, token = tokens.create(users("auditor-B1"))
    response = client.get("/api/records/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200 and response.json()["count"] == 1
    assert client.get("/api/schema/").status_code in (200, 401, 403)


def test_bad_key_is_a_clear_error(settings):
    from config.env import ConfigError

    settings.PII_KEY = "not base64 !!"
    pii._keys.cache_clear()
    try:
        with pytest.raises(ConfigError) as err:
            pii.keys()
        assert "PII_KEY" in str(err.value)
        settings.PII_KEY = "c2hvcnQ="
        pii._keys.cache_clear()
        with pytest.raises(ConfigError, match="32 bytes"):
            pii.keys()
    finally:
        pii._keys.cache_clear()


def test_screens_and_exports_show_local_time_and_labels(make_record, users, client):
    """Times are Beijing time everywhere (Wagtail's inspect view and exports would show UTC); choices by name."""
    import datetime
    import io

    import openpyxl
    from django.utils import timezone

    record = make_record("H11", id_number=ID, status=Record.Status.OCR_DONE)
    utc = datetime.datetime(2026, 11, 30, 17, 5, 9, tzinfo=datetime.timezone.utc)  # 1 December, 01:05 in Beijing
    Record.objects.filter(pk=record.pk).update(created_at=utc)
    client.force_login(users("l1-H11"))
    page = client.get(f"/admin/record/inspect/{record.pk}/").content.decode()
    assert "2026-12-01 01:05" in page and "2026-11-30 17:05" not in page
    body = b"".join(client.get("/admin/record/", {"export": "csv"}).streaming_content).decode("utf-8")
    header, row = body.splitlines()[:2]
    assert header.split(",")[-3:] == ["状态", "页数", "创建时间"] and "类别" in header
    assert row.endswith(",已识别,0,2026-12-01 01:05:09") and ",居民身份证," in row
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(
        client.get("/admin/record/", {"export": "xlsx"}).streaming_content)))
    assert list(workbook.active.values)[1][-1] == datetime.datetime(2026, 12, 1, 1, 5, 9)

    client.force_login(users("archivist"))  # the event log's own screens
    event = AuditEvent.objects.latest("seq")
    local = timezone.localtime(event.created_at)
    page = client.get(f"/admin/auditevent/inspect/{event.pk}/").content.decode()
    assert f"{local:%Y-%m-%d %H:%M}" in page
    body = b"".join(client.get("/admin/auditevent/", {"export": "csv"}).streaming_content).decode("utf-8")
    assert f"{local:%Y-%m-%d %H:%M:%S}" in body and "+00:00" not in body


# --- ID numbers inside free text (OCR): org.pii.mask_text ---------------------------------------------

@pytest.mark.parametrize("text, masked", [
    ("5103 0319 9203 0332 13", "5103**********3213"),  # printed in groups
    ("证件号码 5103  0319 9203 0332 13 。", "证件号码 5103**********3213 。"),  # two spaces between groups
    ("No510302197707077898", "No5103**********7898"),  # glued to letters
    ("号码510302197707077898号", "号码5103**********7898号"),  # glued to CJK
    ("５１０３０２１９７７０７０７７８９８", "5103**********7898"),  # full-width
    ("１１０１０５１９４９１２３１００２Ｘ", "1101**********002X"),
    ("５１０３　０２１９　７７０７　０７７８　９８", "5103**********7898"),  # full-width spaces
    ("旧证110105491231002号", "旧证1101*******1002号"),  # the old 15 digits
    ("110105 491231 002", "1101*******1002"),
    ("310105-19880808-1234", "3101**********1234"),  # dashes
    ("310105－19880808－1234", "3101**********1234"),
    ("4401.0619.9512.1256.78", "4401**********5678"),  # dots
    ("11010519491231002x", "1101**********002X"),  # check character
    ("11010519491231002×", "1101**********002X"),
    ("5201021990\n01015678", "5201**********5678"),  # wrapped by OCR
    ("5201021990\r\n01015678", "5201**********5678"),
    ("3301061985O6061234", "3301**********1234"),  # OCR read 0 as O
    ("33010619850606l234", "3301**********1234"),
    ("𝟓𝟏𝟎𝟑𝟎𝟐𝟏𝟗𝟕𝟕𝟎𝟕𝟎𝟕𝟕𝟖𝟗𝟖", "5103**********7898"),
    ("5103021977070778", "5103********0778"),  # a digit lost: 16 is masked too
    ("13013219770 7077898", "1301**********7898"),  # split after the 11th digit, looks like a phone
    ("证件 510302197707077898 手机 13800001234", "证件 5103**********7898 手机 13800001234"),
    ("510302197707077898 13800001234", "5103**********7898 13800001234"),
    ("13800001234 5103 0319 9203 0332 13", "13800001234 5103**********3213"),
])
def test_mask_text_masks_every_layout(text, masked):
    assert pii.mask_text(text) == masked
    assert pii.mask_text(masked) == masked  # masking twice changes nothing


@pytest.mark.parametrize("text", [
    "服务号码 13800001234", "13800001234 13900002222", "138 0000 1234", "受理编号 SC2026110200123",
    "TX1001 套餐 A8", "受理时间 2026-11-02 10:05:09", "金额 1,234,567,890.00 元", "5103021977\n\n07077898",
    "Bob Sloss 123", "", None,
])
def test_mask_text_keeps_what_is_not_id_like(text):
    assert pii.mask_text(text) == (text or "")


def test_mask_text_false_positives_are_masked_on_purpose():
    """Prefer masking too much: dates strung together and long all-digit numbers are masked too."""
    assert pii.mask_text("有效期限 2016.07.07-2036.07.07") == "有效期限 2016********0707"
    assert pii.mask_text("流水 20261102123456789012") == "流水 2026************9012"
    assert pii.mask_text("手机 13800001234 2026年") == "手机 1380*******2026年"  # exactly 15 across a phone


def test_id_number_query_reads_any_layout():
    assert pii.id_number_query(" 5103 0319 9203 0332 13 ") == "510303199203033213"
    assert pii.id_number_query("５１０３０２１９７７０７０７７８９８") == "510302197707077898"
    assert pii.id_number_query("110105-491231-002") == "110105491231002"
    assert pii.id_number_query("11010519491231002x") == "11010519491231002X"
    for text in ("TX1001", "13800001234", "张三 510302197707077898", "5103021977070778", ""):
        assert pii.id_number_query(text) == ""


# --- mobile numbers inside free text (the event log): org.pii.mask_mobiles --------------------------------

@pytest.mark.parametrize("text, masked", [
    ("客户电话13800138000未签字", "客户电话138****8000未签字"),
    ("电话 138-0013-8000", "电话 138****8000"),
    ("电话 138 0013 8000。", "电话 138****8000。"),
    ("１３８００１３８０００", "138****8000"),  # full-width
    ("流水号 SC1380013800088", "流水号 SC1380013800088"),  # part of a transaction number
    ("1380013800012", "1380013800012"),  # 13 digits: no mobile number
    ("12345678901", "12345678901"),  # 11 digits, not 13-19
    ("1101**********0029", "1101**********0029"),  # a masked ID number stays as it is
    ("", ""),
])
def test_mask_mobiles(text, masked):
    assert pii.mask_mobiles(text) == masked
