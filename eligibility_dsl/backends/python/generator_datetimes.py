"""Generation rules for date-times (issue 11): `age in hours at X`, `age in minutes at X`.

The birth is the record's birth date-time when `birth_date` was written as one (kept by the binder under
``BIRTH_TIME``), else its date (known to the day); ``X`` is the anchor's date-time when the anchor was given
as one (``AnchorTime``, a batch constant), else its date. ``runtime.datetimes.age_in`` gives the completed
hours (minutes), or the bounds they lie between when a side is known only to the day: comparisons then go
through the bounded comparison (``Generator.may_be_bounded``), decided only when every possible age agrees.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...check import ir
from ...language import types as T
from ...runtime.datetimes import BIRTH_TIME, DateTime, age_in, anchor_time, from_date
from ...runtime.exact_windows import exact_window
from . import support as S
from .generator_history import AGGREGATE_CALLS

_BIRTH = ir.Fact(T.DATE, "birth_date")  # implicit in `age in ... at`: no source of its own


def _at(g, node: ir.AgeIn, at: str, instant: str | None) -> str:
    return at if instant is None else f"({instant} if {instant} is not None else {at})"


def fast_age_in(g, node: ir.AgeIn) -> str:
    birth = g.fast_fact(_BIRTH)
    at = g.fast(node.at)
    instant = g.fast(node.instant) if node.instant is not None else None
    out = g.tmp()
    g.line(f"{out} = None if {birth} is None else _age_in({g.c(node.unit)}, F.get({g.c(BIRTH_TIME)}) or {birth}, "
           f"{_at(g, node, at, instant)})")
    return out


def traced_age_in(g, node: ir.AgeIn):
    """The trace shows what was measured from and to: the birth date-time (or date) and the anchor's."""
    at = g.traced(node.at)
    if node.instant is not None:  # the anchor as given: its date-time, when it was given as one
        at = g.trace_leaf(node.at, _at(g, node, at.v, g.fast(node.instant)))
    born = g.fast_fact(_BIRTH)
    birth = g.trace_leaf(_BIRTH, f"(F.get({g.c(BIRTH_TIME)}) or {born})")
    out = g.tmp()
    g.line(f"{out} = None if {born} is None else _age_in({g.c(node.unit)}, {birth.v}, {at.v})")
    return g.trace_leaf(node, out, birth, at)


def fast_anchor_time(g, node: ir.AnchorTime) -> str:
    if g.mode == "prepare":
        out = g.tmp()
        g.line(f"{out} = _anchor_time(A, {g.c(node.name)})")
        return out
    return g.read_slot(node)


def fast_event_time(g, node: ir.EventTime) -> str:
    out = g.tmp()
    g.line(f"{out} = _event_time(ev)")
    return out


def event_time(event) -> DateTime | None:
    """The event's instant, or its date known to the day; None outside an event or for an undated one."""
    if event is None or event.start is None:
        return None
    return event.instant if event.instant is not None else from_date(event.start)


def pick_time(r, latest: bool, missing: list) -> DateTime | None:
    """The date-time of the latest (earliest) event of a selection (``support.pick_event``), or None."""
    return event_time(S.pick_event(r, latest, None, missing))


DATETIME_FAST: dict[type, Callable[[Any, Any], str]] = {ir.AgeIn: fast_age_in, ir.AnchorTime: fast_anchor_time,
                                                        ir.EventTime: fast_event_time,
                                                        ir.PickTime: lambda g, node: g.fast_query_node(node)}
# The query a `latest date of Q` window reads is selected once per record with the `latest date` itself.
AGGREGATE_CALLS[ir.PickTime] = lambda g, node, r, traced, traces: f"_pick_time({r}, {node.which == 'latest'}, M)"
DATETIME_TRACED: dict[type, Callable[[Any, Any], Any]] = {ir.AgeIn: traced_age_in}
DATETIME_NAMES: dict[str, Any] = {"_age_in": age_in, "_anchor_time": anchor_time, "_exact_window": exact_window,
                                  "_event_time": event_time, "_pick_time": pick_time}
