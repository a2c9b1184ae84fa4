"""Generation rules for laboratory-result words (`value is positive`) and daily totals.

`value is WORD` reads the observation the enclosing query is looking at (``ev``) and calls
``support_labs.result_is``; its traced form keeps the rule used (interpretation, coded value, value against
the reference range) as the trace's note.  `highest daily total of AMOUNT over Q` is a query node: its
rules are the history rules' (``generator_history``), with ``support_labs.daily_total_value`` as its
aggregate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...check import ir
from . import support_labs as SL


def fast_result_is(g, node: ir.ResultIs) -> str:
    out = g.tmp()
    g.line(f"{out} = _result_is(ev, {g.c(node.word)}, M, P)")
    return out


def traced_result_is(g, node: ir.ResultIs):
    pair, out, note = g.tmp(), g.tmp(), g.tmp()
    g.line(f"{pair} = _result_trace(ev, {g.c(node.word)}, M, P)")
    g.line(f"{out}, {note} = {pair}")
    return g.trace_leaf(node, out, note=note)


LAB_FAST: dict[type, Callable[[Any, Any], str]] = {ir.ResultIs: fast_result_is}
LAB_TRACED: dict[type, Callable[[Any, Any], Any]] = {ir.ResultIs: traced_result_is}
LAB_NAMES: dict[str, Any] = {
    "_result_is": SL.result_is,
    "_result_trace": SL.result_trace,
    "_daily_total": SL.daily_total_value,
    "_daily_total_traced": SL.daily_total_traced,
    "_pick_result": SL.pick_result,
    "_pick_result_traced": SL.pick_result_traced,
    "_query_trace_rule": SL.query_trace_rule,
}
