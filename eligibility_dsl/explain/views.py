"""Views of one recorded evaluation: filters over the same trace, as OPA's explain modes are.

- ``summary``: every criterion, one readable sentence each with its evidence;
- ``fails``: only what made the patient ineligible or left the decision open (an inclusion NOT_MET or
  UNKNOWN, an exclusion MET or UNKNOWN), each with its whole trace;
- ``full``: every criterion with its whole trace;
- ``worklist``: what a coordinator must find to decide an INDETERMINATE patient, grouped by data source,
  each item with its window ("FVC % predicted measured between 2025-06-11 and 2025-09-11").

A view never evaluates anything: it chooses what to show from a decision already made, so every view of
one decision agrees with every other.
"""

from __future__ import annotations

from ..check import ir
from ..runtime.bounded import Bounded
from .outcome import Status
from .quote import SourceText
from .trace import TraceNode, event_to_dict

VIEWS = ("summary", "fails", "full", "worklist")

# How a record of each collection happens, for worklist items ("FVC % predicted measured between ...").
_VERBS = {"conditions": "diagnosed", "medications": "taken", "observations": "measured", "procedures": "performed",
          "immunizations": "given", "allergies": "recorded", "trial_participations": "recorded",
          "assessments": "assessed"}
_BUILTIN_SOURCE = "patient"  # birth date and sex: the record's demographics
_FACT_SOURCE = "facts"  # answers the site gives (examination findings, judgements)


def check_view(view: str) -> str:
    if view not in VIEWS:
        raise ValueError(f"unknown view `{view}` (expected one of: {', '.join(VIEWS)})")
    return view


def failing(criterion) -> bool:
    """Whether a criterion made the patient ineligible or left the decision open."""
    return criterion.decisive or criterion.status is Status.UNKNOWN


def shows_tree(view: str, criterion) -> bool:
    """Whether ``view`` shows this criterion's whole trace tree."""
    return criterion.trace is not None and (view == "full" or (view == "fails" and failing(criterion)))


def criteria_in_view(view: str, decision) -> list:
    if view == "fails":
        return [c for c in decision.criteria if failing(c)]
    if view == "worklist":
        return [c for c in decision.criteria if c.status is Status.UNKNOWN]
    return list(decision.criteria)


def window_phrase(window) -> str:
    """A window as a coordinator reads it: whole days, both ends included."""
    first, last = window.first_day(), window.last_day()
    if first is None and last is None:
        return "at any time"
    if first is None:
        return f"on or before {last.isoformat()}"
    if last is None:
        return f"on or after {first.isoformat()}"
    if first == last:
        return f"on {first.isoformat()}"
    if first > last:
        return f"in an empty window ({window})"
    return f"between {first.isoformat()} and {last.isoformat()}"


def _unknown(value) -> bool:
    return value is None or isinstance(value, Bounded)


def _query_item(t: TraceNode, checked, src: SourceText) -> dict:
    e, q = t.evidence, t.node.query
    subject = q.codeset or q.collection
    if checked is not None and q.codeset in getattr(checked, "codesets", {}):
        subject = checked.codesets[q.codeset].description or q.codeset
    where = src.of(q.filter) if q.filter is not None else None
    verb = _VERBS.get(q.collection, "recorded")
    text = f"{subject} {verb} {window_phrase(e.window)}" + (f" (where {where})" if where else "")
    if e.undecided:
        why = ("these records could not be judged: " + "; ".join(e.describe(x) for x in e.undecided) +
               " (complete the details they lack)")
    elif e.coverage is None or not e.covered:
        why = (f"none is recorded, and the record does not state that its {q.collection} are complete over "
               f"that period: record one, or confirm the {q.collection} history is complete then")
    else:
        why = "none is recorded in that period: a new record is needed"
    return {"source": q.collection, "codeset": q.codeset, "text": text, "why": why,
            "window": e.to_dict()["window"], "undecided": [event_to_dict(x, e.shown) for x in e.undecided]}


def _fact_item(t: TraceNode, checked) -> dict:
    name = t.node.name
    spec = getattr(checked, "facts", {}).get(name) if checked is not None else None
    source = _BUILTIN_SOURCE if spec is not None and spec.builtin else _FACT_SOURCE
    text = f"{name}: {spec.description}" if spec is not None and spec.description else name
    return {"source": source, "fact": name, "text": text, "why": "not in the record"}


def _items_of(t: TraceNode, checked, src: SourceText, out: list[dict]) -> None:
    """The unknown leaves of one criterion's trace: only parts whose value is unknown (or a range) can
    need data; a known part needs nothing."""
    stack = [t]
    while stack:
        node = stack.pop()
        if not _unknown(node.value):
            continue
        if node.evidence is not None:
            out.append(_query_item(node, checked, src))
        elif isinstance(node.node, ir.Fact):
            out.append(_fact_item(node, checked))
        else:
            stack.extend(reversed(node.children))


def worklist(decision, checked=None) -> list[dict]:
    """What must be found to decide the UNKNOWN criteria: ``[{source, items: [{text, why, window?, criteria,
    ...}]}]``, grouped by data source (the facts the site answers, then each collection) in order of first
    need; an item needed by several criteria is listed once with all of their ids.  ``checked`` (the
    trial's ``CheckedTrial``) supplies code set and fact descriptions; without it, names are used.  A
    criterion evaluated without a trace contributes its ``missing`` list as written by the evaluator."""
    src = SourceText.of_decision(decision)
    groups: dict[str, dict[str, dict]] = {}
    for c in decision.criteria:
        if c.status is not Status.UNKNOWN:
            continue
        items: list[dict] = []
        if c.trace is not None:
            _items_of(c.trace, checked, src, items)
        if not items:
            items = [{"source": "other", "text": m, "why": "reported missing by the evaluation"} for m in c.missing]
        for item in items:
            group = groups.setdefault(item["source"], {})
            kept = group.setdefault(item["text"] + "\0" + item["why"], {**item, "criteria": []})
            if c.id not in kept["criteria"]:
                kept["criteria"].append(c.id)
    order = sorted(groups, key=lambda s: (s not in (_FACT_SOURCE, _BUILTIN_SOURCE), list(groups).index(s)))
    return [{"source": s, "items": list(groups[s].values())} for s in order]
