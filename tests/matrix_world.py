"""The objects and users the permission matrix (tests/test_permission_matrix.py) asks about.

Two of everything that lives in the organisation: one inside the subjects' scope (hall H11, branch B1) and
one outside it (hall H32, branch B3), pushed through the real chain steps so that every screen has something
to show; plus the Wagtail objects (handbook pages, documents, images, sites ...) the admin URLs take.
"""
import hashlib
import io

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from PIL import Image as PILImage

from archive import errors, handover, level2, monthly
from archive.binding import Bind, CloseMonth
from archive.models import HandoverForm, Level1Audit, Volume
from org import demo
from org import auditlog
from org.models import AuditEvent, Branch, Department, Hall, RoleAssignment, User
from org.roles import Role, ScopeKind
from records import reconcile
from records import events as record_events
from records import fixity
from records.models import Record, Scan, StoredObject
from tests.archive_helpers import PASSWORD, day, make_day, report_csv, small_pdf, to_keeper

IN, OUT = "in", "out"
HALLS = {IN: ("H11", "B1"), OUT: ("H32", "B3")}

# username → how the subject is made (None: a demo user). Every role of org/roles.py is here, anonymous too.
SUBJECTS = {
    "anonymous": None,
    "clerk-H11": None, "l1-H11": None, "keeper-H11": None, "auditor-B1": None, "marketing": None,
    "archivist": None, "staff": None, "office": None, "gm": None, "depthead": None,
    "auditor-role-H11": (Role.AUDITOR, ScopeKind.HALL, "H11"),  # read-only auditor of one hall
    "author": (Role.AUTHOR, ScopeKind.ALL, None),
    "sysadmin": (Role.SYSADMIN, ScopeKind.ALL, None),  # the system administrator role without superuser
    "admin": None,  # the demo superuser (also sysadmin)
}


def _users():
    demo.load()
    for username, spec in SUBJECTS.items():
        if spec is None:
            continue
        role, scope, hall = spec
        user = User.objects.create_user(username, password=PASSWORD, full_name=username)
        RoleAssignment.objects.create(user=user, role=role, scope=scope,
                                      hall=Hall.objects.get(code=hall) if hall else None)
    return {u.username: u for u in User.objects.all()}


def _chain(users, scope):
    """One hall's month: a file waiting for the daily close, a signed level-1 day handed to the keeper, an
    agreement volume at the branch with a finished level-2 audit, the branch's monthly form given to
    marketing, the branch's quarterly process check, an error entry, a billing report of the hall."""
    hall_code, branch_code = HALLS[scope]
    hall, branch = Hall.objects.get(code=hall_code), Branch.objects.get(code=branch_code)
    clerk, l1, keeper = (users(f"{p}-{hall_code}") for p in ("clerk", "l1", "keeper"))
    auditor = users(f"auditor-{branch_code}")
    waiting = make_day(_make_record, hall_code, day(1), ["general"])[0]
    files = make_day(_make_record, hall_code, day(2), ["agreement", "agreement"], with_copy=True)
    for n, record in enumerate(files):
        data = small_pdf(f"{hall_code} master {n}")
        scan = Scan.objects.create(record=record, master=ContentFile(data, name=f"{record.transaction_no}.pdf"),
                                   original_name=f"{record.transaction_no}.pdf", kind="pdf", size=len(data),
                                   sha256=hashlib.sha256(data).hexdigest(), page_count=1)
        # as the intake stores a master: its fixity value and its receipt in the event log (DA/T 70 checks)
        fixity.register(scan.master.name, StoredObject.Kind.MASTER, scan.sha256, scan.size, record=record)
        auditlog.record(record_events.RECORD_RECEIVE, obj=record, actor_name="matrix",
                        details={"file": scan.original_name, "sha256": scan.sha256, "size": scan.size, "kind": "pdf"})
    report = reconcile.import_report(users("admin"), report_csv(files), f"boss-{hall_code}.csv")
    clerk_hall = to_keeper(users, hall_code, day(2))
    entry = errors.register(l1, files[0], "缺客户签名", "l1")
    Bind(keeper, Record.objects.filter(hall=hall, status=Record.Status.AT_HALL)).run()
    CloseMonth(keeper, hall, 2026, 10, today=day(31)).run()
    volume = Volume.objects.get(hall=hall)
    hall_branch = handover.GiveHallBranch(keeper, PASSWORD, [volume]).run()
    handover.Receive(auditor, PASSWORD, hall_branch).run()
    audit2 = level2.Start(auditor, volume).run()
    for pk in audit2.sample:
        level2.Finding(auditor, audit2, Record.objects.get(pk=pk), ok=True).run()
    level2.Finish(auditor, audit2, PASSWORD).run()
    branch_marketing = handover.GiveBranchMarketing(auditor, PASSWORD, branch, 2026, 10).run()
    process_check = monthly.ProcessCheck(users("marketing"), branch, 2026, 4).run()
    record = Record.objects.get(pk=files[0].pk)
    return {
        "hall": hall, "branch": branch, "record": record, "waiting": waiting, "scan": record.scans.get(),
        "report": report, "level1": Level1Audit.objects.get(hall=hall), "day": day(2), "entry": entry,
        "volume": volume, "level2": audit2, "form_clerk_hall": clerk_hall, "form_hall_branch": hall_branch,
        "form_branch_marketing": branch_marketing, "process_check": process_check,
        "roleassignment": RoleAssignment.objects.get(user=clerk), "user": clerk,
    }


