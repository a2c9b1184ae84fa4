"""The IR's operations as value functions: the dispatch from an IR node to ``runtime.ops``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...check import ir
from ...runtime.ops import (
    ARITH,
    and_values,
    between_value,
    compare_value,
    conditional_value,
    duration_value,
    extremum_value,
    implies_value,
    member_value,
    neg_value,
    none_if_missing,
    not_value,
    or_values,
    show,
)


def arith_problem(node: ir.Arith, a, b) -> str:
    """Why an arithmetic on two known operands has no value (so an UNKNOWN names its reason)."""
    if node.op == "/":
        return f"cannot divide {show(a)} by {show(b)}: division by zero"
    if node.kind == "date_shift":
        return f"cannot compute {show(a)} {node.op} {show(b)}: the date would fall outside the years 1 to 9999"
    return f"cannot compute {show(a)} {node.op} {show(b)}"


def value_fn(node: ir.Node) -> Callable[..., Any]:
    """The meaning of a node as a function of its children's values (in ``children()`` order)."""
    return VALUE[type(node)](node)


VALUE: dict[type, Callable[[Any], Callable[..., Any]]] = {
    ir.Not: lambda n: not_value,
    ir.And: lambda n: lambda *vs: and_values(vs),
    ir.Or: lambda n: lambda *vs: or_values(vs),
    ir.Implies: lambda n: implies_value,
    ir.Compare: lambda n: lambda a, b: compare_value(n.op, a, b),
    ir.Between: lambda n: lambda x, lo, hi: between_value(x, lo, hi, n.negated),
    ir.Member: lambda n: lambda x, *items: member_value(x, items, n.negated),
    ir.Arith: lambda n: none_if_missing(ARITH[n.kind](n.op)),
    ir.Neg: lambda n: neg_value,
    ir.Extremum: lambda n: lambda *args: extremum_value(n.func, args),
    ir.DurationBetween: lambda n: lambda a, b: duration_value(n.unit, a, b),
    ir.Conditional: lambda n: conditional_value,
}
