"""Generation rules for formulas (`sqrt`, `ln`, `exp`, `round`, `x ^ y`).

Each formula calls ``runtime.formulas.formula_value`` on its arguments' values, which gives None for an
unknown argument and, for known arguments with no result (the square root of a negative number, the
logarithm of zero, a value with a unit reaching `ln` at run time), None with the reason appended to the
problems ``P``: the criterion is UNKNOWN and says why. The traced form shows each argument.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...check import ir
from ...runtime.formulas import formula_value


def fast_formula(g, node: ir.Formula) -> str:
    args = [g.fast(a) for a in node.args]
    out = g.tmp()
    g.line(f"{out} = _formula({g.c(node.func)}, ({''.join(a + ', ' for a in args)}), P)")
    return out


def traced_formula(g, node: ir.Formula):
    kids = [g.traced(a) for a in node.args]
    out = g.tmp()
    g.line(f"{out} = _formula({g.c(node.func)}, ({''.join(k.v + ', ' for k in kids)}), P)")
    return g.trace_leaf(node, out, *kids)


FORMULA_FAST: dict[type, Callable[[Any, Any], str]] = {ir.Formula: fast_formula}
FORMULA_TRACED: dict[type, Callable[[Any, Any], Any]] = {ir.Formula: traced_formula}
FORMULA_NAMES: dict[str, Any] = {"_formula": formula_value}
