"""State tables and the one function that moves a stateful object.

Each stateful model declares, beside its Status, a `Machine`: the moves allowed (from-states → to-state),
the org.access action a person needs for each (None: a move of the system, such as the OCR worker) and the
event name it writes. `move()` is the only code that writes such a status: it locks the rows, refuses a
move from a state the table does not list (the model unchanged, no event), asks org.access, writes the
state with one UPDATE however many rows move, and appends one event-log row, all in one transaction. A
move that only ever happens as part of another (the files received with their handover form) is declared
`carried`: it is made through the other's `along`, and the other's event names it.

The tables are data, so the state machines can be printed (`Machine.render`) and checked by tests; this
module imports nothing from the apps that use it.
"""
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.dispatch import Signal
from django.utils.translation import gettext as _

from . import access, auditlog

WORKER = "worker"  # the event log's actor name for a move of the system

# Sent after rows moved (by an UPDATE, so post_save is not sent): sender=model, pks=[...], move=Move.
moved = Signal()


class Refused(Exception):
    """A move (or a step built on moves) that is not possible now; the message says why, for the user."""


@dataclass(frozen=True)
class Move:
    name: str
    sources: frozenset
    target: str
    action: str | None  # org.access action a person needs on each row ("{field}" filled from it); None: system
    event: str  # the event name it logs (for a carried move: the event of the move it goes along with)
    carried: bool = False  # only as `along` of another move, whose event row names it
    note: str = ""  # what the move is, for the rendered table

    def __post_init__(self):
        object.__setattr__(self, "sources", frozenset(str(s) for s in self.sources))
        object.__setattr__(self, "target", str(self.target))

    def action_for(self, row):
        return self.action.format_map({f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields})


class Machine:
    """The allowed moves of one model's `field` (a TextChoices of states). Apps that add steps to another
    app's model add their moves to its machine (`add`), so imports keep pointing one way."""

    def __init__(self, states, moves=(), field="status"):
        self.states, self.field = states, field
        self.moves = {}
        self.add(*moves)

    def add(self, *moves):
        for m in moves:
            if m.name in self.moves:
                raise ValueError(f"move {m.name!r} is declared twice")
            unknown = (m.sources | {m.target}) - set(self.states.values)
            if unknown:
                raise ValueError(f"move {m.name!r} names unknown states {sorted(unknown)}")
            self.moves[m.name] = m
        return self

    def __getitem__(self, name):
        try:
            return self.moves[name]
        except KeyError:
            raise KeyError(f"no move {name!r} in the table of {self.states.__qualname__}") from None

    def __iter__(self):
        return iter(self.moves.values())

    def allows(self, name, state):
        """Does the move `name` start from `state`? A step asks this to refuse early in its own words."""
        return state in self[name].sources

    def label(self, state):
        return str(self.states(state).label)

    def render(self):
        """The table as text, two lines a move (the docs carry it; a test keeps them from drifting)."""
        lines = []
        for m in self:
            sources = " | ".join(s for s in self.states.values if s in m.sources)
            who = ("carried, " if m.carried else "") + (f"by {m.action}" if m.action else "by the system")
            lines += [f"{m.name}: {sources} → {m.target}", f"    {who}; logs {m.event}" + (f" — {m.note}" if m.note else "")]
        return "\n".join(lines)


def tables():
    """Every installed model with a state table, and its table."""
    from django.apps import apps

    return [(model, model.moves) for model in apps.get_models() if isinstance(getattr(model, "moves", None), Machine)]


def machine_of(model):
    machine = getattr(model, "moves", None)
    if not isinstance(machine, Machine):
        raise TypeError(f"{model.__name__} declares no state table (moves)")
    return machine


def _thing(row):
    return f"{row._meta.verbose_name} #{row.pk}"


