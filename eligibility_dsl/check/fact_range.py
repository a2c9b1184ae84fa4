"""A fact's declared scale: `fact mrss: number between 0 and 51 "modified Rodnan skin score"`.

The range is written with numbers (a quantity fact's in a unit of its dimension: `between 0 % and 250 %`),
both ends included, the lower end first. A record value outside it is a problem at evaluation (the fact is
unknown, the criterion UNKNOWN naming it), never believed (docs/patient_model.md, "Declared scales").

Diagnostics, each located on the range: a bound that is not a number (E0172), a range whose lower end is
above its upper end (E0173), a range on a fact that is neither a number nor a quantity (E0201), a bound in
a unit of another dimension, or a number where the fact is a quantity (E0202)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..diagnostics import Span
from ..language import ast as A
from ..language import types as T
from ..runtime import quantity as Q
from ..runtime.numtext import number_text
from . import ir


def _span(decl: A.FactDecl) -> Span | None:
    """From the range's first number to the end of its last."""
    low, high = (n.span for n in decl.range)
    if low is None or high is None:
        return decl.span
    return Span(low.file, low.line, low.column, high.end_line, high.end_column, low.start, high.end)


def _constant(node: ir.Node) -> Any:
    """The value of a literal (or a negated one), else None."""
    if isinstance(node, ir.Const) and isinstance(node.value, Decimal | Q.Quantity):
        return node.value
    if isinstance(node, ir.Neg) and isinstance(node.operand, ir.Const):
        value = node.operand.value
        if isinstance(value, Decimal):
            return Q.EXACT_CONTEXT.minus(value)
        if isinstance(value, Q.Quantity):
            return -value
    return None


def show(value: Any) -> str:
    return number_text(value) if isinstance(value, Decimal) else str(value)


def fact_range(checker, decl: A.FactDecl, typ: T.Type) -> tuple[Any, Any] | None:
    """The checked (low, high) of ``decl``'s range, or None (no range, or an error reported)."""
    if decl.range is None or typ.kind == "error":
        return None
    where = _span(decl)
    if typ.kind not in ("number", "quantity"):
        checker.error("E0201", f"a range is for a number or a quantity fact, and `{decl.name}` is {typ.describe()}",
                      where, "remove the range, or declare the fact as `number` or `quantity in UNIT`")
        return None
    bounds = []
    for node in decl.range:
        value = _constant(checker.expr(node))
        if value is None:
            checker.error("E0172", f"the range of fact `{decl.name}` is written with numbers, not "
                          f"`{checker.text_of(node)}`", node.span or where, "write e.g. `between 0 and 51`")
            return None
        if typ.kind == "number" and not isinstance(value, Decimal):
            checker.error("E0202", f"fact `{decl.name}` is a number, and its range bound `{value}` has a unit",
                          node.span or where, f"write the bound without a unit: `{show(value.value)}`")
            return None
        if typ.kind == "quantity" and (not isinstance(value, Q.Quantity) or value.unit.dims != typ.dims):
            found = "a plain number" if isinstance(value, Decimal) else T.quantity(value.unit).describe()
            checker.error("E0202", f"fact `{decl.name}` is {typ.describe()}, and its range bound `{show(value)}` is "
                          f"{found}", node.span or where,
                          f"write the bound in `{typ.unit.symbol}` (or a unit of the same dimension)")
            return None
        bounds.append(value)
    low, high = bounds
    if low > high:
        checker.error("E0173", f"the range of fact `{decl.name}` is empty: its lower end `{show(low)}` is above its "
                      f"upper end `{show(high)}`", where, f"write the lower end first: `between {show(high)} and "
                      f"{show(low)}`")
        return None
    return low, high


def out_of_range(name: str, low: Any, high: Any):
    """A function giving why a record's value of fact ``name`` is outside ``[low, high]`` (None: inside)."""
    def problem(value: Any) -> str | None:
        try:
            inside = low <= value <= high
        except (TypeError, ArithmeticError, Q.UnitMismatch):
            inside = False
        if inside:
            return None
        return (f"fact `{name}`: the record's value `{show(value)}` is outside its declared range "
                f"{show(low)} to {show(high)}, so it is not used")
    return problem
