"""Spec tests as data (tests/spec/*.json, one file per construct): every engine (python, duckdb, spark) gives
the expected status of every criterion for every patient of the file.

The same records are given to every engine; the SQL engines load them into the event tables
(docs/event_tables.md) and run the trial compiled to one SQL query.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from eligibility_dsl.api import compile_source
from eligibility_dsl.screening.engines import ENGINES, Plan
from eligibility_dsl.screening.inputs import Input

SPEC = Path(__file__).parent / "spec"
FILES = sorted(SPEC.glob("*.json"))
ENGINE_NAMES = ("python", "duckdb", "spark")


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)


def screen(engine: str, spec: dict) -> list:
    trial = compile_source(spec["trial"], f"{spec['construct']}.elig")
    records = [p["record"] for p in spec["patients"]]
    plan = Plan(trial, trial.parse_anchors(spec["anchors"]), (Input("<records>", "records", records=records),))
    eng = ENGINES[engine]
    eng.check(plan)
    return [row for batch in eng.batches(plan, 0) for row in batch.rows]


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_spec(path, engine):
    spec = load(path)
    trial = compile_source(spec["trial"], f"{spec['construct']}.elig")
    ids = [c.id for c in trial.criteria]
    rows = screen(engine, spec)
    assert len(rows) == len(spec["patients"])
    for patient, row in zip(spec["patients"], rows, strict=True):
        got = dict(zip(ids, row.statuses, strict=True))
        want = {i: patient["expected"].get(i, got[i]) for i in ids}
        assert got == want, f"{engine}, patient `{patient['record']['id']}`"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_spec_on_the_reference_interpreter(path):
    """The reference interpreter (tests/reference_interpreter.py, written apart from the engines) gives the
    same expected statuses."""
    import reference_interpreter as R

    spec = load(path)
    trial = compile_source(spec["trial"], f"{spec['construct']}.elig")
    anchors = trial.parse_anchors(spec["anchors"])
    names = {True: "MET", False: "NOT_MET", None: "UNKNOWN"}
    for patient in spec["patients"]:
        got = {k: names[v] for k, v in R.evaluate(trial.checked, trial.bind(patient["record"]), anchors).items()}
        want = {i: patient["expected"].get(i, got[i]) for i in got}
        assert got == want, f"reference, patient `{patient['record']['id']}`"


def test_spec_files_cover_the_constructs():
    """Every spec file names its construct and has patients with expectations."""
    assert FILES
    for path in FILES:
        spec = load(path)
        assert spec["construct"] == path.stem
        assert spec["patients"] and all(p["expected"] for p in spec["patients"])


@pytest.mark.parametrize("construct", ("exists", "daily_total"))
@pytest.mark.parametrize("engine", ("duckdb", "spark"))
def test_event_tables_as_parquet_give_the_same_statuses(tmp_path, engine, construct):
    """The event tables written as Parquet (docs/event_tables.md) and read by the SQL engines: one row per
    patient in `position` order, with the statuses the spec expects (daily totals: with the patients the
    query leaves to the Python engine read back from the tables)."""
    from eligibility_dsl.backends.sql.execute import write_parquet
    from eligibility_dsl.backends.sql.schema import Tables

    spec = load(SPEC / f"{construct}.json")
    trial = compile_source(spec["trial"], f"{construct}.elig")
    tables = Tables()
    for k, patient in enumerate(spec["patients"]):
        tables.add(patient["record"]["id"], k, trial.bind(patient["record"]), trial.checked.facts)
    write_parquet(tmp_path / "tables", tables.arrow())
    plan = Plan(trial, trial.parse_anchors(spec["anchors"]), (Input(str(tmp_path / "tables"), "event-tables"),))
    ENGINES[engine].check(plan)
    rows = [row for batch in ENGINES[engine].batches(plan, 0) for row in batch.rows]
    ids = [c.id for c in trial.criteria]
    assert [r.record_id for r in rows] == [p["record"]["id"] for p in spec["patients"]]
    assert [r.position for r in rows] == list(range(len(rows)))
    for patient, row in zip(spec["patients"], rows, strict=True):
        assert dict(zip(ids, row.statuses, strict=True)) == patient["expected"]


@pytest.mark.parametrize("construct", ("exists", "daily_total"))
def test_parquet_event_tables_screened_by_partitions_give_the_same_rows(tmp_path, monkeypatch, construct):
    """`ELIG_DUCKDB_PARTITION` (default 250,000) screens big Parquet event tables one range of positions at
    a time, so memory is that of one part: the rows are the same, in the same order, as in one query, even
    with parts of 2 patients and sparse positions (and patients left to the Python engine among them)."""
    from eligibility_dsl.backends.sql.execute import write_parquet
    from eligibility_dsl.backends.sql.schema import Tables

    spec = load(SPEC / f"{construct}.json")
    trial = compile_source(spec["trial"], f"{construct}.elig")
    tables = Tables()
    for k, patient in enumerate(spec["patients"]):
        tables.add(patient["record"]["id"], 3 * k + 1, trial.bind(patient["record"]), trial.checked.facts)
    write_parquet(tmp_path / "tables", tables.arrow())
    plan = Plan(trial, trial.parse_anchors(spec["anchors"]), (Input(str(tmp_path / "tables"), "event-tables"),))

    def rows(size: str) -> list:
        monkeypatch.setenv("ELIG_DUCKDB_PARTITION", size)
        return [row for batch in ENGINES["duckdb"].batches(plan, 0) for row in batch.rows]

    whole = rows("0")
    assert len(spec["patients"]) > 2 and [r.position for r in whole] == [3 * k + 1 for k in range(len(whole))]
    assert rows("2") == whole and rows("1") == whole
    ids = [c.id for c in trial.criteria]
    for patient, row in zip(spec["patients"], rows("2"), strict=True):
        assert dict(zip(ids, row.statuses, strict=True)) == patient["expected"]
