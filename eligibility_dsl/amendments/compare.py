"""Criteria matched by id across two versions of a trial: added, removed, changed, unchanged.

A criterion has changed when its kind, protocol text or meaning differs; meaning is compared on the
checked IR with definitions inlined (spans and layout never count), so a reworded definition that
a criterion uses changes the criterion.  Each changed criterion's logic goes to the solver.
"""

from __future__ import annotations

from typing import Any

import attrs

from ..check import ir
from .smt import compare as smt_compare

_SEARCH_VERDICT = {frozenset(): "no difference found", frozenset({"stricter"}): "stricter",
                   frozenset({"looser"}): "looser", frozenset({"stricter", "looser"}): "neither"}


def inline(node: Any, definitions: dict[str, ir.Definition], depth: int = 0) -> Any:
    """`node` with every definition it uses replaced by the definition's expression."""
    if isinstance(node, ir.DefRef) and node.name in definitions and depth < 200:
        return inline(definitions[node.name].expr, definitions, depth + 1)
    if isinstance(node, tuple):
        return tuple(inline(x, definitions, depth) for x in node)
    if isinstance(node, ir.Node | ir.Query | ir.Window):
        changes = {}
        for f in attrs.fields(type(node)):
            value = getattr(node, f.name)
            if isinstance(value, ir.Node | ir.Query | ir.Window | tuple):
                new = inline(value, definitions, depth)
                if new is not value:
                    changes[f.name] = new
        return attrs.evolve(node, **changes) if changes else node
    return node


def compare_trials(old: ir.CheckedTrial, new: ir.CheckedTrial, trials: tuple | None = None) -> dict:
    """The amendment as data: criteria added, removed and changed (with a verdict), in the new order.
    ``trials`` (the two compiled :class:`~eligibility_dsl.api.Trial`) enables the random search where the
    versions differ inside a construct outside the solver's fragment; without it the verdict says so."""
    before = {c.id: c for c in old.criteria}
    after = {c.id: c for c in new.criteria}
    changed, unchanged = [], []
    for cid, c in after.items():
        if cid not in before:
            continue
        o = before[cid]
        old_expr, new_expr = inline(o.expr, old.definitions), inline(c.expr, new.definitions)
        if o.kind == c.kind and old_expr == new_expr:
            if o.text != c.text:
                changed.append({"id": cid, "kind": c.kind, "text_changed": True, "logic_changed": False,
                                "verdict": "equivalent", "examples": {}, "abstracted": [], "solver_gave_up": []})
            else:
                unchanged.append(cid)
            continue
        entry = {"id": cid, "kind": c.kind, "text_changed": o.text != c.text, "logic_changed": True}
        if o.kind != c.kind:
            entry.update(verdict="neither", examples={}, abstracted=[], solver_gave_up=[],
                         note=f"was an {o.kind} criterion, now an {c.kind} criterion")
        else:
            entry.update(smt_compare(c.kind, old_expr, new_expr, {}, {}))
            if entry["differing_outside_fragment"]:
                entry.update(_searched(c.kind, cid, trials, (old_expr, new_expr)))
        changed.append(entry)
    return {
        "old": {"id": old.registry_id, "version": old.version, "file": old.file},
        "new": {"id": new.registry_id, "version": new.version, "file": new.file},
        "added": [{"id": c.id, "kind": c.kind, "text": c.text} for c in new.criteria if c.id not in before],
        "removed": [{"id": c.id, "kind": c.kind, "text": c.text} for c in old.criteria if c.id not in after],
        "changed": changed,
        "unchanged": unchanged,
    }


def _searched(kind: str, cid: str, trials: tuple | None, nodes: tuple) -> dict:
    """The solver cannot relate versions that differ inside an abstraction: search real records instead."""
    if trials is None:
        return {"verdict": "not decided", "method": "none", "examples": {}}
    from .search import search  # evaluates records: only when needed

    found = search(kind, cid, trials[0], trials[1], nodes)
    return {"verdict": _SEARCH_VERDICT[frozenset(found["examples"])], "method": "random search",
            "examples": found["examples"], "records_tried": found["records_tried"]}
