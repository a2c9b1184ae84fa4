"""Queries over event collections: one common table expression per distinct query, giving per patient the
number of *matched* events and of *undecided* ones (an uncoded event in a coded query, an event whose filter
is unknown), exactly as ``backends/python/support.select`` sorts them; and code-set membership.

An event belongs to a query's window when its period overlaps it (``start_date <= last`` and ``end_date``
null or ``>= first``, the window's inclusive whole days, computed in Python from the anchors).  Whether the
history is complete over the window is ``coverage.covers``, in SQL over the patient's coverage row (no row:
not covered).  Aggregates then follow ``support.exists_value`` / ``count_value``; a score is the sum over
categories of the highest weight whose condition holds, known between the lowest and highest sums.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
from sqlglot import exp

from ...check import ir
from ...runtime.codes import BROADER, CodeSet
from ...runtime.events import Window
from . import values as SV
from .calc import CALC_RULES, CalcRules
from .expressions import Unsupported
from .forms import FORM_RULES, FormRules
from .picks import PickRules
from .schema import TABLES, field_column
from .sweeps import SWEEP_RULES, SweepRules
from .totals import TOTAL_RULES, TotalRules
from .values import NOCONST, TRUE, UNKNOWN, V, table

ALL_TIME = Window(None, None, True, True)
# A hit column's values (``code_hits``): a coding in the code set; only a malformed coding, which may be a
# garbled code of the set (docs/patient_model.md, "Malformed codes"); codings none of which is in it.
HIT_IN, HIT_MAYBE, HIT_OUT = 2, 1, 0
MALFORMED = "?"  # the codes table's system of a malformed coding starts with it (schema.Tables)


@attrs.frozen
class QueryRef:
    alias: str
    collection: str
    window: Window
    codeset: str | None
    index: int


def _date(ordinal: int) -> exp.Expression:
    return SV.lit(datetime.date.fromordinal(ordinal))


def codeset_predicate(codeset: CodeSet, system: exp.Expression, code: exp.Expression) -> exp.Expression:
    """Whether a coding (two columns) is in the code set, class prefixes and BROADER systems included."""
    exact: dict[str, set[str]] = {s: set(c) for s, c in codeset._exact.items()}
    prefixes: dict[str, list[str]] = {s: list(p) for s, p in codeset._prefixes.items()}
    for narrow, broad in BROADER.items():
        while broad is not None:
            if broad in codeset._exact:
                exact.setdefault(narrow, set()).update(codeset._exact[broad])
            if broad in codeset._prefixes:
                prefixes.setdefault(narrow, []).extend(codeset._prefixes[broad])
            broad = BROADER.get(broad)
    conds: list[exp.Expression] = []
    for s in sorted(set(exact) | set(prefixes)):
        parts: list[exp.Expression] = []
        if exact.get(s):
            parts.append(exp.In(this=code.copy(), expressions=[exp.Literal.string(c) for c in sorted(exact[s])]))
        for p in sorted(set(prefixes.get(s, ()))):
            parts.append(exp.EQ(this=exp.Substring(this=code.copy(), start=SV.num(1), length=SV.num(len(p))),
                                expression=exp.Literal.string(p)))
        inner = parts[0]
        for part in parts[1:]:
            inner = SV.OR(inner, part)
        conds.append(SV.AND(exp.EQ(this=system.copy(), expression=exp.Literal.string(s)), exp.paren(inner)))
    if not conds:
        return exp.false()
    out = conds[0]
    for c in conds[1:]:
        out = SV.OR(out, c)
    return exp.paren(out)


class QueryRules(CalcRules, FormRules, SweepRules, PickRules, TotalRules):
    """Relies on ScalarRules (``value``, ``truth_of``, ``constant_value``) and on ``self.codesets``,
    ``self.ctes`` (name -> select), ``self.joins`` (alias -> (table expression, on-condition))."""

    def history_rule(self, node: ir.Node) -> Callable | None:
        return HISTORY_RULES.get(type(node))

    def event_column(self, alias: str, collection: str, name: str) -> exp.Expression:
        return exp.column(field_column(collection, name), alias, quoted=True)

    def window_of(self, q: ir.Query) -> Window | None:
        """The query's window from its constant bounds; None when a bound it has is unknown."""
        w = q.window
        if w is None:
            return ALL_TIME
        if w.starts_only:
            raise Unsupported(q, "a window on start dates (`starting during`)")
        times = getattr(self.anchors, "times", {})
        if w.exact is not None and any(getattr(n, "name", None) in times for n in w.exact[::2]):
            raise Unsupported(q, "a window in hours or minutes on an anchor given as a date-time (exact instants)")
        bounds = []
        for b in (w.low, w.high):
            if b is None:
                bounds.append(None)
                continue
            value = self.constant_value(b)
            if value is NOCONST:
                raise Unsupported(b, "a window bound that depends on the patient's data")
            if value is None:
                return None
            bounds.append(value)
        return Window(bounds[0], bounds[1], w.low_closed, w.high_closed)

    def query_ref(self, q: ir.Query, window: Window) -> QueryRef:
        """Register a query: its counts are two columns of its collection's aggregate (``finish_queries``)."""
        key = (q, window)
        refs = self.__dict__.setdefault("_queries", {})
        replay = self.__dict__.setdefault("_query_defers", {})  # each criterion reading the query gets its defers
        if key in refs:
            self.defers.extend(d.copy() for d in replay[key] if d not in self.defers)
            return refs[key]
        before = len(self.defers)
        per = self.__dict__.setdefault("_per_collection", {})
        entry = per.setdefault(q.collection, {"queries": [], "codesets": []})
        ev = ("e", q.collection)
        filt = self.truth_of(q.filter, ev).expr if q.filter is not None else SV.truth_lit(TRUE)
        if any(col.table != "e" for col in filt.find_all(exp.Column)):
            raise Unsupported(q.filter, "a query's condition that reads more than the record's fields (a fact)")
        if q.codeset is not None:
            hit = self.hit_column(q.collection, "e", q.codeset)
            maybe = exp.EQ(this=hit.copy(), expression=SV.num(HIT_MAYBE))  # undecided unless the filter says no
            status: exp.Expression = (exp.Case().when(hit.is_(exp.null()), SV.truth_lit(UNKNOWN))
                                      .when(exp.EQ(this=hit.copy(), expression=SV.num(HIT_OUT)), SV.truth_lit(SV.FALSE))
                                      .when(maybe, SV.extremum("LEAST", [filt.copy(), SV.truth_lit(UNKNOWN)]))
                                      .else_(filt))
        else:
            status = filt
        where: list[exp.Expression] = []
        if window.last is not None:
            where.append(exp.LTE(this=exp.column("start_date", "e", quoted=True), expression=_date(window.last)))
        if window.first is not None:
            end = exp.column("end_date", "e", quoted=True)
            where.append(exp.paren(SV.OR(end.is_(exp.null()),
                                           exp.GTE(this=end.copy(), expression=_date(window.first)))))
        replay[key] = self.defers[before:]
        k = len(refs)
        entry["queries"].append((k, status, where))
        ref = refs[key] = QueryRef(f"a_{q.collection}", q.collection, window, q.codeset, k)
        return ref

    def finish_queries(self) -> None:
        """One pass per collection: its events with a hit flag per code set, then per patient the matched and
        undecided counts of every query over it (``q<k>_m``, ``q<k>_u``)."""
        for collection, entry in self.__dict__.get("_per_collection", {}).items():
            events = exp.select(exp.Star()).from_(table(collection, "e"))
            if entry["codesets"]:
                hits = self.code_hits(collection, entry["codesets"])
                cols = [exp.column(c, "e", quoted=True) for c, _ in TABLES[collection]]
                cols += [exp.column(f"hit_{i}", "h", quoted=True) for i in range(len(entry["codesets"]))]
                events = exp.select(*cols).from_(table(collection, "e")).join(table(hits, "h"), on=SV.AND(
                    exp.EQ(this=exp.column("patient_id", "h", quoted=True),
                           expression=exp.column("patient_id", "e", quoted=True)),
                    exp.EQ(this=exp.column("event_id", "h", quoted=True),
                           expression=exp.column("event_id", "e", quoted=True))), join_type="left")
            units = self.__dict__.get("_unit_joins", {}).get(collection)
            if units:  # quantities from the data compared: their units looked up
                events = self.with_units(events, sorted(units))
            # each query's status of each event, computed once here (``s<k>``) and read by every count, pick
            # and sweep over the query
            statuses = [exp.alias_(status, f"s{k}", quoted=True) for k, status, _ in entry["queries"]]
            if statuses:
                inner = exp.Subquery(this=events, alias=exp.TableAlias(this=exp.to_identifier("e", quoted=True)))
                events = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier("e", quoted=True)),
                                    *statuses).from_(inner)
                entry["queries"] = [(k, exp.column(f"s{k}", "e", quoted=True), where)
                                    for k, _, where in entry["queries"]]
            self.ctes[f"ev_{collection}"] = events
            outputs = [exp.column("patient_id", "e", quoted=True)]
            for k, status, where in entry["queries"]:
                inside = where[0] if where else None
                for cond in where[1:]:
                    inside = SV.AND(inside, cond)
                for t, suffix in ((TRUE, "m"), (UNKNOWN, "u")):
                    hit = exp.EQ(this=exp.paren(status.copy()), expression=SV.truth_lit(t))
                    cond = hit if inside is None else SV.AND(inside.copy(), hit)
                    outputs.append(exp.alias_(exp.Sum(this=exp.Case().when(cond, SV.num(1)).else_(SV.num(0))),
                                              f"q{k}_{suffix}", quoted=True))
            for name, k, count_when in entry.get("extras", ()):  # further per-event counts (`all`: forms.py)
                status, where = next((s, w) for j, s, w in entry["queries"] if j == k)
                cond = count_when(status.copy())
                for w in where:
                    cond = SV.AND(w.copy(), cond)
                outputs.append(exp.alias_(exp.Sum(this=exp.Case().when(cond, SV.num(1)).else_(SV.num(0))),
                                          name, quoted=True))
            for name, cond in entry.get("anywhere", ()):  # events of the collection, whatever the query (count_events)
                outputs.append(exp.alias_(exp.Sum(this=exp.Case().when(cond, SV.num(1)).else_(SV.num(0))), name,
                                          quoted=True))
            alias = f"a_{collection}"
            self.ctes[alias] = (exp.select(*outputs).from_(table(f"ev_{collection}", "e"))
                                .group_by(exp.column("patient_id", "e", quoted=True)))
            self.joins[alias] = alias
            queries = {k: (status, where) for k, status, where in entry["queries"]}
            self.finish_picks(collection, queries)
            self.finish_sweeps(collection, queries)
            self.finish_totals(collection, queries)

    def count_events(self, collection: str, cond: exp.Expression) -> exp.Expression:
        """Whether some event of the collection (any, in or out of a query's window) meets ``cond`` (over the
        event columns, alias ``e``): a per-patient condition."""
        per = self.__dict__.setdefault("_per_collection", {}).setdefault(collection, {"queries": [], "codesets": []})
        anywhere = per.setdefault("anywhere", [])
        name = f"any{len(anywhere)}"
        anywhere.append((name, cond))
        self.joins.setdefault(f"a_{collection}", f"a_{collection}")
        column = exp.column(name, f"a_{collection}", quoted=True)
        return exp.GT(this=exp.Coalesce(this=column, expressions=[SV.num(0)]), expression=SV.num(0))

    def with_units(self, events: exp.Select, units: list[str]) -> exp.Select:
        """The events with each unit column looked up in the units table (``<column>_dims``, ``_num``, ``_den``;
        null for a unit text that does not parse)."""
        inner = exp.Subquery(this=events, alias=exp.TableAlias(this=exp.to_identifier("e", quoted=True)))
        every = exp.Column(this=exp.Star(), table=exp.to_identifier("e", quoted=True))
        out = exp.select(every).from_(inner)
        for i, unit in enumerate(units):
            u = f"u{i}"
            out = out.select(*(exp.alias_(exp.column(c, u, quoted=True), f"{unit}_{c}", quoted=True)
                               for c in ("dims", "num", "den")), copy=False)
            out = out.join(table("units", u), on=exp.EQ(this=exp.column("unit", u, quoted=True),
                                                       expression=exp.column(unit, "e", quoted=True)),
                           join_type="left", copy=False)
        return out

    def hit_column(self, collection: str, alias: str, codeset: str, field: str = "code") -> exp.Expression:
        """The column of the collection's events saying whether the coding(s) of ``field`` are in ``codeset``
        (``code_hits``): HIT_IN, HIT_MAYBE, HIT_OUT, or null when the event has no coding in that field."""
        per = self.__dict__.setdefault("_per_collection", {}).setdefault(collection, {"queries": [], "codesets": []})
        key = (field, codeset)
        if key not in per["codesets"]:
            per["codesets"].append(key)
        return exp.column(f"hit_{per['codesets'].index(key)}", alias, quoted=True)

    def code_hits(self, collection: str, codesets: list[tuple[str, str]]) -> str:
        """A CTE: per coded event of the collection, for each (field, code set) HIT_IN when one of the field's
        codings is in it, else HIT_MAYBE when one is malformed, else HIT_OUT; null when the field has no coding
        (no row: the event has none)."""
        alias = f"h_{collection}"
        system, code = exp.column("system", "c", quoted=True), exp.column("code", "c", quoted=True)
        cols = [exp.column("patient_id", "c", quoted=True), exp.column("event_id", "c", quoted=True)]
        for i, (field, name) in enumerate(codesets):
            member = codeset_predicate(self.codesets[name], system, code)
            in_field = exp.EQ(this=exp.column("field", "c", quoted=True), expression=exp.Literal.string(field))
            malformed = exp.EQ(this=exp.Substring(this=system.copy(), start=SV.num(1), length=SV.num(1)),
                               expression=exp.Literal.string(MALFORMED))
            cols.append(exp.alias_(exp.Max(this=exp.Case().when(SV.AND(in_field, member), SV.num(HIT_IN))
                                           .when(SV.AND(in_field.copy(), malformed), SV.num(HIT_MAYBE))
                                           .when(in_field.copy(), SV.num(HIT_OUT)).else_(exp.null())),
                                   f"hit_{i}", quoted=True))
        self.ctes[alias] = (exp.select(*cols).from_(table("codes", "c"))
                            .where(exp.EQ(this=exp.column("collection", "c", quoted=True),
                                          expression=exp.Literal.string(collection)))
                            .group_by(exp.column("patient_id", "c", quoted=True),
                                      exp.column("event_id", "c", quoted=True)))
        return alias

    def r_in_codeset(self, node: ir.InCodeset, ev: Any) -> V:
        """`FIELD in CODESET` on the event a query looks at (a coded field: `code`, `reason`, `body_site`,
        `interpretation`; or an observation's `value`): unknown when the field is absent, as in
        ``support``; a value that is not a coding is in no code set."""
        field = node.operand
        if ev is None or not isinstance(field, ir.FieldRef) or field.type.kind not in ("coding", "any"):
            raise Unsupported(node, "`in` a code set on anything but a coded field of a query's record")
        alias, collection = ev
        hit = self.hit_column(collection, alias, node.codeset, field.name)
        inside, outside = (SV.FALSE, TRUE) if node.negated else (TRUE, SV.FALSE)
        absent = hit.is_(exp.null())
        if field.type.kind == "any":  # a value of another kind is in no code set
            absent = SV.AND(absent, exp.column("value_kind", alias, quoted=True).is_(exp.null()))
        expr = SV.case((absent, UNKNOWN), (exp.EQ(this=hit.copy(), expression=SV.num(HIT_IN)), inside),
                       (exp.EQ(this=hit.copy(), expression=SV.num(HIT_MAYBE)), UNKNOWN), default=outside)
        return SV.truth(expr, [(f"{collection} {{event}}: {field.name}", absent.copy())])

    def covered(self, ref: QueryRef) -> exp.Expression:
        """``Coverage.covers(window)`` as a non-null SQL boolean (an empty window is always covered)."""
        w = ref.window
        if w.is_empty():
            return exp.true()
        if w.last is None:
            return exp.false()
        # the coverage rows, one per patient and collection, pivoted once into columns (criteria.py)
        self.__dict__.setdefault("_coverage", set()).add(ref.collection)
        self.joins.setdefault("cov", "cov")
        c = ref.collection
        low, high = exp.column(f"{c}_low", "cov", quoted=True), exp.column(f"{c}_high", "cov", quoted=True)
        single = exp.EQ(this=exp.column(f"{c}_n", "cov", quoted=True), expression=SV.num(1))  # two rows: unknown
        cond = SV.AND(single, exp.GTE(this=high, expression=_date(w.last)))
        start = low.is_(exp.null()) if w.first is None else SV.OR(
            low.is_(exp.null()), exp.LTE(this=low.copy(), expression=_date(w.first)))
        return exp.Coalesce(this=SV.AND(cond, exp.paren(start)), expressions=[exp.false()])

    def counts(self, ref: QueryRef) -> tuple[exp.Expression, exp.Expression]:
        def col(name: str) -> exp.Expression:
            return exp.Coalesce(this=exp.column(name, ref.alias, quoted=True), expressions=[SV.num(0)])
        return col(f"q{ref.index}_m"), col(f"q{ref.index}_u")

    def r_aggregate(self, node: ir.Aggregate, ev: Any) -> V:
        if ev is not None:
            raise Unsupported(node, "a query inside a query's condition")
        if node.kind == "days_on":
            return self.days_on(node)
        if node.kind not in ("exists", "count"):
            raise Unsupported(node, f"`{node.kind}`")
        window = self.window_of(node.query)
        if window is None:  # a bound it has is unknown: so is the answer
            if node.kind == "exists":
                return SV.truth(SV.truth_lit(UNKNOWN))
            return SV.exact(exp.null(), node.type)
        if window.is_empty():  # holds no event whatever the record
            if node.kind == "exists":
                return SV.truth(SV.truth_lit(SV.FALSE))
            return SV.exact(SV.num(0), node.type, constant=Decimal(0))
        ref = self.query_ref(node.query, window)
        matched, undecided = self.counts(ref)
        covered = self.covered(ref)
        label = f"{ref.collection} history complete over {window}"
        if node.kind == "exists":
            none_seen = SV.AND(exp.EQ(this=matched.copy(), expression=SV.num(0)),
                                 exp.EQ(this=undecided.copy(), expression=SV.num(0)))
            expr = SV.case((exp.GT(this=matched, expression=SV.num(0)), TRUE),
                           (exp.GT(this=undecided, expression=SV.num(0)), UNKNOWN),
                           (covered.copy(), SV.FALSE), default=UNKNOWN)
            return SV.truth(self.derive(expr), [(label, SV.AND(none_seen, SV.NOT(covered)))])
        high = exp.Case().when(covered.copy(), exp.Add(this=matched.copy(), expression=undecided)).else_(exp.null())
        return V("bounded", self.derive(matched), self.derive(high), node.type, ((label, SV.NOT(covered)),))

    def r_score(self, node: ir.ScoreRef, ev: Any) -> V:
        spec = self.trial.scores[node.name]
        low_terms, high_terms, missing = [], [], []
        for _title, items in spec.categories:
            conds = [(w, self.truth_of(c, ev)) for w, c in items]
            for _, v in conds:
                missing += v.missing
            lows = [exp.Case().when(exp.EQ(this=v.expr, expression=SV.truth_lit(TRUE)), SV.num(w)).else_(SV.num(0))
                    for w, v in conds]
            highs = [exp.Case().when(exp.GTE(this=v.expr, expression=SV.truth_lit(UNKNOWN)), SV.num(w))
                     .else_(SV.num(0)) for w, v in conds]
            low_terms.append(SV.extremum("GREATEST", [SV.num(0), *lows]))
            high_terms.append(SV.extremum("GREATEST", [SV.num(0), *highs]))
        if not low_terms:
            return SV.exact(SV.num(0), node.type)

        def total(terms: list[exp.Expression]) -> exp.Expression:
            out = terms[0]
            for t in terms[1:]:
                out = exp.Add(this=out, expression=t)
            return exp.paren(out)
        if ev is None:
            return V("bounded", self.derive(total(low_terms)), self.derive(total(high_terms)), node.type,
                     tuple(missing))
        return V("bounded", total(low_terms), total(high_terms), node.type, tuple(missing))


HISTORY_RULES: dict[type, Callable[[Any, Any, Any], V]] = {
    ir.Aggregate: QueryRules.r_aggregate,
    ir.ScoreRef: QueryRules.r_score,
    ir.Pick: QueryRules.r_pick,
    ir.InCodeset: QueryRules.r_in_codeset,
    **FORM_RULES,
    **CALC_RULES,
    **SWEEP_RULES,
    **TOTAL_RULES,
}
