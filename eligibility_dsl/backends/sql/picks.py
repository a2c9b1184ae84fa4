"""`latest`/`earliest FIELD of Q` (``support.pick_value``): the matched event that comes last (or first) by
start date, then event id, and its field; unknown where the history is not complete over the window, where
nothing matched, where an undecided event could come later (earlier), or where the field is missing.

An event's order is the text ``start_date || event_id`` (ISO dates have a fixed width, so comparing these
texts compares (start date, id) as the Python backend does).  Per pick query, one CTE gives per patient the
best matched key and the extreme undecided key; a second joins the best event back for its field.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from ...check import ir
from ...records.model import COLLECTIONS
from . import values as SV
from .expressions import ANY_COLUMNS, Unsupported
from .schema import TABLES, field_column
from .values import TRUE, UNKNOWN, V, table

_KINDS = ("date", "number", "code", "text")
_ANY = ("kind", "boolean", "number", "unit", "text", "dims", "num", "den")


def _key(alias: str) -> exp.Expression:
    return exp.Concat(expressions=[exp.cast(exp.column("start_date", alias, quoted=True), "VARCHAR"),
                                   exp.column("event_id", alias, quoted=True)])


class PickRules:
    """Relies on QueryRules (``window_of``, ``query_ref``, ``covered``, ``derive``, ``ctes``, ``joins``)."""

    def r_pick(self, node: ir.Pick, ev: Any) -> V:
        if node.word is not None:
            raise Unsupported(node, f"a result word of the {node.which} observation (`{node.which} value of ... is "
                                    f"{node.word}`)")
        if ev is not None:
            raise Unsupported(node, "a query inside a query's condition")
        q = node.query
        spec = COLLECTIONS[q.collection].fields.get(node.field)
        kind = spec.type.kind if spec is not None else None
        if kind not in _KINDS and not (kind == "any" and node.field == "value"):
            raise Unsupported(node, f"`latest`/`earliest` of the field `{node.field}` (of type {kind})")
        window = self.window_of(q)
        if window is None:
            return SV.exact(exp.null(), node.type)
        if window.is_empty():  # covered, and nothing matched: a record in the window is what is missing
            where = f" in {q.codeset}" if q.codeset else ""
            return SV.exact(exp.null(), node.type, [(f"a record of {q.collection}{where} in {window}", exp.true())])
        ref = self.query_ref(q, window)
        picks = self.__dict__.setdefault("_picks", [])
        alias = f"pv{len(picks)}"
        picks.append((alias, ref, field_column(q.collection, node.field), node.which == "latest"))
        self.joins[alias] = alias
        covered = self.covered(ref)
        m_key, u_key, v = (exp.column(c, alias, quoted=True) for c in ("m_key", "u_key", "v"))
        later = (exp.GT if node.which == "latest" else exp.LT)(this=u_key.copy(), expression=m_key.copy())
        blocked = SV.AND(SV.NOT(u_key.copy().is_(exp.null())), later)
        value = (exp.Case().when(SV.NOT(covered.copy()), exp.null()).when(m_key.copy().is_(exp.null()), exp.null())
                 .when(blocked.copy(), exp.null()).else_(v.copy()))
        where = f" in {q.codeset}" if q.codeset else ""
        missing = [
            (f"{q.collection} history complete over {window}", SV.NOT(covered.copy())),
            (f"a record of {q.collection}{where} in {window}", SV.AND(covered.copy(), m_key.copy().is_(exp.null()))),
            (f"{q.collection}: {node.field}", SV.AND(covered.copy(), SV.NOT(m_key.copy().is_(exp.null())),
                                                    SV.NOT(blocked.copy()), v.copy().is_(exp.null()))),
        ]
        if kind == "any":  # the picked event's value columns; `kind` null where the pick is unknown
            self.__dict__.setdefault("_unit_joins", {}).setdefault(q.collection, set()).add("value_unit")
            cols = {k: exp.column(f"v_{k}", alias, quoted=True) for k in _ANY}
            cols["kind"] = (exp.Case().when(SV.NOT(covered.copy()), exp.null())
                            .when(m_key.copy().is_(exp.null()), exp.null())
                            .when(blocked.copy(), exp.null()).else_(exp.column("v_kind", alias, quoted=True)))
            cols["derive"] = True
            missing[2] = (missing[2][0], SV.AND(covered.copy(), SV.NOT(m_key.copy().is_(exp.null())),
                                                SV.NOT(blocked.copy()), exp.column("v_kind", alias, quoted=True)
                                                .is_(exp.null())))
            return V("any", cols["kind"], None, node.type, tuple(missing), cols=cols)
        return SV.exact(self.derive(value), node.type, missing)

    def finish_picks(self, collection: str, queries: dict[int, tuple]) -> None:
        """The CTEs of the picks over ``collection`` (``queries``: index -> (status, window conditions))."""
        for alias, ref, column, latest in self.__dict__.get("_picks", []):
            if ref.collection != collection:
                continue
            status, where = queries[ref.index]
            extreme = exp.Max if latest else exp.Min

            def pick(t: int, status=status, where=where, extreme=extreme) -> exp.Expression:
                cond = exp.EQ(this=exp.paren(status.copy()), expression=SV.truth_lit(t))
                for w in where:
                    cond = SV.AND(w.copy(), cond)
                return extreme(this=exp.Case().when(cond, _key("e")).else_(exp.null()))
            keys = (exp.select(exp.column("patient_id", "e", quoted=True), exp.alias_(pick(TRUE), "m_key", quoted=True),
                               exp.alias_(pick(UNKNOWN), "u_key", quoted=True))
                    .from_(table(f"ev_{collection}", "e")).group_by(exp.column("patient_id", "e", quoted=True)))
            self.ctes[f"{alias}k"] = keys
            on = SV.AND(exp.EQ(this=exp.column("patient_id", "e", quoted=True),
                               expression=exp.column("patient_id", "k", quoted=True)),
                        exp.EQ(this=_key("e"), expression=exp.column("m_key", "k", quoted=True)))
            if column == "value" and "value_kind" in dict(TABLES[collection]):  # type any: all its columns
                values = [exp.alias_(exp.column(c, "e", quoted=True), f"v_{k}", quoted=True)
                          for k, c in ANY_COLUMNS.items()]
            else:
                values = [exp.alias_(exp.column(column, "e", quoted=True), "v", quoted=True)]
            self.ctes[alias] = (exp.select(exp.column("patient_id", "k", quoted=True),
                                           exp.column("m_key", "k", quoted=True), exp.column("u_key", "k", quoted=True),
                                           *values,
                                           exp.alias_(exp.column("start_date", "e", quoted=True), "s", quoted=True))
                                .from_(table(f"{alias}k", "k")).join(table(f"ev_{collection}", "e"), on=on,
                                                                     join_type="left"))
