"""The one place that decides who may do what, and which objects a user may see.

`can(user, action, obj)` answers a single question; `visible(user, queryset, action)` returns the queryset
narrowed to what the user may see, as a database filter (never a filter after the query). Every view, API,
command and search asks here. An object is placed in the organisation by its model's `scope_hall_path`:
the path from the model to its Hall ("pk" for Hall itself, "hall" for a record, "volume__hall" ...).
Models outside any hall (Branch) are matched by their own branch.
"""
from django.db.models import Q

from .roles import Role, ScopeKind

R = Role

# action → roles that may perform it (always inside the scope the role is bound to)
ACTIONS = {
    # organisation and administration
    "org.manage": {R.SYSADMIN},
    "org.view": {R.CLERK, R.L1_AUDITOR, R.KEEPER, R.BRANCH_AUDITOR, R.MARKETING, R.ARCHIVIST, R.AUDITOR,
                 R.SYSADMIN},
    "admin.access": {R.CLERK, R.L1_AUDITOR, R.KEEPER, R.BRANCH_AUDITOR, R.MARKETING, R.ARCHIVIST, R.AUDITOR,
                     R.AUTHOR, R.OFFICE, R.GM, R.DEPTHEAD, R.SYSADMIN},
    "auditlog.view": {R.ARCHIVIST, R.SYSADMIN},
    # customer files
    "record.view": {R.CLERK, R.L1_AUDITOR, R.KEEPER, R.BRANCH_AUDITOR, R.MARKETING, R.ARCHIVIST, R.AUDITOR},
    "record.create": {R.CLERK, R.ARCHIVIST},
    "record.correct": {R.CLERK, R.L1_AUDITOR, R.ARCHIVIST},
    "record.retry": {R.CLERK, R.L1_AUDITOR, R.KEEPER, R.ARCHIVIST},
    "record.export": {R.L1_AUDITOR, R.KEEPER, R.BRANCH_AUDITOR, R.MARKETING, R.ARCHIVIST, R.AUDITOR},
    # importing the billing system's clerk operation report (DOMAIN.md: the level-1 auditor checks the day's
    # files against it); only for halls inside the importer's scope, see records.reconcile
    "report.import": {R.L1_AUDITOR, R.ARCHIVIST},
    # the admin-kept rules of customer files (records/rules_admin.py): business types → category,
    # transaction-number formats, the field-reading settings (confidence threshold); city-wide
    "record.rules": {R.ARCHIVIST, R.SYSADMIN},
    # personal data: the full, unmasked ID number (every such view is logged, see org.pii)
    "pii.view_full": {R.L1_AUDITOR, R.ARCHIVIST},
    # the audit and handover chain (archive/), DOMAIN.md "The chain"
    "archive.view": {R.L1_AUDITOR, R.KEEPER, R.BRANCH_AUDITOR, R.MARKETING, R.ARCHIVIST, R.AUDITOR},
    "dailyclose.run": {R.CLERK},
    "audit.level1": {R.L1_AUDITOR},
    # correcting a registered error (已整改): the clerk and the level-1 auditor at the counter, the hall keeper
    # for a volume the branch sent back (level 2), the archive for its own re-checks
    "error.correct": {R.CLERK, R.L1_AUDITOR, R.KEEPER, R.ARCHIVIST},
    "handover.clerk_hall.give": {R.L1_AUDITOR},
    "handover.clerk_hall.receive": {R.KEEPER},
    "handover.hall_branch.give": {R.KEEPER},
    "handover.hall_branch.receive": {R.BRANCH_AUDITOR},
    "handover.branch_marketing.give": {R.BRANCH_AUDITOR},
    "handover.branch_marketing.receive": {R.MARKETING},
    "volume.bind": {R.KEEPER},
    "volume.close_short": {R.KEEPER},
    "volume.fix": {R.KEEPER},
    "volume.return_to_level1": {R.KEEPER},
    "audit.level2": {R.BRANCH_AUDITOR},
    "marketing.check": {R.MARKETING},
    "dashboard.view": {R.L1_AUDITOR, R.KEEPER, R.BRANCH_AUDITOR, R.MARKETING, R.ARCHIVIST},
    # integrity (issue 17): fixity problems and DA/T 70 checks (records/fixity.py, archive/dat70.py), archival
    # packages of volumes (archive/bag.py)
    "integrity.view": {R.ARCHIVIST, R.SYSADMIN},
    "integrity.check": {R.ARCHIVIST},
    "archive.export": {R.ARCHIVIST},
    # retention, holds and destruction (archive/retention.py, holds.py, destruction.py): lists are city-wide,
    # so only whole-city grants reach them; auditors see but cannot act
    "retention.view": {R.ARCHIVIST, R.AUDITOR, R.GM, R.DEPTHEAD, R.OFFICE, R.MARKETING},
    "retention.schedule": {R.ARCHIVIST},
    "retention.import": {R.ARCHIVIST},
    "retention.hold": {R.ARCHIVIST},
    "retention.request": {R.ARCHIVIST},  # record a customer's deletion request (PIPL art. 47)
    "retention.restricted_open": {R.ARCHIVIST},  # open a file restricted by a deletion request (logged)
    "destruction.draw": {R.ARCHIVIST},
    "destruction.appraise": {R.ARCHIVIST, R.DEPTHEAD},
    "destruction.approve": {R.GM},
    "destruction.execute": {R.ARCHIVIST},
    "destruction.witness": {R.ARCHIVIST, R.MARKETING, R.OFFICE, R.DEPTHEAD},
    # the handbook
    "handbook.read": set(Role),
    # who in the hall has not read the current version of a procedure (the hall's manager and above)
    "handbook.unread_report": {R.KEEPER, R.BRANCH_AUDITOR, R.MARKETING},
    # reviewing and approving procedures in the approval workflow: Wagtail's groups follow these roles
    # (handbook/groups.py) and its routing decides which procedure each approves (handbook/routing.py); asked by
    # the home page's task list (archive/todo.py)
    "handbook.review": {R.OFFICE, R.GM, R.DEPTHEAD},
    # storage locations (archive/locations.py): stores, boxes and the moves of the paper volumes
    "location.manage": {R.ARCHIVIST},
    # look-ups and loans (archive/loans.py). Anyone with a role asks; the requester's superior approves
    # (superior_filter, inside the query); the archive issues, takes back and keeps the register.
    "loan.request": set(Role) - {R.SYSADMIN},
    "loan.approve": {R.BRANCH_AUDITOR, R.DEPTHEAD, R.GM},
    "loan.issue": {R.ARCHIVIST},
    "loan.register": {R.ARCHIVIST, R.AUDITOR, R.GM, R.DEPTHEAD},
}

