"""What generated evaluators call for laboratory-result words and concurrent daily totals.

- ``result_is(ev, word, M, P)``: `value is positive` (and negative, abnormal, normal, high, low) on the
  observation ``ev``, by the rules of ``runtime/labs.py``; ``result_trace`` also gives the rule used, for
  the trace.  Disagreeing sources are a problem, and the answer unknown.
- ``daily_total_value``: `highest daily total of AMOUNT over Q`. Each matching record's AMOUNT is added on
  every day it is active inside the window (``runtime/totals.py``: one sort, one sweep), and the largest
  day's total is the value.  A record whose amount is unknown, an undecided record (its filter unknown)
  and a history not known to be complete over the window can only add to that total, so the value is then
  known from below (``Bounded``: "at least 12.5 mg/day"), which still decides `<= 10 mg/day` (false).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

from ...explain.trace import TraceNode
from ...runtime.bounded import Bounded
from ...runtime.labs import classify
from ...runtime.ops import compare_value, show
from ...runtime.quantity import Quantity
from ...runtime.totals import ZERO, Zero, peak_daily_total
from . import support as S
from . import support_trace as ST


def _classify(ev, word: str, missing: list, problems: list):
    f = ev.fields
    value, rule, found = classify(word, f.get("value"), f.get("reference_low"), f.get("reference_high"),
                                  f.get("interpretation"))
    if value is None:
        if found:
            problems.extend(f"observations {ev.id}: {p}" for p in found)
        else:
            missing.append(f"observations {ev.id}: a result that says whether it is {word}")
    return value, rule


def result_is(ev, word: str, missing: list, problems: list):
    return _classify(ev, word, missing, problems)[0]


def result_trace(ev, word: str, missing: list, problems: list):
    """(value, note): the note names the rule used (`is positive by interpretation `POS``)."""
    value, rule = _classify(ev, word, missing, problems)
    return value, f"{ev.id}: {rule}"


def pick_result(r: S.QueryResult, latest: bool, word: str, codeset: str | None, missing: list, problems: list):
    """`latest value of Q is WORD`: the word asked of the picked observation (unknown when which one is the
    latest is unknown, or when there is none)."""
    return pick_result_traced(r, latest, word, codeset, missing, problems)[0]


def pick_result_traced(r: S.QueryResult, latest: bool, word: str, codeset: str | None, missing: list,
                       problems: list):
    """(value, the rule used as a sentence naming the observation) for the trace."""
    which = "latest" if latest else "earliest"
    events = S.pick_events(r, latest, codeset, missing)
    if events is None:
        return None, f"no {which} observation is known"
    pairs = [_classify(e, word, missing, problems) for e in events]
    if any(v is None for v, _ in pairs):
        return None, f"no {which} observation is known to be {word} or not"
    value = S.settle(events, [v for v, _ in pairs], "boolean", latest, r.collection, f"results ({word} or not)",
                     missing)
    if value is None:
        return None, f"the {which} observations on {events[0].start} disagree"
    return value, f"{which} observation {', '.join(e.id for e in events)}: {pairs[0][1]}"


def query_trace_rule(node, pair, r: S.QueryResult, traces: list, shown: tuple[str, ...]) -> TraceNode:
    """A query node's trace whose value came with the rule that decided it (a result word of a pick)."""
    value, rule = pair
    trace = ST.query_trace(node, value, r, traces, shown)
    note = "; ".join(n for n in (rule, trace.note) if n)
    return TraceNode(node, value, trace.children, note, evidence=trace.evidence)


def _negative(amount) -> bool:
    return compare_value("<", amount, ZERO) is True


def zero_of(t):
    """The total of no record, for a daily total of type ``t``: 0 in its unit when the checker knows it
    (so that arithmetic on it is exact), else ZERO (zero in whatever unit it meets)."""
    if t.kind == "number":
        return Decimal(0)
    if t.kind == "quantity" and t.unit is not None:
        return Quantity(Decimal(0), t.unit)
    return ZERO


def daily_total_traced(r: S.QueryResult, amount: Callable, env: tuple, missing: list, problems: list, zero,
                       traces: list, amount_node, shown: tuple[str, ...]):
    """``daily_total_value`` keeping each record's amount trace (it shows doses and conversion factors)."""
    def traced_amount(event, *env):
        t = amount(event, *env)
        traces.append(TraceNode(amount_node, t.value, (t,), event=event, shown=shown))
        return t.value
    day: list = []
    value = daily_total_value(r, traced_amount, env, missing, problems, zero, day)
    if day:
        when = datetime.date.fromordinal(day[0])
        active = [e.id for e in sorted(r.matched, key=S.order)
                  if e.start_day <= day[0] and (e.end_day is None or day[0] <= e.end_day)]
        traces.append(TraceNode(amount_node, value, (), f"highest total first reached on {when}: "
                                f"{' + '.join(active)}"))
    return value


def daily_total_value(r: S.QueryResult, amount: Callable, env: tuple, missing: list, problems: list, zero=ZERO,
                      day: list | None = None):
    first, last = r.window.first, r.window.last
    if first is None or last is None:  # the checker requires both ends
        return None
    spans, ids, incomplete = [], [], bool(r.undecided)
    for event in sorted(r.matched, key=S.order):
        value = amount(event, *env)
        if value is None or type(value) is Bounded:
            incomplete = True
            continue
        try:
            negative = _negative(value)
        except S.RUNTIME_TYPE_ERRORS:
            problems.append(f"cannot add {show(value)} ({event.id}) to a daily total")
            return None
        if negative:
            problems.append(f"a negative amount {show(value)} ({event.id}) in a daily total")
            return None
        spans.append((event.start_day, event.end_day, value))
        ids.append(event.id)
    try:
        peak = peak_daily_total(spans, first, last, day)
    except S.RUNTIME_TYPE_ERRORS:
        listed = ", ".join(f"{show(s[2])} ({i})" for s, i in zip(spans, ids, strict=True))
        problems.append(f"cannot add up {listed}")
        return None
    if not r.covered:
        S.absence(r, missing)
        incomplete = True
    if not incomplete:
        return zero if type(peak) is Zero else peak
    if type(peak) is Zero:
        return None  # at least nothing: no bound worth stating
    return Bounded(peak, None)
