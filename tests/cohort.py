"""A seeded synthetic cohort of SSc history records (for the screening tests and benchmarks/bench_screen.py).

Each record starts from ``trials/tests/ssc_telitacicept/base.json`` (an ELIGIBLE patient, anchors screening
2025-09-11, first_dose 2025-09-25) and takes 0 to 3 of the per-criterion cases of
``trials/tests/ssc_telitacicept/<ID>.test.json`` (each a merge patch that makes one criterion MET, NOT_MET or
UNKNOWN), applied in turn (a later patch replaces an event list an earlier one set).  Then: a birth date
between 1950 and 2004 (unless a patch set it), each examination fact missing with probability 3%, and about
1% of records broken the way exports break (a misspelled field, a unit of the wrong dimension), so that ERROR
rows appear too.  The same ``seed`` gives the same records, byte for byte, on every machine.
"""

from __future__ import annotations

import datetime
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from boundaries import BASE_FILE, merge_patch, ssc_criterion_cases

ROOT = Path(__file__).parent.parent
ANCHORS = {"screening": "2025-09-11", "first_dose": "2025-09-25"}


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


BASE = _load(BASE_FILE)
CASES = ssc_criterion_cases(_load)
_BIRTHS = (datetime.date(1950, 1, 1).toordinal(), datetime.date(2004, 12, 31).toordinal())
_BREAKAGES = (
    lambda r: r.update(smoker=True),  # a field the patient model does not have
    lambda r: r["observations"][0].update(value={"value": 72, "unit": "kg"}) if r.get("observations") else None,
    lambda r: r.update(birth_date="1980-02-30"),
)


def ssc_record(rng: random.Random, i: int, prefix: str = "ssc") -> dict:
    record = BASE
    for _, case in rng.sample(CASES, rng.choices((0, 1, 2, 3), weights=(40, 35, 18, 7))[0]):
        record = merge_patch(record, case["patch"])
    record = merge_patch(record, {"id": f"{prefix}-{i:07d}"})
    if record.get("birth_date") == BASE["birth_date"]:
        record["birth_date"] = datetime.date.fromordinal(rng.randint(*_BIRTHS)).isoformat()
    facts = record.get("facts") or {}
    for name in sorted(facts):
        if rng.random() < 0.03:
            del facts[name]
    if rng.random() < 0.01:
        rng.choice(_BREAKAGES)(record)
    return record


def ssc_cohort(n: int, seed: int = 0, prefix: str = "ssc") -> Iterator[dict]:
    rng = random.Random(seed)
    for i in range(n):
        yield ssc_record(rng, i, prefix)


def write_ndjson(path: Path, records) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path
