"""The dashboard per scope: waiting files, volumes and holders, returns, errors per clerk and hall (SVG)."""
from django.urls import reverse

from archive import custody, dashboard, errors
from archive.binding import Bind
from records.models import Record
from tests.archive_helpers import day, make_day, to_keeper


def test_dashboard_counts_and_charts_stay_inside_the_scope(client, make_record, users):
    make_day(make_record, "H11", day(1), ["general"] * 3)
    make_day(make_record, "H21", day(1), ["general"] * 2)
    to_keeper(users, "H11", day(1))
    errors.register(users("l1-H11"), Record.objects.filter(hall__code="H11").first(), "缺签名", "l1")
    errors.register(users("l1-H21"), Record.objects.filter(hall__code="H21").first(), "证件不清", "l1")
    errors.register(users("l1-H21"), Record.objects.filter(hall__code="H21").last(), "证件不清", "l1")

    keeper, auditor_b2, marketing = users("keeper-H11"), users("auditor-B2"), users("marketing")
    assert dict(dashboard.waiting(keeper))["待装订"] == 3
    assert dict(dashboard.waiting(auditor_b2))["待日终分类"] == 2 and dict(dashboard.waiting(auditor_b2))["待装订"] == 0
    assert dashboard.errors_per_clerk(keeper) == [(users("clerk-H11").full_name, 1)]
    assert dashboard.errors_per_clerk(auditor_b2) == [(users("clerk-H21").full_name, 2)]
    assert sorted(n for _, n in dashboard.errors_per_clerk(marketing)) == [1, 2]
    assert [label.split()[1] for label, _ in dashboard.errors_per_hall_month(marketing)] == ["H11", "H21"]

    Bind(keeper, Record.objects.filter(hall__code="H11")).run()
    client.force_login(auditor_b2)
    page = client.get(reverse("archive_admin:dashboard")).content.decode()
    assert "<svg" in page and users("clerk-H21").full_name in page
    assert users("clerk-H11").full_name not in page and "H11-2026" not in page
    client.force_login(keeper)
    page = client.get(reverse("archive_admin:dashboard")).content.decode()
    assert "H11-2026-ZH-001" not in page  # still open: not yet a bound volume
    assert custody.record_location(Record.objects.filter(hall__code="H11").first()) == {
        "volume": "H11-2026-ZH-001", "holder": keeper.full_name, "location": ""}


def test_bar_chart_escapes_labels():
    svg = dashboard.bar_chart([("<b>x</b>", 3)], "t&t")
    assert "<b>" not in svg and "&lt;b&gt;" in svg and "t&amp;t" in svg