# Actions that are about the organisation as a whole, not about an object inside a hall.
GLOBAL_ACTIONS = {"org.manage", "admin.access", "auditlog.view", "handbook.read", "handbook.review",
                  "record.rules", "loan.request"}

# Django permission codename → action, so Wagtail's and Django's permission checks land here too.
DJANGO_PERMS = {
    "wagtailadmin.access_admin": "admin.access",
    "org.view_auditevent": "auditlog.view",
    "org.view_branch": "org.view",
    "org.view_hall": "org.view",
    "records.view_record": "record.view",
    "records.add_record": "record.create",
}
for _model in ("branch", "hall", "department", "user", "roleassignment"):
    for _verb in ("add", "change", "delete"):
        DJANGO_PERMS[f"org.{_verb}_{_model}"] = "org.manage"
    DJANGO_PERMS.setdefault(f"org.view_{_model}", "org.manage")
for _verb in ("add", "change", "delete", "view"):
    DJANGO_PERMS[f"auth.{_verb}_group"] = "org.manage"
for _model in ("businesstype", "transactionformat"):  # no delete: a rule is deactivated, not deleted
    for _verb in ("add", "change", "view"):
        DJANGO_PERMS[f"records.{_verb}_{_model}"] = "record.rules"
DJANGO_PERMS["records.change_fieldreadingsettings"] = "record.rules"
for _model in ("store", "box"):  # the archive's stores and boxes (archive/location_admin.py): no delete
    for _verb in ("add", "change", "view"):
        DJANGO_PERMS[f"archive.{_verb}_{_model}"] = "location.manage"


def assignments(user):
    """The user's role assignments, loaded once per user object."""
    if not user or not user.is_authenticated or not user.is_active:
        return []
    cached = getattr(user, "_role_assignments_cache", None)
    if cached is None:
        cached = list(user.role_assignments.select_related("hall", "branch"))
        user._role_assignments_cache = cached
    return cached


