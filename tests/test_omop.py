"""OMOP CDM v5.4 input (docs/omop.md): a tiny CDM database built from tests/fixtures/omop/*.csv, screened on
the SSc trial.  The decisions are hand-checked (tests/fixtures/omop/expected.json says why, person by
person), the DuckDB file and the Parquet folder give the same rows, and every engine agrees on it."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

duckdb = pytest.importorskip("duckdb")

from eligibility_dsl import compile_file  # noqa: E402
from eligibility_dsl.cli import main  # noqa: E402
from eligibility_dsl.screening import inputs, screen, screen_rows  # noqa: E402
from eligibility_dsl.screening.omop import coding_of, open_omop  # noqa: E402

ROOT = Path(__file__).parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "omop"
EXPECTED = json.loads((FIXTURE / "expected.json").read_text(encoding="utf-8"))
ANCHORS = EXPECTED["anchors"]
TRIAL = ROOT / EXPECTED["trial"]


def build_cdm(directory: Path) -> tuple[Path, Path]:
    """The fixture as a DuckDB database file and as a folder of Parquet tables (the two OMOP forms)."""
    db, folder = directory / "cdm.duckdb", directory / "cdm_parquet"
    folder.mkdir()
    con = duckdb.connect(str(db))
    for csv in sorted(FIXTURE.glob("*.csv")):
        con.execute(f"CREATE TABLE {csv.stem} AS SELECT * FROM read_csv('{csv}', header = true, all_varchar = true)")
        con.execute(f"COPY {csv.stem} TO '{folder / (csv.stem + '.parquet')}' (FORMAT PARQUET)")
    con.close()
    return db, folder


@pytest.fixture(scope="module")
def cdm(tmp_path_factory) -> tuple[Path, Path]:
    return build_cdm(tmp_path_factory.mktemp("omop"))


@pytest.fixture(scope="module")
def trial():
    return compile_file(TRIAL)


def sql_trial():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_sql

    return bench_sql.sql_trial()[0]


def decided(rows) -> list[tuple]:
    return [(r.record_id, r.outcome, r.statuses, r.reasons) for r in rows]


def test_hand_checked_decisions_on_the_ssc_trial(cdm, trial):
    ids = [c.id for c in trial.criteria]
    for source in cdm:
        rows = list(screen_rows(trial, [f"omop:{source}"], ANCHORS))
        assert [r.record_id for r in rows] == sorted(EXPECTED["decisions"])  # one row per person, by person_id
        for row in rows:
            outcome, statuses = EXPECTED["decisions"][row.record_id]
            got = dict(zip(ids, row.statuses, strict=True))
            assert (row.record_id, row.outcome) == (row.record_id, outcome)
            assert {k: got[k] for k in statuses} == statuses, EXPECTED["why"][row.record_id]


def test_the_database_file_and_the_parquet_folder_give_the_same_rows(cdm, trial):
    db, folder = cdm
    assert decided(screen_rows(trial, [f"omop:{db}"], ANCHORS)) == \
        decided(screen_rows(trial, [folder], ANCHORS))


@pytest.mark.parametrize("engines", [("python", "duckdb"),
                                     pytest.param(("duckdb", "spark"), marks=pytest.mark.skipif(
                                         shutil.which("java") is None, reason="Spark needs Java"))])
def test_every_engine_decides_the_omop_persons_alike(cdm, engines):
    """The law: on the same OMOP database the engines give identical statuses, outcomes and reasons (on the
    criteria the SQL backend compiles: the trial restricted as benchmarks/bench_sql.py restricts it)."""
    pytest.importorskip("pyspark") if "spark" in engines else None
    restricted = sql_trial()
    first, second = (decided(screen_rows(restricted, [f"omop:{cdm[0]}"], ANCHORS, engine=e)) for e in engines)
    assert first == second
    assert len(first) == len(EXPECTED["decisions"])


def test_unmapped_concepts_are_left_out_and_withdraw_coverage(cdm):
    """Person 4's conditions with concept 0 / a local vocabulary: not in the tables, and no conditions coverage
    (so absence there is unknown: never a quiet non-match); person 1's condition with standard concept 0 but a
    mapped source concept stays, coded by the source."""
    con = open_omop(str(cdm[0]), {k: __import__("datetime").date.fromisoformat(v) for k, v in ANCHORS.items()})
    try:
        conditions = con.execute("SELECT patient_id, event_id FROM conditions ORDER BY ALL").fetchall()
        covered = con.execute("SELECT patient_id FROM coverage WHERE collection = 'conditions'").fetchall()
        codes = con.execute("SELECT system, code FROM codes WHERE event_id = '12'").fetchall()
        immunizations = con.execute("SELECT patient_id, event_id FROM immunizations").fetchall()
    finally:
        con.close()
    assert ("4", "41") in conditions and ("4", "42") not in conditions and ("4", "43") not in conditions
    assert ("4",) not in covered and ("1",) in covered and ("7",) not in covered
    assert codes == [("ICD10CM", "J8410")]
    assert immunizations == [("3", "302")]  # a drug exposure coded CVX is a vaccination


def test_a_result_taken_in_a_visit_has_the_visits_class_as_its_setting(cdm):
    """Issue 11: measurement 1001 (`visit_occurrence_id` 9001, an outpatient visit, 9202) has the setting
    `ambulatory`; a measurement with no visit has none (unknown, never assumed outpatient). The CDM has no
    column for severity or grade: missing."""
    con = open_omop(str(cdm[0]), {k: __import__("datetime").date.fromisoformat(v) for k, v in ANCHORS.items()})
    try:
        settings = dict(con.execute("SELECT event_id, setting FROM observations").fetchall())
        graded = con.execute("SELECT count(*) FROM conditions WHERE severity IS NOT NULL OR grade IS NOT NULL")
        graded = graded.fetchone()[0]
    finally:
        con.close()
    assert settings["measurement/1001"] == "ambulatory"
    assert settings["measurement/1003"] is None
    assert graded == 0


def test_concepts_map_to_the_librarys_systems_or_to_nothing():
    assert coding_of("ICD10CM", "M34.0") == ("ICD10CM", "M340", "M34.0")
    assert coding_of("ICD9Proc", "99.71") == ("ICD9CM", "99.71", "99.71")
    assert coding_of("SNOMED", "89155008") == ("SNOMED", "89155008", "89155008")
    assert coding_of("SNOMED", "89155009") is None  # a wrong check digit: not a code of its system
    assert coding_of("Visit", "OP") is None and coding_of(None, "1") is None and coding_of("LOINC", "") is None


def test_omop_inputs_are_named_and_detected(cdm, tmp_path):
    db, folder = cdm
    assert inputs.detect(str(db)) == "omop" and inputs.detect(str(folder)) == "omop"
    renamed = tmp_path / "cdm.bin"
    shutil.copy(db, renamed)
    [resolved] = inputs.resolve([f"omop:{renamed}"])
    assert (resolved.path, resolved.kind) == (str(renamed), "omop")


def test_cli_screens_an_omop_database_with_every_output_format(cdm, tmp_path, capsys):
    anchors = [a for k, v in ANCHORS.items() for a in ("--anchor", f"{k}={v}")]
    for fmt in ("ndjson", "csv"):
        out = tmp_path / f"r.{fmt}"
        assert main(["screen", str(TRIAL), f"omop:{cdm[0]}", *anchors, "--out", str(out), "--quiet"]) == 0
        lines = out.read_text(encoding="utf-8").splitlines()
        assert len(lines) == len(EXPECTED["decisions"]) + (fmt == "csv")
    rows = [json.loads(line) for line in (tmp_path / "r.ndjson").read_text(encoding="utf-8").splitlines()]
    assert [(r["record_id"], r["outcome"]) for r in rows] == [(k, v[0]) for k, v in
                                                              sorted(EXPECTED["decisions"].items())]
    summary = screen(sql_trial(), [cdm[1]], ANCHORS, out=tmp_path / "r.parquet", engine="duckdb")
    want = [r.outcome for r in screen_rows(sql_trial(), [cdm[1]], ANCHORS)]  # the Python engine, same criteria
    assert summary.records == len(want) and summary.outcomes == {o: want.count(o) for o in summary.outcomes}
    assert (tmp_path / "r.parquet").is_file()


def test_databases_that_are_not_omop_are_refused_before_the_run(tmp_path, capsys):
    empty = tmp_path / "other.duckdb"
    con = duckdb.connect(str(empty))
    con.execute("CREATE TABLE patients (id INTEGER)")
    con.close()
    anchors = [a for k, v in ANCHORS.items() for a in ("--anchor", f"{k}={v}")]
    out = tmp_path / "r.ndjson"
    for engine in ("python", "duckdb"):
        assert main(["screen", str(TRIAL), str(empty), *anchors, "--engine", engine, "--out", str(out)]) == 2
        assert "has no `person` table: it is not an OMOP CDM database" in capsys.readouterr().err
    folder = tmp_path / "cdm"
    folder.mkdir()
    con = duckdb.connect()
    con.execute(f"COPY (SELECT 1 AS person_id) TO '{folder / 'person.parquet'}' (FORMAT PARQUET)")
    con.close()
    assert main(["screen", str(TRIAL), str(folder), *anchors, "--out", str(out)]) == 2
    assert "the OMOP table `person` has no column `gender_concept_id`" in capsys.readouterr().err
    assert not out.exists()


def test_the_python_engine_reads_event_tables_as_it_reads_the_records_they_came_from(tmp_path, trial):
    """Records bound and written as the event tables (docs/event_tables.md), read back by the Python engine
    (screening/table_records.py): the same statuses as the records themselves, on every criterion the tables
    can hold (the SQL-compilable ones: what the others read, e.g. assessment components, has no column)."""
    import cohort

    from eligibility_dsl.backends.sql.execute import write_parquet
    from eligibility_dsl.backends.sql.schema import Tables
    from eligibility_dsl.records.binder import RecordError

    restricted = sql_trial()
    records, tables = [], Tables()
    for record in cohort.ssc_cohort(60, seed=7):
        try:
            bound = restricted.bind(record)
        except RecordError:
            continue
        tables.add(bound.id, len(records), bound, restricted.checked.facts)
        records.append(record)
    write_parquet(tmp_path / "tables", tables.arrow())
    want = decided(screen_rows(restricted, [inputs.Input("mem", records=records)], cohort.ANCHORS))
    got = decided(screen_rows(restricted, [tmp_path / "tables"], cohort.ANCHORS))
    assert got == want and len(got) == len(records)
