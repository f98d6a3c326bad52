"""Wagtail groups of the handbook, kept in step with the roles of org/roles.py (the one source of who is who).

A role assignment of author, office, general manager or department head (with its department) puts the user
in the matching group; removing the assignment takes them out. Wagtail's page permissions and workflow tasks
work on groups, so this is how the roles reach them.
"""
from django.contrib.auth.models import Group

from org.roles import Role

AUTHOR = "流程编制"
OFFICE = "办公室"
GM = "总经理"
DEPTHEAD_PREFIX = "分管领导·"
ROLE_GROUPS = {Role.AUTHOR: AUTHOR, Role.OFFICE: OFFICE, Role.GM: GM}


def department_head_group(department):
    return _group(f"{DEPTHEAD_PREFIX}{department.code}")


def _group(name):
    group, created = Group.objects.get_or_create(name=name)
    if created:
        from .setup import grant_editing

        grant_editing(group)
    return group


def is_handbook_group(name):
    return name in ROLE_GROUPS.values() or name.startswith(DEPTHEAD_PREFIX)


def wanted_groups(user):
    names = set()
    for assignment in user.role_assignments.select_related("department"):
        role = Role(assignment.role)
        if role in ROLE_GROUPS:
            names.add(ROLE_GROUPS[role])
        elif role == Role.DEPTHEAD and assignment.department_id:
            names.add(f"{DEPTHEAD_PREFIX}{assignment.department.code}")
    return names


def sync_user(user):
    """Put `user` in exactly the handbook groups their roles call for (other groups are left alone)."""
    wanted = wanted_groups(user)
    current = {g.name: g for g in user.groups.all() if is_handbook_group(g.name)}
    for name in wanted - set(current):
        user.groups.add(_group(name))
    for name in set(current) - wanted:
        user.groups.remove(current[name])
    if wanted != set(current):
        from org import auditlog
        from org.middleware import current_request, current_user

        auditlog.record("handbook.groups.sync", actor=current_user(), obj=user, request=current_request(),
                        details={"groups": sorted(wanted), "before": sorted(current)})
    return wanted
