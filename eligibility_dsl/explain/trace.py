"""Trace data: what each sub-expression evaluated to, for one criterion and one record.

Built by the traced evaluator (``compile``), read by the renderers (``explain``).
A node keeps the IR node it evaluated (type, span, kind), its value and its
children; fact nodes name the fact they read.  Values are runtime values; the
``explain`` layer turns them into text or JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from operator import itemgetter
from typing import Any

from ..check import ir
from ..runtime.events import Coverage, Event, Window
from .values import json_value


class Evidence:
    """What decided a query, as data: the collection, the window actually computed, the coverage that
    made an absence count or not (and whether it covered the window), and the events that matched or
    were undecided (filter unknown, or no code), in timeline order.  ``shown`` names the fields a
    renderer shows for each event (the collection's summary fields).  Renderers turn it into words
    (``text_of_window``, ``coverage_text``, ``Event.describe``) or JSON (``to_dict``)."""

    __slots__ = ("collection", "coverage", "covered", "matched", "shown", "undecided", "window")

    def __init__(self, collection: str, window: Window, coverage: Coverage | None, covered: bool,
                 matched: tuple[Event, ...] = (), undecided: tuple[Event, ...] = (), shown: tuple[str, ...] = ()):
        self.collection, self.window, self.coverage, self.covered = collection, window, coverage, covered
        self.matched, self.undecided, self.shown = matched, undecided, shown

    @property
    def coverage_text(self) -> str:
        if self.coverage is None:
            return f"no coverage stated for {self.collection}: absence is unknown"
        verdict = "covers the window" if self.covered else "does not cover the window"
        return f"{self.collection} {self.coverage}: {verdict}"

    def describe(self, event: Event) -> str:
        return event.describe(self.shown)

    def to_dict(self) -> dict:
        w, c = self.window, self.coverage
        return {
            "collection": self.collection,
            "window": {"text": str(w), "from": _iso(w.low), "to": _iso(w.high), "from_inclusive": w.low_closed,
                       "to_inclusive": w.high_closed},
            "coverage": None if c is None else {"from": _iso(c.low), "to": _iso(c.high)},
            "covered": self.covered,
            "coverage_text": self.coverage_text,
            "matched": [event_to_dict(e, self.shown) for e in self.matched],
            "undecided": [event_to_dict(e, self.shown) for e in self.undecided],
        }


def _iso(d) -> str | None:
    return None if d is None else d.isoformat()


def event_to_dict(event: Event, shown: tuple[str, ...] = ()) -> dict:
    """An event as evidence: its id (the record's provenance), collection, period and the shown fields."""
    return {"id": event.id, "collection": event.collection, "start": _iso(event.start), "end": _iso(event.end),
            "text": event.describe(shown), "fields": {name: json_value(event.fields.get(name)) for name in shown}}


class TraceNode(tuple):
    """One evaluated sub-expression: ``node`` (the IR node, with its span), ``value``, ``children``.

    ``note`` is set where the value follows from a stated rule rather than plain evaluation (e.g.
    `x < max(a, b)` compared with each argument when one is unknown); ``evidence`` on queries;
    ``event`` on a query's filter or condition evaluated on one event (that :class:`Event`, with
    ``shown`` naming the fields to show for it).

    A tuple underneath, because a traced evaluation makes one per node per record and a tuple is the
    cheapest object Python builds: generated code makes them with ``tuple.__new__(TraceNode, fields)``
    (``FIELDS`` gives the order). Equality is identity, as for any evaluation record.
    """

    __slots__ = ()
    FIELDS = ("node", "value", "children", "note", "evidence", "event", "shown")

    def __new__(cls, node: ir.Node, value: Any, children: tuple[TraceNode, ...] = (), note: str | None = None,
                evidence: Evidence | None = None, event: Event | None = None, shown: tuple[str, ...] = ()):
        return tuple.__new__(cls, (node, value, children, note, evidence, event, shown))

    node = property(itemgetter(0))
    value = property(itemgetter(1))
    children = property(itemgetter(2))
    note = property(itemgetter(3))
    evidence = property(itemgetter(4))
    event = property(itemgetter(5))
    shown = property(itemgetter(6))
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__

    def __getnewargs__(self):  # pickling and copying rebuild through __new__
        return tuple(self)

    def replace(self, **changes) -> TraceNode:
        return TraceNode(**{**dict(zip(self.FIELDS, self, strict=True)), **changes})

    def __repr__(self) -> str:
        return f"TraceNode({type(self.node).__name__}, {self.value!r}, {len(self.children)} children)"

    @property
    def kind(self) -> str:
        return type(self.node).__name__

    @property
    def fact(self) -> str | None:
        return self.node.name if isinstance(self.node, ir.Fact) else None

    def walk(self) -> Iterator[TraceNode]:
        yield self
        for child in self.children:
            yield from child.walk()

    def facts_read(self) -> dict[str, Any]:
        """Every fact this subtree read, by name, with the value it had (None: missing)."""
        out: dict[str, Any] = {}
        for t in self.walk():
            if t.fact is not None:
                out.setdefault(t.fact, t.value)
        return out
