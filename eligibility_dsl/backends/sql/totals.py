"""`highest daily total of AMOUNT over Q` compared with a quantity (``support_labs.daily_total_value`` and
``runtime.totals.peak_daily_total``, exactly), in SQL with a window function.

AMOUNT is a quantity field of the record (`daily_dose`), possibly times constants or divided by a table's
value for the record's code (`daily_dose / prednisone_equivalent_dose[code] * 5 mg`): per table entry a
*piece*, a constant scale ``s`` (a fraction).  With ``K`` the least common multiple of the scales'
denominators, a record's amount is ``y / K`` in the record's unit, ``y = x * (s * K)`` an exact decimal.
Per total, two CTEs over the matched records of the window:

- ``dt<j>r``: each record's clipped period as day numbers from the window's first day, ``y`` (NULL when the
  amount is unknown: no value, no table entry for its code), and its unit;
- ``dt<j>``: per patient, the peak (the day totals are a running sum of ``+y`` on each record's first day and
  ``-y`` on the day after its last, all of one day's changes applied together: the default ``RANGE`` frame),
  and what decides whether it can be trusted: records with unknown amounts, negative amounts, how many unit
  texts, and whether a piece's scale has no exact decimal.

The comparison follows ``compare_bounded``: over a complete history (no undecided record, no unknown
amount, the history covered) the peak is exact (none at all: zero in any unit); otherwise it is at least the
peak, unbounded above (none at all: unknown).

Three situations are decided by the Python engine (``defer``, see ``criteria.py``), because only exact
arithmetic over the record's own units would settle them and the Python engine is the reference: records
in several unit texts (the Python engine adds them in the finer unit, or finds them of different
dimensions); a peak or threshold beyond the exact cross-multiplication's range (``quantities.sides``);
and a peak within 10^-12 of the threshold when a piece's scale has no exact decimal (a prednisone
equivalent of 0.75 mg: the Python engine's division rounds at 34 digits, and a total exactly at the
threshold is where the rounded and the exact sums can part).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import attrs
from sqlglot import exp

from ...check import ir
from ...runtime.ops import FLIP
from . import values as SV
from .expressions import Unsupported, near_threshold
from .quantities import Side, known_side, sides
from .units import dims_key
from .values import TRUE, UNKNOWN, V, num, table

_LIMIT = 10**12


@attrs.frozen
class Total:
    alias: str
    ref: Any
    k: int
    offset: tuple[int, ...] | None
    inexact: bool  # some piece's scale has no exact decimal


def _col(name: str, alias: str) -> exp.Expression:
    return exp.column(name, alias, quoted=True)


def _zero(name: str, alias: str) -> exp.Expression:
    return exp.Coalesce(this=_col(name, alias), expressions=[num(0)])


def _cmp(op: str, a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return SV._SQL_CMP[op](this=a, expression=b)


def _changes(rows: str, day: exp.Expression, dy: exp.Expression) -> exp.Select:
    """The records with an amount (``rows``): their day numbers and amounts, as changes of the day total."""
    return (exp.select(_col("patient_id", "r"), exp.alias_(day, "day", quoted=True), exp.alias_(dy, "dy", quoted=True))
            .from_(table(rows, "r")).where(SV.NOT(_col("y", "r").is_(exp.null()))))


class TotalRules:
    """Relies on QueryRules (``window_of``, ``query_ref``, ``counts``, ``covered``, ``derive``, ``joins``,
    ``ctes``) and on ``self.defers`` (the current criterion's conditions for the Python engine)."""

    def r_daily_total(self, node: ir.DailyTotal, ev: Any) -> V:
        if ev is not None:
            raise Unsupported(node, "a query inside a query's condition")
        q = node.query
        window = self.window_of(q)
        if window is None or window.first is None or window.last is None:
            return V("total", exp.null(), type=node.type, cols={"total": None})
        if window.is_empty():  # no record: a total of zero over a complete (empty) history
            return V("total", num(0), type=node.type, cols={"total": "zero"})
        ref = self.query_ref(q, window)
        amount = self.value(node.amount, ("e", q.collection))
        if amount.placeholder:  # reported already
            return V("total", exp.null(), type=node.type, cols={"total": None}, placeholder=True)
        if not amount.cols or not ({"side", "pieces"} & set(amount.cols)):
            raise Unsupported(node.amount, "`highest daily total of` an amount that is not a record's quantity")
        pieces = amount.cols.get("pieces") or [(exp.true(), amount.cols["side"])]
        sides_ = [s for _, s in pieces if s is not None]
        if len(sides_) < len(pieces) or not sides_:
            raise Unsupported(node.amount, "`highest daily total of` an amount divided by zero")
        if len({s.offset for s in sides_}) > 1:
            raise Unsupported(node.amount, "`highest daily total of` amounts whose units differ by table entry")
        k = math.lcm(*(s.scale.denominator for s in sides_))
        if k >= _LIMIT or any(abs(s.scale * k) >= _LIMIT for s in sides_):
            raise Unsupported(node.amount, "`highest daily total of` an amount whose scale is too fine")
        totals = self.__dict__.setdefault("_totals", {})
        alias = f"dt{len(totals)}"
        base = sides_[0]
        total = Total(alias, ref, k, base.offset, any(s.rounded for s in sides_))
        totals[alias] = (total, pieces, base)
        self.joins[alias] = alias
        return V("total", _col("peak", alias), type=node.type, cols={"total": total})

    def compare_total(self, node: ir.Node, op: str, a: V, b: V) -> V:
        """``total op threshold`` (either side): the threshold an exact quantity whose unit is known."""
        if not (a.cols and "total" in a.cols):
            a, b, op = b, a, FLIP[op]
        if b.cols or b.kind != "exact" or b.unit is None:
            raise Unsupported(node, "`highest daily total of` compared with anything but a quantity")
        info = a.cols["total"]
        if info is None:  # a window bound is unknown
            return SV.truth(SV.truth_lit(UNKNOWN))
        t_null = b.low.copy().is_(exp.null()) if b.constant is SV.NOCONST or b.constant is None else None
        zero = SV.case((_cmp(op, num(0), b.low.copy()), TRUE), default=SV.FALSE)
        if t_null is not None:
            zero = SV.case((t_null.copy(), UNKNOWN), (_cmp(op, num(0), b.low.copy()), TRUE), default=SV.FALSE)
        if info == "zero":
            return SV.truth(self.derive(zero))
        ref, alias = info.ref, info.alias
        _matched, undecided = self.counts(ref)
        covered = self.covered(ref)
        c = lambda name: _col(name, alias)  # noqa: E731
        peak = Side(c("peak"), c("n"), c("d"), c("dims"), c("unit"), Fraction(1, info.k), info.offset)
        threshold = known_side(b.low, b.unit)
        left, right, ok = sides(peak, threshold)
        want = threshold.dims  # the records' dimensions the threshold's are, less those of the amount's constants
        if info.offset is not None:
            want = dims_key(tuple(int(x) - y for x, y in zip(threshold.dims.split(","), info.offset, strict=True)))
        same_dims = exp.EQ(this=c("dims"), expression=exp.Literal.string(want))
        known = exp.GT(this=_zero("known", alias), expression=num(0))
        incomplete = SV.OR(exp.GT(this=undecided.copy(), expression=num(0)),
                           exp.GT(this=_zero("unknown", alias), expression=num(0)), SV.NOT(covered.copy()))
        exact_cmp = SV.case((_cmp(op, left.copy(), right.copy()), TRUE), default=SV.FALSE)
        at_least = {"<": (exp.GTE, SV.FALSE), "<=": (exp.GT, SV.FALSE), "=": (exp.GT, SV.FALSE),
                    ">": (exp.GT, TRUE), ">=": (exp.GTE, TRUE), "!=": (exp.GT, TRUE)}[op]
        bounded = SV.case((at_least[0](this=left.copy(), expression=right.copy()), at_least[1]), default=UNKNOWN)
        whens = [(exp.GT(this=_zero("negative", alias), expression=num(0)), UNKNOWN)]
        if t_null is not None:
            whens.append((t_null.copy(), UNKNOWN))
        whens += [(SV.AND(SV.NOT(known.copy()), SV.NOT(incomplete.copy())), None),  # zero
                  (SV.NOT(known.copy()), UNKNOWN),
                  (SV.NOT(exp.paren(same_dims.copy())), UNKNOWN),
                  (SV.NOT(exp.paren(ok.copy())), UNKNOWN),  # deferred (below)
                  (SV.NOT(incomplete.copy()), "exact")]
        out = exp.Case()
        for cond, t in whens:
            value = zero.copy() if t is None else exact_cmp.copy() if t == "exact" else SV.truth_lit(t)
            out = out.when(cond, value)
        expr = self.derive(out.else_(bounded))
        # the Python engine decides: several unit texts, the exact comparison out of range, or a rounded sum that
        # could fall on the other side of the threshold
        several = exp.GT(this=_zero("units", alias), expression=num(1))
        usable = SV.AND(known.copy(), SV.NOT(exp.GT(this=_zero("negative", alias), expression=num(0))))
        defer = SV.OR(several, SV.AND(usable.copy(), exp.paren(same_dims.copy()), SV.NOT(exp.paren(ok.copy()))))
        if info.inexact:
            near = SV.AND(usable, exp.paren(same_dims), exp.paren(ok), exp.GT(this=_zero("inexact", alias),
                                                                                 expression=num(0)),
                          near_threshold(left, right))
            defer = SV.OR(defer, near)
        self.defers.append(self.derive(defer))
        label = f"{ref.collection} history complete over {ref.window}"
        missing = [(label, SV.NOT(covered.copy())), *b.missing]
        return SV.truth(expr, missing)

    def finish_totals(self, collection: str, queries: dict[int, tuple]) -> None:
        for alias, (total, pieces, base) in self.__dict__.get("_totals", {}).items():
            ref = total.ref
            if ref.collection != collection:
                continue
            status, where = queries[ref.index]
            first = SV.lit(datetime.date.fromordinal(ref.window.first))
            last = SV.lit(datetime.date.fromordinal(ref.window.last))
            start, end = _col("start_date", "e"), _col("end_date", "e")
            s = exp.DateDiff(this=SV.extremum("GREATEST", [start, first]), expression=first.copy())
            e = exp.DateDiff(this=SV.extremum("LEAST", [exp.Coalesce(this=end, expressions=[last]), last.copy()]),
                             expression=first.copy())
            y = exp.Case()
            inexact = exp.Case()
            for hit, side in pieces:
                factor = side.scale * total.k
                y = y.when(hit.copy(), exp.Mul(this=exp.cast(side.value.copy(), "DECIMAL(24, 12)"),
                                               expression=num(int(factor))))
                inexact = inexact.when(hit.copy(), num(1 if side.rounded else 0))
            y = y.else_(exp.null())
            cond = exp.EQ(this=exp.paren(status.copy()), expression=SV.truth_lit(TRUE))
            for w in where:
                cond = SV.AND(w.copy(), cond)
            named = ((s, "s"), (e, "e"), (y, "y"), (inexact.else_(num(0)), "i"), (base.unit, "unit"), (base.num, "n"),
                     (base.den, "d"), (base.dims, "dims"))
            cols = [exp.alias_(x, n, quoted=True) for x, n in named]
            self.ctes[f"{alias}r"] = (exp.select(_col("patient_id", "e"), *(c.copy() for c in cols))
                                      .from_(table(f"ev_{collection}", "e")).where(cond))
            r = lambda name: _col(name, "r")  # noqa: E731
            known = SV.NOT(r("y").is_(exp.null()))
            plus = _changes(f"{alias}r", r("s"), r("y"))  # a record's amount counts from its first day
            minus = _changes(f"{alias}r", exp.Add(this=r("e"), expression=num(1)), exp.Neg(this=r("y")))  # to its last
            self.ctes[f"{alias}c"] = exp.union(plus, minus, distinct=False)
            running = exp.Window(this=exp.Sum(this=_col("dy", "c")), partition_by=[_col("patient_id", "c")],
                                 order=exp.Order(expressions=[exp.Ordered(this=_col("day", "c"))]))
            self.ctes[f"{alias}s"] = (exp.select(_col("patient_id", "c"), exp.alias_(running, "total", quoted=True))
                                      .from_(table(f"{alias}c", "c")))
            self.ctes[f"{alias}p"] = (exp.select(_col("patient_id", "t"),
                                                 exp.alias_(exp.Max(this=_col("total", "t")), "peak", quoted=True))
                                      .from_(table(f"{alias}s", "t")).group_by(_col("patient_id", "t")))

            def count(cond: exp.Expression) -> exp.Expression:
                return exp.Sum(this=exp.Case().when(cond, num(1)).else_(num(0)))
            some = lambda x: exp.Min(this=x)  # noqa: E731  (one unit: deferred otherwise)
            agg = exp.select(r("patient_id"), exp.alias_(count(known.copy()), "known", quoted=True),
                             exp.alias_(count(r("y").is_(exp.null())), "unknown", quoted=True),
                             exp.alias_(count(exp.LT(this=r("y"), expression=num(0))), "negative", quoted=True),
                             exp.alias_(exp.Count(this=exp.Distinct(expressions=[r("unit")])), "units", quoted=True),
                             exp.alias_(exp.Max(this=exp.Case().when(known.copy(), r("i")).else_(num(0))), "inexact",
                                        quoted=True),
                             *(exp.alias_(some(r(x)), x, quoted=True) for x in ("unit", "n", "d", "dims")),
                             exp.alias_(exp.Max(this=_col("peak", "p")), "peak", quoted=True))
            agg = (agg.from_(table(f"{alias}r", "r"))
                   .join(table(f"{alias}p", "p"), on=exp.EQ(this=_col("patient_id", "p"), expression=r("patient_id")),
                         join_type="left")
                   .group_by(r("patient_id")))
            self.ctes[alias] = agg


TOTAL_RULES: dict[type, Callable[[Any, Any, Any], V]] = {ir.DailyTotal: TotalRules.r_daily_total}
