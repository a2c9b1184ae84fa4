"""Decisions at screening: what a record taken before a later anchor leaves pending, and the provisional
outcome if nothing changes (docs/screening_time.md).

A record states the day its data were extracted (``as_of``). A criterion whose window runs past it (``6
months before first_dose``, with the record taken at screening) cannot be decided: the days after
``as_of`` have not happened yet. The engine evaluates the criteria a second time, reading the record's
coverage as "nothing changes from ``as_of`` to the latest anchor" (``runtime/pending.py``). A criterion
UNKNOWN in the first evaluation and decided in the second is *pending*: its status stays UNKNOWN, with the
status it would have (``CriterionResult.provisional``) and the windows' parts after ``as_of`` to confirm.

The outcome keeps its exact meaning. A decision whose only open criteria are pending stays
``INDETERMINATE`` (a program reading ``outcome`` never takes it for a plain ELIGIBLE); ``Pending.provisional``
says what it would be (``ELIGIBLE`` or ``INELIGIBLE``), and ``to_confirm`` what to check before that anchor.
Text renders it ``INDETERMINATE: ELIGIBLE pending confirmation at first_dose (2025-09-25)``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import attrs

from ..runtime.bounded import Bounded
from ..runtime.pending import PendingCoverage, pending_coverage
from .outcome import Outcome, Status

__all__ = ["Pending", "ToConfirm", "pending_of", "query_label"]

_STATUS = {True: Status.MET, False: Status.NOT_MET}


@attrs.frozen
class ToConfirm:
    """One thing to confirm: that ``query`` (of criterion ``criterion``) finds nothing new or changed in
    ``collection`` from ``first`` to ``last`` (both included), the days after the record's as-of date;
    then the criterion is ``expected``. ``anchor`` names the anchor whose day ends the window (None: none)."""

    criterion: str
    expected: Status
    query: str
    collection: str
    first: datetime.date
    last: datetime.date
    anchor: str | None = None

    @property
    def text(self) -> str:
        return (f"{self.criterion} ({self.expected} if unchanged): {self.query}: nothing new or changed in "
                f"{self.collection} {self.first.isoformat()} .. {self.last.isoformat()}")

    def to_dict(self) -> dict:
        return {"criterion": self.criterion, "expected": str(self.expected), "query": self.query,
                "collection": self.collection, "from": self.first.isoformat(), "to": self.last.isoformat(),
                "anchor": self.anchor, "text": self.text}


@attrs.frozen
class Pending:
    """What a record's as-of date leaves pending in one decision.

    ``provisional`` is the outcome if nothing changes from ``as_of`` to ``horizon`` (None: still
    INDETERMINATE then, for want of other data); ``statuses`` the pending criteria's statuses under that
    assumption, by id; ``to_confirm`` what to check, by criterion."""

    as_of: datetime.date
    horizon: datetime.date
    horizon_anchor: str | None
    provisional: Outcome | None
    statuses: tuple[tuple[str, Status], ...]
    to_confirm: tuple[ToConfirm, ...]

    def status_of(self, criterion: str) -> Status | None:
        return dict(self.statuses).get(criterion)

    @property
    def headline(self) -> str | None:
        """``ELIGIBLE pending confirmation at first_dose (2025-09-25)``; None without a provisional outcome."""
        if self.provisional is None:
            return None
        at = f"{self.horizon_anchor} ({self.horizon.isoformat()})" if self.horizon_anchor else self.horizon.isoformat()
        return f"{self.provisional} pending confirmation at {at}"

    @property
    def items(self) -> tuple[str, ...]:
        return tuple(t.text for t in self.to_confirm)

    def to_dict(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "until": self.horizon.isoformat(), "anchor": self.horizon_anchor,
                "provisional": None if self.provisional is None else str(self.provisional),
                "criteria": {cid: str(s) for cid, s in self.statuses},
                "to_confirm": [t.to_dict() for t in self.to_confirm]}


def query_label(node, src) -> str:
    """A query named as the trace names it (`stable daily_dose of medications in mycophenolate`)."""
    from .render import _QUERY_NODES, _query_label

    return _query_label(node, src) if isinstance(node, _QUERY_NODES) else src.of(node)


def _deciding(t):
    """The trace nodes that decide ``t``'s value: below an `and` with a false operand, only the false
    operands (the others do not matter); below an `or` with a true one, only the true ones; below an
    implication, the false premise or the true conclusion that decides it."""
    yield t
    children, node = t.children, t.node
    kind = type(node).__name__
    if kind == "And" and any(c.value is False for c in children):
        children = tuple(c for c in children if c.value is False)
    elif kind == "Or" and any(c.value is True for c in children):
        children = tuple(c for c in children if c.value is True)
    elif kind == "Implies" and len(children) == 2:
        if children[0].value is False:
            children = children[:1]
        elif children[1].value is True:
            children = children[1:]
    for c in children:
        yield from _deciding(c)


def _outcome(specs, values) -> Outcome:
    decided_ok = True
    for (_, kind, _), v in zip(specs, values, strict=True):
        meets = True if kind == "include" else False
        if v is (not meets):
            return Outcome.INELIGIBLE
        if v is not meets:
            decided_ok = False
    return Outcome.ELIGIBLE if decided_ok else Outcome.INDETERMINATE


def pending_of(as_of: datetime.date | None, anchors: dict, coverage: dict, specs: tuple, values: tuple,
               evaluate: Callable[[dict], tuple], traces: Callable[[list, dict], dict],
               label: Callable) -> Pending | None:
    """The pending part of a decision whose criteria evaluated to ``values`` (True / False / None, one per
    spec (id, kind, text)); None when nothing is pending (no as-of date, no anchor after it, no UNKNOWN
    criterion the assumption decides). ``evaluate(coverage)`` re-evaluates every criterion with other
    coverage; ``traces(indices, coverage)`` gives their traces; ``label(trace_node)`` names a query."""
    if as_of is None or not anchors or len(values) != len(specs) or None not in values:
        return None
    horizon = max(anchors.values())
    if horizon <= as_of:
        return None
    assumed = pending_coverage(coverage, as_of, horizon)
    again = evaluate(assumed)
    which = [i for i, v in enumerate(values) if v is None and again[i] is not None]
    if not which:
        return None
    mixed = tuple(again[i] if v is None else v for i, v in enumerate(values))
    outcome = _outcome(specs, mixed)
    statuses = tuple((specs[i][0], _STATUS[again[i]]) for i in which)
    found: list[ToConfirm] = []
    # Only the queries left open without the assumption (unknown, or known only within bounds) are to
    # confirm: one decided from the record alone needs nothing more.
    open_nodes = {id(t.node) for tree in traces(which, coverage).values() for t in tree.walk()
                  if t.evidence is not None and (t.value is None or isinstance(t.value, Bounded))}
    for i, tree in sorted(traces(which, assumed).items()):
        cid, expected = specs[i][0], _STATUS[again[i]]
        for t in _deciding(tree):
            e = t.evidence
            if e is None or not isinstance(e.coverage, PendingCoverage) or id(t.node) not in open_nodes:
                continue
            part = e.coverage.pending_part(e.window)
            if part is None:
                continue
            last = part.last_day()
            anchor = next((name for name, day in anchors.items() if day == last), None)
            item = ToConfirm(cid, expected, label(t), e.collection, part.first_day(), last, anchor)
            if item not in found:
                found.append(item)
    horizon_anchor = next((name for name, day in anchors.items() if day == horizon), None)
    return Pending(as_of, horizon, horizon_anchor, None if outcome is Outcome.INDETERMINATE else outcome,
                   statuses, tuple(found))
