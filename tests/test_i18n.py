"""Chinese first, English selectable; dates the way Chinese staff expect."""
import datetime

from django.template import Context, Template
from django.utils import translation

from org.roles import Role


def test_default_language_is_simplified_chinese(org_demo, make_record, client):
    make_record("H11")
    client.force_login(org_demo["clerk-H11"])
    page = client.get("/admin/record/").content.decode()
    assert 'lang="zh-hans"' in page
    assert "客户资料" in page and "受理编号" in page


def test_english_is_selectable_per_user(org_demo, make_record, client):
    make_record("H11")
    from wagtail.users.models import UserProfile

    clerk = org_demo["clerk-H11"]
    profile = UserProfile.get_for_user(clerk)
    profile.preferred_language = "en"
    profile.save()
    client.force_login(clerk)
    page = client.get("/admin/record/").content.decode()
    assert "Customer files" in page and "Transaction number" in page


def test_english_is_selectable_by_language_switch(db, client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/admin/login/"})
    assert response.status_code == 302
    assert "Sign in" in client.get("/admin/login/").content.decode()


def test_own_strings_have_chinese_catalogue():
    with translation.override("zh-hans"):
        assert str(Role.KEEPER.label) == "营业厅资料管理员"
        assert str(Role.BRANCH_AUDITOR.label) == "分公司业务稽核"
    with translation.override("en"):
        assert str(Role.KEEPER.label) == "Hall records keeper"


def test_dates_and_names_in_chinese_style(org_demo):
    with translation.override("zh-hans"):
        rendered = Template("{% load handbook_tags %}{{ d|date }}|{{ d|date:'SHORT_DATE_FORMAT' }}|"
                            "{{ t|date:'DATETIME_FORMAT' }}|{{ t }}|{{ d|prose_date }}").render(
            Context({"d": datetime.date(2026, 11, 3), "t": datetime.datetime(2026, 11, 3, 9, 5)}))
    # one format for a date and one for a date and time on every screen; words only inside a sentence
    assert rendered == "2026-11-03|2026-11-03|2026-11-03 09:05|2026-11-03 09:05|2026年11月3日"
    keeper = org_demo["keeper-H11"]
    assert keeper.get_full_name() == keeper.full_name and " " not in keeper.full_name


def test_the_filters_lookup_words_are_chinese():
    """django-filter ships zh_CN only, which zh-hans does not read: the project's catalogue carries them."""
    from django.utils import translation
    from django_filters.conf import settings as filter_settings

    with translation.override("zh-hans"):
        words = {key: str(filter_settings.VERBOSE_LOOKUPS[key]) for key in ("startswith", "gt", "lte", "in")}
    assert words == {"startswith": "开头为", "gt": "大于", "lte": "小于或等于", "in": "属于"}
