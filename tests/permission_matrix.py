"""The expectations of the permission matrix: one rule for every URL pattern of the project.

The URL patterns are read from the URL conf itself (`url_patterns()`), so a new URL without a rule makes
tests/test_permission_matrix.py fail and names it. Each pattern matches exactly one rule. A rule says which
object the URL's kwargs come from (in and out of the subjects' scope, tests/matrix_world.py), who may use it
(an action of org/access.py ACTIONS, answered by access.can() for that object, or a group of users for
Wagtail's own screens), and how a GET answers. Answers are compared as classes: "ok" (2xx), "redirect",
"login" (sent to a sign-in page), "denied" (403, 404, or Wagtail's permission-denied redirect to /admin/),
"401", "405", "500".
"""
import re
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from django.urls import URLResolver

from org import access
from org.roles import Role

LOGIN_PATHS = {"/admin/login/", "/accounts/login/", "/_util/login/"}
OK, ANY = frozenset({"ok"}), frozenset({"ok", "redirect", "denied", "405"})
DENIED = frozenset({"denied"})
# Refused by one of Wagtail's own screens: also a 405 (a POST-only view answers a GET before asking) or a
# redirect to another screen (which has its own rule).
WAGTAIL_REFUSED = frozenset({"denied", "405", "redirect"})
HANDBOOK_EDITORS = {Role.AUTHOR, Role.OFFICE, Role.GM, Role.DEPTHEAD}  # handbook/groups.py: Wagtail page rights


def outcome(response):
    """The class of an answer (see the module docstring)."""
    code = response.status_code
    if 200 <= code < 300:
        return "ok"
    if 300 <= code < 400:
        path = urlsplit(response["Location"]).path
        if path in LOGIN_PATHS:
            return "login"
        return "denied" if path == "/admin/" else "redirect"
    if code in (403, 404):
        return "denied"
    return str(code)


# --- enumeration -------------------------------------------------------------------------------------

def _join(route, more):
    """As django.urls.resolvers joins routes (ResolverMatch.route)."""
    if not route:
        return more
    return route + (more[1:] if more.startswith("^") else more)


def url_patterns(patterns=None, prefix="", namespace=""):
    """Every URL pattern reachable from the URL conf: (route, name) with namespaces, depth first."""
    if patterns is None:
        from django.urls import get_resolver

        patterns = get_resolver().url_patterns
    for p in patterns:
        route = _join(prefix, str(p.pattern))
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from url_patterns(p.url_patterns, route, ns)
        else:
            yield route, (namespace + p.name) if p.name else None


# --- who ---------------------------------------------------------------------------------------------

def admin_user(user, obj=None):
    return access.can(user, "admin.access")


def superuser(user, obj=None):
    return user.is_superuser


def nobody(user, obj=None):
    return False


def authenticated(user, obj=None):
    return True


def sysadmin(user, obj=None):
    return access.can(user, "org.manage")


def handbook_editor(user, obj=None):
    return user.is_superuser or bool(access.roles(user) & HANDBOOK_EDITORS)


def holds(action):
    """`action` on the object; without an object: held anywhere (the screens then narrow by scope)."""
    def allowed(user, obj=None):
        if obj is None:
            return user.is_superuser or bool(access.grants(user, action))
        return access.can(user, action, obj)
    allowed.__name__ = action
    return allowed


@dataclass
class V:
    """A variant of a rule's URL: `suffix` appended to it, with its own who, logged and get."""

    suffix: object  # text appended to the rule's URL (or a whole path), or (world, obj) → path
    who: object = None
    logged: bool | str = False
    get: frozenset | str | None = None


# --- rules -------------------------------------------------------------------------------------------

