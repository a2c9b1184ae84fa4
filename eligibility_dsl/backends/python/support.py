"""What generated evaluators call: query execution over events, aggregates, scores, guarded operations.

Generated code (see ``generator.py``) inlines the scalar logic of each criterion and calls these functions
for what is naturally a loop (selecting the events of a query) or a rule with many cases (``stable``,
``latest``). Each takes the record's ``missing`` and ``problems`` lists (``M``, ``P``) and appends to them;
the caller turns them into sorted, de-duplicated tuples per criterion.

Semantics, stated once (the same as the reference interpreter's in ``tests/reference_interpreter.py``):

- An event matches when its period overlaps the window (a point event: its date is inside), its code is
  in the code set and the filter is true. An uncoded event in a coded query, or one whose filter is
  unknown, is *undecided*: it may or may not match.
- Absence counts as "no" only inside the period the record says the collection is complete
  (``coverage``); otherwise it is unknown. Counts and exposure days are then known only from below
  (``Bounded``: "at least 2").
- ``days on`` counts each day once however many records overlap it (sort once, sweep).
- ``stable F of Q``: every matching record has the same F (false as soon as two comparable values
  differ, unknown when the rest cannot be compared), and together they cover the window, allowing gaps up
  to the stated length.
- ``change in F of Q``: F of the latest matching record minus F of the earliest.
- ``latest``/``earliest`` order by start date (then time, where the day's records have one); records the
  order cannot tell apart (one day, no times) give what they agree on, else unknown (``runtime/ties.py``);
  an undecided record that could come later (earlier) leaves the result unknown, and so does a window the
  coverage does not cover.
- A score is the sum over categories of the highest weight whose condition holds; with unknown conditions
  it is known between the lowest and highest possible sums.

Every function here is linear in the number of events, apart from one sort where order matters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from ...records.model import COLLECTIONS
from ...runtime import quantity as Q
from ...runtime.bounded import Bounded, bounded_or_exact
from ...runtime.codes import CodeSet, Coding
from ...runtime.decimal_context import EMAX
from ...runtime.events import Coverage, Event, Window, covered_continuously, exposure_days
from ...runtime.exact_windows import SCAN_MARGIN_DAYS, ExactWindow, tied, timed_pick
from ...runtime.ops import age_value, compare_value, junction, show
from ...runtime.relative import StartWindow
from ...runtime.ties import agree, value_range
from ...runtime.units import UnitMismatch, parse_unit

_DAYS = parse_unit("days")
ALL_TIME = Window(None, None, True, True)
# Anything raised by combining values whose types are known only at run time (an observation's value, a
# dose in mg or in IU): such a value is unknown, with the problem named.
RUNTIME_TYPE_ERRORS = (UnitMismatch, TypeError, AttributeError, ArithmeticError)


class QueryResult:
    """The events a query selected, where it looked and whether the record is complete there."""

    __slots__ = ("collection", "coverage", "covered", "matched", "passed", "undecided", "window")

    def __init__(self, collection: str, window: Window, matched: list, undecided: list, covered: bool,
                 coverage: Coverage | None):
        self.collection, self.window, self.matched, self.undecided = collection, window, matched, undecided
        self.covered, self.coverage = covered, coverage
        self.passed: tuple = ()  # traced only: coded events in the window that no code of the set matched


def codings(value) -> tuple:
    if value is None:
        return ()
    return value if isinstance(value, tuple) else (value,)


def order(e: Event):
    return (e.start, e.id)


def window_of(low, high, low_closed: bool, high_closed: bool, has_low: bool, has_high: bool) -> Window | None:
    """The window a query looks through, or None when a bound it has is unknown."""
    if (has_low and low is None) or (has_high and high is None):
        return None
    return Window(low, high, low_closed, high_closed)


def select(collection: str, events: Sequence[Event], window: Window, coverage: Coverage | None,
           match: Callable | None, filt: Callable | None, env: tuple) -> QueryResult:
    """The events of one collection a query selects. ``match`` is the code set's matcher (``CodeSet.
    matcher()``), ``filt(event, *env)`` the generated filter (True / False / None); ``env`` the
    evaluation's state, passed through."""
    matched: list[Event] = []
    undecided: list[Event] = []
    first, last = window.first, window.last
    empty = first is not None and last is not None and first > last
    starting = first is not None and type(window) is StartWindow  # `starting during`: the start is inside
    exact = window.holds if type(window) is ExactWindow else None  # hours on a date-time anchor (issue 11)
    if exact is not None:  # events are dated by their local day: look a little beyond the window's days
        first = None if first is None else first - SCAN_MARGIN_DAYS
        last = None if last is None else last + SCAN_MARGIN_DAYS
    if not empty:
        for event in events:
            # The period overlaps the window (both ends included; no end: ongoing).
            if last is not None and event.start_day > last:
                continue
            if first is not None and event.end_day is not None and event.end_day < first:
                continue
            if starting and event.start_day < first:
                continue
            inside = True if exact is None else exact(event)
            if inside is False:
                continue
            if match is not None:
                codes = event.fields.get("code")
                if codes is None:  # an uncoded event (a trial compound without a code) may or may not belong
                    undecided.append(event)
                    continue
                codes = codes if type(codes) is tuple else (codes,)
                if match(codes) is None:
                    # A malformed code (Coding.problem) may be a garbled code of the set: never a quiet
                    # non-match. The event is undecided (unless its filter rules it out) and the problem is
                    # named. One pass over the codings, only for events that did not match.
                    for coding in codes:
                        if coding.problem is not None:
                            break
                    else:
                        continue
                    if filt is not None and filt(event, *env) is False:
                        continue
                    env[_ENV_PROBLEMS].append(malformed_problem(event, coding))
                    undecided.append(event)
                    continue
            if filt is None:
                (matched if inside is True else undecided).append(event)
                continue
            value = filt(event, *env)
            if value is True:
                (matched if inside is True else undecided).append(event)
            elif value is None:
                undecided.append(event)
    # An empty window (`[d, d)`) holds no event whatever the record: its absence is certain.
    covered = empty or (coverage is not None and coverage.covers(window))
    return QueryResult(collection, window, matched, undecided, covered, coverage)


