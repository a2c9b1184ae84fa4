"""`continuous Q` and `days on Q`: sweeps over the periods of a query's events, in SQL with a window function
(``runtime.events.covered_continuously`` and ``exposure_days``, exactly).

Per sweep, one CTE over the events of the query's window with the wanted statuses (matched; or matched and
undecided, for the high bound of `days on`): each period clipped to the window (an ongoing one runs to the
window's last day, or, with no last day, forever), then per event the latest end among the events sorted
before it (``MAX(end) OVER (... ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)``), and per patient:

- ``gap``: the longest run of days no period covers before some period starts (from the window's first day);
- ``last_end``: the last day covered (the days after it up to the window's last day are a gap too);
- ``days``: the distinct days covered (overlapping periods count each day once);
- ``ongoing``: 1 when some period has no end.

`continuous` (``support.stable_value`` without a field): unknown with an undecided event; true when the
periods cover the window apart from gaps of at most the allowed length; else false over a complete history,
unknown otherwise.  `days on` is known from below without coverage, and between the matched and the matched
plus undecided days with undecided events.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from sqlglot import exp

from ...check import ir
from ...runtime import quantity as Q
from ...runtime.ops import PERIOD_UNITS
from . import values as SV
from .expressions import Unsupported
from .values import NOCONST, TRUE, UNKNOWN, V, num, table

_FOREVER = datetime.date(9999, 12, 31)  # stands for "no end" where a window has no last day


def _days(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    """Days from ``a`` to ``b`` (``b - a``)."""
    return exp.DateDiff(this=b, expression=a)


def _col(name: str, alias: str) -> exp.Expression:
    return exp.column(name, alias, quoted=True)


class SweepRules:
    """Relies on QueryRules (``window_of``, ``query_ref``, ``covered``, ``counts``, ``derive``, ``ctes``,
    ``joins``)."""

    def sweep(self, ref: Any, statuses: tuple[int, ...]) -> str:
        """Register a sweep over the query's events with these statuses; its CTE's alias."""
        sweeps = self.__dict__.setdefault("_sweeps", {})
        key = (ref, statuses)
        if key not in sweeps:
            alias = f"sw{len(sweeps)}"
            sweeps[key] = alias
            self.joins[alias] = alias
        return sweeps[key]

    def r_stable(self, node: ir.Stable, ev: Any) -> V:
        if ev is not None:
            raise Unsupported(node, "a query inside a query's condition")
        if node.field is not None:
            raise Unsupported(node, "`stable` (a field the same on every record)")
        gaps = (0, 0)
        if node.gap is not None:
            gap = self.constant_value(node.gap)
            if gap is NOCONST:
                raise Unsupported(node.gap, "`allowing gaps of` a length from data")
            if gap is None:
                gaps = (0, None)
            elif isinstance(gap, Q.Quantity):
                days = int(gap.base / 86400)
                gaps = (days, days)
            else:
                raise Unsupported(node.gap, "`allowing gaps of` a length known only within bounds")
        q = node.query
        window = self.window_of(q)
        if window is None:
            return SV.truth(SV.truth_lit(UNKNOWN))
        if window.is_empty():  # no event matches it: never continuous, and its absence is certain
            return SV.truth(SV.truth_lit(SV.FALSE))
        ref = self.query_ref(q, window)
        matched, undecided = self.counts(ref)
        covered = self.covered(ref)
        alias = self.sweep(ref, (TRUE,))
        whens = [(exp.GT(this=undecided.copy(), expression=num(0)), UNKNOWN)]
        some = exp.GT(this=matched.copy(), expression=num(0))
        low, high = gaps
        if window.first is not None:  # a window with no first day is never covered continuously
            whens.append((SV.AND(some.copy(), self._continuous(alias, window, low)), TRUE))
        if high is None:  # an unknown allowance: any gap might be allowed
            whens.append((some.copy(), UNKNOWN))
        elif high != low and window.first is not None:
            whens.append((SV.AND(some.copy(), self._continuous(alias, window, high)), UNKNOWN))
        whens.append((covered.copy(), SV.FALSE))
        expr = self.derive(SV.case(*whens, default=UNKNOWN))
        label = f"{ref.collection} history complete over {window}"
        return SV.truth(expr, [(label, SV.NOT(covered.copy()))])

    def _continuous(self, alias: str, window: Any, gap: int) -> exp.Expression:
        inner = exp.LTE(this=exp.Coalesce(this=_col("gap", alias), expressions=[num(0)]), expression=num(gap))
        if window.last is None:
            end = exp.EQ(this=_col("ongoing", alias), expression=num(1))
        else:
            last = SV.lit(datetime.date.fromordinal(window.last))
            end = exp.LTE(this=_days(_col("last_end", alias), last), expression=num(gap))
        return exp.paren(SV.AND(inner, end))

    def days_on(self, node: ir.Aggregate) -> V:
        unit = PERIOD_UNITS["days"][1]
        window = self.window_of(node.query)
        if window is None:
            return SV.exact(exp.null(), node.type, unit=unit)
        if window.is_empty():
            return SV.exact(num(0), node.type, unit=unit, constant=Q.Quantity(Decimal(0), unit))
        if window.last is None:
            raise Unsupported(node, "`days on` over a window with no last day")
        ref = self.query_ref(node.query, window)
        _matched, undecided = self.counts(ref)
        covered = self.covered(ref)
        low = exp.Coalesce(this=_col("days", self.sweep(ref, (TRUE,))), expressions=[num(0)])
        both = exp.Coalesce(this=_col("days", self.sweep(ref, (TRUE, UNKNOWN))), expressions=[num(0)])
        high = (exp.Case().when(SV.NOT(covered.copy()), exp.null())
                .when(exp.GT(this=undecided, expression=num(0)), both).else_(low.copy()))
        label = f"{ref.collection} history complete over {window}"
        return V("bounded", self.derive(low), self.derive(high), node.type, ((label, SV.NOT(covered.copy())),),
                 unit=unit)

    def finish_sweeps(self, collection: str, queries: dict[int, tuple]) -> None:
        """The CTEs of the sweeps over ``collection`` (``queries``: index -> (status, window conditions))."""
        for (ref, statuses), alias in self.__dict__.get("_sweeps", {}).items():
            if ref.collection != collection:
                continue
            status, where = queries[ref.index]
            first = None if ref.window.first is None else SV.lit(datetime.date.fromordinal(ref.window.first))
            last = None if ref.window.last is None else SV.lit(datetime.date.fromordinal(ref.window.last))
            start, end = _col("start_date", "e"), _col("end_date", "e")
            s = start if first is None else SV.extremum("GREATEST", [start, first])
            if last is None:
                e = exp.Coalesce(this=end, expressions=[SV.lit(_FOREVER)])
            else:
                e = SV.extremum("LEAST", [exp.Coalesce(this=end, expressions=[last]), last.copy()])
            cond = exp.In(this=exp.paren(status.copy()), expressions=[SV.truth_lit(t) for t in statuses])
            for w in where:
                cond = SV.AND(w.copy(), cond)
            ongoing = exp.Case().when(end.copy().is_(exp.null()), num(1)).else_(num(0))
            rows = (exp.select(_col("patient_id", "e"), exp.alias_(s, "s", quoted=True),
                               exp.alias_(e, "e", quoted=True), exp.alias_(ongoing, "o", quoted=True))
                    .from_(table(f"ev_{collection}", "e")).where(cond))
            self.ctes[f"{alias}r"] = rows
            prev = exp.Window(this=exp.Max(this=_col("e", "r")), partition_by=[_col("patient_id", "r")],
                              order=exp.Order(expressions=[exp.Ordered(this=_col("s", "r")),
                                                           exp.Ordered(this=_col("e", "r"))]),
                              spec=exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING",
                                                  end=exp.Literal.number(1), end_side="PRECEDING"))
            ordered = (exp.select(_col("patient_id", "r"), _col("s", "r"), _col("e", "r"), _col("o", "r"),
                                  exp.alias_(prev, "prev", quoted=True)).from_(table(f"{alias}r", "r")))
            self.ctes[f"{alias}o"] = ordered
            s, e, p = _col("s", "w"), _col("e", "w"), _col("prev", "w")
            gap_first = _days(first, s.copy()) if first is not None else exp.null()
            gap = exp.Case().when(p.is_(exp.null()), gap_first).else_(
                exp.Sub(this=_days(p.copy(), s.copy()), expression=num(1)))
            fresh = SV.OR(p.copy().is_(exp.null()), exp.GT(this=s.copy(), expression=p.copy()))
            days = (exp.Case().when(fresh, exp.Add(this=_days(s.copy(), e.copy()), expression=num(1)))
                    .when(exp.GT(this=e.copy(), expression=p.copy()), _days(p.copy(), e.copy())).else_(num(0)))
            self.ctes[alias] = (exp.select(_col("patient_id", "w"), exp.alias_(exp.Max(this=gap), "gap", quoted=True),
                                           exp.alias_(exp.Max(this=e.copy()), "last_end", quoted=True),
                                           exp.alias_(exp.Sum(this=days), "days", quoted=True),
                                           exp.alias_(exp.Max(this=_col("o", "w")), "ongoing", quoted=True))
                                .from_(table(f"{alias}o", "w")).group_by(_col("patient_id", "w")))


SWEEP_RULES = {ir.Stable: SweepRules.r_stable}
