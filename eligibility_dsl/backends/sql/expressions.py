"""Scalar rules: from a checked IR node to a :class:`~.values.V` (a sqlglot expression and its missing items).

Everything that depends only on the anchors and literals (the anchors, window bounds, `screening - 6
months`) is computed here, in Python, with the runtime's own functions (``runtime.calendar``: CQL's month-end
clamping), and enters the SQL as a literal: so date arithmetic in SQL is never needed for those, and it is
exactly the Python backend's.  A node this backend does not compile raises :class:`Unsupported` naming the
construct, which becomes a located diagnostic (E0401) at compile time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlglot import exp

from ...check import ir
from ...runtime import quantity as Q
from ...runtime.ops import PERIOD_UNITS
from ...runtime.units import UnitMismatch
from ..python.values import value_fn
from . import values as SV
from .dynamic import FLIP, compare_any, unconverted
from .quantities import known_side, row_side, sides
from .schema import exact_number, fact_column
from .values import NOCONST, TRUE, UNKNOWN, V


class Unsupported(Exception):
    def __init__(self, node: Any, construct: str, why: str = ""):
        self.node, self.construct, self.why = node, construct, why
        super().__init__(construct)


_CONSTANT_NODES = (ir.Arith, ir.Neg, ir.Extremum, ir.DurationBetween, ir.Compare, ir.Not, ir.And, ir.Or,
                   ir.Implies, ir.Between, ir.Member, ir.Conditional)


class ScalarRules:
    """Relies on ``self.trial``, ``self.anchors``, ``self.facts`` (fact -> column expression), and the
    history rules (``query_value``, ``score_value``) of :class:`~.queries.QueryRules`."""

    trial: ir.CheckedTrial
    anchors: dict

    # ------------------------------------------------------------ constants

    def constant_value(self, node: ir.Node) -> Any:
        """The node's Python value if it depends only on anchors and literals, else NOTHING."""
        key = id(node)
        cache = self.__dict__.setdefault("_constants", {})
        if key in cache:
            return cache[key][1]
        value: Any = NOCONST
        if isinstance(node, ir.Const):
            value = node.value if not (node.value is None and node.type.kind == "boolean") else NOCONST
        elif isinstance(node, ir.Anchor):
            value = self.anchors[node.name]
        elif isinstance(node, ir.DefRef):
            value = self.constant_value(self.trial.definitions[node.name].expr)
        elif isinstance(node, _CONSTANT_NODES):
            args = [self.constant_value(k) for k in node.children()]
            if all(a is not NOCONST for a in args):
                try:
                    value = value_fn(node)(*args)
                except (TypeError, ArithmeticError, ValueError, UnitMismatch):
                    value = NOCONST
        cache[key] = (node, value)
        return value

    # ------------------------------------------------------------ dispatch

    def value(self, node: ir.Node, ev: Any = None) -> V:
        """``ev``: the event alias and collection when compiling inside a query's filter."""
        const = self.constant_value(node)
        rule = SCALAR_RULES.get(type(node)) or self.history_rule(node) if const is NOCONST else None
        try:
            if const is not NOCONST:
                return self.const_value(node, const)
            if rule is None:
                raise Unsupported(node, _construct(node))
            return rule(self, node, ev)
        except Unsupported as err:
            # Note it and go on with a stand-in, so that one compile reports every construct that does not compile.
            self.unsupported.append(err)
            if node.type.kind == "boolean":
                return V("truth", SV.truth_lit(UNKNOWN), placeholder=True)
            return V("exact", exp.null(), exp.null(), node.type, placeholder=True)

    def history_rule(self, node: ir.Node) -> Callable | None:  # overridden by QueryRules
        return None

    def const_value(self, node: ir.Node, value: Any) -> V:
        if node.type.kind == "boolean":
            t = UNKNOWN if value is None else TRUE if value else SV.FALSE
            return V("truth", SV.truth_lit(t), constant=value)
        number = value.value if isinstance(value, Q.Quantity) else value
        if isinstance(number, Decimal) and exact_number(number) is None:
            # DECIMAL(38, 12) holds 26 digits before the point and 12 after: a constant beyond that would be
            # rounded or refused by the engine at run time, so it is refused here, located.
            raise Unsupported(node, f"the number `{number}`, which DECIMAL(38, 12) cannot hold exactly")
        if isinstance(value, Q.Quantity):
            return SV.exact(SV.lit(value.value), node.type, unit=value.unit, constant=value)
        if value is None:
            return SV.exact(exp.null(), node.type, constant=None)
        if type(value).__name__ == "Bounded":
            raise Unsupported(node, "a constant range")
        return SV.exact(SV.lit(value), node.type, constant=value)

    def truth_of(self, node: ir.Node, ev: Any = None) -> V:
        v = self.value(node, ev)
        if v.kind != "truth":
            self.unsupported.append(Unsupported(node, "a boolean value held as data"))
            return V("truth", SV.truth_lit(UNKNOWN), placeholder=True)
        return v

    # ------------------------------------------------------------ rules

    def r_const(self, node: ir.Const, ev) -> V:  # only the literal `unknown` reaches here
        where = f"`unknown` written at line {node.span.line}" if node.span else "`unknown` written in the trial"
        return SV.truth(SV.truth_lit(UNKNOWN), [(where, exp.true())])

    def r_fact(self, node: ir.Fact, ev) -> V:
        kind = node.type.kind
        if kind not in ("boolean", "number", "date", "code", "text"):
            raise Unsupported(node, f"a fact of type {kind}")
        spec = self.trial.facts.get(node.name)
        if spec is not None and spec.range is not None:
            raise Unsupported(node, f"a fact with a declared range (`{node.name}` between ... and ...)")
        col = self.fact_ref(node.name, kind)
        missing = [(node.name, col.is_(exp.null()))]
        if kind == "boolean":
            return SV.truth(SV.of_boolean(col), missing)
        return SV.exact(col, node.type, missing)

    def r_defref(self, node: ir.DefRef, ev) -> V:
        cache = self.__dict__.setdefault("_defs", {})
        key = (node.name, ev)
        if key not in cache:  # the patients it leaves to the Python engine go with it to every criterion reading it
            before = len(self.defers)
            cache[key] = (self.value(self.trial.definitions[node.name].expr, ev), self.defers[before:])
        value, defers = cache[key]
        self.defers.extend(d.copy() for d in defers if d not in self.defers)
        return value

    def r_not(self, node: ir.Not, ev) -> V:
        return SV.not_(self.truth_of(node.operand, ev))

    def r_and(self, node: ir.And | ir.Or, ev) -> V:
        return SV.junction([self.truth_of(o, ev) for o in node.operands], isinstance(node, ir.And))

    def r_implies(self, node: ir.Implies, ev) -> V:
        return SV.junction([SV.not_(self.truth_of(node.left, ev)), self.truth_of(node.right, ev)], False)

    def lowered_compare(self, node: ir.Node, ev) -> V | None:  # overridden by CalcRules
        return None

    def r_compare(self, node: ir.Compare, ev) -> V:
        low = self.lowered_compare(node, ev)
        if low is not None:
            return low
        a, b = self.value(node.left, ev), self.value(node.right, ev)
        return self.compare(node, node.op, a, b)

    def compare(self, node: ir.Node, op: str, a: V, b: V) -> V:
        if a.kind == "total" or b.kind == "total":
            return self.compare_total(node, op, a, b)
        if a.kind == "any" or b.kind == "any":
            return self.compare_any(node, op, a, b)
        if (a.cols or b.cols) and not (a.placeholder or b.placeholder):
            return self.compare_row_units(node, op, a, b)
        if a.kind == "truth" or b.kind == "truth":
            if op not in ("=", "!="):
                raise Unsupported(node, "an ordering of booleans")
            # Booleans compare as truths: unknown on either side is unknown.
            eq = SV.case((SV.OR(exp.EQ(this=a.expr, expression=SV.truth_lit(UNKNOWN)),
                                  exp.EQ(this=b.expr, expression=SV.truth_lit(UNKNOWN))), UNKNOWN),
                         (exp.EQ(this=a.expr, expression=b.expr), TRUE), default=SV.FALSE)
            v = SV.truth(eq, SV.merged(a, b))
            return SV.not_(v) if op == "!=" else v
        a, b = self.same_unit(node, a, b)
        return SV.compare(op, a, b)

    def same_unit(self, node: ir.Node, a: V, b: V) -> tuple[V, V]:
        """Quantities compare in one unit: a constant is converted, exactly, into the other side's unit."""
        if (a.unit is None and b.unit is None) or a.placeholder or b.placeholder:
            return a, b
        if a.unit is not None and b.unit is not None and a.unit == b.unit:
            return a, b
        for x, y, swap in ((a, b, False), (b, a, True)):
            if isinstance(y.constant, Q.Quantity) and x.unit is not None:
                converted = _convert(y.constant, x.unit)
                if converted is None:
                    break
                y2 = SV.exact(SV.lit(converted), y.type, unit=x.unit, constant=Q.Quantity(converted, x.unit))
                return (y2, x) if swap else (x, y2)
        raise Unsupported(node, "a comparison of quantities in different units")

    def r_between(self, node: ir.Between, ev) -> V:
        low = self.lowered_compare(node, ev)
        if low is not None:
            return low
        x, lo, hi = (self.value(k, ev) for k in (node.operand, node.low, node.high))
        inside = SV.junction([self.compare(node, "<=", lo, x), self.compare(node, "<=", x, hi)], True)
        return SV.not_(inside) if node.negated else inside

    def r_member(self, node: ir.Member, ev) -> V:
        x = self.value(node.operand, ev)
        found = SV.junction([self.compare(node, "=", x, self.value(i, ev)) for i in node.items], False)
        return SV.not_(found) if node.negated else found

    def r_age(self, node: ir.Age, ev) -> V:
        at = self.constant_value(node.at)
        if at is NOCONST:
            raise Unsupported(node, "`age at` a date that is not a constant")
        birth = self.fact_ref("birth_date", "date")
        missing = [("birth_date", birth.is_(exp.null()))]
        if at is None:
            return SV.exact(exp.null(), node.type, missing, unit=PERIOD_UNITS["years"][1])
        return SV.exact(self.dialect.age_years(birth, at), node.type, missing, unit=PERIOD_UNITS["years"][1])

    def r_conditional(self, node: ir.Conditional, ev) -> V:
        """`if C then A else B` (``ops.conditional_value``): C unknown gives A when A and B are the same
        known value, else unknown."""
        c = self.truth_of(node.cond, ev)
        a, b = self.value(node.then, ev), self.value(node.otherwise, ev)
        if a.cols or b.cols:
            raise Unsupported(node, "`if ... then ... else` on a value from data whose type or unit is the row's")
        missing = SV.merged(c, a, b)
        is_true = exp.EQ(this=c.expr, expression=SV.truth_lit(TRUE))
        is_false = exp.EQ(this=c.expr.copy(), expression=SV.truth_lit(SV.FALSE))
        if a.kind == "truth" and b.kind == "truth":
            same = SV.AND(exp.EQ(this=a.expr.copy(), expression=b.expr.copy()),
                          exp.NEQ(this=a.expr.copy(), expression=SV.truth_lit(UNKNOWN)))
            expr = (exp.Case().when(is_true, a.expr).when(is_false, b.expr).when(same, a.expr.copy())
                    .else_(SV.truth_lit(UNKNOWN)))
            return SV.truth(expr, missing)
        if a.kind != "exact" or b.kind != "exact" or a.unit != b.unit:
            raise Unsupported(node, "`if ... then ... else` on counts, scores or quantities")
        same = SV.AND(SV.NOT(a.low.copy().is_(exp.null())), exp.EQ(this=a.low.copy(), expression=b.low.copy()))
        expr = exp.Case().when(is_true, a.low).when(is_false, b.low).when(same, a.low.copy()).else_(exp.null())
        return SV.exact(expr, node.type, missing, unit=a.unit)

    def compare_any(self, node: ir.Node, op: str, a: V, b: V) -> V:
        """An observation's value (type any) against a constant (``dynamic.compare_any``)."""
        if a.kind != "any":
            a, b, op = b, a, FLIP[op]
        const = b.constant
        if b.cols and "pieces" in b.cols:
            raise Unsupported(node, "a comparison of an observation's value with a value looked up in a table")
        if b.cols and "side" in b.cols:  # a quantity field (its unit the row's), maybe scaled: `3 * reference_high`
            self.defer_unconverted(a.cols, b.cols["side"], b.low.copy().is_(exp.null()))
            expr = _unknown_if_null(b.low, compare_any(op, a.cols, b.cols["side"]))
            return SV.truth(self.derive(expr) if a.cols.get("derive") else expr, SV.merged(a, b))
        if b.kind == "any" or not isinstance(const, bool | Decimal | Q.Quantity):
            raise Unsupported(node, "a comparison of an observation's value with anything but a constant number, "
                                    "quantity or boolean")
        self.defer_unconverted(a.cols, const)
        expr = compare_any(op, a.cols, const)
        if a.cols.get("derive"):
            expr = self.derive(expr)
        return SV.truth(expr, SV.merged(a, b))

    def defer_unconverted(self, cols: dict, const: Any, absent: exp.Expression | None = None) -> None:
        """A patient whose value this comparison cannot convert is decided by the Python engine
        (``dynamic.unconverted``): a picked value's own condition, or any event of the collection's."""
        cond = unconverted(cols, const)
        if cond is None:
            return
        if absent is not None:  # the other side missing: unknown in both engines
            cond = SV.AND(cond, SV.NOT(absent))
        if cols.get("derive"):
            self.defers.append(self.derive(cond))
        elif cols.get("collection"):
            self.defers.append(self.derive(self.count_events(cols["collection"], cond)))
        else:
            raise Unsupported(None, "a comparison of an observation's value outside a query")

    def compare_row_units(self, node: ir.Node, op: str, a: V, b: V) -> V:
        """Quantities of which one (or both) has its unit in the row (``quantities.sides``)."""
        if a.kind != "exact" or b.kind != "exact" or any(v.unit is None and not v.cols for v in (a, b)):
            raise Unsupported(node, "a comparison of a quantity from data with a number")
        pa, pb = (_pieces(v) for v in (a, b))
        if len(pa) > 1 and len(pb) > 1:
            raise Unsupported(node, "a comparison of two values each looked up in a table")
        nulls = [v.low.copy().is_(exp.null()) for v in (a, b) if v.constant is NOCONST]
        out = exp.Case()
        if nulls:
            out = out.when(SV.OR(*nulls) if len(nulls) > 1 else nulls[0], SV.truth_lit(UNKNOWN))
        for ha, sa in pa:
            for hb, sb in pb:
                hit = SV.AND(ha.copy(), hb.copy())
                if sa is None or sb is None:  # a division by zero: unknown
                    out = out.when(hit, SV.truth_lit(UNKNOWN))
                    continue
                try:
                    left, right, ok = sides(sa, sb)
                except ValueError:
                    raise Unsupported(node, "a comparison of two quantities in the row's units scaled by a unit") \
                        from None
                if sa.rounded or sb.rounded:
                    self.defer_near(_collection(a, b), hit, left, right, ok)
                out = out.when(hit, SV.case((SV.NOT(ok), UNKNOWN),
                                            (SV._SQL_CMP[op](this=left, expression=right), TRUE), default=SV.FALSE))
        return SV.truth(out.else_(SV.truth_lit(UNKNOWN)), SV.merged(a, b))

    def defer_near(self, collection: str | None, hit: exp.Expression, left: exp.Expression, right: exp.Expression,
                   ok: exp.Expression) -> None:
        """A comparison of a record's quantity divided by a number with no exact decimal (a table's 0.75 mg):
        exact here, rounded at 34 digits by the Python engine, so within 10^-12 of the threshold (the exact
        quotient equal to it, typically) the two could part; a patient with such a record in the collection is
        decided by the Python engine (``totals.py``)."""
        if collection is None:
            raise Unsupported(None, "a comparison of a divided quantity outside a query")
        near = SV.AND(hit.copy(), exp.paren(ok.copy()), near_threshold(left, right))
        self.defers.append(self.derive(self.count_events(collection, near)))

    def r_fieldref(self, node: ir.FieldRef, ev) -> V:
        if ev is None:
            raise Unsupported(node, "a field outside a query")
        alias, collection = ev
        kind = node.type.kind
        if kind == "any" and node.name == "value":
            self.__dict__.setdefault("_unit_joins", {}).setdefault(collection, set()).add("value_unit")
            cols = {k: exp.column(c, alias, quoted=True) for k, c in ANY_COLUMNS.items()}
            cols["collection"] = collection
            return V("any", cols["kind"], None, node.type, cols=cols)
        if kind == "quantity":
            unit = f"{node.name}_unit"
            self.__dict__.setdefault("_unit_joins", {}).setdefault(collection, set()).add(unit)
            value = exp.column(f"{node.name}_value", alias, quoted=True)
            cols = {"number": value, "unit": exp.column(unit, alias, quoted=True),
                    **{k: exp.column(f"{unit}_{k}", alias, quoted=True) for k in ("dims", "num", "den")}}
            side = row_side(cols)
            missing = [(f"{collection} {{event}}: {node.name}", value.is_(exp.null()))]
            return V("exact", value, value, node.type, missing, cols={"side": side, "collection": collection})
        if kind not in ("number", "date", "code", "text"):
            raise Unsupported(node, f"the field `{node.name}` (of type {kind}) in a condition")
        col = self.event_column(alias, collection, node.name)
        return SV.exact(col, node.type, [(f"{collection} {{event}}: {node.name}", col.is_(exp.null()))])


