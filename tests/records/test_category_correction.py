"""Issue 16, trap 2, on the server: a corrected business type sets the category from the admin-kept table
(as OCR does), the category itself is correctable until the daily close, every change is in the event log,
and the daily close's refusal links to the files it names."""
import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from archive import dailyclose
from org.models import AuditEvent, Hall
from records import transitions
from records.models import BusinessType, Record

DAY = datetime.date(2026, 11, 2)
pytestmark = pytest.mark.django_db


@pytest.fixture
def uncategorised(make_record):
    BusinessType.objects.get_or_create(name="过户", defaults={"category": "ownership"})
    BusinessType.objects.get_or_create(name="换卡", defaults={"category": "general"})
    return make_record("H11", business_date=DAY, status=Record.Status.OCR_DONE, business_type="过P", category="",
                       fields={"business_type": {"value": "过P", "confidence": 0.4, "problem": "不在表中"}})


def _events(record):
    return [e.details for e in AuditEvent.objects.filter(action="record.correct_field", object_id=str(record.pk))
            .order_by("seq")]


def test_a_corrected_business_type_sets_the_category(users, uncategorised):
    record = transitions.correct_field(users("clerk-H11"), uncategorised, "business_type", "过户")
    assert (record.business_type, record.category) == ("过户", "ownership")
    assert record.fields["business_type"]["problem"] is None
    assert _events(record) == [{"field": "business_type", "old": "过P", "new": "过户",
                                "category": {"old": "", "new": "ownership"}}]
    # a second correction to a type of another category moves the category with it
    record = transitions.correct_field(users("clerk-H11"), record, "business_type", "换卡")
    assert record.category == "general" and _events(record)[-1]["category"] == {"old": "ownership", "new": "general"}


def test_a_business_type_outside_the_table_leaves_the_category_to_a_person(users, uncategorised):
    record = transitions.correct_field(users("clerk-H11"), uncategorised, "business_type", "宽带业务")
    assert record.category == "" and "category" not in _events(record)[0]
    record = transitions.correct_field(users("l1-H11"), record, "category", "general")
    assert record.category == "general"
    assert _events(record)[-1] == {"field": "category", "old": "", "new": "general"}


def test_the_category_is_fixed_once_the_day_is_sorted(users, uncategorised):
    clerk = users("clerk-H11")
    transitions.correct_category(clerk, uncategorised, "ownership")
    dailyclose.DailyClose(clerk, Hall.objects.get(code="H11"), DAY).run()
    with pytest.raises(transitions.TransitionError):
        transitions.correct_category(clerk, uncategorised, "general")
    record = transitions.correct_field(clerk, uncategorised, "business_type", "换卡")  # still correctable
    assert (record.status, record.business_type, record.category) == (Record.Status.SORTED, "换卡", "ownership")
    assert "category" not in _events(record)[-1]


def test_a_category_must_be_one_of_three_and_needs_the_right(users, uncategorised):
    with pytest.raises(transitions.TransitionError):
        transitions.correct_category(users("clerk-H11"), uncategorised, "other")
    with pytest.raises(PermissionDenied):
        transitions.correct_category(users("keeper-H11"), uncategorised, "general")
    with pytest.raises(PermissionDenied):
        transitions.correct_category(users("clerk-H12"), uncategorised, "general")  # another hall
    uncategorised.refresh_from_db()
    assert uncategorised.category == "" and _events(uncategorised) == []


def test_the_record_page_corrects_the_category_and_says_what_the_business_type_did(login, uncategorised):
    client = login("clerk-H11")
    page = client.get(reverse("record:inspect", args=[uncategorised.pk])).content.decode()
    assert 'data-field="category"' in page and "尚未确定类别" in page and 'name="field" value="category"' in page
    url = reverse("records_admin:correct", args=[uncategorised.pk])
    response = client.post(url, {"field": "business_type", "value": "过户"}, follow=True)
    assert "业务类型 已更正；类别随之改为：权属类" in response.content.decode()
    response = client.post(url, {"field": "business_type", "value": "宽带业务"}, follow=True)
    assert "请选择类别" not in response.content.decode()  # it keeps the category it has
    response = client.post(url, {"field": "category", "value": "agreement"}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    uncategorised.refresh_from_db()
    assert uncategorised.category == "agreement"
    refused = login("keeper-H11").post(url, {"field": "category", "value": "general"}, follow=True)
    assert [m.level_tag for m in refused.context["messages"]] == ["error"]


def test_the_api_corrects_the_category(users, client, uncategorised):
    client.force_login(users("clerk-H11"))
    url = f"/api/records/{uncategorised.pk}/correct/"
    bad = client.post(url, {"field": "category", "value": "nope"}, content_type="application/json")
    assert bad.status_code == 400
    good = client.post(url, {"field": "category", "value": "general"}, content_type="application/json")
    assert good.status_code == 200 and good.json()["category"] == "general"


def test_the_daily_close_refusal_links_to_the_files(login, uncategorised):
    client = login("clerk-H11")
    response = client.post(reverse("archive_admin:daily_close_run"),
                           {"hall": Hall.objects.get(code="H11").pk, "day": DAY.isoformat()}, follow=True)
    html = response.content.decode()
    link = reverse("record:inspect", args=[uncategorised.pk])
    assert "请先为这些资料确定类别" in html and f'<a href="{link}">{uncategorised}</a>' in html
    screen = client.get(reverse("archive_admin:daily_close")).content.decode()
    assert f'href="{link}"' in screen and "未确定，去更正" in screen
    uncategorised.refresh_from_db()
    assert uncategorised.status == Record.Status.OCR_DONE
