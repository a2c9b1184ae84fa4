"""Counting over items (lang11b): what generated evaluators call for `count items with COND of latest Q`.

The assessment is Q's latest (earliest) matching record, chosen as `latest FIELD of Q` chooses it (known only
where the history is complete and no undecided record could come later). Each of its items is an event of
its own for COND (fields `item` and `score`); an item whose COND is unknown (unscored) may or may not count,
so the count is then known between bounds ("between 1 and 3"). An assessment without items is unknown, with
its items named as missing.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from ...runtime.bounded import bounded_or_exact
from ...runtime.events import Event
from . import support as S
from .support_trace import TraceNode

_SHOWN = ("item", "score")


def chosen_assessment(r: S.QueryResult, latest: bool, codeset: str | None, missing: list) -> Event | None:
    """The latest (earliest) assessment; of several on one day without times, the one they all agree with."""
    events = S.pick_events(r, latest, codeset, missing)
    if events is None or len(events) == 1:
        return None if events is None else events[0]
    items = [e.fields.get("items") for e in events]
    if any(i is None for i in items):
        missing.extend(f"assessments {e.id}: items" for e, i in zip(events, items, strict=True) if i is None)
        return None
    return events[0] if S.settle(events, items, "coding", latest, r.collection, "items", missing) is not None else None


def item_events(assessment: Event) -> list[Event]:
    return [Event(f"{assessment.id} item {name}", "assessments", {"item": name, "score": score}, assessment.start,
                  assessment.end) for name, score in assessment.fields["items"]]


def item_count(r: S.QueryResult, latest: bool, codeset: str | None, cond: Callable, env: tuple, missing: list,
               on_item: Callable | None = None):
    assessment = chosen_assessment(r, latest, codeset, missing)
    if assessment is None:
        return None
    if assessment.fields.get("items") is None:
        missing.append(f"assessments {assessment.id}: items")
        return None
    low = high = 0
    for item in item_events(assessment):
        v = cond(item, *env) if on_item is None else on_item(item, cond(item, *env))
        low += v is True
        high += v is not False
    return bounded_or_exact(Decimal(low), Decimal(high))


def item_count_traced(r: S.QueryResult, latest: bool, codeset: str | None, cond: Callable, env: tuple,
                      missing: list, traces: list, cond_node):
    """``item_count`` keeping each item's condition trace."""
    def keep(item: Event, t):
        traces.append(TraceNode(cond_node, t.value, (t,), event=item, shown=_SHOWN))
        return t.value
    return item_count(r, latest, codeset, cond, env, missing, keep)
