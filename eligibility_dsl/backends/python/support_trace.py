"""What generated *traced* evaluators call: the same selections as ``support``, keeping the evidence.

Each event a query looks at through its filter gets a trace (the filter's trace, labelled with the event);
``all ... have`` keeps each event's condition trace; a query's trace carries an
:class:`~eligibility_dsl.explain.trace.Evidence` (the window computed, the coverage, the events matched and
undecided), and a score's trace notes each category's points.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from ...check import ir
from ...explain.trace import Evidence, TraceNode
from ...runtime.bounded import bounded_or_exact
from ...runtime.decimal_context import EXACT as EXACT_CONTEXT
from ...runtime.events import Coverage, Event, Window
from ...runtime.ops import show
from . import support as S


def select_traced(collection: str, events, window: Window, coverage: Coverage | None, codeset: Callable | None,
                  filt: Callable | None, env: tuple, traces: list, filter_node: ir.Node | None,
                  shown: tuple[str, ...]) -> S.QueryResult:
    """``support.select`` with a traced filter: each event's filter trace is appended to ``traces``; the
    well-formed coded events in the window that the code set passed over are kept in ``passed``."""
    if filt is None:
        r = S.select(collection, events, window, coverage, codeset, None, env)
    else:
        def traced_filter(event: Event, *env):
            t = filt(event, *env)
            traces.append(TraceNode(filter_node, t.value, (t,), event=event, shown=shown))
            return t.value
        r = S.select(collection, events, window, coverage, codeset, traced_filter, env)
    if codeset is not None:
        r.passed = tuple(sorted(_passed_over(events, window, codeset), key=S.order))
    return r


def _passed_over(events, window: Window, match: Callable):
    """The events inside ``window`` whose codes are all well formed and none in the set (``match``)."""
    first, last = window.first, window.last
    for event in events:
        if (last is not None and event.start_day > last) or (
                first is not None and event.end_day is not None and event.end_day < first):
            continue
        codes = S.codings(event.fields.get("code"))
        if codes and match(codes) is None and all(c.problem is None for c in codes):
            yield event


_NOT_COUNTED_SHOWN = 20  # events listed one by one; the rest are counted


def not_counted_note(r: S.QueryResult, shown: tuple[str, ...]) -> str | None:
    """The full trace's account of what the code set passed over, so an auditor sees it (docs/terminology.md)."""
    if not r.passed:
        return None
    listed = "; ".join(e.describe(shown) for e in r.passed[:_NOT_COUNTED_SHOWN])
    more = len(r.passed) - _NOT_COUNTED_SHOWN
    tail = f"; and {more} more" if more > 0 else ""
    return f"not counted (in the window, code in no entry of the set): {listed}{tail}"


def all_traced(r: S.QueryResult, cond: Callable, env: tuple, missing: list, traces: list, cond_node: ir.Node,
               shown: tuple[str, ...]):
    """``support.all_value`` keeping each event's condition trace (it shows converted doses and factors)."""
    def traced_cond(event: Event, *env):
        t = cond(event, *env)
        traces.append(TraceNode(cond_node, t.value, (t,), event=event, shown=shown))
        return t.value
    return S.all_value(r, traced_cond, env, missing)


def query_trace(node: ir.Node, value, r: S.QueryResult, traces: list, shown: tuple[str, ...]) -> TraceNode:
    evidence = Evidence(r.collection, r.window, r.coverage, r.covered, tuple(sorted(r.matched, key=S.order)),
                        tuple(sorted(r.undecided, key=S.order)), shown)
    return TraceNode(node, value, tuple(traces), not_counted_note(r, shown), evidence=evidence)


def lookup_note(value, entries: tuple, spec: ir.TableSpec) -> str:
    codes = S.codings(value)
    for (codeset, result), (name, _) in zip(entries, spec.entries, strict=True):
        hit = codeset.match(codes)
        if hit is not None:
            cite = f"; source: {spec.source}" if spec.source else ""
            return f"{spec.name}: {hit} is in `{name}` → {show(result)}{cite}"
    return f"{spec.name} has no entry for {', '.join(map(str, codes)) or 'a missing code'}"


def score_trace(node: ir.ScoreRef, categories: tuple) -> TraceNode:
    """``categories``: (title, ((weight, item trace), ...)) in the score's order."""
    low = high = Decimal(0)
    children, notes = [], []
    for title, items in categories:
        children.extend(t for _, t in items)
        best = max((w for w, t in items if t.value is True), default=Decimal(0))
        possible = max((w for w, t in items if t.value is not False), default=Decimal(0))
        low, high = EXACT_CONTEXT.add(low, best), EXACT_CONTEXT.add(high, possible)  # never the caller's context
        notes.append(f"{title}: {best}" + (f" (up to {possible})" if possible != best else ""))
    return TraceNode(node, bounded_or_exact(low, high), tuple(children), "; ".join(notes))