# Where the evaluation's problems list sits in the ``env`` tuple the generated code passes to ``select``
# (``(F, E, C, B, BP, M, P, D)``, generator_history.HistoryRules._select).
_ENV_PROBLEMS = 6


def malformed_problem(event: Event, coding: Coding) -> str:
    return f"record {event.id}: {coding.problem}, so whether it counts is unknown"


def absence(r: QueryResult, missing: list) -> None:
    missing.append(f"{r.collection} history complete over {r.window}")


def no_record(r: QueryResult, codeset: str | None, missing: list, how_many: str = "a") -> None:
    where = f" in {codeset}" if codeset else ""
    missing.append(f"{how_many} record{'s' if how_many != 'a' else ''} of {r.collection}{where} in {r.window}")


# ------------------------------------------------------------------ aggregates


def exists_value(r: QueryResult, missing: list):
    if r.matched:
        return True
    if r.undecided:
        return None
    if not r.covered:
        absence(r, missing)
        return None
    return False


def count_value(r: QueryResult, missing: list):
    n = len(r.matched)
    if not r.covered:
        absence(r, missing)
        return Bounded(Decimal(n), None)
    return bounded_or_exact(Decimal(n), Decimal(n + len(r.undecided)))


def days_on_value(r: QueryResult, missing: list):
    low = exposure_days([(e.start, e.end) for e in r.matched], r.window)
    if not r.covered:
        absence(r, missing)
        return Bounded(Q.Quantity(Decimal(low), _DAYS), None)
    high = low if not r.undecided else exposure_days([(e.start, e.end) for e in r.matched + r.undecided],
                                                        r.window)
    if high == low:
        return Q.Quantity(Decimal(low), _DAYS)
    return Bounded(Q.Quantity(Decimal(low), _DAYS), Q.Quantity(Decimal(high), _DAYS))