@dataclass
class Rule:
    """One expectation for one or more URL patterns.

    match: a URL name ("ns:name") or, with a slash or a leading ^, a regular expression for the route.
    who: an action of org/access.py, or a function (user, obj) → bool.
    obj: the world's object the kwargs come from (a key with an "in" and an "out" object, or one object).
    subject: the world's object `who` is asked about, when not `obj` (a report: the hall it is of).
    get: the answer classes for a user who may, when not "ok"; "post" = a POST-only endpoint (405 for
        every signed-in admin user).
    public: anonymous users get the page too. anon: what anonymous users get instead, when it is neither
        the sign-in page (or 401/403 from the API) nor the page.
    logged: the GET writes the event log (downloads, exports, unmasked numbers); an action: only for the
        users it covers.
    post: (world, scope) → data for a POST that a user without `post_who` (default `who`) on `post_obj`
        (default `obj`) must not get through: refused, and nothing changes.
    lookup: the action by which the view finds the object, when not `post_who`: a user it covers may get
        the screen back with a message instead of a refusal.
    secret: (world key, attribute, action): the out-of-scope object's text that a page must not show to a
        user whom the action does not cover for that object.
    path: (world, obj) → the URL, for routes with unnamed groups.
    variants: more URLs of the same pattern (V: a suffix with its own who, logged and get)."""

    match: str
    who: object
    obj: str | None = None
    subject: str | None = None
    get: frozenset | str = OK
    kw: Callable | None = None
    public: bool = False
    anon: frozenset | None = None
    logged: bool | str = False
    post: Callable | None = None
    post_who: object = None
    post_obj: str | None = None
    lookup: str | None = None
    secret: tuple | None = None
    path: Callable | None = None
    variants: tuple = ()
    note: str = ""

    def allows(self, user, obj):
        who = holds(self.who) if isinstance(self.who, str) else self.who
        return who(user, obj)

    def allows_post(self, user, obj):
        who = self.post_who or self.who
        return (holds(who) if isinstance(who, str) else who)(user, obj)

    def matches(self, route, name):
        if "/" in self.match or self.match.startswith("^"):
            return re.fullmatch(self.match, route) is not None
        return name == self.match


def rule_for(rules, route, name):
    """The one rule of a pattern; None if there is none; ValueError if several claim it."""
    found = [r for r in rules if r.matches(route, name)]
    if len(found) > 1:
        raise ValueError(f"{route} ({name}) matches several rules: {[r.match for r in found]}")
    return found[0] if found else None


def expected(rule, user, obj, area):
    """The answer classes a GET should get."""
    if user is None:
        if rule.anon is not None:
            return rule.anon
        if rule.public:
            return rule.get if isinstance(rule.get, frozenset) else OK
        return frozenset({"401", "403", "denied"}) if area == "api" else frozenset({"login"})
    if area == "admin" and not admin_user(user) and not rule.public:
        return frozenset({"login"})  # Wagtail sends a user without admin access to its sign-in page
    if rule.get == "post":
        return frozenset({"405"})
    if rule.allows(user, obj):
        return rule.get if isinstance(rule.get, frozenset) else OK
    return WAGTAIL_REFUSED if rule.get == ANY else DENIED


def common_kwargs(world):
    """Values for the kwargs Wagtail's URLs take, when the rule does not say otherwise."""
    procedure = world["procedure"]
    return {
        "page_id": procedure.pk, "parent_page_id": world["part"].pk, "page_to_move_id": procedure.pk,
        "destination_id": world["part"].pk, "content_type_app_name": "handbook",
        "content_type_model_name": "procedurepage", "app_label": "handbook", "model_name": "procedurepage",
        "app_name": "wagtailcore", "revision_id": world["page_revision"].pk, "workflow_state_id": 999999,
        "task_state_id": 999999, "task_id": world["task"].pk, "action_name": "approve",
        "collection_id": world["collection"].pk, "document_id": world["document"].pk,
        "doc_id": world["document"].pk, "image_id": world["image"].pk, "uploaded_file_id": 999999,
        "filter_spec": "original", "redirect_id": world["redirect"].pk, "session_id": 999999,
        "object_id": str(procedure.pk), "uidb64": "MQ", "token": "set-password", "restriction_id": 999999,
        "page_view_restriction_id": 999999, "page_pk": procedure.pk, "workflow_pk": world["workflow"].pk,
        "action": "delete", "format": "json",
    }


def record_post(world, scope):
    return {"field": "customer_name", "value": "李四"}


