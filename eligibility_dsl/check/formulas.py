"""Checks for formulas: `sqrt(x)`, `ln(x)`, `exp(x)`, `round(x, n)` and powers `x ^ y`.

Units are checked here, at compile time: `sqrt`, `ln`, `exp` and a fractional exponent need a plain
number (divide a quantity by a unit to get one: `height / 1 cm`); a quantity with a unit may be raised
to a whole power written in the trial, and the result carries the unit to that power (`height ^ 2` is an
area, so `weight / height ^ 2` is a body-mass index in kg/m2). An observation's value (known only at
run time) is accepted, and checked when evaluating: a value with a unit there is a problem, UNKNOWN.
The values are computed by ``runtime.formulas`` (28 significant digits, stated there).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from ..language import ast as A
from ..language import types as T
from ..runtime.formulas import MAX_ROUND_PLACES
from ..runtime.units import UnitError
from . import ir

FORMULA_FUNCTIONS = {
    "sqrt": "the square root of a number",
    "ln": "the natural logarithm of a positive number",
    "exp": "e to the power of a number",
    "round": "a number rounded (half away from zero) to a given number of decimal places",
}
_ARITY = {"sqrt": 1, "ln": 1, "exp": 1, "round": 2}
_DYNAMIC_QUANTITY = T.Type("quantity")


def _plain(t: T.Type) -> bool:
    """A plain number, a quantity with no dimension (a ratio of like quantities), or known only at run time."""
    return (t.kind in ("number", "any", "error") or T.is_dynamic(t)
            or (t.kind == "quantity" and t.dims is not None and not any(t.dims)))


def whole_constant(node: ir.Node) -> int | None:
    """The whole number a node is when it is one written in the trial (`2`, `-1`), else None."""
    sign = 1
    if isinstance(node, ir.Neg):
        node, sign = node.operand, -1
    if isinstance(node, ir.Const) and isinstance(node.value, Decimal) and node.type.kind == "number":
        v = node.value
        if v.is_finite() and v == v.to_integral_value():
            return sign * int(v)
    return None


class FormulaChecks:
    """Mixed into the checker: relies on ``expr``, ``error`` and ``text_of``."""

    def _needs_plain(self, func: str, sub: A.Expr, out: ir.Node) -> bool:
        t = out.type
        if _plain(t):
            return True
        if t.kind == "quantity":
            self.error("E0170", f"`{func}` needs a number without a unit, found `{self.text_of(sub)}` "
                       f"({t.describe()})", sub.span,
                       f"divide by a unit to get a number, e.g. `{self.text_of(sub)} / 1 {t.unit.symbol}`"
                       if t.unit is not None else None)
        else:
            self.error("E0201", f"`{func}` needs a number, found `{self.text_of(sub)}` ({t.describe()})",
                       sub.span)
        return False

    def formula_call(self, n: A.Call) -> ir.Node:
        args = tuple(self.expr(a) for a in n.args)
        arity = _ARITY[n.func]
        if len(args) != arity:
            what = "one argument" if arity == 1 else "two arguments: the number and the decimal places"
            self.error("E0204", f"`{n.func}` needs {what}, found {len(args)}", n.span,
                       "e.g. `round(bmi, 1)`" if n.func == "round" else f"e.g. `{n.func}(x)`")
            return ir.Const(T.ERROR, None, span=n.span)
        if any(a.type.is_error for a in args):
            return ir.Const(T.ERROR, None, span=n.span)
        if n.func == "round":
            return self._round(n, args)
        if not self._needs_plain(n.func, n.args[0], args[0]):
            return ir.Const(T.ERROR, None, span=n.span)
        return ir.Formula(T.NUMBER, n.func, args, span=n.span)

    def _round(self, n: A.Call, args: tuple[ir.Node, ...]) -> ir.Node:
        x, places = args
        if not (x.type.kind in ("number", "quantity", "any")):
            self.error("E0201", f"`round` needs a number or a quantity, found `{self.text_of(n.args[0])}` "
                       f"({x.type.describe()})", n.args[0].span)
            return ir.Const(T.ERROR, None, span=n.span)
        p = whole_constant(places)
        if p is None or not 0 <= p <= MAX_ROUND_PLACES:
            self.error("E0171", f"the decimal places of `round` must be a whole number from 0 to "
                       f"{MAX_ROUND_PLACES} written in the trial, found `{self.text_of(n.args[1])}`",
                       n.args[1].span, "e.g. `round(bmi, 1)`")
            return ir.Const(T.ERROR, None, span=n.span)
        return ir.Formula(x.type, "round", args, span=n.span)

    def _power(self, n: A.Power) -> ir.Node:
        base, exponent = self.expr(n.base), self.expr(n.exponent)
        if base.type.is_error or exponent.type.is_error:
            return ir.Const(T.ERROR, None, span=n.span)
        if not self._needs_plain("^", n.exponent, exponent):
            return ir.Const(T.ERROR, None, span=n.span)
        bt, whole = base.type, whole_constant(exponent)
        if bt.kind not in ("number", "quantity", "any"):
            self.error("E0201", f"cannot raise `{self.text_of(n.base)}` ({bt.describe()}) to a power", n.base.span)
            return ir.Const(T.ERROR, None, span=n.span)
        if _plain(bt) and not T.is_dynamic(bt):
            return ir.Formula(T.NUMBER, "^", (base, exponent), span=n.span)
        if T.is_dynamic(bt):  # an observation's value: its unit is known when evaluating
            typ = _DYNAMIC_QUANTITY if whole is not None else T.NUMBER
            return ir.Formula(typ, "^", (base, exponent), span=n.span)
        if whole is None:
            self.error("E0171", f"a quantity with a unit can only be raised to a whole number written in the "
                       f"trial, found `{self.text_of(n.exponent)}`", n.exponent.span,
                       f"for a fractional power, divide by a unit first: `({self.text_of(n.base)} / 1 "
                       f"{bt.unit.symbol}) ^ {self.text_of(n.exponent)}`")
            return ir.Const(T.ERROR, None, span=n.span)
        try:
            unit = bt.unit.power(whole)
        except UnitError as err:
            self.error("E0202", err.message, n.span)
            return ir.Const(T.ERROR, None, span=n.span)
        typ = T.NUMBER if unit.is_dimensionless and unit.factor == 1 else T.quantity(unit)
        return ir.Formula(typ, "^", (base, exponent), span=n.span)


FORMULA_EXPR: dict[type, Callable] = {A.Power: FormulaChecks._power}
