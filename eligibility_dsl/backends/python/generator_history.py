"""Generation rules for the history constructs: queries over event collections, code sets, tables, scores.

A mixin of :class:`~eligibility_dsl.backends.python.generator.Generator`. A query's window is computed
inline (or hoisted, when its bounds depend on the anchors only); the events are selected by
``support.select``, which calls the query's generated filter function on each event; the aggregate
(``exists``, ``count``, ``days on``, ``latest``, ``stable`` ...) is a support function over the selection.
The traced rules select the same events with the same functions and also keep each event's filter trace
and the evidence (window, coverage, events) an auditor needs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...check import ir
from ...records.model import COLLECTIONS
from ...runtime.codes import CodeSet
from ...runtime.relative import start_window_of
from . import support as S
from . import support_labs as SL
from . import support_trace as ST


class HistoryRules:
    """Relies on the Generator's ``fast``, ``traced``, ``c``, ``tmp``, ``line``, ``e``, ``function``,
    ``call``, ``memo_read``, ``memo_function``, ``trace_leaf`` and ``slot``/``read_slot``."""

    def build_codesets(self) -> dict[str, CodeSet]:
        specs = self.trial.codesets
        built: dict[str, CodeSet] = {}

        def build(name: str) -> CodeSet:
            if name not in built:
                spec = specs[name]
                own = CodeSet(name, [(s, c) for s, c, _ in spec.codes], spec.description)
                built[name] = CodeSet.union(name, [own, *(build(i) for i in spec.includes)], spec.description)
            return built[name]

        for name in specs:
            build(name)
        return built

    # ----------------------------------------------------------------- windows

    def window_constant(self, window: ir.Window | None) -> bool:
        return window is None or all(self.is_constant(b) for b in window.bounds())

    def fast_window(self, window: ir.Window | None) -> str:
        """The query's Window, or None when a bound it has is unknown."""
        if window is None:
            return self.c(S.ALL_TIME)
        if self.mode == "run" and self.window_constant(window):
            k = self.slot(window)
            out = self.tmp()
            self.line(f"{out} = B[{k}]")
            with self.e.block(f"if BP[{k}]:"):
                self.line(f"P.extend(BP[{k}])")
            return out
        low = self.fast(window.low) if window.low is not None else "None"
        high = self.fast(window.high) if window.high is not None else "None"
        return self._make_window(window, low, high)

    def _make_window(self, window: ir.Window, low: str, high: str) -> str:
        out = self.tmp()
        make = "_start_window_of" if window.starts_only else "_window_of"  # `starting during` (lang11b)
        self.line(f"{out} = {make}({low}, {high}, {window.low_closed}, {window.high_closed}, "
                  f"{window.low is not None}, {window.high is not None})")
        if window.exact is not None:  # hours or minutes on anchors: exact when one is a date-time (issue 11)
            lo, lo_shift, hi, hi_shift = window.exact
            lo = "None" if lo is None else self.fast(lo)
            hi = "None" if hi is None else self.fast(hi)
            self.line(f"{out} = _exact_window({out}, {lo}, {self.c(lo_shift)}, {hi}, {self.c(hi_shift)})")
        return out

    # ----------------------------------------------------------------- queries

    def filter_function(self, q: ir.Query, traced: bool) -> str:
        """The generated function a query runs on each event: its `where` filter."""
        if q.filter is None:
            return "None"
        key = ("filter", traced, id(q))
        if key not in self._functions:
            name = self._functions[key] = self.e.name("tq" if traced else "q")
            with self.function(name, span=q.filter.span):
                self.line(f"return {self.traced(q.filter).t if traced else self.fast(q.filter)}")
        return self._functions[key]

    def condition_function(self, node: ir.All, traced: bool) -> str:
        key = ("have", traced, id(node))
        if key not in self._functions:
            name = self._functions[key] = self.e.name("ta" if traced else "a")
            with self.function(name, span=node.condition.span):
                self.line(f"return {self.traced(node.condition).t if traced else self.fast(node.condition)}")
        return self._functions[key]

    def amount_function(self, node: ir.DailyTotal, traced: bool) -> str:
        """The generated function a daily total runs on each matching record: its amount."""
        key = ("amount", traced, id(node))
        if key not in self._functions:
            name = self._functions[key] = self.e.name("ta" if traced else "a")  # named like `have` conditions
            with self.function(name, span=node.amount.span):
                self.line(f"return {self.traced(node.amount).t if traced else self.fast(node.amount)}")
        return self._functions[key]

    def _select(self, q: ir.Query, window: str, traced: bool, traces: str | None = None) -> str:
        coll = self.c(q.collection)
        codeset = self.c(self.codesets[q.codeset].matcher()) if q.codeset else "None"
        out = self.tmp()
        env = "(F, E, C, B, BP, M, P, D)"
        if traced:
            self.line(f"{out} = _select_traced({coll}, E.get({coll}, ()), {window}, C.get({coll}), {codeset}, "
                      f"{self.filter_function(q, True)}, {env}, {traces}, {self.node_ref_or_none(q.filter)}, "
                      f"{self.c(COLLECTIONS[q.collection].summary)})")
        else:
            self.line(f"{out} = _select({coll}, E.get({coll}, ()), {window}, C.get({coll}), {codeset}, "
                      f"{self.filter_function(q, False)}, {env})")
        return out

    def node_ref_or_none(self, node: ir.Node | None) -> str:
        return "None" if node is None else self.node_ref(node)

    def _aggregate_call(self, node: ir.Node, r: str, traced: bool, traces: str | None) -> str:
        """The value of a query node over the selection ``r``."""
        extra = AGGREGATE_CALLS.get(type(node))  # query nodes generated by other modules (generator_items)
        if extra is not None:
            return extra(self, node, r, traced, traces)
        q = node.query
        name = self.c(q.codeset) if q.codeset else "None"
        if isinstance(node, ir.Aggregate):
            return f"{self.c(S.AGGREGATES[node.kind])}({r}, M)"
        if isinstance(node, ir.All):
            cond = self.condition_function(node, traced)
            if traced:
                return (f"_all_traced({r}, {cond}, (F, E, C, B, BP, M, P, D), M, {traces}, "
                        f"{self.node_ref(node.condition)}, {self.c(COLLECTIONS[q.collection].summary)})")
            return f"_all({r}, {cond}, (F, E, C, B, BP, M, P, D), M)"
        if isinstance(node, ir.Pick) and node.word is not None:  # `latest value of Q is positive`
            call = "_pick_result_traced" if traced else "_pick_result"
            return f"{call}({r}, {node.which == 'latest'}, {self.c(node.word)}, {name}, M, P)"
        if isinstance(node, ir.Pick):
            return f"_pick({r}, {node.which == 'latest'}, {self.c(node.field)}, {name}, M)"
        if isinstance(node, ir.Change):
            return f"_change({r}, {self.c(node.field)}, {name}, M, P)"
        if isinstance(node, ir.DailyTotal):
            amount, zero = self.amount_function(node, traced), self.c(SL.zero_of(node.type))
            if traced:
                return (f"_daily_total_traced({r}, {amount}, (F, E, C, B, BP, M, P, D), M, P, {zero}, {traces}, "
                        f"{self.node_ref(node.amount)}, {self.c(COLLECTIONS[q.collection].summary)})")
            return f"_daily_total({r}, {amount}, (F, E, C, B, BP, M, P, D), M, P, {zero})"
        gap = self.fast(node.gap) if node.gap is not None else "None"
        return f"_stable({r}, {self.c(node.field) if node.field else 'None'}, {gap}, {node.gap is not None}, M, P)"

    def fast_query_node(self, node: ir.Node) -> str:
        q = node.query
        if self._record_level(q):
            # The same query written twice (two criteria asking for an active infection at screening)
            # selects its events once per record: the selection is memoised like a definition.
            key = ("query", q)
            if key not in self._functions:
                name = self._functions[key] = self.e.name("sel")

                def compute() -> str:
                    window, r = self.fast_window(q.window), self.tmp()
                    self.line(f"{r} = None")
                    with self.e.block(f"if {window} is not None:"):
                        self.line(f"{r} = {self._select(q, window, traced=False)}")
                    return r
                self.memo_function(key, name, compute, q.span)
            r, out = self.memo_read(key, self._functions[key]), self.tmp()
            self.line(f"{out} = None")
            with self.e.block(f"if {r} is not None:"):
                self.line(f"{out} = {self._aggregate_call(node, r, False, None)}")
            return out
        window, out = self.fast_window(q.window), self.tmp()
        self.line(f"{out} = None")
        with self.e.block(f"if {window} is not None:"):
            r = self._select(q, window, traced=False)
            self.line(f"{out} = {self._aggregate_call(node, r, False, None)}")
        return out

    def _record_level(self, q: ir.Query) -> bool:
        """Whether a query's selection depends on the record alone, not on an outer query's event (its
        window bounds read no event field), so that it can be shared within the record."""
        if self.mode != "run" or q.window is None:
            return self.mode == "run"
        stack = list(q.window.bounds())
        while stack:
            n = stack.pop()
            if isinstance(n, ir.FieldRef):
                return False
            if isinstance(n, ir.DefRef):
                continue  # definitions see no event fields
            stack.extend(n.children())
        return True

    def traced_query_node(self, node: ir.Node):
        w = node.query.window
        bounds = [self.traced(b) for b in w.bounds()] if w is not None else []
        if w is None:
            window = self.c(S.ALL_TIME)
        else:
            low = bounds[0].v if w.low is not None else "None"
            high = bounds[-1].v if w.high is not None else "None"
            window = self._make_window(w, low, high)
        out, n, kids = self.tmp(), self.node_ref(node), ", ".join(b.t for b in bounds)
        with self.e.block(f"if {window} is None:"):
            note = self.c("the window's bounds are unknown")
            self.line(f"{out} = _Trace(_TN, ({n}, None, ({kids}{',' if kids else ''}), {note}, None, None, ()))")
        with self.e.block("else:"):
            traces = self.tmp()
            self.line(f"{traces} = [{kids}]")
            r = self._select(node.query, window, traced=True, traces=traces)
            value = self.tmp()
            self.line(f"{value} = {self._aggregate_call(node, r, True, traces)}")
            trace = "_query_trace_rule" if isinstance(node, ir.Pick) and node.word is not None else "_query_trace"
            self.line(f"{out} = {trace}({n}, {value}, {r}, {traces}, "
                      f"{self.c(COLLECTIONS[node.query.collection].summary)})")
        return self.value_of(out)

    # ------------------------------------------------------ fields and tables

    def fast_field(self, node: ir.FieldRef) -> str:
        out = self.tmp()
        self.line(f"{out} = _field(ev, {self.c(node.name)}, M)")
        return out

    def _lookup_parts(self, node: ir.Lookup) -> tuple[str, str]:
        spec = self.trial.tables[node.table]
        entries = tuple((self.codesets[name], value) for name, value in spec.entries)
        return self.c(entries), self.c(spec)

    def fast_lookup(self, node: ir.Lookup) -> str:
        key, out = self.fast(node.key), self.tmp()
        entries, _ = self._lookup_parts(node)
        self.line(f"{out} = _lookup({key}, {entries}, {self.c(node.table)}, M)")
        return out

    def traced_lookup(self, node: ir.Lookup):
        key, out = self.traced(node.key), self.tmp()
        entries, spec = self._lookup_parts(node)
        self.line(f"{out} = _lookup({key.v}, {entries}, {self.c(node.table)}, M)")
        note = f"_lookup_note({key.v}, {entries}, {spec})"
        return self.trace_leaf(node, out, key, note=note)

    # ----------------------------------------------------------------- scores

    def fast_score(self, node: ir.ScoreRef) -> str:
        key = ("score", node.name)
        if key not in self._functions:
            name = self._functions[key] = self.e.name("s")
            spec = self.trial.scores[node.name]

            def compute() -> str:
                categories = []
                for _, items in spec.categories:
                    categories.append("(" + "".join(f"({self.c(w)}, {self.fast(c)}), " for w, c in items) + ")")
                out = self.tmp()
                self.line(f"{out} = _score_total(({', '.join(categories)},))")
                return out
            self.memo_function(key, name, compute, spec.span)
        return self.memo_read(key, self._functions[key])

    def traced_score(self, node: ir.ScoreRef):
        key = ("traced-score", node.name)
        if key not in self._functions:
            name = self._functions[key] = self.e.name("ts")
            spec = self.trial.scores[node.name]
            with self.function(name, span=spec.span):
                categories = []
                for title, items in spec.categories:
                    traced = "".join(f"({self.c(w)}, {self.traced(c).t}), " for w, c in items)
                    categories.append(f"({self.c(title)}, ({traced}))")
                self.line(f"return _score_trace({self.node_ref(node)}, ({', '.join(categories)},))")
        return self.value_of(self.call(self._functions[key]))