def upload_post(world, scope):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.archive_helpers import small_pdf

    hall = world["hall"][scope]
    return {"hall": hall.code, "clerk": f"clerk-{hall.code}",
            "file": SimpleUploadedFile("new.pdf", small_pdf(f"matrix {hall.code}"), "application/pdf")}


PASSWORD = "demo-pass-2026"
REPORT_JOB_OWNER = "l1-H11"


def report_job_owner(user, obj=None):
    return user.username == REPORT_JOB_OWNER


def report_job_url(world, name):
    """A queued report import of l1-H11 (made once per world)."""
    from django.urls import reverse

    from org.models import User
    from records.models import ReportImport

    if "report_job" not in world:
        world["report_job"] = ReportImport.objects.create(source_name="boss.csv",
                                                          uploaded_by=User.objects.get(username=REPORT_JOB_OWNER))
    return reverse(f"records_admin:{name}", args=[world["report_job"].pk])

def loan_superior(user, obj=None):
    """The requester's superior (org.access.superior_filter) whom "loan.approve" covers for the request."""
    from archive.models import Loan

    loan = getattr(obj, "loan", obj)
    return (obj is not None and access.can(user, "loan.approve", loan)
            and Loan.objects.filter(pk=loan.pk).filter(access.superior_filter(user)).exists())


def loan_requester(user, obj=None):
    return obj is not None and access.may(user, "loan.request") and getattr(obj, "loan", obj).requester_id == user.pk


def loan_reader(user, obj=None):
    """Who opens a request: its requester, their superior, the archive's desk and register (in scope)."""
    loan = getattr(obj, "loan", obj)
    return access.may(user, "loan.request") and (
        loan_requester(user, loan) or loan_superior(user, loan) or access.can(user, "loan.issue", loan)
        or access.can(user, "loan.register", loan))


def loan_post(world, scope):
    return {"password": PASSWORD, "borrower_password": PASSWORD, "pages": 1, "condition": "完好", "reason": "不予批准"}


