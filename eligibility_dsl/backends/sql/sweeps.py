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
from ...records.model import COLLECTIONS
from ...runtime import quantity as Q
from ...runtime.ops import PERIOD_UNITS
from . import values as SV
from .expressions import Unsupported
from .quantities import Side, sides
from .values import NOCONST, TRUE, UNKNOWN, V, num, table

_PLAIN = ("number", "date", "code", "text")  # field kinds held in one column, compared as they are
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
        some = exp.GT(this=matched.copy(), expression=num(0))
        whens: list[tuple[exp.Expression, int]] = []
        missing: list[tuple[str, exp.Expression]] = []
        if node.field is not None:
            whens, missing = self._same_field(node, ref, some)
        whens.append((exp.GT(this=undecided.copy(), expression=num(0)), UNKNOWN))
        low, high = gaps
        if window.first is not None:  # a window with no first day is never covered continuously
            continuous = SV.AND(some.copy(), self._continuous(alias, window, low))
            if node.field is not None:  # as `all ... have`: an unrecorded dose could differ
                whens.append((SV.AND(continuous.copy(), covered.copy()), TRUE))
                whens.append((continuous, UNKNOWN))
            else:
                whens.append((continuous, TRUE))
        if high is None:  # an unknown allowance: any gap might be allowed
            whens.append((some.copy(), UNKNOWN))
        elif high != low and window.first is not None:
            whens.append((SV.AND(some.copy(), self._continuous(alias, window, high)), UNKNOWN))
        whens.append((covered.copy(), SV.FALSE))
        expr = self.derive(SV.case(*whens, default=UNKNOWN))
        label = f"{ref.collection} history complete over {window}"
        return SV.truth(expr, [*missing, (label, SV.NOT(covered.copy()))])

    def _same_field(self, node: ir.Stable, ref: Any, some: exp.Expression) -> tuple[list, list]:
        """The cases of `stable F` that come before continuity (``support.stable_value``): false when two
        matched records' values of one dimension differ; unknown when they are of several dimensions (or a
        unit the units table does not know), or when a matched record has no value."""
        collection, field = ref.collection, node.field
        kind = COLLECTIONS[collection].fields[field].type.kind
        if kind == "quantity":
            self.__dict__.setdefault("_unit_joins", {}).setdefault(collection, set()).add(f"{field}_unit")
            value = exp.column(f"{field}_value", "e", quoted=True)
        elif kind in _PLAIN:
            value = self.event_column("e", collection, field)
        else:
            raise Unsupported(node, f"`stable` of a field of type {kind} (`{field}`)")
        stables = self.__dict__.setdefault("_stables", {})
        key = (ref, field)
        if key not in stables:
            stables[key] = f"st{len(stables)}"
            self.joins[stables[key]] = stables[key]
        alias = stables[key]
        per = self.__dict__["_per_collection"][collection]
        extras = per.setdefault("extras", [])
        name = f"q{ref.index}_null{len(extras)}"
        extras.append((name, ref.index, lambda s: SV.AND(exp.EQ(this=exp.paren(s), expression=SV.truth_lit(TRUE)),
                                                          value.copy().is_(exp.null()))))
        nulls = exp.Coalesce(this=exp.column(name, ref.alias, quoted=True), expressions=[num(0)])

        def flag(column: str) -> exp.Expression:
            return exp.EQ(this=exp.Coalesce(this=_col(column, alias), expressions=[num(0)]), expression=num(1))
        several = exp.GT(this=exp.Coalesce(this=_col("groups", alias), expressions=[num(0)]), expression=num(1))
        whens = [(SV.AND(some.copy(), flag("differs")), SV.FALSE), (SV.OR(several, flag("bad")), UNKNOWN),
                 (exp.GT(this=nulls.copy(), expression=num(0)), UNKNOWN)]
        return whens, [(f"{collection} {{event}}: {field}", exp.GT(this=nulls, expression=num(0)))]

    def finish_stables(self, collection: str, queries: dict[int, tuple]) -> None:
        """Per `stable F` over ``collection``: the matched records' values grouped by unit (lowest and highest),
        each group compared exactly (``quantities.sides``) with the first group of its dimension, and per
        patient whether two values differ (``differs``), whether some could not be compared (``bad``) and how
        many dimensions there are (``groups``)."""
        for (ref, field), alias in self.__dict__.get("_stables", {}).items():
            if ref.collection != collection:
                continue
            status, where = queries[ref.index]
            plain = COLLECTIONS[collection].fields[field].type.kind in _PLAIN
            value = self.event_column("e", collection, field) if plain else _col(f"{field}_value", "e")
            cond = SV.AND(exp.EQ(this=exp.paren(status.copy()), expression=SV.truth_lit(TRUE)),
                          SV.NOT(value.copy().is_(exp.null())))
            for w in where:
                cond = SV.AND(w.copy(), cond)
            if plain:  # a number, date, code or text: one kind of value, equal exactly when the lowest is the highest
                low, high = exp.Min(this=value.copy()), exp.Max(this=value.copy())
                differs = exp.Case().when(exp.NEQ(this=low, expression=high), num(1)).else_(num(0))
                self.ctes[alias] = (exp.select(_col("patient_id", "e"), exp.alias_(differs, "differs", quoted=True),
                                               exp.alias_(num(0), "bad", quoted=True),
                                               exp.alias_(num(1), "groups", quoted=True))
                                    .from_(table(f"ev_{collection}", "e")).where(cond)
                                    .group_by(_col("patient_id", "e")))
                continue
            keys = {"dims": f"{field}_unit_dims", "unit": f"{field}_unit", "n": f"{field}_unit_num",
                    "d": f"{field}_unit_den"}
            group = [_col("patient_id", "e"), *(_col(c, "e") for c in keys.values())]
            self.ctes[f"{alias}r"] = (
                exp.select(_col("patient_id", "e"),
                           *(exp.alias_(_col(c, "e"), k, quoted=True) for k, c in keys.items()),
                           exp.alias_(exp.Min(this=value.copy()), "lo", quoted=True),
                           exp.alias_(exp.Max(this=value.copy()), "hi", quoted=True))
                .from_(table(f"ev_{collection}", "e")).where(cond).group_by(*group))

            def first(column: str) -> exp.Expression:
                return exp.Window(this=exp.FirstValue(this=_col(column, "r")),
                                  partition_by=[_col("patient_id", "r"), _col("dims", "r")],
                                  order=exp.Order(expressions=[exp.Ordered(this=_col("unit", "r"))]))
            self.ctes[f"{alias}o"] = exp.select(
                exp.Column(this=exp.Star(), table=exp.to_identifier("r", quoted=True)),
                *(exp.alias_(first(c), f"r{c}", quoted=True) for c in ("lo", "unit", "n", "d"))
            ).from_(table(f"{alias}r", "r"))
            c = lambda name: _col(name, "o")  # noqa: E731
            left, right, ok = sides(Side(c("lo"), c("n"), c("d"), c("dims"), c("unit")),
                                    Side(c("rlo"), c("rn"), c("rd"), c("dims"), c("runit")))
            no_dims = c("dims").is_(exp.null())
            differs = (exp.Case().when(no_dims.copy(), num(0)).when(exp.NEQ(this=c("lo"), expression=c("hi")), num(1))
                       .when(SV.AND(exp.paren(ok.copy()), exp.NEQ(this=left, expression=right)), num(1)).else_(num(0)))
            bad = (exp.Case().when(no_dims.copy(), num(1)).when(exp.EQ(this=c("unit"), expression=c("runit")), num(0))
                   .when(SV.NOT(exp.paren(ok)), num(1)).else_(num(0)))
            self.ctes[alias] = (exp.select(c("patient_id"), exp.alias_(exp.Max(this=differs), "differs", quoted=True),
                                           exp.alias_(exp.Max(this=bad), "bad", quoted=True),
                                           exp.alias_(exp.Count(this=exp.Distinct(expressions=[c("dims")])), "groups",
                                                      quoted=True))
                                .from_(table(f"{alias}o", "o")).group_by(c("patient_id")))

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
        self.finish_stables(collection, queries)
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