AGGREGATES = {"exists": exists_value, "count": count_value, "days_on": days_on_value}


def all_value(r: QueryResult, cond: Callable, env: tuple, missing: list):
    """`all ... have COND`: a matched event must satisfy COND; an undecided one (filter unknown) counts as
    `filter implies COND`: true when COND holds, unknown otherwise. Every event is looked at, even after
    one fails: the events of a record have no order, so what is reported (problems, missing fields) must
    not depend on which came first."""
    result = True
    for event in r.matched:
        v = cond(event, *env)
        if v is False:
            result = False
        elif v is None and result is True:
            result = None
    for event in r.undecided:
        v = cond(event, *env)
        if v is not True and result is True:
            result = None
    if result is True and not r.covered:
        absence(r, missing)
        return None
    return result


def pick_events(r: QueryResult, latest: bool, codeset: str | None, missing: list) -> list[Event] | None:
    """The latest (or earliest) record of Q and the records no order can tell from it (the same day, no
    times: ``runtime/ties.py``), or None. Which record is the latest (or earliest) is known only where the
    history is complete: an unrecorded one could come later (or earlier), and so could an undecided one."""
    if not r.covered:
        absence(r, missing)
        return None
    if not r.matched:
        no_record(r, codeset, missing)
        return None
    best = max(r.matched, key=order) if latest else min(r.matched, key=order)
    day = best.start
    for e in r.undecided:
        if (e.start > day) if latest else (e.start < day):
            return None
    best = timed_pick(best, r.matched, r.undecided, latest)  # events with a time on that day (issue 11)
    return None if best is None else tied(best, r.matched, r.undecided)


def pick_event(r: QueryResult, latest: bool, codeset: str | None, missing: list):
    """The latest (or earliest) record of Q, or None: one of ``pick_events``, for what they all share (their
    date, their instant)."""
    events = pick_events(r, latest, codeset, missing)
    return None if events is None else events[0]


def settle(events: list[Event], values: list, kind: str, latest: bool, collection: str, what: str,
           missing: list):
    """The value tied records agree on, or None with what would settle it."""
    if len(events) > 1 and not agree(values, kind):
        ids = ", ".join(sorted(e.id for e in events))
        missing.append(f"{collection}: which of {ids} on {events[0].start} is the {'latest' if latest else 'earliest'}"
                       f" (their {what} differ)")
        return None
    return values[0]


def _field_kind(collection: str, field: str) -> str:
    spec = COLLECTIONS[collection].fields.get(field) if collection in COLLECTIONS else None
    return spec.type.kind if spec is not None else "any"


def tied_value(events: list[Event], field: str, latest: bool, collection: str, missing: list):
    values = [e.fields.get(field) for e in events]
    if any(v is None for v in values):
        missing.extend(f"{collection} {e.id}: {field}" for e, v in zip(events, values, strict=True) if v is None)
        return None
    kind = _field_kind(collection, field)
    if kind == "any" and len(events) > 1 and not agree(values, kind):
        ranged = value_range(values)  # results that differ only in their number: known within their range
        if ranged is not None:
            settle(events, values, kind, latest, collection, field, missing)  # says which tie it is
            return ranged
    return settle(events, values, kind, latest, collection, field, missing)


def pick_value(r: QueryResult, latest: bool, field: str, codeset: str | None, missing: list):
    """`latest`/`earliest FIELD of Q` (see ``pick_events``): the field of the latest record, or of the records
    tied with it when they agree on it."""
    events = pick_events(r, latest, codeset, missing)
    if events is None:
        return None
    return tied_value(events, field, latest, r.collection, missing)


