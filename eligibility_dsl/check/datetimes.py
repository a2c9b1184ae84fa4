"""Checking date-time forms (issue 11): `age in hours at X`, `age in minutes at X`.

The age is counted in completed hours (minutes) from the birth date-time to X, a date or an anchor; an
anchor may be given as a date-time, so the IR keeps it as ``AnchorTime`` next to its date. Any other unit
is E0190, located at the form; X must be a date (E0201, as for `age at`).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import attrs

from ..language import ast as A
from ..language import types as T
from ..runtime.units import parse_unit
from . import ir

_TIME = parse_unit("s").dims
_DAY_SECONDS = 86400


class DateTimeChecks:
    def _age_in(self, n: A.AgeIn):
        """`age in hours at X` / `age in minutes at X` (issue 11): completed hours (minutes) from the
        birth date-time; X a date (day precision: the answer is then a range) or an anchor, which may be
        given as a date-time."""
        if n.unit not in ("hours", "minutes"):
            self.error("E0190", f"`age in` counts `hours` or `minutes`, found `{n.unit}`", n.span,
                       "write `age at X` for completed years, or `age in hours at X`")
            return ir.Const(T.ERROR, None, span=n.span)
        with self.in_anchor_position(n.at):
            at = self.expr(n.at)
        if at.type.kind not in ("date", "error"):
            self.error("E0201", f"`age in {n.unit} at` needs a date or an anchor, found `{self.text_of(n.at)}` "
                       f"({at.type.describe()})", n.at.span, f"name an anchor, e.g. `age in {n.unit} at screening`")
            return ir.Const(T.ERROR, None, span=n.span)
        target = at
        while isinstance(target, ir.DefRef) and target.name in self.definitions:
            target = self.definitions[target.name].expr
        instant = ir.AnchorTime(T.DATE, target.name, span=at.span) if isinstance(target, ir.Anchor) else None
        return ir.AgeIn(T.quantity_of("h" if n.unit == "hours" else "min"), n.unit, at, instant, span=n.span)


    def exact_spec(self, w: ir.Window) -> ir.Window:
        """``w`` with its exact bounds when it is written in hours or minutes (a unit shorter than a day)
        on anchors only: `72 hours before screening`, `from screening - 6 hours to screening`."""
        spec: list = []
        sub_day = False
        for bound in (w.low, w.high):
            if bound is None:
                spec += [None, Decimal(0)]
                continue
            node, shift = self._resolve(bound), Decimal(0)
            if isinstance(node, ir.Arith) and node.kind == "date_shift" and node.op in ("+", "-"):
                length = self._resolve(node.right)
                q = length.value if isinstance(length, ir.Const) else None
                if q is None or getattr(q, "unit", None) is None or q.unit.dims != _TIME:
                    return w
                sub_day = sub_day or q.unit.factor < _DAY_SECONDS
                shift, node = (q.base if node.op == "+" else -q.base), self._resolve(node.left)
            if isinstance(node, ir.FieldRef) and node.name == "date":  # a point event's own date, in `where`
                spec += [ir.EventTime(T.DATE, span=bound.span), shift]
                continue
            if isinstance(node, ir.Pick) and node.word is None and node.field == "date":  # `latest date of Q`
                spec += [ir.PickTime(T.DATE, node.which, node.query, span=bound.span), shift]
                continue
            if not isinstance(node, ir.Anchor):
                return w
            spec += [ir.AnchorTime(T.DATE, node.name, span=bound.span), shift]
        return attrs.evolve(w, exact=tuple(spec)) if sub_day else w

    def _resolve(self, node: ir.Node) -> ir.Node:
        while isinstance(node, ir.DefRef) and node.name in self.definitions:
            node = self.definitions[node.name].expr
        return node


DATETIME_EXPR: dict[type, Callable] = {A.AgeIn: DateTimeChecks._age_in}