_counter = {"n": 0}


def _make_record(hall_code="H11", id_number="510302199001011234", **fields):
    _counter["n"] += 1
    hall = Hall.objects.get(code=hall_code)
    values = {"hall": hall, "clerk": User.objects.get(username=f"clerk-{hall_code}"),
              "business_date": day(2), "transaction_no": f"T{hall_code}{_counter['n']:06d}",
              "business_type": "普通开户", "customer_name": "张三", "service_number": "13800001234",
              "id_number": id_number}
    values.update(fields)
    return Record.objects.create(**values)


def _png():
    buf = io.BytesIO()
    PILImage.new("RGB", (8, 8), "white").save(buf, "PNG")
    return buf.getvalue()


def _wagtail_objects(admin):
    """Handbook pages with two published versions, a document, an image, a redirect, a workflow state."""
    from wagtail.contrib.redirects.models import Redirect
    from wagtail.documents.models import Document
    from wagtail.images.models import Image
    from wagtail.models import Collection, Site, Task, Workflow

    from tests.handbook_support import make_handbook, make_procedure

    root, part = make_handbook()
    procedure = make_procedure(part)
    procedure.version = "1.1"
    procedure.save_revision(user=admin).publish()
    procedure.refresh_from_db()
    revisions = list(procedure.revision_log.order_by("pk").values_list("revision_id", flat=True))
    document = Document.objects.create(title="窗口服务规范", file=ContentFile(b"rules", name="rules.txt"))
    image = Image.objects.create(title="流程图", file=ContentFile(_png(), name="flow.png"), width=8, height=8)
    return {
        "handbook": root, "part": part, "procedure": procedure, "revisions": revisions,
        "page_revision": procedure.latest_revision, "document": document, "image": image,
        "collection": Collection.get_first_root_node(), "site": Site.objects.get(is_default_site=True),
        "workflow": Workflow.objects.first(), "task": Task.objects.first(),
        "redirect": Redirect.objects.create(old_path="/old-rules", redirect_page=procedure),
        "group": Group.objects.order_by("pk").first(), "department": Department.objects.first(),
    }


def _retention_objects(users):
    """A destruction list (city-wide, only whole-city grants reach it) and a hold on a file of each hall."""
    from archive.models import DestructionList, Hold

    archivist = users("archivist")
    holds = {scope: Hold.objects.create(kind=Hold.Kind.RECORD, record=Record.objects.filter(hall__code=HALLS[scope][0])
                                        .first(), reason="客户投诉", placed_by=archivist) for scope in (IN, OUT)}
    return {"destruction_list": DestructionList.objects.create(number="XH-20261130-0001", on_date=day(30, 11),
                                                               drawn_by=archivist),
            "hold": holds}


def _custody_objects(users, world):
    """A store and a box; each scope's volume shelved in it, a request by the hall's clerk to read it on site
    (waiting for approval) and a copy request on it (storage locations, look-ups and loans)."""
    from archive import locations, loans
    from archive.models import Box, CopyRequest, Custody, Store

    archivist = users("archivist")
    store = Store.objects.create(code="A", name="一号库房")
    box = Box.objects.create(store=store, row=1, column=1, shelf=1, number=1)
    custody, loan, copy = {}, {}, {}
    for scope in (IN, OUT):
        volume = world["volume"][scope]
        locations.shelve(archivist, volume, box)
        custody[scope] = Custody.objects.get(volume=volume)
        loan[scope] = loans.request_loan(users(f"clerk-{HALLS[scope][0]}"), "核对", "on_site", 1, (), [volume.number])
        copy[scope] = CopyRequest.objects.create(loan=loan[scope], pages=1, reason="留存")
    return {"store": store, "box": box, "custody": custody, "loan": loan, "copy": copy}


def _rules():
    """The admin-kept rules of customer files (their rows may have been flushed by a transactional test)."""
    from records.models import BusinessType, FieldReadingSettings, TransactionFormat

    return {"businesstype": BusinessType.objects.get_or_create(name="普通开户", defaults={"category": "ownership"})[0],
            "transactionformat": TransactionFormat.objects.get_or_create(operator="中国移动",
                                                                         template="AAYYYYMMDD99999")[0],
            "fieldreadingsettings": FieldReadingSettings.load()}


def build():
    """The whole world: (name → {IN: obj, OUT: obj} or one object, username → user or None for anonymous)."""
    _counter["n"] = 0
    everyone = _users()

    def users(username):
        return User.objects.get(username=username)

    world = {}
    chains = {scope: _chain(users, scope) for scope in (IN, OUT)}
    for name in chains[IN]:
        world[name] = {scope: chains[scope][name] for scope in (IN, OUT)}
    world.update(_wagtail_objects(everyone["admin"]))
    world["auditevent"] = AuditEvent.objects.order_by("seq").first()
    world["form"] = {scope: world["form_hall_branch"][scope] for scope in (IN, OUT)}
    world.update(_retention_objects(users))
    world.update(_custody_objects(users, world))
    world.update(_rules())
    assert HandoverForm.objects.filter(status=HandoverForm.Status.GIVEN).count() == 2
    subjects = {name: (None if name == "anonymous" else users(name)) for name in SUBJECTS}
    return world, subjects
