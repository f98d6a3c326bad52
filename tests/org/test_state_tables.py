"""The state tables (issue 14, first part): every stateful model declares its allowed moves beside its Status,
and org.states.move is the only code that writes a status. A move from a state the table does not list, or
by someone org.access refuses, changes nothing and logs nothing; a bulk move costs the same number of
queries for 3 rows as for 30; the record's table in records/transitions.py is the one the code runs."""
import ast
import datetime
import pathlib
import string

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from archive import events as archive_events
from archive.models import Box, CopyRequest, Custody, DestructionList, HandoverForm, Loan, Store, Volume
from org import access, states
from org.models import AuditEvent, Hall
from records import events as records_events
from records import transitions
from records.models import Record, ReportImport
from search.models import OutboxEntry

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
STATEFUL = (Record, Volume, HandoverForm, ReportImport, DestructionList, Custody, Loan, CopyRequest)


def test_every_stateful_model_has_a_table_and_every_state_and_move_is_reachable():
    assert {model for model, _ in states.tables()} == set(STATEFUL)
    for model, machine in states.tables():
        start = model._meta.get_field(machine.field).default
        reached, todo = {start}, [start]
        while todo:
            state = todo.pop()
            for m in machine:
                if state in m.sources and m.target not in reached:
                    reached.add(m.target)
                    todo.append(m.target)
        assert reached == set(machine.states.values), model
        for m in machine:
            assert m.sources & reached, (model, m.name)


def test_every_move_names_a_known_action_and_an_event_constant():
    constants = {v for mod in (records_events, archive_events) for k, v in vars(mod).items() if k.isupper()}
    for model, machine in states.tables():
        fields = {f.attname for f in model._meta.concrete_fields}
        for m in machine:
            assert m.event in constants, (model, m.name)
            if m.action:
                names = {n for _, n, _, _ in string.Formatter().parse(m.action) if n}
                assert names <= fields, (model, m.name)
                kinds = [c for c in HandoverForm.Kind.values] if names else [None]
                for kind in kinds:
                    assert m.action.format(kind=kind) in access.ACTIONS, (model, m.name)


def test_the_record_table_in_the_transitions_docstring_is_the_running_one():
    rendered = "\n".join(("    " + line) for line in Record.moves.render().splitlines())
    assert rendered in transitions.__doc__, "records/transitions.py: paste `manage.py state_tables records.Record`"


# --- no status is written anywhere but org/states.py ---------------------------------------------------

WRITES = {"update", "create", "get_or_create", "update_or_create", "bulk_create", "bulk_update", "save"}


def _strings(node):
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def status_writes(source, model_names):
    """(line, code) of every write of a `status` in `source`: an assignment to `.status`, setattr(…, "status"),
    status= (or "status" in update_fields / fields / defaults / **{…}) in a saving call or a model's
    constructor."""
    found = []
    for node in ast.walk(ast.parse(source)):
        hit = False
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            hit = any(isinstance(sub, ast.Attribute) and sub.attr == "status"
                      for t in targets for sub in ast.walk(t))
        elif isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if name == "setattr" and len(node.args) > 1 and "status" in _strings(node.args[1]):
                hit = True
            if name in WRITES or name in model_names:
                hit = hit or any(k.arg == "status" for k in node.keywords) or any(
                    k.arg in ("update_fields", "fields", "defaults", None) and "status" in _strings(k.value)
                    for k in node.keywords)
                hit = hit or (name == "bulk_update" and any("status" in _strings(a) for a in node.args))
        if hit:
            found.append((node.lineno, ast.unparse(node)[:120]))
    return found


def test_the_source_check_catches_each_kind_of_write():
    names = {"Record"}
    bad = ['record.status = "bound"', 'a.holder, a.status = u, "x"', 'setattr(volume, "status", "open")',
           'Record.objects.filter(pk=1).update(status="sorted")', 'qs.update(**{"status": "x"})',
           'Record.objects.bulk_update(rows, ["status"])', 'record.save(update_fields=["status", "holder"])',
           'Record(status="bound")', 'Volume.objects.update_or_create(pk=1, defaults={"status": "open"})']
    for line in bad:
        assert status_writes(line, names), line
    fine = ['Record.objects.filter(status="sorted")', 'JsonResponse({}, status=400)', 'x = record.status',
            'record.save(update_fields=["holder"])']
    for line in fine:
        assert not status_writes(line, names), line