def _convert(q: Q.Quantity, unit: Any) -> Decimal | None:
    if q.unit.dims != unit.dims:
        return None
    try:
        value = q.base / unit.factor
    except (ZeroDivisionError, TypeError, AttributeError):
        return None
    return Q._terminating(value)


def _construct(node: Any) -> str:
    names = {ir.Arith: "arithmetic on data", ir.Neg: "negation of data", ir.Extremum: "`max`/`min` of data",
             ir.DurationBetween: "a duration between dates from data", ir.Conditional: "`if ... then ... else`",
             ir.Lookup: "a table lookup", ir.InCodeset: "`in` a code set on a value", ir.All: "`all ... have`",
             ir.Pick: "`latest`/`earliest`", ir.Stable: "`stable`/`continuous`", ir.Change: "`change in`",
             ir.Aggregate: "this aggregate", ir.ScoreRef: "a score",
             ir.DailyTotal: "`highest daily total of ... over`", ir.ResultIs: "a result word (`value is positive`)",
             ir.Formula: "a formula (`sqrt`, `ln`, `exp`, `round`, `^`)",
             ir.ItemCount: "counting over items (`count items with ... of`)",
             ir.Extreme: "`highest`/`lowest` of a field",
             ir.AgeIn: "`age in hours`/`age in minutes` (date-times)"}
    # A node kind without a name here still gets a readable one: `DailyTotal` -> "daily total".
    return names.get(type(node)) or re.sub(r"(?<!^)(?=[A-Z])", " ", type(node).__name__).lower()


