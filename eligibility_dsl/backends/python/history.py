"""Compile the history constructs: queries over event collections, code sets, tables and scores.

A mixin of :class:`eligibility_dsl.compile.Compiler`.  One routine (``_run``)
finds the events a query selects; the fast and the traced evaluators both call
it, the traced one adding each event's filter trace and the evidence (window
bounds, records, coverage) an auditor needs.

Semantics, stated once:

- An event matches when its code is in the code set, its period overlaps the
  window (point events: its date is in the window) and the filter is true.
  A filter that is unknown for an event leaves that event undecided.
- Absence counts as "no" only inside the period the record says its collection
  is complete (``coverage``); otherwise it is unknown.  Counts and exposure days
  are then known only from below ("at least 2"), as a :class:`Bounded` value.
- ``days on`` counts each day once however many records overlap it.
- ``stable F of Q``: every matching record has the same F, and together they
  cover the window, allowing gaps up to the stated length (none by default).
- ``change in F of Q``: F of the latest matching record minus F of the earliest.
- ``latest``/``earliest`` order by start date, then id; an undecided record that
  could come first leaves the result unknown.
- A score is the sum over categories of the highest weight whose condition holds;
  with unknown conditions it is known between the lowest and highest possible sums.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ...check import ir
from ...explain.trace import Evidence, TraceNode
from ...records.model import COLLECTIONS
from ...runtime import quantity as Q
from ...runtime.bounded import Bounded, bounded_or_exact
from ...runtime.codes import CodeSet, Coding
from ...runtime.events import Event, Window, covered_continuously, exposure_days
from ...runtime.units import UnitMismatch, parse_unit

_DAYS = parse_unit("days")
_ALL_TIME = Window(None, None, True, True)


class QueryResult:
    __slots__ = ("coverage", "covered", "matched", "traces", "undecided", "window")

    def __init__(self, window, matched, undecided, covered, coverage, traces):
        self.window, self.matched, self.undecided = window, matched, undecided
        self.covered, self.coverage, self.traces = covered, coverage, traces


def _codings(value) -> tuple:
    if value is None:
        return ()
    return value if isinstance(value, tuple) else (value,)


def _all_equal(values: list) -> bool | None:
    """Whether all values are equal: False when any two comparable values differ, else None when
    some cannot be compared (a dose in mg and one in IU), else True; whatever the order of the values."""
    try:
        if all(v == values[0] for v in values[1:]):
            return True
    except (UnitMismatch, TypeError):
        pass
    incomparable = False
    for a, b in itertools.combinations(values, 2):
        try:
            if a != b:
                return False
        except (UnitMismatch, TypeError):
            incomparable = True
    return None if incomparable else True


def memoized(ctx, key, compute: Callable):
    """``compute(ctx)`` once per record (a definition, a score), shared by every criterion that reads it.
    What it found missing, and its data problems, are stored with the value and reported again at
    each reading, so a later criterion's UNKNOWN still says why."""
    hit = ctx.defs.get(key)
    if hit is None:
        outer = ctx.missing, ctx.problems
        ctx.missing, ctx.problems = set(), set()
        value = compute(ctx)
        hit = ctx.defs[key] = (value, frozenset(ctx.missing), frozenset(ctx.problems))
        ctx.missing, ctx.problems = outer
    ctx.missing.update(hit[1])
    ctx.problems.update(hit[2])
    return hit[0]


def _order(e: Event):
    return (e.start, e.id)