def test_only_the_move_function_writes_a_status():
    names = {model.__name__ for model in STATEFUL}
    allowed = {ROOT / "org" / "states.py"}
    offenders = []
    for app in ("org", "records", "archive", "search", "handbook", "config"):
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts or path in allowed:
                continue
            for line, code in status_writes(path.read_text(encoding="utf-8"), names):
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {code}")
    assert not offenders, "write states through org.states.move:\n" + "\n".join(offenders)


# --- refusals change nothing ------------------------------------------------------------------------------

@pytest.fixture
def make_in_state(users, make_record):
    hall = Hall.objects.get(code="H11")
    made = {}

    def make(model, state):
        key = (model, state)
        if key not in made:
            n = len(made) + 1
            if model is Record:
                made[key] = make_record(status=state)
            elif model is Volume:
                made[key] = Volume.objects.create(hall=hall, category="general", year=2026, month=11, seq=n,
                                                  number=f"T-{n}", status=state)
            elif model is HandoverForm:
                made[key] = HandoverForm.objects.create(kind=HandoverForm.Kind.CLERK_HALL, hall=hall,
                                                        branch=hall.branch, giver=users("l1-H11"), status=state)
            elif model is DestructionList:
                made[key] = DestructionList.objects.create(number=f"XH-T-{n}", on_date=datetime.date(2026, 12, 1),
                                                           drawn_by=users("archivist"), status=state)
            elif model is Custody:
                volume = Volume.objects.create(hall=hall, category="general", year=2026, month=12, seq=100 + n,
                                               number=f"T-C-{n}")
                box = Box.objects.create(store=Store.objects.get_or_create(code="T", name="T")[0], row=1, column=1,
                                         shelf=1, number=n)
                made[key] = Custody.objects.create(volume=volume, box=box, status=state)
            elif model in (Loan, CopyRequest):
                loan = Loan.objects.create(number=f"JY-T-{n}", requester=users("clerk-H11"), hall=hall,
                                           purpose="t", form="on_site", days=1,
                                           status=state if model is Loan else "approved")
                made[key] = loan if model is Loan else CopyRequest.objects.create(loan=loan, pages=1, reason="t",
                                                                                  status=state)
            else:
                made[key] = ReportImport.objects.create(source_name="r.csv", uploaded_by=users("l1-H11"),
                                                        status=state)
        return made[key]

    return make


def test_a_move_from_a_state_the_table_does_not_list_is_refused_and_changes_nothing(users, make_in_state):
    admin = users("admin")  # a superuser: only the table refuses
    tried = 0
    for model, machine in states.tables():
        for m in machine:
            for state in set(machine.states.values) - m.sources:
                obj = make_in_state(model, state)
                before = AuditEvent.objects.count()
                if m.carried:
                    with pytest.raises(ValueError):  # made only along the move that carries it
                        states.move(obj, m.name, admin)
                else:
                    with pytest.raises(states.Refused):
                        states.move(obj, m.name, admin)
                obj.refresh_from_db()
                assert obj.status == state and AuditEvent.objects.count() == before, (model, m.name, state)
                tried += 1
    assert tried > 60


def test_a_bulk_move_with_one_row_in_the_wrong_state_moves_none(users, make_record):
    ready = [make_record(status=Record.Status.OCR_DONE) for _ in range(3)]
    late = make_record(status=Record.Status.OCR_RUNNING)
    before = AuditEvent.objects.count()
    with pytest.raises(states.Refused) as refused:
        states.move(Record.objects.filter(pk__in=[r.pk for r in [*ready, late]]), "sort", users("clerk-H11"))
    assert f"#{late.pk}" in str(refused.value)
    assert set(Record.objects.values_list("status", flat=True)) == {Record.Status.OCR_DONE, Record.Status.OCR_RUNNING}
    assert AuditEvent.objects.count() == before


