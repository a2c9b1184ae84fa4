"""Checking date-time forms (issue 11): `age in hours at X`, `age in minutes at X`.

The age is counted in completed hours (minutes) from the birth date-time to X, a date or an anchor; an
anchor may be given as a date-time, so the IR keeps it as ``AnchorTime`` next to its date. Any other unit
is E0190, located at the form; X must be a date (E0201, as for `age at`).
"""

from __future__ import annotations

from collections.abc import Callable

from ..language import ast as A
from ..language import types as T
from . import ir


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


DATETIME_EXPR: dict[type, Callable] = {A.AgeIn: DateTimeChecks._age_in}
