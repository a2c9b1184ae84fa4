"""Trace data: what each sub-expression evaluated to, for one criterion and one record.

Built by the traced evaluator (``compile``), read by the renderers (``explain``).
A node keeps the IR node it evaluated (type, span, kind), its value and its
children; fact nodes name the fact they read.  Values are runtime values; the
``explain`` layer turns them into text or JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs

from ..check import ir


@attrs.frozen
class Evidence:
    """What decided a query: the window actually computed, the coverage that made an
    absence count or not, and the records that matched or were undecided."""

    window: str
    coverage: str
    matched: tuple[str, ...] = ()
    undecided: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"window": self.window, "coverage": self.coverage, "matched": list(self.matched),
                "undecided": list(self.undecided)}


class TraceNode:
    """One evaluated sub-expression. Treat as immutable (a plain slotted class, not attrs, because
    a traced evaluation creates one per node per record: construction cost is the trace's cost).

    ``note`` is set where the value follows from a stated rule rather than plain evaluation (e.g.
    `x < max(a, b)` compared with each argument when one is unknown); ``evidence`` on queries;
    ``event`` on a query's filter evaluated on one event (that event, described).
    """

    __slots__ = ("children", "event", "evidence", "node", "note", "value")

    def __init__(self, node: ir.Node, value: Any, children: tuple[TraceNode, ...] = (), note: str | None = None,
                 evidence: Evidence | None = None, event: str | None = None):
        self.node, self.value, self.children = node, value, children
        self.note, self.evidence, self.event = note, evidence, event

    def replace(self, **changes) -> TraceNode:
        fields = {name: getattr(self, name) for name in self.__slots__}
        return TraceNode(**{**fields, **changes})

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
