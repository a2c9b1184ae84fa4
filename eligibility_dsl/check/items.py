"""Checks for counting over items (lang11b): `count items with score >= 4 of latest assessments in cmai ...`,
and for the worst / best value in a window: `highest value of observations in creatinine during ...`.

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
        self.error("E0174", f"only assessments have items, not `{q.collection}`",
                   n.query.collection_span or n.query.span,
                   "count the items of an assessment, e.g. `count items with score >= 3 of latest assessments in cmai`")
        return ir.Const(T.ERROR, None, span=n.span)
    self._warn_unbounded(q, n.query.span)
    self.scope.append(ITEM_FIELDS)
    condition = self.condition(n.condition, "`with`")
    self.scope.pop()
    return ir.ItemCount(T.NUMBER, n.which, q, condition, span=n.span)


def check_extreme(self, n: A.Extreme):
    """`highest F of Q` (sequences, lang11b): F must be a number, a quantity or an observation's value."""
    q, collection = self.query(n.query)
    field = self._field(collection, n.field, n.span) if collection else None
    if q is None or field is None:
        return ir.Const(T.ERROR, None, span=n.span)
    if field.type.kind not in ("number", "quantity", "any"):
        self.error("E0201", f"`{n.field}` is {field.type.describe()}, not a number or quantity", n.span,
                   f"`{n.which}` compares values: name a numeric field such as `value` or `score`")
        return ir.Const(T.ERROR, None, span=n.span)
    self._warn_unbounded(q, n.query.span)
    return ir.Extreme(field.type, n.which, n.field, q, span=n.span)


ITEMS_EXPR: dict[type, Callable] = {A.ItemCount: check_item_count, A.Extreme: check_extreme}
