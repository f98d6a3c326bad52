"""Every role × own scope / other scope, for every action that exists so far."""
import pytest

from org import access
from org.models import Branch, Hall
from records.models import Record

# username → (own hall, a hall outside the user's scope); None where the role is city-wide.
SUBJECTS = {
    "clerk-H11": ("H11", "H12"),
    "l1-H11": ("H11", "H21"),
    "keeper-H11": ("H11", "H12"),
    "auditor-B1": ("H12", "H21"),
    "marketing": ("H31", None),
    "archivist": ("H22", None),
    "staff": ("H11", None),
    "office": ("H11", None),
    "gm": ("H11", None),
    "depthead": ("H11", None),
    "admin": ("H11", None),
    # roles without a demo user, created by the `extra_roles` fixture
    "auditor-role-B2": ("H22", "H11"),
    "auditor-role-H31": ("H31", "H32"),
    "author": ("H11", None),
}

# action → users allowed it inside their own scope (outside their scope nobody is, unless city-wide)
EXPECTED = {
    "record.view": {"clerk-H11", "l1-H11", "keeper-H11", "auditor-B1", "marketing", "archivist", "admin",
                    "auditor-role-B2", "auditor-role-H31"},
    "record.create": {"clerk-H11", "archivist", "admin"},
    "record.export": {"l1-H11", "keeper-H11", "auditor-B1", "marketing", "archivist", "admin",
                      "auditor-role-B2", "auditor-role-H31"},
    "pii.view_full": {"l1-H11", "archivist"},
    "report.import": {"l1-H11", "archivist", "admin"},
    "record.correct": {"clerk-H11", "l1-H11", "archivist", "admin"},
    "record.retry": {"clerk-H11", "l1-H11", "keeper-H11", "archivist", "admin"},
    "handbook.unread_report": {"keeper-H11", "auditor-B1", "marketing", "admin"},
    "org.view": {"clerk-H11", "l1-H11", "keeper-H11", "auditor-B1", "marketing", "archivist", "admin",
                 "auditor-role-B2", "auditor-role-H31"},
    # the audit and handover chain (archive/)
    "archive.view": {"l1-H11", "keeper-H11", "auditor-B1", "marketing", "archivist", "admin",
                     "auditor-role-B2", "auditor-role-H31"},
    "dailyclose.run": {"clerk-H11", "admin"},
    "audit.level1": {"l1-H11", "admin"},
    "error.correct": {"clerk-H11", "l1-H11", "keeper-H11", "archivist", "admin"},
    "handover.clerk_hall.give": {"l1-H11", "admin"},
    "handover.clerk_hall.receive": {"keeper-H11", "admin"},
    "handover.hall_branch.give": {"keeper-H11", "admin"},
    "handover.hall_branch.receive": {"auditor-B1", "admin"},
    "handover.branch_marketing.give": {"auditor-B1", "admin"},
    "handover.branch_marketing.receive": {"marketing", "admin"},
    "volume.bind": {"keeper-H11", "admin"},
    "volume.close_short": {"keeper-H11", "admin"},
    "volume.fix": {"keeper-H11", "admin"},
    "volume.return_to_level1": {"keeper-H11", "admin"},
    "audit.level2": {"auditor-B1", "admin"},
    "marketing.check": {"marketing", "admin"},
    "dashboard.view": {"l1-H11", "keeper-H11", "auditor-B1", "marketing", "archivist", "admin"},
    # retention, holds and destruction (archive/retention.py, holds.py, destruction.py, restriction.py)
    "retention.view": {"marketing", "archivist", "office", "gm", "depthead", "admin", "auditor-role-B2",
                       "auditor-role-H31"},
    "retention.schedule": {"archivist", "admin"},
    "retention.import": {"archivist", "admin"},
    "retention.hold": {"archivist", "admin"},
    "retention.request": {"archivist", "admin"},
    "retention.restricted_open": {"archivist", "admin"},
    "destruction.draw": {"archivist", "admin"},
    "destruction.appraise": {"archivist", "depthead", "admin"},
    "destruction.approve": {"gm", "admin"},
    "destruction.execute": {"archivist", "admin"},
    "destruction.witness": {"archivist", "marketing", "office", "depthead", "admin"},
    # storage locations, look-ups and loans (archive/locations.py, loans.py)
    "location.manage": {"archivist", "admin"},
    "loan.approve": {"auditor-B1", "gm", "depthead", "admin"},
    "loan.issue": {"archivist", "admin"},
    "loan.register": {"archivist", "gm", "depthead", "admin", "auditor-role-B2", "auditor-role-H31"},
}
GLOBAL_EXPECTED = {
    "org.manage": {"admin"},
    "auditlog.view": {"archivist", "admin"},
    "record.rules": {"archivist", "admin"},
    "admin.access": set(SUBJECTS) - {"staff"},
    "handbook.read": set(SUBJECTS),
    "handbook.review": {"office", "gm", "depthead", "admin"},
    "loan.request": set(SUBJECTS),  # every role but the system administrator's (the demo admin is a superuser)
    # integrity (records/fixity.py, archive/dat70.py, archive/bag.py)
    "integrity.view": {"archivist", "admin"},
    "integrity.check": {"archivist", "admin"},
    "archive.export": {"archivist", "admin"},
}