def change_value(r: QueryResult, field: str, codeset: str | None, missing: list, problems: list):
    if r.undecided:
        return None
    if not r.covered:
        absence(r, missing)
        return None
    if len(r.matched) < 2:
        no_record(r, codeset, missing, "two")
        return None
    first, last = min(r.matched, key=order), max(r.matched, key=order)
    first, last = timed_pick(first, r.matched, (), False), timed_pick(last, r.matched, (), True)  # issue 11
    if first is None or last is None:
        return None
    if first.start == last.start:
        no_record(r, codeset, missing, "two")
        return None
    a = tied_value(tied(first, r.matched, ()), field, False, r.collection, missing)
    b = tied_value(tied(last, r.matched, ()), field, True, r.collection, missing)
    if a is None or b is None:
        return None
    try:
        return Q.sub(b, a) if isinstance(b, Q.Quantity) else Q.EXACT_CONTEXT.subtract(b, a)
    except RUNTIME_TYPE_ERRORS:  # a dose in mg, then one in IU
        problems.append(f"cannot subtract {a} ({first.id}) from {b} ({last.id})")
        return None


def _kind(v) -> Any:
    """What a value can be compared with: a quantity of its dimension, or values of its kind."""
    if isinstance(v, Q.Quantity):
        return v.unit.dims
    if isinstance(v, tuple):  # an event's codings
        return Coding
    return type(v)


def _all_equal(values: list) -> bool | None:
    """Whether all values are equal: False when any two comparable values differ, else None when some
    cannot be compared (a dose in mg and one in IU), else True; whatever the order of the values.
    Linear: values are grouped by what they can be compared with (a quantity's dimension, a kind of
    value); two groups never compare, so the answer is False when some group holds two different values."""
    groups: dict[Any, Any] = {}
    for v in values:
        key = _kind(v)
        first = groups.setdefault(key, v)
        if first is not v and first != v:
            return False
    return None if len(groups) > 1 else True


def stable_value(r: QueryResult, field: str | None, gap, has_gap: bool, missing: list, problems: list):
    """`stable F of Q` (and `continuous Q`, which has no field: continuity alone)."""
    if field is not None:
        values = [e.fields.get(field) for e in r.matched]
        known = [v for v in values if v is not None]
        same = _all_equal(known)
        if same is False:
            return False
        if same is None:
            problems.append(f"cannot compare the {field} of {', '.join(sorted(e.id for e in r.matched))}")
            return None
        if r.undecided or len(known) < len(values):
            for e, v in zip(r.matched, values, strict=True):
                if v is None:
                    missing.append(f"{r.collection} {e.id}: {field}")
            return None
    elif r.undecided:
        return None
    periods = [(e.start, e.end) for e in r.matched]
    # Continuity, for the allowed gap; a gap known only within bounds (a range from an incomplete history)
    # decides when its smallest value already suffices or its largest cannot. An unknown allowance is
    # anything from 0 days up: it still decides when the records are continuous with no gap at all, or
    # when no record matches (never continuous, whatever the gap).
    low_gap, high_gap = 0, 0
    if has_gap:
        if isinstance(gap, Q.Quantity):
            low_gap = high_gap = int(gap.base / 86400)
        elif isinstance(gap, Bounded):
            low_gap = int(gap.low.base / 86400)
            high_gap = None if gap.high is None else int(gap.high.base / 86400)
        else:
            high_gap = None
        if low_gap < 0:  # a gap computed from data; a written negative gap is a compile error
            problems.append(f"a negative gap ({gap}) is not allowed")
            return None
    if r.matched:
        if covered_continuously(periods, r.window, low_gap):
            if field is not None and not r.covered:  # as `all ... have`: an unrecorded dose could differ
                absence(r, missing)
                return None
            return True
        if high_gap is None or (high_gap != low_gap and covered_continuously(periods, r.window, high_gap)):
            return None
    if r.covered:
        return False
    absence(r, missing)
    return None


# ------------------------------------------------------------- codes and tables