# The customer-files and chain screens: exact answers, from org/access.py ACTIONS.
OWN_RULES = [
    # records/admin_urls.py
    Rule("records_admin:upload", "record.create"),
    Rule("records_admin:upload_file", "record.create", obj="hall", get="post", kw=lambda w, o: {},
         post=lambda w, s: {**upload_post(w, s), "hall": w["hall"][s].pk, "clerk": w["user"][s].pk}),
    Rule("records_admin:separator_sheet", admin_user, note="a blank printable sheet, no customer data"),
    Rule("records_admin:retry", "record.retry", obj="record", get="post", post=lambda w, s: {}, lookup="record.view"),
    Rule("records_admin:correct", "record.correct", obj="record", get="post", post=record_post,
         lookup="record.view"),
    Rule("records_admin:confirm_name", "record.correct", obj="record", get="post",
         post=lambda w, s: {"value": "李四"}, lookup="record.view"),
    Rule("records_admin:access_copy", "record.view", obj="record", logged=True),
    Rule("records_admin:page_image", "record.view", obj="record", logged=True, kw=lambda w, o: {"number": 1},
         note="a page of the file as an image (it shows the full ID number): logged like a download"),
    Rule("records_admin:master", "record.view", obj="scan", logged=True),
    Rule("records_admin:reconcile", "record.view", secret=("report", "source_name", "record.view"),
         note="the report list shows only reports of the user's halls"),
    Rule("records_admin:reconcile_result", "record.view", obj="report", subject="hall"),
    Rule("records_admin:reconcile_job", report_job_owner, path=lambda w, o: report_job_url(w, "reconcile_job"),
         note="an import job is seen only by the user who uploaded it (its halls are unknown until it is read)"),
    Rule("records_admin:reconcile_job_status", report_job_owner,
         path=lambda w, o: report_job_url(w, "reconcile_job_status")),
    # archive/admin_urls.py
    Rule("archive_admin:dashboard", "dashboard.view", secret=("volume", "number", "dashboard.view")),
    Rule("archive_admin:daily_close", "dailyclose.run"),
    Rule("archive_admin:daily_close_run", "dailyclose.run", obj="hall", get="post", kw=lambda w, o: {},
         post=lambda w, s: {"hall": w["hall"][s].pk, "day": "2026-10-01"}),
    Rule("archive_admin:level1", "audit.level1", obj="hall",
         kw=lambda w, o: {"hall_id": o.pk, "day": "2026-10-02"},
         variants=(V(lambda w, o: f"/admin/archive/level1/hall/{o.pk}/day/2026-10-01/"),),
         note="the variant is a day whose audit is not open yet: looking at it opens nothing"),
    Rule("archive_admin:level1_open", "audit.level1", obj="hall", get="post",
         kw=lambda w, o: {"hall_id": o.pk, "day": "2026-10-01"}, post=lambda w, s: {}),
    Rule("archive_admin:level1_mark", "audit.level1", obj="level1", get="post",
         post=lambda w, s: {"record": w["record"][s].pk, "result": "passed"}),
    Rule("archive_admin:level1_pass_clean", "audit.level1", obj="level1", get="post", post=lambda w, s: {}),
    Rule("archive_admin:level1_sign", "audit.level1", obj="level1", get="post",
         post=lambda w, s: {"password": PASSWORD}),
    Rule("archive_admin:give_clerk_hall", "handover.clerk_hall.give", obj="level1", get="post",
         post=lambda w, s: {"password": PASSWORD}),
    Rule("archive_admin:level1_pdf", "archive.view", obj="level1"),
    Rule("archive_admin:errors", "error.correct", secret=("record", "transaction_no", "error.correct"),
         note="the open errors of the user's halls, each with its 已整改 button"),
    Rule("archive_admin:error_correct", "error.correct", obj="entry", get="post", post=lambda w, s: {}),
    Rule("archive_admin:keeper", "volume.bind", secret=("volume", "number", "volume.bind")),
    Rule("archive_admin:bind", "volume.bind", obj="waiting", get="post", kw=lambda w, o: {},
         post=lambda w, s: {"records": [w["waiting"][s].pk]}),
    Rule("archive_admin:close_month", "volume.close_short", obj="hall", get="post", kw=lambda w, o: {},
         post=lambda w, s: {"hall": w["hall"][s].pk, "year": 2026, "month": 10}),
    Rule("archive_admin:give_hall_branch", "handover.hall_branch.give", obj="volume", get="post",
         kw=lambda w, o: {}, post=lambda w, s: {"volumes": [w["volume"][s].pk], "password": PASSWORD}),
    Rule("archive_admin:form", "archive.view", obj="form"),
    Rule("archive_admin:form_receive", "handover.branch_marketing.receive", obj="form_branch_marketing",
         get="post", post=lambda w, s: {"password": PASSWORD, "counted": ["agreement"], "discrepancy": "少一份"},
         lookup="archive.view"),
    Rule("archive_admin:form_reject", "handover.branch_marketing.receive", obj="form_branch_marketing",
         get="post", post=lambda w, s: {"password": PASSWORD, "reason": "份数不符"}, lookup="archive.view"),
    Rule("archive_admin:marketing_check", "marketing.check", obj="form_branch_marketing", get="post",
         post=lambda w, s: {}),
    Rule("archive_admin:form_pdf", "archive.view", obj="form"),
    Rule("archive_admin:volume", "archive.view", obj="volume"),
    Rule("archive_admin:volume_fix", "volume.fix", obj="volume", get="post", post=lambda w, s: {"note": "补"}),
    Rule("archive_admin:volume_return", "volume.return_to_level1", obj="volume", get="post",
         post=lambda w, s: {"reason": "退回"}),
    Rule("archive_admin:level2_start", "audit.level2", obj="volume", get="post", post=lambda w, s: {}),
    Rule("archive_admin:volume_pdf", "archive.view", obj="volume", logged=True),
    # the DA/T 70 checks of a volume on demand (archive/integrity_views.py): logged, changes nothing else
    Rule("archive_admin:volume_dat70", "integrity.check", obj="volume", get="post", post=lambda w, s: {}),
    Rule("archive_admin:cover_pdf", "archive.view", obj="volume"),
    Rule("archive_admin:level2_pdf", "archive.view", obj="volume"),
    Rule("archive_admin:level2_finding", "audit.level2", obj="level2", get="post",
         post=lambda w, s: {"record": w["level2"][s].sample[0], "ok": "1"}),
    Rule("archive_admin:level2_finish", "audit.level2", obj="level2", get="post",
         post=lambda w, s: {"password": PASSWORD}),
    Rule("archive_admin:branch", "archive.view"),
    Rule("archive_admin:give_branch_marketing", "handover.branch_marketing.give", obj="branch", get="post",
         kw=lambda w, o: {}, post=lambda w, s: {"branch": w["branch"][s].pk, "year": 2026, "month": 10,
                                                 "password": PASSWORD}),
    Rule("archive_admin:process_check", "marketing.check", obj="branch", get="post", kw=lambda w, o: {},
         post=lambda w, s: {"branch": w["branch"][s].pk, "year": 2026, "quarter": 4}),
    Rule("archive_admin:process_check_view", "marketing.check", obj="process_check"),
    Rule("archive_admin:process_finding", "marketing.check", obj="process_check", get="post",
         post=lambda w, s: {"record": w["process_check"][s].sample[0], "ok": "1"}),
    # archive/admin_urls.py: retention, holds and destruction (archive/retention_views.py); a list is
    # city-wide, so only whole-city grants reach it (others: 404)
    Rule("archive_admin:retention", "retention.view"),
    Rule("archive_admin:service_events_upload", "retention.import", get="post", post=lambda w, s: {}),
    Rule("archive_admin:schedule_change", "retention.schedule", get="post",
         post=lambda w, s: {"category": "general", "trigger": "service_end", "years": 3, "authority": "规范"}),
    Rule("archive_admin:hold_add", "retention.hold", get="post",
         post=lambda w, s: {"record": w["record"][s].pk, "reason": "投诉"}),
    Rule("archive_admin:hold_release", "retention.hold", obj="hold", get="post", post=lambda w, s: {"reason": "结案"}),
    Rule("archive_admin:deletion_request", "retention.request", get="post",
         post=lambda w, s: {"customer_id": "510302199001011234", "reason": "客户申请删除"}),
    Rule("archive_admin:restricted_open", "retention.restricted_open", obj="record",
         post=lambda w, s: {"reason": "复核"}, note="GET asks for the reason; POST logs it and shows the file"),
    Rule("archive_admin:restricted_file", "retention.restricted_open", obj="record", get=frozenset({"redirect"}),
         note="without the pass its opening gives: back to the reason form (with it: "
              "tests/archive/test_retention_restriction.py)"),
    Rule("archive_admin:destruction_lists", "retention.view"),
    Rule("archive_admin:destruction_draw", "destruction.draw", get="post", post=lambda w, s: {"on": "2026-11-30"}),
    Rule("archive_admin:destruction_list", "retention.view", obj="destruction_list"),
    Rule("archive_admin:destruction_appraise", "destruction.appraise", obj="destruction_list", get="post",
         post=lambda w, s: {"item": 1, "decision": "destroy"}),
    Rule("archive_admin:destruction_approve", "destruction.approve", obj="destruction_list", get="post",
         post=lambda w, s: {"password": PASSWORD}),
    Rule("archive_admin:destruction_execute", "destruction.execute", obj="destruction_list", get="post",
         post=lambda w, s: {"password": PASSWORD}),
    Rule("archive_admin:destruction_purge", "destruction.execute", obj="destruction_list", get="post",
         post=lambda w, s: {}),
    Rule("archive_admin:destruction_witness", "destruction.witness", obj="destruction_list", get="post",
         post=lambda w, s: {"password": PASSWORD}),
    Rule("archive_admin:destruction_pdf", "retention.view", obj="destruction_list"),
    # archive/admin_urls.py: storage locations and look-ups/loans (archive/location_views.py, loan_views.py)
    Rule("archive_admin:locations", "location.manage"),
    Rule("archive_admin:shelve", "location.manage", obj="volume", get="post", kw=lambda w, o: {},
         post=lambda w, s: {"volume": w["volume"][s].number, "box": w["box"].pk}),
    Rule("archive_admin:custody_step", "location.manage", obj="custody", get="post",
         post=lambda w, s: {"step": "transfer", "note": "移交"}),
    Rule("archive_admin:loans", "loan.request", secret=("loan", "number", "loan.register"),
         note="the user's own requests, those waiting for them as the superior, the desk and overdue loans"),
    Rule("archive_admin:loan_request", "loan.request", get="post", kw=lambda w, o: {},
         post=lambda w, s: {"volumes": w["volume"][s].number, "purpose": "核对", "form": "on_site", "days": 1}),
    Rule("archive_admin:loan", loan_reader, obj="loan"),
    Rule("archive_admin:loan_approve", loan_superior, obj="loan", get="post", post=loan_post),
    Rule("archive_admin:loan_refuse", loan_superior, obj="loan", get="post", post=loan_post),
    Rule("archive_admin:loan_issue", "loan.issue", obj="loan", get="post", post=loan_post),
    Rule("archive_admin:loan_return", "loan.issue", obj="loan", get="post", post=loan_post),
    Rule("archive_admin:copy_request", loan_requester, obj="loan", get="post", post=loan_post),
    Rule("archive_admin:copy_decide", loan_superior, obj="copy", get="post",
         post=lambda w, s: {"decision": "approve"}),
    Rule("archive_admin:copy_made", "loan.issue", obj="copy", get="post", post=lambda w, s: {}),
    Rule("archive_admin:loan_view", nobody, obj="loan",
         note="the world's requests open no electronic view (an open one: tests/archive/test_custody_loans.py)"),
    Rule("archive_admin:loan_page", nobody, obj="loan", kw=lambda w, o: {"record_pk": w["record"]["in"].pk,
                                                                       "number": 1}),
    Rule("archive_admin:loan_download", nobody, obj="loan", kw=lambda w, o: {"record_pk": w["record"]["in"].pk}),
    Rule("archive_admin:loan_register", "loan.register", secret=("loan", "number", "loan.register")),
    Rule("archive_admin:loan_register_pdf", "loan.register", logged=True),
    # search/admin_urls.py
    Rule("search_admin:search", "record.view"),
    Rule("search_admin:export", "record.export", logged=True,
         path=lambda w, o: "/admin/search-records/export.csv?q=张三"),
    Rule("search_admin:saved_save", "record.view", get="post", post=lambda w, s: {"name": "张三", "query": "q=张三"}),
    Rule("search_admin:saved_delete", nobody, get="post", kw=lambda w, o: {"pk": 999999}, post=lambda w, s: {},
         note="the owner's only (another user's is not found): tests/search/test_saved_searches.py"),
    # the record viewset (records/views.py): listing, inspection and export only (see the catch-all below)
    Rule("record:index", "record.view", secret=("record", "transaction_no", "record.view"),
         variants=(V("?export=csv", "record.export", logged=True),)),
    Rule("record:index_results", "record.view", secret=("record", "transaction_no", "record.view")),
    Rule("record:inspect", "record.view", obj="record", variants=(V("?reveal=1", logged="pii.view_full"),)),
    # the REST API (config/urls.py, records/api.py, search/api.py)
    Rule("api-schema", authenticated),
    Rule("api-search", authenticated, path=lambda w, o: f"/api/search/?q={w['record']['out'].transaction_no}",
         secret=("record", "transaction_no", "record.view")),
    Rule("api-root", authenticated, kw=lambda w, o: {"format": ".json"}),
    Rule("record-list", authenticated, secret=("record", "transaction_no", "record.view"), post=upload_post,
         post_who="record.create", post_obj="hall",
         note="every signed-in user; the list holds the user's scope only; POST registers a file"),
    Rule("record-batch", "record.create", obj="hall", get="post", kw=lambda w, o: {}, post=upload_post),
    Rule("record-detail", "record.view", obj="record"),
    Rule("record-correct", "record.correct", obj="record", get="post", post=record_post),
    Rule("record-id-number", "pii.view_full", obj="record", logged=True),
    Rule("record-retry", "record.retry", obj="record", get="post", post=lambda w, s: {}),
]


