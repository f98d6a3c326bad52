"""Hall.opened_on (开业日期): kept on the hall's admin screen; the demo halls opened on 2015-01-01 (issue 15:
a business date before the hall opened is flagged)."""
import datetime

from org import demo
from org.models import AuditEvent, Hall


def test_demo_halls_have_an_opening_date(org_demo):
    assert set(Hall.objects.values_list("opened_on", flat=True)) == {demo.OPENED_ON}


def test_the_opening_date_is_edited_with_the_hall_and_logged(login):
    hall = Hall.objects.get(code="H11")
    client = login("admin")
    page = client.get(f"/admin/hall/edit/{hall.pk}/").content.decode()
    assert "开业日期" in page
    response = client.post(f"/admin/hall/edit/{hall.pk}/", {
        "code": hall.code, "name": hall.name, "branch": hall.branch_id, "kind": hall.kind, "active": "on",
        "opened_on": "2016-03-08"})
    assert response.status_code == 302
    hall.refresh_from_db()
    assert hall.opened_on == datetime.date(2016, 3, 8)
    event = AuditEvent.objects.filter(action="org.hall.change", object_id=str(hall.pk)).latest("seq")
    assert event.details["opened_on"] == "2016-03-08" and event.actor_name == "admin"