class _Step:
    """One model's part of a move: the locked rows, checked, then written."""

    def __init__(self, target, name, actor, guard, changes, carried):
        if isinstance(target, models.QuerySet):
            self.model, query, self.instance = target.model, target, None
        else:
            self.model, self.instance = type(target), target
            query = self.model._default_manager.filter(pk=target.pk)
        self.machine = machine_of(self.model)
        self.move = self.machine[name]
        if self.move.carried != carried:
            raise ValueError(f"move {name!r} is {'' if self.move.carried else 'not '}made along another move")
        self.changes = changes
        self.rows = list(query.select_for_update().order_by("pk"))
        if self.instance is not None and not self.rows:
            raise Refused(_("%(thing)s no longer exists.") % {"thing": _thing(target)})
        if self.move.action:
            self._require(actor)
        field = self.machine.field
        for row in self.rows:
            if getattr(row, field) not in self.move.sources:
                raise Refused(_("%(thing)s is “%(state)s”; it cannot become “%(wanted)s” now.")
                              % {"thing": _thing(row), "state": self.machine.label(getattr(row, field)),
                                 "wanted": self.machine.label(self.move.target)})
            if guard:
                guard(row)
        self.before = sorted({getattr(row, field) for row in self.rows})

    def _require(self, actor):
        by_action = {}
        for row in self.rows:
            by_action.setdefault(self.move.action_for(row), []).append(row)
        for action, rows in by_action.items():
            if len(rows) == 1:
                allowed = access.can(actor, action, rows[0])
            else:  # one query for many rows: the scope is part of it, never a filter afterwards
                pks = [r.pk for r in rows]
                reach = access.scope(actor, action)
                allowed = reach.everything or (not reach.empty and self.model._default_manager.filter(
                    access.scope_filter(actor, self.model, action), pk__in=pks).count() == len(pks))
            if not allowed:
                raise PermissionDenied(_("You may not do this here (%(action)s)") % {"action": action})

    def write(self):
        if not self.rows:
            return
        values = {self.machine.field: self.move.target, **self.changes}
        pks = [row.pk for row in self.rows]
        self.model._default_manager.filter(pk__in=pks).update(**values)
        for obj in [*self.rows, *([self.instance] if self.instance is not None else [])]:
            for name, value in values.items():
                setattr(obj, name, value)
        moved.send(sender=self.model, pks=pks, move=self.move)

    def summary(self):
        return {"type": f"{self.model._meta.app_label}.{self.model._meta.model_name}",
                "ids": [row.pk for row in self.rows], "from": _one(self.before), "to": self.move.target}


def _one(states):
    return states[0] if len(states) == 1 else states


def move(target, name, actor=None, *, request=None, details=None, log_on=None, guard=None, along=(), **changes):
    """Make the declared move `name` of `target` (a model instance, or a queryset to move many rows at once):
    lock, check the table's from-states, `guard(row)` (raises Refused to refuse) and org.access when a person
    makes it, write the state and `changes`, and log one event (on `log_on`, else on the instance).

    `along`: (instance or queryset, move name, {changes}) of carried moves made in the same go and named in
    the event. Returns the moved row (for an instance, which is updated too) or the list of moved rows.
    Raises Refused or PermissionDenied; then nothing is changed."""
    with transaction.atomic():
        main = _Step(target, name, actor, guard, changes, carried=False)
        others = [_Step(t, n, actor, None, dict(c or {}), carried=True) for t, n, c in along]
        if not main.rows:
            return []
        for step in (main, *others):
            step.write()
        body = {"from": _one(main.before), "to": main.move.target}
        if main.instance is None and not log_on:
            body["ids"] = [row.pk for row in main.rows]
        if any(step.rows for step in others):
            body["along"] = [step.summary() for step in others if step.rows]
        body.update(details or {})
        obj = log_on if log_on is not None else (main.rows[0] if main.instance is not None else None)
        auditlog.record(main.move.event, actor=actor, actor_name=None if actor else WORKER, obj=obj,
                        request=request, details=body)
    return main.rows[0] if main.instance is not None else main.rows