def terminates(f: Any) -> bool:
    """Whether a fraction has an exact decimal."""
    d = f.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def near_threshold(left: exp.Expression, right: exp.Expression) -> exp.Expression:
    """``|left - right| <= |right| * 10^-12``, in DOUBLE (a test of where to decide, never a decision)."""
    gap = exp.cast(exp.Abs(this=exp.Sub(this=left.copy(), expression=right.copy())), "DOUBLE")
    return exp.LTE(this=gap, expression=exp.Mul(this=exp.cast(exp.Abs(this=right.copy()), "DOUBLE"),
                                                expression=exp.Literal.number("0.000000000001")))


def _collection(*vs: V) -> str | None:
    return next((v.cols["collection"] for v in vs if v.cols and v.cols.get("collection")), None)


def _pieces(v: V) -> list:
    """(condition, side) pairs: a quantity in the row's unit is one side; a value looked up in a table, one per
    entry; a quantity known when compiling, one."""
    if v.cols and "pieces" in v.cols:
        return v.cols["pieces"]
    return [(exp.true(), v.cols["side"] if v.cols else known_side(v.low, v.unit))]


def _unknown_if_null(value: exp.Expression, truth: exp.Expression) -> exp.Expression:
    return exp.Case().when(value.copy().is_(exp.null()), SV.truth_lit(UNKNOWN)).else_(truth)


# An any-typed value's columns: in an event of the collection (units joined in as value_unit_*), see dynamic.py.
ANY_COLUMNS = {"kind": "value_kind", "boolean": "value_boolean", "number": "value_number", "unit": "value_unit",
               "text": "value_text", "dims": "value_unit_dims", "num": "value_unit_num", "den": "value_unit_den"}


SCALAR_RULES: dict[type, Callable[[Any, Any, Any], V]] = {
    ir.Const: ScalarRules.r_const,
    ir.Fact: ScalarRules.r_fact,
    ir.DefRef: ScalarRules.r_defref,
    ir.Not: ScalarRules.r_not,
    ir.And: ScalarRules.r_and,
    ir.Or: ScalarRules.r_and,
    ir.Implies: ScalarRules.r_implies,
    ir.Compare: ScalarRules.r_compare,
    ir.Between: ScalarRules.r_between,
    ir.Member: ScalarRules.r_member,
    ir.Age: ScalarRules.r_age,
    ir.FieldRef: ScalarRules.r_fieldref,
    ir.Conditional: ScalarRules.r_conditional,
}

__all__ = ["SCALAR_RULES", "ScalarRules", "Unsupported", "fact_column"]
