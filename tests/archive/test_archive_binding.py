"""Binding: exactly 30 per volume, one hall and category, short only at month close, never twice."""
import threading

import pytest
from django.db import connection

from archive.base import ChainError
from archive.binding import Bind, CloseMonth
from archive.models import Volume, VolumeItem
from org.models import Hall
from records.models import Record
from tests.archive_helpers import day, make_day, to_keeper
from tests.conftest import on_postgres


def _at_hall(make_record, users, n, category="general", hall="H11", on=1):
    make_day(make_record, hall, day(on), [category] * n)
    to_keeper(users, hall, day(on))
    return list(Record.objects.filter(hall__code=hall, status=Record.Status.AT_HALL))


def test_65_passed_records_give_30_30_and_5_at_month_close(make_record, users):
    records = _at_hall(make_record, users, 65)
    keeper = users("keeper-H11")
    volumes = Bind(keeper, records).run()
    assert [(v.number, v.items.count(), v.status) for v in volumes] == [
        ("H11-2026-ZH-001", 30, "bound"), ("H11-2026-ZH-002", 30, "bound"), ("H11-2026-ZH-003", 5, "open")]
    with pytest.raises(ChainError, match="只能在月末结卷"):
        CloseMonth(keeper, Hall.objects.get(code="H11"), 2026, 10, today=day(30)).run()
    assert Volume.objects.get(number="H11-2026-ZH-003").status == "open"
    closed = CloseMonth(keeper, Hall.objects.get(code="H11"), 2026, 10, today=day(31)).run()
    assert [(v.number, v.items.count(), v.status) for v in closed] == [("H11-2026-ZH-003", 5, "bound")]
    assert sorted(Volume.objects.values_list("items__position", flat=True).distinct())[-1] == 30
    assert Record.objects.filter(status="bound").count() == 65


def test_binding_refuses_records_not_passed_or_already_bound(make_record, users):
    records = _at_hall(make_record, users, 3)
    keeper = users("keeper-H11")
    fresh = make_day(make_record, "H11", day(2), ["general"])
    with pytest.raises(ChainError, match="一级稽核通过"):
        Bind(keeper, records + fresh).run()
    assert not VolumeItem.objects.exists()  # nothing bound
    Bind(keeper, records).run()
    with pytest.raises(ChainError, match="已装订成卷"):
        Bind(keeper, records[:1]).run()
    assert VolumeItem.objects.count() == 3


def test_one_hall_and_category_per_volume(make_record, users):
    make_day(make_record, "H11", day(1), ["general", "ownership", "agreement", "general"])
    to_keeper(users, "H11", day(1))
    volumes = Bind(users("keeper-H11"), Record.objects.filter(hall__code="H11")).run()
    assert sorted((v.category, v.items.count()) for v in volumes) == [("agreement", 1), ("general", 2),
                                                                      ("ownership", 1)]
    for volume in volumes:
        assert {r.category for r in Record.objects.filter(volume_item__volume=volume)} == {volume.category}


def test_keeper_of_another_hall_cannot_bind(make_record, users):
    from django.core.exceptions import PermissionDenied

    records = _at_hall(make_record, users, 2)
    for who in ("keeper-H12", "clerk-H11", "l1-H11", "auditor-B1"):
        with pytest.raises(PermissionDenied):
            Bind(users(who), records).run()
    assert not VolumeItem.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_keepers_binding_at_once_never_put_a_record_in_two_volumes(org_demo, make_record, users):
    if not on_postgres():
        pytest.skip("parallel writers need PostgreSQL (SQLite serialises whole-database writes)")
    from org.models import RoleAssignment, User

    second = User.objects.create_user("keeper2-H11", password="x")
    RoleAssignment.objects.create(user=second, role="keeper", scope="hall", hall=Hall.objects.get(code="H11"))
    records = _at_hall(make_record, users, 45)
    ids = [r.pk for r in records]
    results, barrier = {}, threading.Barrier(2)

    def bind(name, chosen):
        try:
            barrier.wait()
            results[name] = [v.number for v in Bind(users(name), Record.objects.filter(pk__in=chosen)).run()]
        except ChainError as exc:
            results[name] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=bind, args=("keeper-H11", ids[:40])),
               threading.Thread(target=bind, args=("keeper2-H11", ids[5:45]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # the one that came second found records already bound and bound nothing
    assert sum(isinstance(r, ChainError) for r in results.values()) == 1
    assert VolumeItem.objects.count() == 40
    assert VolumeItem.objects.values("record").distinct().count() == 40
    assert [v.items.count() for v in Volume.objects.order_by("seq")] == [30, 10]


def test_keeper_returns_a_bound_volume_to_the_level1_auditor(make_record, users):
    from archive.binding import FixReturned, ReturnToLevel1
    from archive.models import HandoverForm, Level1Audit
    from org.models import AuditEvent

    records = _at_hall(make_record, users, 2)
    keeper, l1 = users("keeper-H11"), users("l1-H11")
    Bind(keeper, records).run()
    volume = CloseMonth(keeper, Hall.objects.get(code="H11"), 2026, 10, today=day(31)).run()[0]
    with pytest.raises(ChainError, match="原因"):
        ReturnToLevel1(keeper, volume, " ").run()
    ReturnToLevel1(keeper, volume, "缺身份证复印件").run()
    volume.refresh_from_db()
    assert (volume.status, volume.holder) == ("returned", l1)
    form = HandoverForm.objects.get(kind="clerk_hall")
    assert form.notes[0]["reason"] == "缺身份证复印件" and form.has_returns
    assert "缺身份证复印件" in Level1Audit.objects.get().notes
    event = AuditEvent.objects.filter(action="volume.return").latest("seq")
    assert event.details["reason"] == "缺身份证复印件" and event.details["to"] == "l1-H11"
    FixReturned(keeper, volume, "已补齐").run()
    volume.refresh_from_db()
    assert (volume.status, volume.holder) == ("bound", keeper)