def roles(user):
    return {Role(a.role) for a in assignments(user)}


def has_role(user, *wanted):
    return bool(roles(user) & set(wanted))


def grants(user, action):
    allowed = ACTIONS.get(action)
    if allowed is None:
        raise KeyError(f"unknown action {action!r}")
    return [a for a in assignments(user) if Role(a.role) in allowed]


def _hall_of(obj):
    path = getattr(obj, "scope_hall_path", None)
    if path is None:
        return None
    target = obj
    if path != "pk":
        for part in path.split("__"):
            target = getattr(target, part)
            if target is None:
                return None
    return target


def _covers(grant, obj):
    if grant.scope == ScopeKind.ALL:
        return True
    if obj is None:
        return False
    from .models import Branch

    if isinstance(obj, Branch):
        return grant.scope == ScopeKind.BRANCH and grant.branch_id == obj.pk
    hall = _hall_of(obj)
    if hall is None:
        # objects of a whole branch (a monthly branch→marketing form) name it with `scope_branch_path`
        branch_path = getattr(obj, "scope_branch_path", None)
        branch_id = getattr(obj, f"{branch_path}_id", None) if branch_path else None
        return grant.scope == ScopeKind.BRANCH and branch_id is not None and grant.branch_id == branch_id
    if grant.scope == ScopeKind.HALL:
        return grant.hall_id == hall.pk
    return grant.branch_id == hall.branch_id


def may(user, action):
    """May `user` perform `action` anywhere at all (in some hall, some branch or city-wide)? The one answer
    for menus, screens and exports before they narrow their objects by scope(); superusers may everything
    except read unmasked personal data without a role that allows it."""
    if not user or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser and not action.startswith("pii."):
        return True
    return bool(grants(user, action))


def can(user, action, obj=None):
    """May `user` perform `action` (on `obj`)? Superusers may everything except read unmasked personal data
    without a role that allows it."""
    if not user or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser and not action.startswith("pii."):
        return True
    held = grants(user, action)
    if action in GLOBAL_ACTIONS:
        return bool(held)
    if obj is None:
        return any(g.scope == ScopeKind.ALL for g in held)
    return any(_covers(g, obj) for g in held)


class Scope:
    """Where `action` reaches for a user: everything, or some halls and branches (ids). Both the database
    filter (scope_filter) and the search engines' query builders (search/) are made from this one answer."""

    def __init__(self, everything=False, hall_ids=(), branch_ids=()):
        self.everything = everything
        self.hall_ids = sorted(set(hall_ids))
        self.branch_ids = sorted(set(branch_ids))

    @property
    def empty(self):
        return not self.everything and not self.hall_ids and not self.branch_ids

    def __repr__(self):
        return "Scope(all)" if self.everything else f"Scope(halls={self.hall_ids}, branches={self.branch_ids})"


def scope(user, action="record.view"):
    """The user's scope for `action` as a Scope (superusers reach everything except unmasked personal data)."""
    if not user or not user.is_authenticated or not user.is_active:
        return Scope()
    if user.is_superuser and not action.startswith("pii."):
        return Scope(everything=True)
    held = grants(user, action)
    if action in GLOBAL_ACTIONS:
        return Scope(everything=bool(held))
    if any(g.scope == ScopeKind.ALL for g in held):
        return Scope(everything=True)
    return Scope(hall_ids=[g.hall_id for g in held if g.scope == ScopeKind.HALL],
                 branch_ids=[g.branch_id for g in held if g.scope == ScopeKind.BRANCH])


# Restrictions that hide customer files from some actions for everyone, whatever the scope: registered by
# the app that owns the rule (archive/restriction.py: files under a customer's deletion request), as
# (actions, function(prefix) → Q on Record, `prefix` being the path from the model to its Record).
_RESTRICTIONS = []


def restrict(actions, record_q):
    _RESTRICTIONS.append((frozenset(actions), record_q))


def restriction(model, action):
    """The Q of the registered restrictions of `action` on `model` (Record, or a model with a `record`)."""
    rules = [fn for actions, fn in _RESTRICTIONS if action in actions]
    if not rules:
        return Q()
    from records.models import Record

    if model is Record:
        prefix = ""
    elif getattr(model, "scope_hall_path", None) == "record__hall":
        prefix = "record__"
    else:
        return Q()
    q = Q()
    for fn in rules:
        q &= fn(prefix)
    return q


