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

import attrs

from ..language import ast as A
from ..language import types as T
from ..runtime.formulas import MAX_ROUND_PLACES
from ..runtime.quantity import Quantity
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
        if x.type.kind not in ("number", "quantity", "any"):
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


# ------------------------------------------------------------------ functions
# `function bmi(weight: quantity in kg, height: quantity in m): weight / height ^ 2` names a formula over
# typed parameters. The body is checked once on its own (with each parameter a value of its declared type);
# a use `bmi(w, h)` checks each argument against its parameter's type (the same kind, and for a quantity the
# same dimension; an observation's value is checked when evaluating) and is then the body with the
# arguments in place of the parameters: no new IR node, so every backend, the trace and `elig doc` read the
# formula itself.


def _typed(arg: ir.Node, want: T.Type, name: str) -> ir.Node:
    """An argument as its parameter's type: a number or quantity known only at run time (an observation's
    value), or a quantity in another unit, goes through `as` (converted to the declared unit, or a problem)."""
    if want.kind == "quantity" and (T.is_dynamic(arg.type) or arg.type.unit is None
                                    or arg.type.unit.factor != want.unit.factor):
        one = ir.Const(want, Quantity(1, want.unit))
    elif want.kind == "number" and arg.type.kind != "number":
        one = ir.Const(T.NUMBER, Decimal(1))
    else:
        return arg
    return ir.Formula(want, "as", (arg, one, ir.Const(T.TEXT, name)), span=arg.span)


class FunctionChecks:
    """Mixed into the checker: relies on ``symbols``, ``expr``, ``error``, ``text_of``, ``_fact_type``,
    ``diagnostics`` and ``scope``; owns ``_bindings`` (parameter -> argument node, innermost last)."""

    def _function_state(self) -> dict:
        state = self.__dict__.get("_functions_state")
        if state is None:
            state = self.__dict__["_functions_state"] = {"checked": {}, "expanding": [], "bindings": []}
        return state

    def bound_parameter(self, name: str) -> ir.Node | None:
        bindings = self._function_state()["bindings"]
        return bindings[-1].get(name) if bindings else None

    def _param_types(self, decl: A.FunctionDecl) -> list[T.Type]:
        return [self._fact_type(p.type) for p in decl.params]

    def check_function(self, name: str) -> bool:
        """Check a function's body once, on its own; whether it is free of errors."""
        state = self._function_state()
        if name in state["checked"]:
            return state["checked"][name]
        decl = self.symbols[name].decl
        state["checked"][name] = False  # while checking: a use of itself in its body is reported there
        before = len(self.diagnostics)
        seen: set[str] = set()
        for p in decl.params:
            if p.name in seen:
                self.error("E0103", f"parameter `{p.name}` is already declared", p.span)
            seen.add(p.name)
        types = self._param_types(decl)
        placeholders = {p.name: ir.Fact(t, p.name, span=p.span) for p, t in zip(decl.params, types, strict=False)}
        self._expand(decl, placeholders)
        ok = len(self.diagnostics) == before
        state["checked"][name] = ok
        return ok

    def _expand(self, decl: A.FunctionDecl, bindings: dict[str, ir.Node]) -> ir.Node:
        state = self._function_state()
        if decl.name in state["expanding"]:
            cycle = " -> ".join(state["expanding"][state["expanding"].index(decl.name):] + [decl.name])
            self.error("E0105", f"function `{decl.name}` uses itself: {cycle}", decl.name_span)
            return ir.Const(T.ERROR, None, span=decl.span)
        state["expanding"].append(decl.name)
        state["bindings"].append(bindings)
        outer_scope, self.scope = self.scope, []  # the body sees its parameters and the globals only
        try:
            return self.expr(decl.expr)
        finally:
            self.scope = outer_scope
            state["bindings"].pop()
            state["expanding"].pop()

    def function_call(self, n: A.Call) -> ir.Node:
        decl: A.FunctionDecl = self.symbols[n.func].decl
        args = tuple(self.expr(a) for a in n.args)
        if len(args) != len(decl.params):
            self.error("E0204", f"`{n.func}` needs {len(decl.params)} argument"
                       f"{'s' if len(decl.params) != 1 else ''}, found {len(args)}", n.span,
                       f"`{n.func}({', '.join(p.name for p in decl.params)})`")
            return ir.Const(T.ERROR, None, span=n.span)
        if n.func in self._function_state()["expanding"]:  # used in its own body: reported by _expand
            return self._expand(decl, {})
        if not self.check_function(n.func) or any(a.type.is_error for a in args):
            return ir.Const(T.ERROR, None, span=n.span)
        for p, want, sub, got in zip(decl.params, self._param_types(decl), n.args, args, strict=False):
            same_kind = want.kind == got.type.kind
            fits = got.type.kind == "any" or (same_kind and (want.kind != "quantity" or T.comparable(want, got.type)))
            if not fits:
                self.error("E0201" if want.kind != got.type.kind else "E0202",
                           f"`{n.func}` needs `{p.name}` to be {want.describe()}, found `{self.text_of(sub)}` "
                           f"({got.type.describe()})", sub.span)
                return ir.Const(T.ERROR, None, span=n.span)
        bound = {p.name: _typed(a, want, p.name) for p, want, a in zip(decl.params, self._param_types(decl), args,
                                                                      strict=False)}
        before = len(self.diagnostics)
        node = self._expand(decl, bound)
        if len(self.diagnostics) > before:  # arguments known only when evaluating may combine otherwise
            del self.diagnostics[before:]
            self.error("E0201", f"`{n.func}` cannot be computed from these arguments", n.span)
            return ir.Const(T.ERROR, None, span=n.span)
        # The body with the arguments in place, located at the call: a decision's summary quotes
        # `bmi(weight, height)`, the full trace goes on into the formula (its nodes keep their own places).
        return attrs.evolve(node, span=n.span) if attrs.has(type(node)) else node
