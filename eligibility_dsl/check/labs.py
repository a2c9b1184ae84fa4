"""Checks for the laboratory-result words (`value is positive`) and concurrent daily totals
(`highest daily total of AMOUNT over Q`).

A mixin of :class:`eligibility_dsl.check.Checker`, like ``history.py``; it relies on the Checker's
``error``, ``expr``, ``query``, ``scope`` and ``text_of``.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from ..diagnostics import suggest
from ..language import ast as A
from ..language import types as T
from ..runtime.labs import RESULT_WORDS
from . import ir

_ANY_QUANTITY = T.Type("quantity")


class LabChecks:
    def _result_is(self, n: A.ResultIs):
        if n.word not in RESULT_WORDS:
            self.error("E0140", f"unknown result word `{n.word}`", n.word_span or n.span,
                       suggest(n.word, RESULT_WORDS) or f"a result is one of: {', '.join(RESULT_WORDS)}")
            return ir.Const(T.ERROR, None, span=n.span)
        if isinstance(n.operand, A.Pick) and n.operand.field == "value":
            picked = self._result_of_pick(n)
            if picked is not None:
                return picked
        in_observations = bool(self.scope) and self.scope[-1].name == "observations"
        if not (isinstance(n.operand, A.Name) and n.operand.id == "value" and in_observations):
            self.error("E0141", f"`is {n.word}` asks about a laboratory result, not about "
                       f"`{self.text_of(n.operand)}`", n.span,
                       f"write `value is {n.word}` inside a query over observations, e.g. "
                       f"`exists observations in ana where value is {n.word} during before screening`, "
                       f"or ask it of one observation: `latest value of observations in ana is {n.word}`")
            return ir.Const(T.ERROR, None, span=n.span)
        return ir.ResultIs(T.BOOLEAN, n.word, span=n.span)

    def _result_of_pick(self, n: A.ResultIs):
        """`latest value of observations in ana is positive`: the word asked of the picked observation as a
        whole (the rule reads its interpretation and reference range too), anywhere a boolean may stand."""
        pick = self.expr(n.operand)
        if not isinstance(pick, ir.Pick):
            return ir.Const(T.ERROR, None, span=n.span)
        if pick.query.collection != "observations":
            self.error("E0141", f"`is {n.word}` asks about a laboratory result, not about "
                       f"`{self.text_of(n.operand)}`", n.span,
                       f"ask it of observations, e.g. `latest value of observations in ana during 1 year "
                       f"before screening is {n.word}`")
            return ir.Const(T.ERROR, None, span=n.span)
        return attrs.evolve(pick, type=T.BOOLEAN, word=n.word, span=n.span)

    def _daily_total(self, n: A.DailyTotal):
        q, collection = self.query(n.query)
        if q is None:
            return ir.Const(T.ERROR, None, span=n.span)
        if collection.point:
            self.error("E0142", f"`highest daily total` adds up the records active on each day, but "
                       f"{collection.name} are events of a single day", n.query.span,
                       "use it over records with a period, such as medications")
            return ir.Const(T.ERROR, None, span=n.span)
        if q.window is None or q.window.low is None or q.window.high is None:
            self.error("E0113", "`highest daily total` needs a window with a start and an end", n.query.span,
                       "say over which days, e.g. `during 30 days before first_dose`")
            return ir.Const(T.ERROR, None, span=n.span)
        self.scope.append(collection)
        amount = self.expr(n.amount)
        self.scope.pop()
        typ = _ANY_QUANTITY if amount.type.kind == "any" else amount.type
        if typ.kind not in ("number", "quantity", "error"):
            self.error("E0201", f"a daily total adds up numbers or quantities, found `{self.text_of(n.amount)}` "
                       f"({amount.type.describe()})", n.amount.span,
                       "e.g. `highest daily total of daily_dose over ...`")
            return ir.Const(T.ERROR, None, span=n.span)
        if typ.is_error:
            return ir.Const(T.ERROR, None, span=n.span)
        return ir.DailyTotal(typ, amount, q, span=n.span)


LAB_EXPR: dict[type, Callable] = {
    A.ResultIs: LabChecks._result_is,
    A.DailyTotal: LabChecks._daily_total,
}
