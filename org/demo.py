"""Demo organisation and users with fixed names (README and scripts rely on them)."""
import datetime

from django.db import transaction

from .models import Branch, Department, Hall, RoleAssignment, User
from .roles import Role, ScopeKind

DEMO_PASSWORD = "demo-pass-2026"

BRANCHES = [("B1", "自流井分公司"), ("B2", "贡井分公司"), ("B3", "大安分公司")]
OPENED_ON = datetime.date(2015, 1, 1)  # every demo hall's opening date
HALLS = [
    ("H11", "五星街营业厅", "B1", Hall.Kind.SELF_RUN),
    ("H12", "汇东营业厅", "B1", Hall.Kind.PARTNER),
    ("H21", "筱溪街营业厅", "B2", Hall.Kind.SELF_RUN),
    ("H22", "长土营业厅", "B2", Hall.Kind.PARTNER),
    ("H31", "大山铺营业厅", "B3", Hall.Kind.SELF_RUN),
    ("H32", "牛佛营业厅", "B3", Hall.Kind.PARTNER),
]
DEPARTMENTS = [("marketing", "市场部"), ("office", "办公室"), ("customer-service", "客户服务管理")]

HALL_ROLES = [("clerk", Role.CLERK, "营业员"), ("l1", Role.L1_AUDITOR, "一级稽核"),
              ("keeper", Role.KEEPER, "资料管理员")]
CITY_USERS = [
    # username, full name, role, department code
    ("marketing", "市场部业务组", Role.MARKETING, None),
    ("archivist", "档案管理员", Role.ARCHIVIST, None),
    ("staff", "普通员工", Role.STAFF, None),
    ("office", "办公室审核", Role.OFFICE, "office"),
    ("gm", "总经理", Role.GM, None),
    ("depthead", "市场部分管领导", Role.DEPTHEAD, "marketing"),
    ("admin", "系统管理员", Role.SYSADMIN, None),
]


def _user(username, full_name, employee_no="", superuser=False):
    user, created = User.objects.get_or_create(
        username=username, defaults={"full_name": full_name, "employee_no": employee_no,
                                     "is_superuser": superuser, "is_staff": superuser})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _assign(user, role, scope, hall=None, branch=None, department=None):
    RoleAssignment.objects.get_or_create(user=user, role=role, scope=scope, hall=hall, branch=branch,
                                         defaults={"department": department})


@transaction.atomic
def load():
    """Create what is missing; running it again changes nothing."""
    departments = {code: Department.objects.get_or_create(code=code, defaults={"name": name})[0]
                   for code, name in DEPARTMENTS}
    branches = {code: Branch.objects.get_or_create(code=code, defaults={"name": name})[0]
                for code, name in BRANCHES}
    halls = {}
    for code, name, branch, kind in HALLS:
        halls[code] = Hall.objects.get_or_create(code=code, defaults={"name": name, "branch": branches[branch],
                                                                      "kind": kind, "opened_on": OPENED_ON})[0]
    users = []
    for number, (code, hall) in enumerate(halls.items(), start=1):
        for prefix, role, title in HALL_ROLES:
            user = _user(f"{prefix}-{code}", f"{hall.name[:-3]}{title}", employee_no=f"{code}{prefix.upper()}{number:02d}")
            _assign(user, role, ScopeKind.HALL, hall=hall)
            users.append((user.username, role, code))
    for code, branch in branches.items():
        user = _user(f"auditor-{code}", f"{branch.name[:-3]}业务稽核")
        _assign(user, Role.BRANCH_AUDITOR, ScopeKind.BRANCH, branch=branch)
        users.append((user.username, Role.BRANCH_AUDITOR, code))
    for username, full_name, role, dept in CITY_USERS:
        user = _user(username, full_name, superuser=(username == "admin"))
        _assign(user, role, ScopeKind.ALL, department=departments.get(dept))
        if role is not Role.STAFF:
            _assign(user, Role.STAFF, ScopeKind.ALL)
        users.append((user.username, role, "全市"))
    return users
