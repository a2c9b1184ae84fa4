"""`all Q have C` and `change in F of Q` in SQL, on the per-query counts of ``queries.py`` and the picks of
``picks.py``, with the Python backend's rules (``support.all_value``, ``support.change_value``).

`all`: one more count per query and condition, over the events of the window: matched events whose condition
is false (``f``) or unknown (``u``), undecided events whose condition is not true (``x``).  False as soon as a
matched event fails; unknown when one is unknown or an undecided one might fail; unknown where the history is
not complete over the window; else true (no event at all, over a complete history, is true).

`change`: the field of the latest matched event minus that of the earliest (start date, then id), from two
picks over the same query.  Unknown with an undecided event, without coverage, with fewer than two matched
events or when the first and last start on the same day, or when either value is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlglot import exp

from ...check import ir
from ...records.model import COLLECTIONS
from ...runtime import quantity as Q
from . import values as SV
from .expressions import Unsupported
from .schema import field_column
from .values import TRUE, UNKNOWN, V


def _eq(e: exp.Expression, t: int) -> exp.Expression:
    return exp.EQ(this=exp.paren(e), expression=SV.truth_lit(t))


class FormRules:
    """Relies on QueryRules and PickRules (``window_of``, ``query_ref``, ``covered``, ``counts``, ``derive``)."""

    def r_all(self, node: ir.All, ev: Any) -> V:
        if ev is not None:
            raise Unsupported(node, "a query inside a query's condition")
        q = node.query
        window = self.window_of(q)
        if window is None:
            return SV.truth(SV.truth_lit(UNKNOWN))
        if window.is_empty():
            return SV.truth(SV.truth_lit(TRUE))
        ref = self.query_ref(q, window)
        cond = self.truth_of(node.condition, ("e", q.collection)).expr
        if any(col.table != "e" for col in cond.find_all(exp.Column)):
            raise Unsupported(node.condition, "`all ... have` a condition that reads more than the record's fields")
        per = self.__dict__["_per_collection"][q.collection]
        extras = per.setdefault("extras", [])
        names = []
        for suffix, when in (("f", lambda s, c=cond: SV.AND(_eq(s, TRUE), _eq(c.copy(), SV.FALSE))),
                             ("u", lambda s, c=cond: SV.AND(_eq(s, TRUE), _eq(c.copy(), UNKNOWN))),
                             ("x", lambda s, c=cond: SV.AND(_eq(s, UNKNOWN), exp.NEQ(
                                 this=exp.paren(c.copy()), expression=SV.truth_lit(TRUE))))):
            name = f"q{ref.index}_all{len(extras)}_{suffix}"
            extras.append((name, ref.index, when))
            names.append(exp.Coalesce(this=exp.column(name, ref.alias, quoted=True), expressions=[SV.num(0)]))
        failed, unsure, maybe = names
        covered = self.covered(ref)
        positive = exp.GT
        expr = SV.case((positive(this=failed, expression=SV.num(0)), SV.FALSE),
                       (SV.OR(positive(this=unsure, expression=SV.num(0)),
                              positive(this=maybe, expression=SV.num(0))), UNKNOWN),
                       (SV.NOT(covered.copy()), UNKNOWN), default=TRUE)
        derived = self.derive(expr)
        label = f"{ref.collection} history complete over {window}"
        fine = SV.AND(*(exp.EQ(this=n.copy(), expression=SV.num(0)) for n in names))
        return SV.truth(derived, [(label, SV.AND(fine, SV.NOT(covered.copy())))])

    def r_change(self, node: ir.Change, ev: Any) -> V:
        if ev is not None:
            raise Unsupported(node, "a query inside a query's condition")
        q = node.query
        spec = COLLECTIONS[q.collection].fields.get(node.field)
        kind = spec.type.kind if spec is not None else None
        if kind != "number":
            raise Unsupported(node, f"`change in` the field `{node.field}` (of type {kind})")
        window = self.window_of(q)
        where = f" in {q.codeset}" if q.codeset else ""
        two = f"two records of {q.collection}{where} in {window}"
        if window is None:
            return SV.exact(exp.null(), node.type)
        if window.is_empty():
            return SV.exact(exp.null(), node.type, [(two, exp.true())])
        ref = self.query_ref(q, window)
        picks = self.__dict__.setdefault("_picks", [])
        column = field_column(q.collection, node.field)
        aliases = []
        for latest in (True, False):
            alias = f"pv{len(picks)}"
            picks.append((alias, ref, column, latest))
            self.joins[alias] = alias
            aliases.append(alias)
        last, first = ({c: exp.column(c, a, quoted=True) for c in ("v", "s")} for a in aliases)
        matched, undecided = self.counts(ref)
        covered = self.covered(ref)
        few = SV.OR(exp.LT(this=matched.copy(), expression=SV.num(2)),
                    exp.EQ(this=last["s"].copy(), expression=first["s"].copy()))
        diff = exp.Sub(this=last["v"].copy(), expression=first["v"].copy())
        value = (exp.Case().when(exp.GT(this=undecided.copy(), expression=SV.num(0)), exp.null())
                 .when(SV.NOT(covered.copy()), exp.null()).when(few.copy(), exp.null()).else_(diff))
        sure = SV.AND(exp.EQ(this=undecided.copy(), expression=SV.num(0)), covered.copy())
        missing = [
            (f"{q.collection} history complete over {window}",
             SV.AND(exp.EQ(this=undecided.copy(), expression=SV.num(0)), SV.NOT(covered.copy()))),
            (two, SV.AND(sure.copy(), few.copy())),
            (f"{q.collection}: {node.field}", SV.AND(sure.copy(), SV.NOT(few.copy()), SV.OR(
                last["v"].copy().is_(exp.null()), first["v"].copy().is_(exp.null())))),
        ]
        return SV.exact(self.derive(value), node.type, missing)


    def r_lookup(self, node: ir.Lookup, ev: Any) -> V:
        """`tab[code]` on the event a query looks at (``support.lookup``): the value of the first entry whose
        code set holds one of the event's codings; unknown when none does or the event has no coding."""
        if ev is None or not (isinstance(node.key, ir.FieldRef) and node.key.name == "code"):
            raise Unsupported(node, "a table lookup on anything but the `code` of a query's record")
        spec = self.trial.tables[node.table]
        values = [v for _, v in spec.entries]
        units = {getattr(v, "unit", None) for v in values}
        if len(units) > 1 or not all(isinstance(v, Decimal | Q.Quantity) and not isinstance(v, bool)
                                     for v in values):
            raise Unsupported(node, "a table lookup whose values are not numbers or quantities in one unit")
        unit = units.pop() if units else None
        if not spec.entries:
            return SV.exact(exp.null(), node.type, unit=unit)
        out = exp.Case()
        for hit, value in self.lookup_pieces(node, ev):
            out = out.when(hit, SV.lit(value.value if isinstance(value, Q.Quantity) else value))
        return SV.exact(out.else_(exp.null()), node.type, unit=unit)

    def lookup_pieces(self, node: ir.Lookup, ev: Any) -> list[tuple[exp.Expression, Any]]:
        """Per entry of the table, in order: (the event's code is in its code set, the entry's value)."""
        alias, collection = ev
        out = []
        for name, value in self.trial.tables[node.table].entries:
            hit = self.hit_column(collection, alias, name)
            out.append((exp.EQ(this=hit, expression=SV.num(2)), value))  # queries.HIT_IN
        return out


FORM_RULES: dict[type, Callable[[Any, Any, Any], V]] = {
    ir.All: FormRules.r_all,
    ir.Change: FormRules.r_change,
    ir.Lookup: FormRules.r_lookup,
}