@pytest.fixture
def extra_roles(org_demo):
    """Users for the roles the demo data does not have: the read-only auditor (branch and hall scope) and a
    process author."""
    from org.models import RoleAssignment, User

    for username, role, scope, hall, branch in [
        ("auditor-role-B2", "auditor", "branch", None, "B2"),
        ("auditor-role-H31", "auditor", "hall", "H31", None),
        ("author", "author", "all", None, None),
    ]:
        user = User.objects.create_user(username, password="x", full_name=username)
        RoleAssignment.objects.create(user=user, role=role, scope=scope,
                                      hall=Hall.objects.get(code=hall) if hall else None,
                                      branch=Branch.objects.get(code=branch) if branch else None)


def test_every_action_is_covered():
    assert set(EXPECTED) | set(GLOBAL_EXPECTED) == set(access.ACTIONS)


def test_every_role_is_covered(extra_roles):
    from org.models import RoleAssignment
    from org.roles import Role

    held = set(RoleAssignment.objects.filter(user__username__in=SUBJECTS).values_list("role", flat=True))
    assert held == {r.value for r in Role}


@pytest.mark.parametrize("username", sorted(SUBJECTS))
@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_scoped_action(users, make_record, extra_roles, username, action):
    user = users(username)
    own, other = SUBJECTS[username]
    own_record = make_record(own)
    allowed = username in EXPECTED[action]
    target = own_record if action != "record.create" else own_record.hall
    if action == "org.view":
        target = own_record.hall
    assert access.can(user, action, target) is allowed, f"{username} {action} own scope"
    if other is not None:
        other_record = make_record(other)
        other_target = other_record if action not in ("record.create", "org.view") else other_record.hall
        # superusers are city-wide by definition
        assert access.can(user, action, other_target) is (username == "admin"), f"{username} {action} other"


@pytest.mark.parametrize("username", sorted(SUBJECTS))
@pytest.mark.parametrize("action", sorted(GLOBAL_EXPECTED))
def test_global_action(users, extra_roles, username, action):
    assert access.can(users(username), action) is (username in GLOBAL_EXPECTED[action])


@pytest.mark.parametrize("username", sorted(SUBJECTS))
def test_visible_records_are_exactly_the_scope(users, make_record, extra_roles, username):
    for code in ("H11", "H12", "H21", "H22", "H31", "H32"):
        make_record(code)
    user = users(username)
    seen = set(access.visible(user, Record.objects.all()).values_list("hall__code", flat=True))
    expected = {
        "clerk-H11": {"H11"}, "l1-H11": {"H11"}, "keeper-H11": {"H11"}, "auditor-B1": {"H11", "H12"},
        "marketing": {"H11", "H12", "H21", "H22", "H31", "H32"},
        "archivist": {"H11", "H12", "H21", "H22", "H31", "H32"},
        "admin": {"H11", "H12", "H21", "H22", "H31", "H32"},
        "auditor-role-B2": {"H21", "H22"}, "auditor-role-H31": {"H31"},
    }.get(username, set())
    assert seen == expected