def test_the_refusal_names_the_current_and_the_wanted_state_in_chinese(users, make_record):
    record = make_record(status=Record.Status.OCR_RUNNING)
    with translation.override("zh-hans"), pytest.raises(states.Refused) as refused:
        states.move(record, "sort", users("clerk-H11"))
    message = str(refused.value)
    with translation.override("zh-hans"):
        assert str(Record.Status.OCR_RUNNING.label) in message and str(Record.Status.SORTED.label) in message
    assert f"#{record.pk}" in message and "现在不能" in message


def test_a_person_outside_the_scope_is_refused_and_nothing_changes(users, make_record):
    records = [make_record(status=Record.Status.OCR_DONE) for _ in range(2)]
    before = AuditEvent.objects.count()
    for target in (records[0], Record.objects.filter(pk__in=[r.pk for r in records])):
        with pytest.raises(PermissionDenied):
            states.move(target, "sort", users("clerk-H12"))  # a clerk of another hall
    with pytest.raises(PermissionDenied):
        states.move(records[0], "sort", None)  # a person's move needs a person
    assert set(Record.objects.values_list("status", flat=True)) == {Record.Status.OCR_DONE}
    assert AuditEvent.objects.count() == before


# --- a legal move --------------------------------------------------------------------------------------

def test_a_bulk_move_writes_every_row_one_event_and_the_search_outbox(users, make_record):
    clerk = users("clerk-H11")
    records = [make_record(status=Record.Status.OCR_DONE) for _ in range(3)]
    OutboxEntry.objects.all().delete()
    hall = Hall.objects.get(code="H11")
    moved = states.move(Record.objects.filter(pk__in=[r.pk for r in records]), "sort", clerk, log_on=hall,
                        details={"day": datetime.date(2026, 11, 2)}, holder=clerk)
    assert [r.status for r in moved] == [Record.Status.SORTED] * 3
    assert set(Record.objects.values_list("status", "holder")) == {(Record.Status.SORTED, clerk.pk)}
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.object_type, event.actor_name) == ("dailyclose", "org.hall", "clerk-H11")
    assert event.details == {"from": "ocr_done", "to": "sorted", "day": "2026-11-02"}
    assert sorted(int(i) for i in OutboxEntry.objects.values_list("object_id", flat=True)) == sorted(
        r.pk for r in records)


def test_a_system_move_is_logged_as_the_worker_and_updates_the_callers_object(make_record):
    record = make_record(status=Record.Status.OCR_QUEUED)
    states.move(record, "start_ocr", details={"attempt": 1}, ocr_attempts=1)
    assert (record.status, record.ocr_attempts) == (Record.Status.OCR_RUNNING, 1)
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.actor_name, event.object_id) == ("record.ocr_start", "worker", str(record.pk))
    assert event.details == {"from": "ocr_queued", "to": "ocr_running", "attempt": 1}


def test_a_bulk_move_costs_the_same_queries_for_3_rows_as_for_30(users, make_record):
    counts = []
    for n in (3, 30):
        clerk = users("clerk-H11")  # a fresh user object: its roles are loaded in both runs
        ids = [make_record(status=Record.Status.OCR_DONE).pk for _ in range(n)]
        with CaptureQueriesContext(connection) as queries:
            states.move(Record.objects.filter(pk__in=ids), "sort", clerk, holder=clerk)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_records_and_archive_name_their_events_by_constant():
    """Event names are constants per app (records/events.py, archive/events.py), never free strings."""
    offenders = []
    for app in ("records", "archive"):
        for path in sorted((ROOT / app).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.Call) and node.args):
                    continue
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
                owner = getattr(f.value, "id", "") if isinstance(f, ast.Attribute) else ""
                logging = name == "log" or (name == "record" and owner == "auditlog")
                if logging and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)[:80]}")
    assert not offenders, "\n".join(offenders)
