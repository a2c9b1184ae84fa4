"""Checks for counting over items (lang11b): `count items with score >= 4 of latest assessments in cmai ...`.

The query must be over `assessments`; inside `with`, bare names are the item's fields (`score`, `item`).
"""

from __future__ import annotations

from collections.abc import Callable

from ..language import ast as A
from ..language import types as T
from ..records.model import ITEM_FIELDS
from . import ir


def check_item_count(self, n: A.ItemCount):
    q, _ = self.query(n.query)
    if q is None:
        return ir.Const(T.ERROR, None, span=n.span)
    if q.collection != "assessments":
        self.error("E0170", f"only assessments have items, not `{q.collection}`",
                   n.query.collection_span or n.query.span,
                   "count the items of an assessment, e.g. `count items with score >= 3 of latest assessments in cmai`")
        return ir.Const(T.ERROR, None, span=n.span)
    self._warn_unbounded(q, n.query.span)
    self.scope.append(ITEM_FIELDS)
    condition = self.condition(n.condition, "`with`")
    self.scope.pop()
    return ir.ItemCount(T.NUMBER, n.which, q, condition, span=n.span)


ITEMS_EXPR: dict[type, Callable] = {A.ItemCount: check_item_count}
