"""`latest`/`earliest FIELD of Q` (``support.pick_value``): the field of the matched events on the last (or
first) day they start, when they all agree on it (``runtime/ties.py``: records dated by day do not say which
of one day's events came last); unknown where the history is not complete over the window, where nothing
matched, where an undecided event starts on a later (earlier) day, where the field is missing, or where the
events of that day (undecided ones included) differ in it.

Per pick query, one CTE gives per patient the last (first) day of a matched event and of an undecided one;
a second joins the events of that day back and says, per value column, whether they agree (every value
null, or none null and the least equal to the greatest), with the agreed value. Records with times of day
are decided by the Python engine (``schema.Tables``), so the day is the whole order here.
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
        m_key, u_key, v = (exp.column(c, alias, quoted=True) for c in ("m_day", "u_day", "v"))
        later = (exp.GT if node.which == "latest" else exp.LT)(this=u_key.copy(), expression=m_key.copy())
        blocked = SV.AND(SV.NOT(u_key.copy().is_(exp.null())), later)
        split = exp.column("split", alias, quoted=True)
        settled = SV.AND(covered.copy(), SV.NOT(m_key.copy().is_(exp.null())), SV.NOT(blocked.copy()))
        value = (exp.Case().when(SV.NOT(covered.copy()), exp.null()).when(m_key.copy().is_(exp.null()), exp.null())
                 .when(blocked.copy(), exp.null()).else_(v.copy()))
        where = f" in {q.codeset}" if q.codeset else ""
        missing = [
            (f"{q.collection} history complete over {window}", SV.NOT(covered.copy())),
            (f"a record of {q.collection}{where} in {window}", SV.AND(covered.copy(), m_key.copy().is_(exp.null()))),
            (f"{q.collection}: {node.field}", SV.AND(settled.copy(), SV.NOT(split.copy()), v.copy().is_(exp.null()))),
            (f"{q.collection}: which of the records on the {node.which} day is the {node.which} (their "
             f"{node.field} differ)", SV.AND(settled.copy(), split.copy())),
        ]
        if kind == "any":  # the picked event's value columns; `kind` null where the pick is unknown
            self.__dict__.setdefault("_unit_joins", {}).setdefault(q.collection, set()).add("value_unit")
            cols = {k: exp.column(f"v_{k}", alias, quoted=True) for k in (*_ANY, "high")}
            cols["kind"] = (exp.Case().when(SV.NOT(covered.copy()), exp.null())
                            .when(m_key.copy().is_(exp.null()), exp.null())
                            .when(blocked.copy(), exp.null()).else_(exp.column("v_kind", alias, quoted=True)))
            cols["derive"] = True
            missing[2] = (missing[2][0], SV.AND(settled.copy(), SV.NOT(split.copy()),
                                                exp.column("v_kind", alias, quoted=True).is_(exp.null())))
            return V("any", cols["kind"], None, node.type, tuple(missing), cols=cols)
        return SV.exact(self.derive(value), node.type, missing)

    def finish_picks(self, collection: str, queries: dict[int, tuple]) -> None:
        """The CTEs of the picks over ``collection`` (``queries``: index -> (status, window conditions))."""
        for alias, ref, column, latest in self.__dict__.get("_picks", []):
            if ref.collection != collection:
                continue
            status, where = queries[ref.index]
            extreme = exp.Max if latest else exp.Min

            def when(*ts: int, status=status, where=where) -> exp.Expression:
                cond = SV.OR(*(exp.EQ(this=exp.paren(status.copy()), expression=SV.truth_lit(t)) for t in ts))
                for w in where:
                    cond = SV.AND(w.copy(), cond)
                return cond

            def day(t: int, extreme=extreme, when=when) -> exp.Expression:
                return extreme(this=exp.Case().when(when(t), _col("start_date", "e")).else_(exp.null()))
            keys = (exp.select(_col("patient_id", "e"), exp.alias_(day(TRUE), "m_day", quoted=True),
                               exp.alias_(day(UNKNOWN), "u_day", quoted=True))
                    .from_(table(f"ev_{collection}", "e")).group_by(_col("patient_id", "e")))
            self.ctes[f"{alias}k"] = keys
            if column == "value" and "value_kind" in dict(TABLES[collection]):  # type any: all its columns
                names = {f"v_{k}": c for k, c in ANY_COLUMNS.items()}
            else:
                names = {"v": column}
            # the events of that day, matched or undecided (an undecided one could be among them)
            day_events = (exp.select(_col("patient_id", "e"), _col("start_date", "e"),
                                     *(exp.alias_(_col(c, "e"), n, quoted=True) for n, c in names.items()))
                          .from_(table(f"ev_{collection}", "e")).where(when(TRUE, UNKNOWN)))
            on = SV.AND(exp.EQ(this=_col("patient_id", "d"), expression=_col("patient_id", "k")),
                        exp.EQ(this=_col("start_date", "d"), expression=_col("m_day", "k")))
            n = exp.Count(this=_col("start_date", "d"))
            agree = {name: SV.OR(exp.EQ(this=exp.Count(this=_col(name, "d")), expression=SV.num(0)),
                                 SV.AND(exp.EQ(this=exp.Count(this=_col(name, "d")), expression=n.copy()),
                                        exp.EQ(this=exp.Min(this=_col(name, "d")),
                                               expression=exp.Max(this=_col(name, "d")))))
                     for name in names}
            checked = [k for k in names if k in ("v", "v_kind", "v_boolean", "v_number", "v_unit", "v_text")]
            every = SV.AND(*(agree[k] for k in checked))
            if "v_kind" in names:  # coded values are never taken to agree (runtime/ties.py)
                coded = exp.Max(this=exp.Case().when(exp.EQ(this=_col("v_kind", "d"), expression=exp.Literal.string(
                    "coding")), SV.num(1)).else_(SV.num(0)))
                every = SV.AND(every, SV.OR(exp.LTE(this=n.copy(), expression=SV.num(1)),
                                            exp.EQ(this=coded, expression=SV.num(0))))
            present = exp.EQ(this=exp.Count(this=_col(checked[0], "d")), expression=n.copy())
            split = SV.AND(exp.GT(this=n.copy(), expression=SV.num(1)), present, SV.NOT(every.copy()))
            if "v_kind" in names:
                values = _any_values(names, n, agree, every)
            else:
                values = [exp.alias_(exp.Case().when(every.copy(), exp.Min(this=_col(name, "d"))).else_(exp.null()),
                                     name, quoted=True) for name in names]
            group = [_col(c, "k") for c in ("patient_id", "m_day", "u_day")]
            self.ctes[alias] = (exp.select(*(g.copy() for g in group), *values,
                                           exp.alias_(exp.Coalesce(this=split, expressions=[exp.false()]), "split",
                                                      quoted=True),
                                           exp.alias_(_col("m_day", "k"), "s", quoted=True))
                                .from_(table(f"{alias}k", "k"))
                                .join(day_events.subquery("d"), on=on, join_type="left")
                                .group_by(*group))


def _col(name: str, alias: str) -> exp.Expression:
    return exp.column(name, alias, quoted=True)


def _any_values(names: dict, n: exp.Expression, agree: dict, every: exp.Expression) -> list[exp.Expression]:
    """An observation's value from the events of the day: the one they agree on; or, where they differ only
    in their number (numbers, or quantities in one unit: ``runtime/ties.value_range``), the range from the
    least to the greatest number, as kind `range` with the greatest in ``v_high``; else null."""
    kind = exp.Min(this=_col("v_kind", "d"))
    ranged = SV.AND(exp.GT(this=n.copy(), expression=SV.num(1)),
                    exp.EQ(this=exp.Count(this=_col("v_kind", "d")), expression=n.copy()),
                    agree["v_kind"].copy(), exp.In(this=kind.copy(), expressions=[exp.Literal.string("number"),
                                                                                  exp.Literal.string("quantity")]),
                    agree["v_unit"].copy(), agree["v_boolean"].copy(), agree["v_text"].copy(),
                    exp.EQ(this=exp.Count(this=_col("v_number", "d")), expression=n.copy()),
                    SV.NOT(agree["v_number"].copy()))
    known = SV.OR(every.copy(), exp.paren(ranged.copy()))
    out = [exp.alias_(exp.Case().when(every.copy(), kind.copy()).when(ranged.copy(), exp.Literal.string("range"))
                      .else_(exp.null()), "v_kind", quoted=True)]
    for name in names:
        if name == "v_kind":
            continue
        when = every if name in ("v_boolean", "v_text") else known
        out.append(exp.alias_(exp.Case().when(when.copy(), exp.Min(this=_col(name, "d"))).else_(exp.null()), name,
                              quoted=True))
    out.append(exp.alias_(exp.Case().when(ranged.copy(), exp.Max(this=_col("v_number", "d"))).else_(exp.null()),
                          "v_high", quoted=True))
    return out