def _serve_variants():
    """The handbook's pages and their routes (all served by Wagtail's one catch-all pattern)."""
    return (
        V("{part}"), V("{procedure}"), V("{procedure}log/"), V("{procedure}pdf/", logged=True),
        V("{procedure}revisions/{rev0}/"), V("{procedure}diff/{rev0}/{rev1}/"), V("{procedure}read/", get="post"),
        V("{procedure}unread/", who="handbook.unread_report"), V("search/?q=开户"), V("pdf/", logged=True),
        V("mermaid/"),
    )


def serve_path(template, world):
    revisions = world["revisions"]
    return template.format(part=world["part"].url, procedure=world["procedure"].url, rev0=revisions[0],
                           rev1=revisions[-1])


# Everything else: the site, sign-in, the handbook and Wagtail's own admin. Wagtail decides inside its screens
# (its permission policies, handbook groups); the matrix holds it to who may get in at all: a user outside
# the rule never gets a page, a user inside gets any answer but an error.
SITE_RULES = [
    Rule("^healthz$", authenticated, public=True),
    Rule("set_language", authenticated, public=True, get=frozenset({"ok", "redirect"})),
    Rule("handbook_login", authenticated, public=True),
    Rule("handbook_logout", authenticated, public=True, get=frozenset({"405"})),
    Rule("wagtailcore_login", authenticated, public=True),
    Rule("wagtailcore_authenticate_with_password", authenticated, public=True, get=DENIED,
         note="a password form of a restricted page; none exists"),
    Rule("wagtaildocs_authenticate_with_password", authenticated, public=True, get=DENIED,
         note="a password form of a restricted document collection; none exists"),
    Rule("wagtaildocs_serve", "handbook.read",
         path=lambda w, o: f"/documents/{w['document'].pk}/{w['document'].filename}",
         note="documents of the handbook: readers only"),
    Rule("wagtail_serve", "handbook.read", path=lambda w, o: "/", variants=_serve_variants()),
    # Wagtail's screens open without admin access
    Rule("wagtailadmin_login", authenticated, public=True, get=frozenset({"ok", "redirect", "denied"}),
         note="a signed-in user is sent on to /admin/"),
    Rule(r"admin/password_reset/.*", authenticated, public=True),
    Rule("wagtailadmin_sprite", authenticated, public=True),
    Rule("wagtailadmin_javascript_catalog", authenticated, public=True),
    # every admin user
    Rule("wagtailadmin_home", admin_user),
    Rule(r"admin/test404/", admin_user),
    Rule("wagtailadmin_error_test", admin_user, get=frozenset({"500"}), note="Wagtail's deliberate error page"),
    Rule("wagtailadmin_account", admin_user),
    Rule("wagtailadmin_logout", admin_user, get=frozenset({"405", "redirect"})),
    Rule(r"admin/(dismissibles|editing-sessions|block-preview|tag-autocomplete)/.*", admin_user, get=ANY),
    Rule(r"admin/api/main/.*", admin_user, get=ANY, kw=lambda w, o: {"pk": w["procedure"].pk}),
    # Wagtail's catch-all (404); its variants are the generic record and event-log views that must not exist
    # (a record changes only through its transitions; nobody edits the event log, not even a superuser)
    Rule(r"admin/\.\*/\$", nobody, obj="record", path=lambda w, o: "/admin/no-such-screen/",
         variants=tuple(V(lambda w, o, view=view: f"/admin/record/{view}/{o.pk}/")
                        for view in ("edit", "delete", "history", "history-results", "usage"))
         + (V(lambda w, o: "/admin/record/new/"), V(lambda w, o: "/admin/auditevent/new/"))
         + tuple(V(lambda w, o, view=view: f"/admin/auditevent/{view}/{w['auditevent'].pk}/")
                 for view in ("edit", "delete", "history", "usage"))),
    # Wagtail's choosers and confirmations answer every admin user; they list only what the user may choose
    # (handbook pages and documents, readable by every role) and change nothing
    Rule(r"admin/(choose-[a-z-]+|embeds|documents/chooser|images/chooser|workflows/task_chooser)/.*", admin_user,
         get=ANY, kw=lambda w, o: {"pk": w["document"].pk}),
    Rule(r"admin/pages/(create/.*|workflow/confirm_cancellation/.*|<int:page_to_move_id>/move/.*/confirm/)",
         admin_user, get=ANY),
    # the handbook's editors (Wagtail groups made from the author, office, GM and department head roles)
    Rule(r"admin/(pages|bulk)/(?!create/|workflow/confirm_cancellation/|<int:page_to_move_id>/move/.*/confirm/).*",
         handbook_editor, get=ANY),
    Rule(r"admin/(forms|reports/(locked|workflow|workflow_tasks|aging-pages|page-types-usage))/.*", handbook_editor,
         get=ANY),
    # superuser only (no role is given these Wagtail rights)
    Rule(r"admin/(collections|workflows(?!/task_chooser/)|sites|redirects|snippets)/.*", superuser, get=ANY,
         kw=lambda w, o: {"pk": w["workflow"].pk}),
    # the admin-kept rules of customer files (records/rules_admin.py) and the one setting, 识别设置
    Rule(r"admin/businesstype/.*", "record.rules", kw=lambda w, o: {"pk": w["businesstype"].pk}),
    Rule(r"admin/transactionformat/.*", "record.rules", kw=lambda w, o: {"pk": w["transactionformat"].pk}),
    # the archive's stores and boxes (archive/location_admin.py)
    Rule(r"admin/store/.*", "location.manage", kw=lambda w, o: {"pk": w["store"].pk}),
    Rule(r"admin/box/.*", "location.manage", kw=lambda w, o: {"pk": w["box"].pk}),
    Rule(r"admin/settings/.*", "record.rules", get=ANY,
         kw=lambda w, o: {"app_name": "records", "model_name": "fieldreadingsettings",
                          "pk": w["fieldreadingsettings"].pk},
         note="the only Wagtail setting; its first URL redirects anyone to the edit screen, which refuses"),
    Rule(r"admin/(documents|images)/(?!chooser/).*", superuser, get=ANY),
    # the system administrator
    Rule(r"admin/reports/site-history/.*", sysadmin, note="Wagtail's log of every model change"),
    Rule("org_lockouts", sysadmin, post=lambda w, s: {"kind": "username", "value": "clerk-H11"}),
    Rule("org_api_tokens", admin_user, note="each user's own API tokens"),
    Rule(r"admin/(users|groups|department)/.*", sysadmin, get=ANY, kw=lambda w, o: {"pk": w["group"].pk}),
    Rule(r"admin/roleassignment/.*", sysadmin, obj="roleassignment", get=ANY),
    Rule(r"admin/hall/(|results/)", "org.view", secret=("hall", "name", "org.view"),
         note="the organisation as far as the user's scope reaches"),
    Rule(r"admin/branch/(|results/)", "org.view", secret=("branch", "name", "org.view")),
    Rule(r"admin/hall/(new|edit|delete|history|history-results|usage)/.*", sysadmin, obj="hall", get=ANY),
    Rule(r"admin/branch/(new|edit|delete|history|history-results|usage)/.*", sysadmin, obj="branch", get=ANY),
    # the event log: read-only, for the archivist and the system administrator; nobody edits it
    Rule(r"admin/auditevent/(|results/|inspect/.*)", "auditlog.view", kw=lambda w, o: {"pk": w["auditevent"].pk}),
]

# Only on the embedded default (SERVE_MEDIA, `make run`): uploaded files. Customer files are never served
# here, whoever asks and however the path is spelt; they leave only through the scoped, logged download
# views. The handbook's images are served to its readers.
MEDIA_RULES = [
    Rule(r"\^media/.*", nobody, obj="record", anon=DENIED, path=lambda w, o: "/media/" + o.access_copy.name,
         variants=tuple(V(lambda w, o, trick=trick: f"/media/{trick}{o.access_copy.name}")
                        for trick in ("./", "%2e/", "%2E%2F", "/", "x/../", "images/../"))
         + (V(lambda w, o: "/media/" + o.scans.get().master.name),
            V(lambda w, o: "/media/" + w["image"].file.name, who="handbook.read"))),
]

RULES = OWN_RULES + SITE_RULES + MEDIA_RULES