def in_codeset(value, codeset: CodeSet, negated: bool):
    if value is None:
        return None
    # Only codings belong to code sets: a number or a boolean (an observation's value) does not.
    codes = value if isinstance(value, tuple) else (value,) if isinstance(value, Coding) else ()
    if codeset.match(codes) is not None:
        return not negated
    # A malformed code may be a garbled code of the set: unknown, not a quiet "no" (docs/terminology.md).
    return None if any(c.problem is not None for c in codes) else negated


def lookup(value, entries: tuple, table: str, missing: list):
    codes = codings(value)
    for codeset, result in entries:
        if codeset.match(codes) is not None:
            return result
    if codes:  # what would settle it: an entry in the table for this code
        missing.append(f"an entry in table {table} for {' / '.join(map(str, codes))}")
    return None


def field(event: Event, name: str, missing: list):
    """A field of the event a query is looking at (`daily_dose` inside `where`)."""
    v = event.fields.get(name)
    if v is None:
        missing.append(f"{event.collection} {event.id}: {name}")
    return v


# ------------------------------------------------------------------ run-time types


def guarded(problems: list, fn: Callable, args: tuple):
    """Apply a value function to operands whose types are known only at run time."""
    try:
        return fn(*args)
    except RUNTIME_TYPE_ERRORS:
        problems.append("cannot combine " + ", ".join(str(a) for a in args))
        return None


def compare_dynamic(op: str, a, b, problems: list):
    """A comparison whose operand types are known only at run time (an observation's value, a dose in
    any unit): values that cannot be compared are unknown, and the problem is reported."""
    if a is not None and b is not None and (type(a) is bool) != (type(b) is bool):
        # Python would compare True with 2 as 1 <= 2: a boolean is never a number here.
        problems.append(f"cannot compare {a} with {b}")
        return None
    try:
        return compare_value(op, a, b)
    except (UnitMismatch, TypeError):
        problems.append(f"cannot compare {a} with {b}")
        return None


def arith(fn: Callable, a, b, dynamic: bool, problems: list, why: Callable):
    """Arithmetic on two operand values. When both are known but the result is not (a division by zero,
    a date beyond year 9999) or they cannot be combined (run-time types), the reason is a problem, so an
    UNKNOWN always says why."""
    if a is None or b is None or type(a) is Bounded or type(b) is Bounded:
        return None
    try:
        v = fn(a, b)
    except ArithmeticError as err:  # a result beyond the runtime's decimal bounds (runtime/decimal_context.py)
        problems.append(f"{why(a, b)}: {_beyond(err)}")
        return None
    except RUNTIME_TYPE_ERRORS:
        if not dynamic:
            raise
        problems.append(f"cannot combine {show(a)}, {show(b)}")
        return None
    if v is None:
        problems.append(why(a, b))
    return v


def _beyond(err: ArithmeticError) -> str:
    if isinstance(err, Q.MagnitudeError):
        return str(err)
    return f"the result is beyond the range of exact numbers (10^-{EMAX} to 10^{EMAX})"


def score_total(values: list) -> Any:
    """The sum over categories of the highest weight whose condition holds, known within bounds when some
    conditions are unknown. ``values``: per category, a list of (weight, condition value)."""
    low = high = Decimal(0)
    for items in values:
        low = Q.EXACT_CONTEXT.add(low, max((w for w, v in items if v is True), default=Decimal(0)))
        high = Q.EXACT_CONTEXT.add(high, max((w for w, v in items if v is not False), default=Decimal(0)))
    return bounded_or_exact(low, high)


__all__ = ["AGGREGATES", "ALL_TIME", "QueryResult", "age_value", "all_value", "arith", "change_value",
           "compare_dynamic", "compare_value", "count_value", "days_on_value", "exists_value", "field", "guarded",
           "in_codeset", "junction", "lookup", "pick_event", "pick_events", "pick_value", "score_total", "select",
           "settle", "stable_value", "tied_value", "window_of"]
