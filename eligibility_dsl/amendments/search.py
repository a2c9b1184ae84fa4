"""Random search for a patient whom two versions of a criterion treat differently, evaluated for real.

Used where the versions differ inside a construct outside the solver's fragment (a query's window,
code set or filter, a score, a table).  Records are drawn from the constants the two criteria are
written with: event codes from the code sets they query, dates around the anchors, values near the
thresholds they compare with, each fact known or missing, coverage stated or not.  The search is
seeded (the same files give the same answer) and bounded; finding nothing is reported as "no
difference found in N records", never as equivalence.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any

from ..api import Trial
from ..check import ir
from ..records.binder import RecordError
from ..records.model import COLLECTIONS
from ..runtime.quantity import Quantity

ANCHOR = datetime.date(2025, 6, 1)
_ATC_SHAPE = "A00AA00"  # an ATC code's letters and digits, to complete a class prefix such as `A10A*`


def _walk(node: Any):
    if isinstance(node, ir.Query):
        yield node
        for child in node.children():
            yield from _walk(child)
        return
    if isinstance(node, ir.Node):
        yield node
        for name in ("query",):
            q = getattr(node, name, None)
            if isinstance(q, ir.Query):
                yield q
        for child in node.children():
            yield from _walk(child)


def _complete(system: str, code: str, rng: random.Random) -> str:
    if not code.endswith("*"):
        return code
    prefix = code[:-1]
    if system.upper() == "ATC":
        return prefix + "".join(rng.choice("ABC") if c == "A" else rng.choice("0123")
                                for c in _ATC_SHAPE[len(prefix):])
    return prefix


class RecordMaker:
    def __init__(self, trials: tuple[Trial, Trial], nodes: tuple[ir.Node, ...], seed: int = 14):
        self.rng = random.Random(seed)
        self.queries = [q for n in nodes for q in _walk(n) if isinstance(q, ir.Query)]
        self.quantities = [q.value for n in nodes for q in _walk(n)
                           if isinstance(q, ir.Const) and isinstance(q.value, Quantity)]
        self.numbers = [q.value for n in nodes for q in _walk(n)
                        if isinstance(q, ir.Const) and isinstance(q.value, Decimal)]
        self.codes: dict[str, list[tuple[str, str]]] = {}
        for trial in trials:
            for name, spec in trial.checked.codesets.items():
                self.codes.setdefault(name, []).extend((s, c) for s, c, _ in spec.codes)
        self.facts = {**trials[0].facts, **trials[1].facts}
        self.anchors = sorted(set(trials[0].anchors) | set(trials[1].anchors))

    def _date(self) -> str:
        return (ANCHOR + datetime.timedelta(days=self.rng.randint(-400, 30))).isoformat()

    def _quantity(self) -> Quantity | None:
        if not self.quantities:
            return None
        q = self.rng.choice(self.quantities)
        return Quantity(q.value + Decimal(self.rng.choice((-2, -1, 0, 0, 1, 2))) / 2, q.unit)

    def _event(self, collection: str, codeset: str | None, number: int) -> dict:
        c = COLLECTIONS[collection]
        pool = self.codes.get(codeset or "", []) or [("LOCAL", "other")]
        system, code = self.rng.choice(pool)
        event: dict[str, Any] = {"id": f"{collection[0]}{number}",
                                 "code": {"system": system, "code": _complete(system, code, self.rng)}}
        start = self._date()
        event[c.start] = start
        if c.end is not None and self.rng.random() < 0.5:
            days = self.rng.randint(0, 200)
            event[c.end] = (datetime.date.fromisoformat(start) + datetime.timedelta(days=days)).isoformat()
        for f in c.fields.values():
            if f.name in event or self.rng.random() < 0.3:
                continue
            if f.type.kind == "code" and f.type.values:
                event[f.name] = self.rng.choice(f.type.values)
            elif f.type.kind == "any":  # an observation's value; doses are left out (their units vary)
                q = self._quantity()
                if q is not None:
                    event[f.name] = {"value": str(q.value), "unit": q.unit.symbol}
        return event

    def record(self, number: int) -> dict:
        rng = self.rng
        rec: dict[str, Any] = {"record_version": "1", "id": f"random-{number}", "facts": {}}
        if rng.random() < 0.9:
            rec["birth_date"] = (ANCHOR - datetime.timedelta(days=rng.randint(0, 100 * 366))).isoformat()
        for name, spec in self.facts.items():
            if spec.builtin or rng.random() < 0.15:
                continue
            kind = spec.type.kind
            if kind == "boolean":
                rec["facts"][name] = rng.random() < 0.5
            elif kind == "number" and self.numbers:
                rec["facts"][name] = str(rng.choice(self.numbers) + Decimal(rng.randint(-4, 4)) / 2)
            elif kind == "quantity" and spec.type.unit is not None:
                q = [x for x in self.quantities if x.unit.dims == spec.type.unit.dims] or [Quantity(1, spec.type.unit)]
                base = rng.choice(q)
                rec["facts"][name] = f"{base.value + Decimal(rng.randint(-4, 4)) / 4} {base.unit.symbol}"
            elif kind == "date":
                rec["facts"][name] = self._date()
            elif kind == "code" and spec.type.values:
                rec["facts"][name] = rng.choice(spec.type.values)
        for collection in {q.collection for q in self.queries}:
            codesets = [q.codeset for q in self.queries if q.collection == collection]
            rec[collection] = [self._event(collection, rng.choice(codesets), i) for i in range(rng.randint(0, 3))]
            if rng.random() < 0.6:
                rec.setdefault("coverage", {})[collection] = {"from": "2020-01-01", "to": ANCHOR.isoformat()}
        return rec


def search(kind: str, cid: str, old: Trial, new: Trial, nodes: tuple[ir.Node, ...], tries: int = 400) -> dict:
    """Examples of records the new version treats worse (stricter) and better (looser) for `cid`."""
    favour = {"MET": 2, "UNKNOWN": 1, "NOT_MET": 0} if kind == "include" else {"MET": 0, "UNKNOWN": 1, "NOT_MET": 2}
    maker = RecordMaker((old, new), nodes)
    found: dict[str, dict] = {}
    anchors = dict.fromkeys(maker.anchors, ANCHOR.isoformat())
    valid = 0
    for i in range(tries):
        record = maker.record(i)
        try:
            before, after = (_status(trial, record, anchors, cid) for trial in (old, new))
        except RecordError:
            continue
        valid += 1
        o, n = str(before.status), str(after.status)
        if favour[n] != favour[o]:
            found.setdefault("stricter" if favour[n] < favour[o] else "looser",
                             {"record": record, "anchors": anchors, "old": o, "new": n})
        if len(found) == 2:
            break
    return {"examples": found, "records_tried": valid}


def _status(trial: Trial, record: dict, anchors: dict, cid: str):
    """The criterion's result for the record, given only the facts this version declares."""
    own = {**record, "facts": {k: v for k, v in record["facts"].items() if k in trial.facts}}
    return trial.evaluate(own, {a: anchors[a] for a in trial.anchors}, trace=False).criterion(cid)
