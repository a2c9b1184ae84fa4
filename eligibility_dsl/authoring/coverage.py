"""Outcome and boundary coverage: what a trial's tests reached, in the terms of a three-valued language.

Points are found in the checked trial (criteria, definitions, score items, `where` and `have` filters):

- **outcomes**: each criterion (MET, NOT_MET, UNKNOWN) and each operand of an `and`, `or` or `implies`
  and each score item's condition (true, false, unknown): which values the tests reached, read from the
  full traces (every operand of an `and`/`or` is traced, so none hides behind another);
- **thresholds**: each ordering comparison (`<`, `<=`, `>`, `>=`) and each end of a `between`: whether a test
  put the compared value exactly on the threshold and one smallest step below and above it (the boundary
  rule of tests/boundaries.py). The step is one unit of the threshold's last written digit (`50 %`: 1 %,
  `10.5 %`: 0.1 %), a whole unit when the compared value is whole by construction (`days between`, `age`,
  `count`, `days on`), one day for dates, else one unit of the last digit of the threshold's value;
- **window edges**: each end of a query's window: whether an event of the query's collection (and code
  set) lies exactly on the window's first (last) day and one day either side: for the first day, the
  event's end (a point event's date), for the last day its start, as overlap decides. `below` is the
  day before, `above` the day after.

A point is keyed by its source span, so a definition used by several criteria is one point.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import attrs

from ..backends.python.support import codings
from ..check import ir
from ..runtime.codes import CodeSet
from ..runtime.quantity import Quantity

VALUES = ("true", "false", "unknown")
POSITIONS = ("below", "on", "above")
_LABEL = {True: "true", False: "false", None: "unknown"}
_STATUS = {"MET": "true", "NOT_MET": "false", "UNKNOWN": "unknown"}
_ORDER = {"<", "<=", ">", ">="}
_WHOLE = (ir.DurationBetween, ir.Age)
_DAY = datetime.timedelta(days=1)


@attrs.define
class Point:
    """One thing to cover: ``kind`` is criterion, branch, threshold or edge; ``reached`` what the tests
    reached of ``wanted``."""

    kind: str
    owner: str  # the criterion id, `define NAME` or `score NAME`
    line: int
    text: str  # the source it covers, squashed to one line
    wanted: tuple[str, ...]
    reached: set[str] = attrs.field(factory=set)
    note: str = ""  # a threshold's value, a window edge's day, as last seen

    @property
    def missing(self) -> list[str]:
        return [w for w in self.wanted if w not in self.reached]

    def to_dict(self) -> dict:
        return {"kind": self.kind, "owner": self.owner, "line": self.line, "text": self.text,
                "wanted": list(self.wanted), "reached": [w for w in self.wanted if w in self.reached],
                "missing": self.missing, "note": self.note}


def _key(node: Any, extra: str = "") -> tuple:
    s = node.span
    return (type(node).__name__, s.file, s.start, s.end, extra) if s is not None else (type(node).__name__, id(node))


class Coverage:
    """The points of one trial and what the observed decisions reached."""

    def __init__(self, checked: ir.CheckedTrial):
        self.checked = checked
        self.points: dict[tuple, Point] = {}
        self.thresholds: dict[tuple, tuple] = {}  # key -> (value node, threshold node)
        self.edges: dict[tuple, tuple] = {}  # key -> (query, which end)
        self.cases = 0
        self._codesets = _codesets(checked)
        for c in checked.criteria:
            self.points[("criterion", c.id)] = Point("criterion", c.id, _line(c.span), _snippet(checked, c.span),
                                                     ("MET", "NOT_MET", "UNKNOWN"))
            self._walk(c.expr, c.id)
        for name, d in checked.definitions.items():
            self._walk(d.expr, f"define {name}")
        for name, s in checked.scores.items():
            for _title, items in s.categories:
                for _weight, condition in items:
                    self._add(("branch",) + _key(condition), "branch", f"score {name}", condition, VALUES)
                    self._walk(condition, f"score {name}")

    # ------------------------------------------------------------------ points, from the checked trial
    def _add(self, key: tuple, kind: str, owner: str, node: Any, wanted: tuple[str, ...]) -> None:
        if key not in self.points:
            self.points[key] = Point(kind, owner, _line(node.span), _snippet(self.checked, node.span), wanted)

    def _walk(self, root: ir.Node, owner: str) -> None:
        stack = [root]
        while stack:
            node = stack.pop()
            if isinstance(node, ir.And | ir.Or | ir.Implies):
                for operand in node.children():
                    self._add(("branch",) + _key(operand), "branch", owner, operand, VALUES)
            elif isinstance(node, ir.Compare) and node.op in _ORDER:
                value, threshold = (node.right, node.left) if isinstance(node.left, ir.Const) and not isinstance(
                    node.right, ir.Const) else (node.left, node.right)
                key = ("threshold",) + _key(node)
                self._add(key, "threshold", owner, node, POSITIONS)
                self.thresholds[key] = (value, threshold)
            elif isinstance(node, ir.Between):
                for end, bound in (("low", node.low), ("high", node.high)):
                    key = ("threshold",) + _key(node, end)
                    self._add(key, "threshold", owner, node, POSITIONS)
                    self.points[key].text = f"{self.points[key].text} ({end} end)"
                    self.thresholds[key] = (node.operand, bound)
            query = getattr(node, "query", None)
            if isinstance(query, ir.Query) and query.window is not None:
                for end, bound in (("first day", query.window.low), ("last day", query.window.high)):
                    if bound is not None:
                        key = ("edge",) + _key(node, end)
                        if key not in self.points:
                            text = _snippet(self.checked, query.window.span or node.span)
                            self.points[key] = Point("edge", owner, _line(query.window.span or node.span),
                                                     f"{text} ({end})", POSITIONS)
                        self.edges[key] = (query, end)
            stack.extend(node.children())

    # ------------------------------------------------------------------ observing decisions
    def observe(self, decision, bound) -> None:
        """Record what one decision (evaluated with full traces) and its bound record reached."""
        self.cases += 1
        for c in decision.criteria:
            point = self.points.get(("criterion", c.id))
            if point is not None and str(c.status) in _STATUS:
                point.reached.add(str(c.status))
            if c.trace is not None:
                for t in _walk_trace(c.trace):
                    self._observe_node(t, bound)

    def _observe_node(self, t, bound) -> None:
        node = t.node
        branch = self.points.get(("branch",) + _key(node))
        if branch is not None and (t.value is None or isinstance(t.value, bool)):
            branch.reached.add(_LABEL[t.value])
        if isinstance(node, ir.Compare | ir.Between):
            for extra in (("",) if isinstance(node, ir.Compare) else ("low", "high")):
                key = ("threshold",) + _key(node, extra)
                if key in self.thresholds:
                    self._threshold(key, t)
        if t.evidence is not None:
            for end in ("first day", "last day"):
                key = ("edge",) + _key(node, end)
                if key in self.edges:
                    self._edge(key, t.evidence, bound)

    def _threshold(self, key: tuple, t) -> None:
        value_node, threshold_node = self.thresholds[key]
        value, threshold = _child_value(t, value_node), _child_value(t, threshold_node)
        step = _step(value_node, threshold_node, threshold)
        if value is None or threshold is None or step is None:
            return
        point = self.points[key]
        point.note = f"threshold {threshold}"
        try:
            for position, target in (("below", threshold - step), ("on", threshold), ("above", threshold + step)):
                if value == target:
                    point.reached.add(position)
        except (TypeError, ArithmeticError, ValueError):  # values a threshold cannot be stepped from
            return

    def _edge(self, key: tuple, evidence, bound) -> None:
        query, end = self.edges[key]
        window = evidence.window
        if end == "first day":
            if window.low is None:
                return
            day = window.low if window.low_closed else window.low + _DAY
        else:
            if window.high is None:
                return
            day = window.high if window.high_closed else window.high - _DAY
        point = self.points[key]
        point.note = f"{end} {day.isoformat()}"
        codeset = self._codesets.get(query.codeset) if query.codeset else None
        positions = {day - _DAY: "below", day: "on", day + _DAY: "above"}
        for event in bound.events.get(query.collection, ()):
            when = event.end if end == "first day" else event.start
            if when not in positions:
                continue
            if codeset is not None and codeset.match(codings(event.fields.get("code"))) is None:
                continue
            point.reached.add(positions[when])

    # ------------------------------------------------------------------ figures
    def _sum(self, kinds: tuple[str, ...], what) -> int:
        return sum(what(p) for p in self.points.values() if p.kind in kinds)

    @property
    def reached(self) -> int:
        return self._sum(("criterion", "branch", "threshold", "edge"), lambda p: len(p.reached & set(p.wanted)))

    @property
    def total(self) -> int:
        return self._sum(("criterion", "branch", "threshold", "edge"), lambda p: len(p.wanted))

    def figures(self) -> dict[str, dict[str, int]]:
        out = {}
        for name, kinds in (("outcomes", ("criterion", "branch")), ("boundaries", ("threshold", "edge"))):
            out[name] = {"reached": self._sum(kinds, lambda p: len(p.reached & set(p.wanted))),
                         "total": self._sum(kinds, lambda p: len(p.wanted))}
        return out

    def percent(self) -> float | None:
        return 100.0 * self.reached / self.total if self.total else None

    def to_dict(self) -> dict:
        return {"cases": self.cases, "percent": self.percent(), **self.figures(),
                "points": [p.to_dict() for p in self.points.values()]}


def _walk_trace(root) -> Iterator:
    stack = [root]
    while stack:
        t = stack.pop()
        yield t
        stack.extend(t.children)


def _child_value(t, node: ir.Node) -> Any:
    for c in t.children:
        if c.node is node:
            return c.value
    if isinstance(node, ir.Const):
        return node.value
    key = _key(node)
    for c in t.children:
        if _key(c.node) == key:
            return c.value
    return None


def _exponent(value: Any) -> int | None:
    number = value.value if isinstance(value, Quantity) else value
    if isinstance(number, Decimal) and number.is_finite():
        return number.as_tuple().exponent
    if isinstance(number, int) and not isinstance(number, bool):
        return 0
    return None


def _step(value_node: ir.Node, threshold_node: ir.Node, threshold: Any) -> Any:
    """The smallest step either side of ``threshold`` (see the module's docstring), or None."""
    if isinstance(threshold, datetime.date):
        return _DAY
    whole = isinstance(value_node, _WHOLE) or (isinstance(value_node, ir.Aggregate)
                                               and value_node.kind in ("count", "days_on"))
    if isinstance(threshold_node, ir.Const):
        exponent = _exponent(threshold_node.value)
    else:
        exponent = 0 if whole else _exponent(threshold)
    if exponent is None:
        return None
    one = Decimal((0, (1,), exponent))
    if isinstance(threshold, Quantity):
        written = threshold_node.value if isinstance(threshold_node, ir.Const) else threshold
        return Quantity(one, written.unit if isinstance(written, Quantity) else threshold.unit)
    return one if isinstance(threshold, Decimal | int) and not isinstance(threshold, bool) else None


def _codesets(checked: ir.CheckedTrial) -> dict[str, CodeSet]:
    built: dict[str, CodeSet] = {}

    def build(name: str, seen: frozenset = frozenset()) -> CodeSet:
        if name not in built:
            spec = checked.codesets[name]
            own = CodeSet(name, [(s, c) for s, c, _ in spec.codes], spec.description)
            parts = [build(i, seen | {name}) for i in spec.includes if i not in seen and i in checked.codesets]
            built[name] = CodeSet.union(name, [own, *parts], spec.description)
        return built[name]

    for name in checked.codesets:
        build(name)
    return built


def _line(span) -> int:
    return span.line if span is not None else 0


def _snippet(checked: ir.CheckedTrial, span, limit: int = 70) -> str:
    if span is None:
        return ""
    text = checked.sources.get(span.file, checked.source if span.file == checked.file else "")
    squashed = " ".join(text[span.start:span.end].split())
    return squashed if len(squashed) <= limit else squashed[:limit - 3] + "..."