class HistoryCompiler:
    """Relies on the Compiler's ``fast``, ``traced``, ``trial`` and the ``codesets``/``tables`` it builds."""

    def _build_codesets(self) -> dict[str, CodeSet]:
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

    # ---------------------------------------------------------------- queries

    def _query_parts(self, q: ir.Query, traced: bool):
        window = q.window
        low = (self.traced if traced else self.fast)(window.low) if window and window.low else None
        high = (self.traced if traced else self.fast)(window.high) if window and window.high else None
        filt = (self.traced if traced else self.fast)(q.filter) if q.filter is not None else None
        codeset = self.codesets[q.codeset] if q.codeset else None
        return window, low, high, filt, codeset

    def _query(self, q: ir.Query, traced: bool = False) -> Callable[[Any], tuple[QueryResult | None, list]]:
        """A closure returning (the query's result or None when its window is unknown, bound traces)."""
        spec, low_f, high_f, filt, codeset = self._query_parts(q, traced)
        collection = q.collection
        shown = COLLECTIONS[collection].summary

        def run(ctx):
            bound_traces = []
            lo = hi = None
            if low_f is not None:
                lo = low_f(ctx)
                if traced:
                    bound_traces.append(lo)
                    lo = lo.value
            if high_f is not None:
                hi = high_f(ctx)
                if traced:
                    bound_traces.append(hi)
                    hi = hi.value
            if (low_f is not None and lo is None) or (high_f is not None and hi is None):
                return None, bound_traces
            window = Window(lo, hi, spec.low_closed, spec.high_closed) if spec is not None else _ALL_TIME
            matched, undecided, traces = [], [], []
            outer = ctx.current
            for event in ctx.events.get(collection, ()):
                if not window.overlaps(event.start, event.end):
                    continue
                if codeset is not None:
                    codes = _codings(event.fields.get("code"))
                    if not codes:  # an uncoded event (a trial compound without a code) may or may not belong
                        undecided.append(event)
                        continue
                    if codeset.match(codes) is None:
                        continue
                if filt is None:
                    matched.append(event)
                    continue
                ctx.current = event
                value = filt(ctx)
                if traced:
                    traces.append(TraceNode(q.filter, value.value, (value,), event=event, shown=shown))
                    value = value.value
                if value is True:
                    matched.append(event)
                elif value is None:
                    undecided.append(event)
            ctx.current = outer
            coverage = ctx.coverage.get(collection)
            # An empty window (`[d, d)`) holds no event whatever the record: its absence is certain.
            covered = window.is_empty() or (coverage is not None and coverage.covers(window))
            return QueryResult(window, matched, undecided, covered, coverage, traces), bound_traces
        return run

    def _absence(self, ctx, q: ir.Query, result: QueryResult) -> None:
        ctx.missing.add(f"{q.collection} history complete over {result.window}")

    # ------------------------------------------------------------- aggregates

    def _aggregate_value(self, node: ir.Aggregate, ctx, r: QueryResult):
        if node.kind == "exists":
            if r.matched:
                return True
            if r.undecided:
                return None
            if not r.covered:
                self._absence(ctx, node.query, r)
                return None
            return False
        if node.kind == "count":
            n = len(r.matched)
            if not r.covered:
                self._absence(ctx, node.query, r)
            high = None if not r.covered else n + len(r.undecided)
            return bounded_or_exact(Decimal(n), None if high is None else Decimal(high))
        # days on
        low = exposure_days([(e.start, e.end) for e in r.matched], r.window)
        high = exposure_days([(e.start, e.end) for e in r.matched + r.undecided], r.window) if r.covered else None
        if not r.covered:
            self._absence(ctx, node.query, r)
        if high == low:
            return Q.Quantity(Decimal(low), _DAYS)
        return Bounded(Q.Quantity(Decimal(low), _DAYS), None if high is None else Q.Quantity(Decimal(high), _DAYS))

    def _all_value(self, ctx, r: QueryResult, cond: Callable, node: ir.All):
        # A matched event must satisfy the condition; an undecided one (filter unknown) counts as
        # `filter implies condition`: true when the condition holds, unknown otherwise.
        # Every event is looked at, even after one fails: the events of a record have no order, so
        # what is reported (problems, missing fields) must not depend on which came first.
        result = True
        outer = ctx.current
        for event, decided in [(e, True) for e in r.matched] + [(e, False) for e in r.undecided]:
            ctx.current = event
            v = cond(ctx)
            if not decided and v is not True:
                v = None
            if v is False:
                result = False
            elif v is None and result is True:
                result = None
        ctx.current = outer
        if result is False:
            return False
        if result is True and not r.covered:
            self._absence(ctx, node.query, r)
            return None
        return result

    def _no_record(self, ctx, q: ir.Query, r: QueryResult, how_many: str = "a") -> None:
        where = f" in {q.codeset}" if q.codeset else ""
        ctx.missing.add(f"{how_many} record{'s' if how_many != 'a' else ''} of {q.collection}{where} in {r.window}")

    def _pick_value(self, node: ir.Pick, ctx, r: QueryResult):
        # Which record is the latest (or earliest) is known only where the history is complete:
        # an unrecorded one could come later (or earlier).
        if not r.covered:
            self._absence(ctx, node.query, r)
            return None
        if not r.matched:
            self._no_record(ctx, node.query, r)
            return None
        ordered = sorted(r.matched, key=_order)
        best = ordered[-1] if node.which == "latest" else ordered[0]
        for e in r.undecided:
            if (node.which == "latest" and _order(e) > _order(best)) or (
                    node.which == "earliest" and _order(e) < _order(best)):
                return None
        value = best.fields.get(node.field)
        if value is None:
            ctx.missing.add(f"{node.query.collection} {best.id}: {node.field}")
        return value

    def _change_value(self, node: ir.Change, ctx, r: QueryResult):
        if r.undecided:
            return None
        if not r.covered:
            self._absence(ctx, node.query, r)
            return None
        ordered = sorted(r.matched, key=_order)
        if len(ordered) < 2 or ordered[0].start == ordered[-1].start:
            self._no_record(ctx, node.query, r, "two")
            return None
        first, last = ordered[0].fields.get(node.field), ordered[-1].fields.get(node.field)
        if first is None or last is None:
            for e, v in ((ordered[0], first), (ordered[-1], last)):
                if v is None:
                    ctx.missing.add(f"{node.query.collection} {e.id}: {node.field}")
            return None
        try:
            return Q.sub(last, first) if isinstance(last, Q.Quantity) else Q.EXACT_CONTEXT.subtract(last, first)
        except (UnitMismatch, TypeError, AttributeError):  # a dose in mg, then one in IU
            ctx.problems.add(f"cannot subtract {first} ({ordered[0].id}) from {last} ({ordered[-1].id})")
            return None

    def _stable_value(self, node: ir.Stable, ctx, r: QueryResult, gap):
        """`stable F of Q` (and `continuous Q`, which has no field: continuity alone)."""
        values = [e.fields.get(node.field) if node.field else True for e in r.matched]
        known = [v for v in values if v is not None]
        same = _all_equal(known)
        if same is False:
            return False
        if same is None:  # doses in units of different kinds (mg, IU) cannot be compared
            ctx.problems.add(f"cannot compare the {node.field} of {', '.join(sorted(e.id for e in r.matched))}")
            return None
        if r.undecided or len(known) < len(values):
            for e, v in zip(r.matched, values, strict=False):
                if v is None:
                    ctx.missing.add(f"{node.query.collection} {e.id}: {node.field}")
            return None
        periods = [(e.start, e.end) for e in r.matched]
        # Continuity, for the allowed gap; a gap known only within bounds (a range from an incomplete
        # history) decides when its smallest value already suffices or its largest cannot.
        # An unknown allowance is anything from 0 days up: it still decides when the records are
        # continuous with no gap at all, or when no record matches (never continuous, whatever the gap).
        low_gap, high_gap = 0, 0
        if node.gap is not None:
            if isinstance(gap, Q.Quantity):
                low_gap = high_gap = int(gap.base / 86400)
            elif isinstance(gap, Bounded):
                low_gap = int(gap.low.base / 86400)
                high_gap = None if gap.high is None else int(gap.high.base / 86400)
            else:
                high_gap = None
            if low_gap < 0:  # a gap computed from data; a written negative gap is a compile error
                ctx.problems.add(f"a negative gap ({gap}) is not allowed")
                return None
        if r.matched:
            if covered_continuously(periods, r.window, low_gap):
                return True
            if high_gap is None or (high_gap != low_gap and covered_continuously(periods, r.window, high_gap)):
                return None
        if r.covered:
            return False
        self._absence(ctx, node.query, r)
        return None

    # ---------------------------------------------------------------- closures

    def _history_fast(self, node: ir.Node):
        return _FAST[type(node)](self, node)

    def _history_traced(self, node: ir.Node):
        return _TRACED[type(node)](self, node)

    def _evaluate(self, node: ir.Node, traced: bool):
        """The one evaluation of a query-based node; returns a closure giving (value, traces, result)."""
        run = self._query(node.query, traced)
        if isinstance(node, ir.All):
            condition = (self.traced if traced else self.fast)(node.condition)
            summary = COLLECTIONS[node.query.collection].summary
        if isinstance(node, ir.Stable) and node.gap is not None:
            gap_f = self.fast(node.gap)

        def value_of(ctx):
            r, bounds = run(ctx)
            if r is None:
                return None, bounds, None
            if isinstance(node, ir.Aggregate):
                v = self._aggregate_value(node, ctx, r)
            elif isinstance(node, ir.All):
                if traced:  # keep each event's condition trace: it shows converted doses and factors
                    def cond(c):
                        t = condition(c)
                        r.traces.append(TraceNode(node.condition, t.value, (t,), event=c.current, shown=summary))
                        return t.value
                else:
                    cond = condition
                v = self._all_value(ctx, r, cond, node)
            elif isinstance(node, ir.Pick):
                v = self._pick_value(node, ctx, r)
            elif isinstance(node, ir.Change):
                v = self._change_value(node, ctx, r)
            else:
                v = self._stable_value(node, ctx, r, gap_f(ctx) if node.gap is not None else None)
            return v, bounds, r
        return value_of

    def _fast_query_node(self, node):
        value_of = self._evaluate(node, traced=False)
        return lambda ctx: value_of(ctx)[0]

    def _traced_query_node(self, node):
        value_of = self._evaluate(node, traced=True)
        summary = COLLECTIONS[node.query.collection].summary

        def t(ctx):
            v, bounds, r = value_of(ctx)
            if r is None:
                return TraceNode(node, None, tuple(bounds), "the window's bounds are unknown")
            evidence = Evidence(node.query.collection, r.window, r.coverage, r.covered,
                                tuple(sorted(r.matched, key=_order)), tuple(sorted(r.undecided, key=_order)), summary)
            return TraceNode(node, v, tuple(bounds) + tuple(r.traces), evidence=evidence)
        return t

    # -------------------------------------------------- codes, tables, scores

    def _fast_field(self, node: ir.FieldRef):
        name = node.name

        def read(ctx):
            event = ctx.current
            v = event.fields.get(name)
            if v is None:
                ctx.missing.add(f"{event.collection} {event.id}: {name}")
            return v
        return read

    def _in_codeset_fn(self, node: ir.InCodeset):
        codeset, negated = self.codesets[node.codeset], node.negated

        def member(value):
            if value is None:
                return None
            # Only codings belong to code sets: a number or a boolean (an observation's value) does not.
            codes = value if isinstance(value, tuple) else (value,) if isinstance(value, Coding) else ()
            found = codeset.match(codes) is not None
            return found != negated
        return member

    def _lookup_fn(self, node: ir.Lookup):
        spec = self.trial.tables[node.table]
        entries = [(self.codesets[name], value) for name, value in spec.entries]

        def look(ctx, value):
            codes = _codings(value)
            for codeset, result in entries:
                if codeset.match(codes) is not None:
                    return result
            if codes:  # what would settle it: an entry in the table for this code
                ctx.missing.add(f"an entry in table {node.table} for {' / '.join(map(str, codes))}")
            return None
        return look

    def _lookup_note(self, node: ir.Lookup, key) -> str:
        spec = self.trial.tables[node.table]
        for name, value in spec.entries:
            hit = self.codesets[name].match(_codings(key))
            if hit is not None:
                source = f"; source: {spec.source}" if spec.source else ""
                return f"{node.table}: {hit} is in `{name}` → {_value_text(value)}{source}"
        return f"{node.table} has no entry for {', '.join(map(str, _codings(key))) or 'a missing code'}"

    def _score_parts(self, name: str, traced: bool):
        # Compiled once per score and mode, shared by every reference (as definitions are).
        cache = self._score_cache
        if (name, traced) not in cache:
            compile_one = self.traced if traced else self.fast
            cache[name, traced] = [(title, [(w, compile_one(c)) for w, c in items])
                                   for title, items in self.trial.scores[name].categories]
        return cache[name, traced]

    def _score_fast(self, node: ir.ScoreRef):
        cats = self._score_parts(node.name, traced=False)
        key = ("score", node.name)

        def total(ctx):
            low = high = Decimal(0)
            for _, items in cats:
                values = [(w, f(ctx)) for w, f in items]
                low += max((w for w, v in values if v is True), default=Decimal(0))
                high += max((w for w, v in values if v is not False), default=Decimal(0))
            return bounded_or_exact(low, high)
        return lambda ctx: memoized(ctx, key, total)

    def _score_traced(self, node: ir.ScoreRef):
        cats = self._score_parts(node.name, traced=True)

        def t(ctx):
            low = high = Decimal(0)
            children, notes = [], []
            for title, items in cats:
                traces = [(w, f(ctx)) for w, f in items]
                children.extend(tr for _, tr in traces)
                best = max((w for w, tr in traces if tr.value is True), default=Decimal(0))
                possible = max((w for w, tr in traces if tr.value is not False), default=Decimal(0))
                low, high = low + best, high + possible
                notes.append(f"{title}: {best}" + (f" (up to {possible})" if possible != best else ""))
            return TraceNode(node, bounded_or_exact(low, high), tuple(children), "; ".join(notes))
        return t


def _value_text(value) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


_QUERY_NODES = (ir.Aggregate, ir.All, ir.Pick, ir.Change, ir.Stable)
_FAST: dict[type, Callable] = {cls: HistoryCompiler._fast_query_node for cls in _QUERY_NODES}
_FAST.update({ir.FieldRef: HistoryCompiler._fast_field, ir.ScoreRef: HistoryCompiler._score_fast})
_TRACED: dict[type, Callable] = {cls: HistoryCompiler._traced_query_node for cls in _QUERY_NODES}
_TRACED[ir.ScoreRef] = HistoryCompiler._score_traced