def test_visible_is_a_query_filter_not_a_loop(users, make_record, django_assert_num_queries):
    make_record("H11")
    make_record("H21")
    user = users("auditor-B2")
    access.assignments(user)  # roles load once per request
    with django_assert_num_queries(1):
        codes = list(access.visible(user, Record.objects.all()).values_list("hall__code", flat=True))
    assert codes == ["H21"]


def test_halls_and_branches_follow_scope(users, org_demo):
    clerk = users("clerk-H21")
    assert list(access.visible(clerk, Hall.objects.all(), "org.view").values_list("code", flat=True)) == ["H21"]
    assert list(access.visible(clerk, Branch.objects.all(), "org.view").values_list("code", flat=True)) == ["B2"]
    auditor = users("auditor-B3")
    assert sorted(access.visible(auditor, Hall.objects.all(), "org.view").values_list("code", flat=True)) == [
        "H31", "H32"]


def test_inactive_and_anonymous_users_get_nothing(users, make_record):
    from django.contrib.auth.models import AnonymousUser

    make_record("H11")
    clerk = users("clerk-H11")
    clerk.is_active = False
    assert not access.can(clerk, "record.view", Record.objects.first())
    assert access.visible(clerk, Record.objects.all()).count() == 0
    assert access.visible(AnonymousUser(), Record.objects.all()).count() == 0


def test_role_scope_rules_are_enforced(org_demo):
    from django.core.exceptions import ValidationError

    from org.models import RoleAssignment

    clerk = org_demo["clerk-H11"]
    bad = RoleAssignment(user=clerk, role="clerk", scope="branch", branch=Branch.objects.get(code="B1"))
    with pytest.raises(ValidationError) as err:
        bad.full_clean()
    assert "scope" in err.value.message_dict
    duplicate = RoleAssignment(user=clerk, role="clerk", scope="hall", hall=Hall.objects.get(code="H11"))
    with pytest.raises(ValidationError):
        duplicate.full_clean()


def test_django_permission_checks_go_through_org(users):
    assert users("clerk-H11").has_perm("wagtailadmin.access_admin")
    assert not users("staff").has_perm("wagtailadmin.access_admin")
    assert users("archivist").has_perm("org.view_auditevent")
    assert not users("clerk-H11").has_perm("org.view_auditevent")
    assert users("admin").has_perm("org.change_hall")
    assert not users("auditor-B1").has_perm("org.change_hall")


def test_role_screens_for_sysadmin_only(org_demo, client):
    from org.models import AuditEvent, RoleAssignment

    clerk = org_demo["clerk-H12"]
    form = {"user": clerk.pk, "role": "keeper", "scope": "hall", "hall": Hall.objects.get(code="H12").pk}
    client.force_login(org_demo["auditor-B1"])
    assert client.get("/admin/roleassignment/").status_code in (302, 403)
    client.post("/admin/roleassignment/new/", form)
    assert not RoleAssignment.objects.filter(user=clerk, role="keeper").exists()
    client.force_login(org_demo["admin"])
    response = client.post("/admin/roleassignment/new/", form)
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(user=clerk, role="keeper").exists()
    event = AuditEvent.objects.filter(action="org.roleassignment.create").latest("seq")
    assert event.actor_name == "admin" and event.details["role"] == "keeper"
    # a wrong scope is refused with a clear message and nothing is saved
    bad = dict(form, role="branch_auditor")
    page = client.post("/admin/roleassignment/new/", bad).content.decode()
    assert "不能绑定到此范围" in page
    assert not RoleAssignment.objects.filter(user=clerk, role="branch_auditor").exists()