def scope_filter(user, model, action="record.view"):
    """A Q narrowing `model` to the objects `action` covers for `user`; Q(pk__in=[]) when none."""
    limit = restriction(model, action)
    if limit:
        return _scope_filter(user, model, action) & limit
    return _scope_filter(user, model, action)


def _scope_filter(user, model, action):
    none = Q(pk__in=[])
    reach = scope(user, action)
    if reach.everything:
        return Q()
    if reach.empty:
        return none
    from .models import Branch, Hall

    hall_ids, branch_ids = set(reach.hall_ids), set(reach.branch_ids)
    if model is Branch:
        hall_branches = set(Hall.objects.filter(pk__in=hall_ids).values_list("branch_id", flat=True))
        return Q(pk__in=sorted(branch_ids | hall_branches))
    path = getattr(model, "scope_hall_path", None)
    if path is None:
        return none
    q = none
    if hall_ids:
        q |= Q(**{f"{path}__in": sorted(hall_ids)})
    if branch_ids:
        branch_path = "branch_id" if path == "pk" else f"{path}__branch_id"
        q |= Q(**{f"{branch_path}__in": sorted(branch_ids)})
        own_branch = getattr(model, "scope_branch_path", None)
        if own_branch:  # objects without a hall, placed in a branch directly
            q |= Q(**{f"{path}__isnull": True, f"{own_branch}_id__in": sorted(branch_ids)})
    return q


def visible(user, queryset, action="record.view"):
    """`queryset` narrowed to what `user` may see for `action`, as part of the query."""
    return queryset.filter(scope_filter(user, queryset.model, action))


# --- superiors and temporary grants ------------------------------------------------------------------

def _outranked(grant):
    """A Q on RoleAssignment: the assignments whose holder `grant` (a "loan.approve" grant) is above."""
    from .models import RoleAssignment  # noqa: F401  (the Q is used on it)

    role = Role(grant.role)
    if role == R.GM:
        return ~Q(role=R.GM)
    if role == R.DEPTHEAD:
        return ~Q(role__in=[R.GM, R.DEPTHEAD])
    if grant.scope == ScopeKind.BRANCH:  # a branch auditor: above the hall roles of the branch
        return Q(scope=ScopeKind.HALL, hall__branch_id=grant.branch_id)
    return Q(pk__in=[])


def superior_filter(user, requester="requester"):
    """A Q on a model with a requester (`requester` is the path to it): the rows whose requester `user` is a
    superior of, for approving look-ups and loans (DOMAIN.md: "a superior approves in writing"). Every role
    the requester holds must be below one of the user's "loan.approve" grants: a branch auditor is above the
    hall roles of their branch, a department head above everyone but department heads and the general
    manager, the general manager above everyone else. Never the user's own requests; part of the query."""
    from django.db.models import Exists, OuterRef

    from .models import RoleAssignment

    none = Q(pk__in=[])
    if not user or not user.is_authenticated or not user.is_active:
        return none
    theirs = RoleAssignment.objects.filter(user=OuterRef(requester))
    mine = Q(Exists(theirs)) & ~Q(**{requester: user.pk})
    if user.is_superuser:
        return mine
    held = grants(user, "loan.approve")
    if not held:
        return none
    outranked = none
    for grant in held:
        outranked |= _outranked(grant)
    return mine & ~Q(Exists(theirs.exclude(outranked)))


# Access a decision gives one person to some customer files until a time (archive/loans.py: an approved
# electronic view), registered by the app that owns the decision: action → function(user, now, **within)
# → Q on Record. Superusers get no more than anyone: the decision is the only way in.
_TEMPORARY = {}


def grant_by(action, record_q):
    _TEMPORARY[action] = record_q


def granted(user, queryset, action, now=None, **within):
    """`queryset` (of Record) narrowed to the files a temporary grant of `action` gives `user` at `now`
    (default: the current time), as part of the query; restrictions (deletion requests) still apply."""
    from django.utils import timezone

    if not user or not user.is_authenticated or not user.is_active or action not in _TEMPORARY:
        return queryset.none()
    q = _TEMPORARY[action](user, now or timezone.now(), **within)
    return queryset.filter(q & restriction(queryset.model, "record.view"))
