"""Scalar rules on values from data: `days between`, `max`/`min`, negation, and `max`/`min` inside an ordering
comparison (``runtime.ops`` and ``backends/python/generator.py``'s rules, written in SQL).

- `D between A and B` in days or weeks: the signed day difference (weeks: truncated toward zero); in months or
  years: whole periods by ``calendar.add_months`` (month-end clamping), counted from the earlier date and
  negated when B is before A (``runtime.calendar.between``).
- `max`/`min` of values from data: unknown when any argument is (or is a bounded count); the arguments are
  held in one unit (a constant is converted exactly into the data's unit).
- `x < max(a, b)` is `x < a or x < b` (and `max(a, b) < y` is `a < y and b < y`, likewise for `min` and
  `between`): a bound that is already decisive decides even when another argument is unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
from sqlglot import exp

from ...check import ir
from ...runtime import quantity as Q
from ...runtime.ops import EXTREMUM_COMBINE, FLIP, PERIOD_UNITS
from ...runtime.units import DIMENSIONLESS
from . import values as SV
from .expressions import Unsupported, terminates
from .quantities import times_unit
from .values import V, num


def _months_index(d: exp.Expression) -> exp.Expression:
    return exp.paren(exp.Add(this=exp.Mul(this=exp.Year(this=d.copy()), expression=num(12)),
                             expression=exp.Month(this=d.copy())))


def _whole(a: exp.Expression, b: exp.Expression, step: int) -> exp.Expression:
    """Whole periods of ``step`` months from ``a`` up to ``b`` (``a <= b``): the candidate from the month count
    alone, less one when ``add_months(a, n * step)`` lands after ``b`` (same month as ``b``, and its clamped
    day after ``b``'s: ``a``'s day is later and ``b`` is not its month's last day)."""
    months = exp.paren(exp.Sub(this=_months_index(b), expression=_months_index(a)))
    n = months if step == 1 else exp.IntDiv(this=months, expression=num(step))
    landed = exp.Add(this=_months_index(a), expression=exp.Mul(this=exp.paren(n.copy()), expression=num(step)))
    after = SV.AND(exp.EQ(this=landed, expression=_months_index(b)),
                   exp.GT(this=exp.Day(this=a.copy()), expression=exp.Day(this=b.copy())),
                   exp.NEQ(this=exp.LastDay(this=b.copy()), expression=b.copy()))
    return exp.Sub(this=n.copy(), expression=exp.Case().when(after, num(1)).else_(num(0)))


def _between(unit: str, a: exp.Expression, b: exp.Expression) -> exp.Expression:
    if unit in ("months", "years"):
        step = 1 if unit == "months" else 12
        return (exp.Case().when(exp.LTE(this=a.copy(), expression=b.copy()), _whole(a, b, step))
                .else_(exp.Neg(this=exp.paren(_whole(b, a, step)))))
    days = exp.DateDiff(this=b.copy(), expression=a.copy())
    if unit == "days":
        return days
    weeks = exp.IntDiv(this=exp.paren(days.copy()), expression=num(7))
    back = exp.Neg(this=exp.paren(exp.IntDiv(this=exp.paren(exp.Neg(this=exp.paren(days.copy()))), expression=num(7))))
    return exp.Case().when(exp.GTE(this=days, expression=num(0)), weeks).else_(back)


def _nullable(vs: list[V], expr: exp.Expression) -> exp.Expression:
    """``expr``, or NULL when any of the (exact) values is unknown."""
    nulls = [v.low.copy().is_(exp.null()) for v in vs if v.constant is SV.NOCONST or v.constant is None]
    if not nulls:
        return expr
    return exp.Case().when(SV.OR(*nulls) if len(nulls) > 1 else nulls[0], exp.null()).else_(expr)


def _exact_inverse(k: Decimal | Q.Quantity) -> Decimal | Q.Quantity | None:
    """1/k when it has an exact decimal (so the Python engine's division is exact too), else None."""
    value = k.value if isinstance(k, Q.Quantity) else k
    if value == 0:
        return None
    f = 1 / Fraction(value)
    if not terminates(f):
        return None
    inverse = Decimal(f.numerator) / Decimal(f.denominator)
    if not isinstance(k, Q.Quantity):
        return inverse
    return Q.Quantity(inverse, k.unit.power(-1))


def _no_row_units(node: ir.Node, v: V) -> None:
    if v.cols:  # a quantity in the row's unit, or a value of type any: only comparisons take it
        raise Unsupported(node, "arithmetic on a quantity from data" if "side" in v.cols or "pieces" in v.cols
                          else "arithmetic on an observation's value")


class CalcRules:
    """Relies on ScalarRules (``value``, ``compare``, ``same_unit``, ``truth_of``, ``trial``)."""

    def r_duration_between(self, node: ir.DurationBetween, ev: Any) -> V:
        a, b = self.value(node.start, ev), self.value(node.end, ev)
        unit = PERIOD_UNITS[node.unit][1]
        expr = _nullable([a, b], _between(node.unit, a.low, b.low))
        return SV.exact(expr, node.type, SV.merged(a, b), unit=unit)

    def r_arith(self, node: ir.Arith, ev: Any) -> V:
        """Only a constant number times a quantity whose unit is the row's (`5 * half_life`): the constant is
        kept as the quantity's scale (``quantities.Side``), exactly."""
        if node.op == "/" and isinstance(self.resolve(node.right), ir.Lookup) and ev is not None:
            # a quantity of the row divided by a table's value for the record's code: one piece per entry
            x = self.value(node.left, ev)
            if x.cols and "side" in x.cols:
                pieces = []
                for hit, value in self.lookup_pieces(self.resolve(node.right), ev):
                    q = value if isinstance(value, Q.Quantity) else Q.Quantity(value, DIMENSIONLESS)
                    piece = None if q.value == 0 else times_unit(x.cols["side"], 1 / q.unit.factor,
                                                                 tuple(-d for d in q.unit.dims), 1 / Fraction(q.value))
                    if piece is not None and not terminates(1 / Fraction(q.value)):
                        piece = attrs.evolve(piece, rounded=True)
                    pieces.append((hit, piece))
                return V("exact", x.low, x.high, node.type, x.missing,
                         cols={"pieces": pieces, "collection": x.cols.get("collection")})
        if node.op in ("*", "/"):
            for k_node, q_node in ((node.left, node.right), (node.right, node.left)):
                k = self.constant_value(k_node)
                if isinstance(k, bool) or not isinstance(k, Decimal | Q.Quantity):
                    continue
                if node.op == "/":  # `x / k`: times 1/k, when it is an exact decimal (as the division is in Python)
                    if k_node is not node.right or not (k := _exact_inverse(k)):
                        break
                v = self.value(q_node, ev)
                if not v.cols or not ({"side", "pieces"} & set(v.cols)):
                    continue
                q = k if isinstance(k, Q.Quantity) else Q.Quantity(k, DIMENSIONLESS)
                factor, dims, scale = q.unit.factor, q.unit.dims, Fraction(q.value)
                if "side" in v.cols and not isinstance(k, Q.Quantity):
                    side = attrs.evolve(v.cols["side"], scale=v.cols["side"].scale * scale)
                    return V("exact", v.low, v.high, node.type, v.missing, cols={**v.cols, "side": side})
                pieces = v.cols.get("pieces") or [(exp.true(), v.cols["side"])]
                pieces = [(hit, None if s is None else times_unit(s, factor, dims, scale)) for hit, s in pieces]
                return V("exact", v.low, v.high, node.type, v.missing,
                         cols={"pieces": pieces, "collection": v.cols.get("collection")})
        raise Unsupported(node, "arithmetic on data")

    def r_neg(self, node: ir.Neg, ev: Any) -> V:
        v = SV.collapsed(self.value(node.operand, ev))
        _no_row_units(node, v)
        if v.kind != "exact":
            return SV.exact(exp.null(), node.type, v.missing, unit=v.unit)
        return SV.exact(_nullable([v], exp.Neg(this=exp.paren(v.low.copy()))), node.type, v.missing, unit=v.unit)

    def r_extremum(self, node: ir.Extremum, ev: Any) -> V:
        vs = [SV.collapsed(self.value(a, ev)) for a in node.args]  # a bounded score: exact where its bounds meet
        for v in vs:
            _no_row_units(node, v)
        missing = SV.merged(*vs)
        if any(v.kind == "truth" for v in vs):
            raise Unsupported(node, "`max`/`min` of booleans")
        if any(v.kind != "exact" for v in vs):  # unknown (``extremum_value``)
            return SV.exact(exp.null(), node.type, missing, unit=next((v.unit for v in vs if v.unit), None))
        data = [v for v in vs if v.constant is SV.NOCONST]
        unit = data[0].unit if data else vs[0].unit
        held = []
        for v in vs:
            if v.unit != unit:
                ref = next(d for d in data if d.unit == unit)
                v, _ = self.same_unit(node, v, ref)
                if v.unit != unit:
                    raise Unsupported(node, "`max`/`min` of quantities in different units")
            held.append(v)
        func = "GREATEST" if node.func == "max" else "LEAST"
        expr = _nullable(held, SV.extremum(func, [v.low.copy() for v in held]))
        return SV.exact(expr, node.type, missing, unit=unit)

    # ------------------------------------------------- max/min in comparisons

    def resolve(self, node: ir.Node) -> ir.Node:
        while isinstance(node, ir.DefRef):
            node = self.trial.definitions[node.name].expr
        return node

    def has_extremum(self, *nodes: ir.Node) -> bool:
        return any(isinstance(self.resolve(n), ir.Extremum) for n in nodes)

    def lowered(self, node: ir.Node, op: str, left: ir.Node, right: ir.Node, ev: Any) -> V:
        lhs, rhs = self.resolve(left), self.resolve(right)
        if isinstance(rhs, ir.Extremum):
            parts = [self.lowered(node, op, left, a, ev) for a in rhs.args]
            decisive = EXTREMUM_COMBINE[(rhs.func, op)]
        elif isinstance(lhs, ir.Extremum):
            parts = [self.lowered(node, op, a, right, ev) for a in lhs.args]
            decisive = EXTREMUM_COMBINE[(lhs.func, FLIP[op])]
        else:
            return self.compare(node, op, self.value(left, ev), self.value(right, ev))
        return SV.junction(parts, is_and=not decisive)

    def lowered_compare(self, node: ir.Node, ev: Any) -> V | None:
        """The comparison with a `max`/`min` on a side, as the Python backend lowers it (else None)."""
        if isinstance(node, ir.Compare) and node.op not in ("=", "!=") and self.has_extremum(node.left, node.right):
            return self.lowered(node, node.op, node.left, node.right, ev)
        if isinstance(node, ir.Between) and self.has_extremum(node.operand, node.low, node.high):
            inside = SV.junction([self.lowered(node, ">=", node.operand, node.low, ev),
                                  self.lowered(node, "<=", node.operand, node.high, ev)], True)
            return SV.not_(inside) if node.negated else inside
        return None


CALC_RULES: dict[type, Callable[[Any, Any, Any], V]] = {
    ir.DurationBetween: CalcRules.r_duration_between,
    ir.Neg: CalcRules.r_neg,
    ir.Extremum: CalcRules.r_extremum,
    ir.Arith: CalcRules.r_arith,
}
