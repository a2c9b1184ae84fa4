"""Generation rules for counting over items (lang11b): `count items with COND of latest Q`; and for the worst /
best value in a window, `highest F of Q` (support_sequences).

A query node: its rules are the history rules' (``generator_history``); its aggregate is
``support_items.item_count``, with COND generated like an `all ... have` condition (run on each item).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...check import ir
from . import support_items as SI
from . import support_sequences as SQ


def item_count_call(g, node: ir.ItemCount, r: str, traced: bool, traces: str | None) -> str:
    cond = g.condition_function(node, traced)
    name = g.c(node.query.codeset) if node.query.codeset else "None"
    latest = node.which == "latest"
    env = "(F, E, C, B, BP, M, P, D)"
    if traced:
        return f"_item_count_traced({r}, {latest}, {name}, {cond}, {env}, M, {traces}, {g.node_ref(node.condition)})"
    return f"_item_count({r}, {latest}, {name}, {cond}, {env}, M)"


def extreme_call(g, node: ir.Extreme, r: str, traced: bool, traces: str | None) -> str:
    """`highest F of Q` / `lowest F of Q` (sequences, lang11b)."""
    name = g.c(node.query.codeset) if node.query.codeset else "None"
    return f"_extreme({r}, {node.which == 'highest'}, {g.c(node.field)}, {name}, M, P)"


ITEM_AGGREGATE_CALLS: dict[type, Callable[..., str]] = {ir.ItemCount: item_count_call, ir.Extreme: extreme_call}
ITEM_NAMES: dict[str, Any] = {"_item_count": SI.item_count, "_item_count_traced": SI.item_count_traced,
                              "_extreme": SQ.extreme_value}