QUERY_NODES = (ir.Aggregate, ir.All, ir.Pick, ir.Change, ir.Stable, ir.DailyTotal, ir.ItemCount, ir.Extreme)
# The aggregate of a query node another module generates (counting over items: generator_items).
AGGREGATE_CALLS: dict[type, Callable[..., str]] = {}

HISTORY_FAST: dict[type, Callable[[Any, Any], str]] = {cls: HistoryRules.fast_query_node for cls in QUERY_NODES}
HISTORY_FAST.update({ir.FieldRef: HistoryRules.fast_field, ir.Lookup: HistoryRules.fast_lookup,
                     ir.ScoreRef: HistoryRules.fast_score})
HISTORY_TRACED: dict[type, Callable[[Any, Any], str]] = {cls: HistoryRules.traced_query_node for cls in QUERY_NODES}
HISTORY_TRACED.update({ir.FieldRef: lambda g, n: g.traced_leaf(n), ir.Lookup: HistoryRules.traced_lookup,
                       ir.ScoreRef: HistoryRules.traced_score})

HISTORY_NAMES: dict[str, Any] = {
    "_window_of": S.window_of,
    "_start_window_of": start_window_of,
    "_select": S.select,
    "_all": S.all_value,
    "_pick": S.pick_value,
    "_change": S.change_value,
    "_stable": S.stable_value,
    "_field": S.field,
    "_lookup": S.lookup,
    "_score_total": S.score_total,
    "_select_traced": ST.select_traced,
    "_all_traced": ST.all_traced,
    "_query_trace": ST.query_trace,
    "_lookup_note": ST.lookup_note,
    "_score_trace": ST.score_trace,
}
