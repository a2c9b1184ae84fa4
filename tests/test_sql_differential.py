"""Differential tests: the Python backend, DuckDB and Spark give identical statuses for every criterion of every
patient, identical outcomes and identical attrition tables, on random trials and random cohorts.

Trials come from the shared generators of ``tests/strategies.py`` (expressions over facts of every type) and
from ``tests/test_differential.py``'s history generator (queries with code sets, filters, windows, coverage,
scores); a trial that uses a construct the SQL backend does not compile is refused at compile time with a
located diagnostic (checked here too) and skipped by the draw.  Cohorts are lists of records
(``strategies.records`` and the history generator's own records) fed to every engine as the same input.
Spark cases are few (one session for the module, small example counts).
"""

from __future__ import annotations

import datetime

import pytest
import strategies as S
import test_differential as D
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from eligibility_dsl import InputError
from eligibility_dsl.backends.sql import UNSUPPORTED, SqlCompileError, compile_trial
from eligibility_dsl.screening.attrition import Attrition
from eligibility_dsl.screening.engines import ENGINES, EngineUnavailable, Plan
from eligibility_dsl.screening.inputs import Input

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])


def compiles(trial, anchors) -> bool:
    try:
        compile_trial(trial.checked, anchors)
        return True
    except SqlCompileError as err:
        assert all(d.code == UNSUPPORTED and d.span is not None for d in err.diagnostics)
        return False


def screen(engine: str, trial, anchors, records) -> list:
    plan = Plan(trial, anchors, (Input("<records>", "records", records=records),))
    ENGINES[engine].check(plan)
    return [row for batch in ENGINES[engine].batches(plan, 0) for row in batch.rows]


def attrition(trial, rows) -> dict:
    table = Attrition.for_trial(trial)
    table.add(rows)
    return table.to_dict()


def assert_same(engines: tuple[str, ...], trial, anchors, records) -> None:
    results = {e: screen(e, trial, anchors, records) for e in engines}
    reference = results["python"]
    ids = [c.id for c in trial.criteria]
    for engine, rows in results.items():
        assert len(rows) == len(reference)
        for i, (want, got) in enumerate(zip(reference, rows, strict=True)):
            assert (got.outcome, got.statuses, got.reasons) == (want.outcome, want.statuses, want.reasons), (
                f"{engine} differs from python on record {i}: criteria {ids}\n"
                f"python {want.outcome} {want.statuses}\n{engine} {got.outcome} {got.statuses}")
        assert attrition(trial, rows) == attrition(trial, reference)


@st.composite
def cases(draw, max_records: int = 6):
    """(trial, anchors, records): a random trial the SQL backend compiles and a cohort that binds."""
    if draw(st.booleans()):
        source, _env = draw(S.trials(allow_unknown=True), label="trial")
        trial = D._compile(source)
        anchors = {name: S.DEFAULT_ANCHORS[name] for name in trial.anchors}
        records = draw(st.lists(S.records(trial), min_size=1, max_size=max_records), label="records")
    else:
        trial = D._compile(draw(D.trial_sources(), label="trial"))
        when = draw(D.anchors(), label="anchors")
        anchors = {k: datetime.date.fromisoformat(v) for k, v in when.items()}
        records = draw(st.lists(st.one_of(D.records(), S.records(trial, anchors=anchors)), min_size=1,
                                max_size=max_records), label="records")
    anchors = trial.parse_anchors({k: anchors[k] for k in trial.anchors})
    assume(compiles(trial, anchors))
    good = []
    for k, record in enumerate(records):
        record = dict(record, id=f"r{k}")
        try:
            trial.bind(record)
        except InputError:
            continue
        good.append(record)
    assume(good)
    return trial, anchors, good


@settings(max_examples=60, **SETTINGS)
@given(cases())
def test_python_and_duckdb_agree(case):
    """Law: for every compilable trial and cohort, DuckDB's statuses, outcomes, reasons and attrition table
    equal the Python backend's."""
    assert_same(("python", "duckdb"), *case)


@settings(max_examples=4, **SETTINGS)
@given(cases(max_records=4))
def test_python_and_spark_agree(case):
    """Law: the same on Spark (local mode), with few examples (each is a Spark job)."""
    assert_same(("python", "duckdb", "spark"), *case)


def test_a_record_that_does_not_bind_is_an_error_row_on_every_engine():
    trial = D._compile(D.HEADER + 'include C0 "c": exists conditions during before screening\n')
    anchors = trial.parse_anchors({k: "2025-06-01" for k in trial.anchors})
    records = [{"id": "ok"}, {"id": "bad", "conditions": [{"id": "c1"}]}, {"id": "ok2"}]
    for engine in ("python", "duckdb"):
        rows = screen(engine, trial, anchors, records)
        assert [r.outcome for r in rows] == ["INDETERMINATE", "ERROR", "INDETERMINATE"], engine
        assert rows[1].errors


def test_an_uncompilable_trial_is_refused_before_running_with_a_located_diagnostic():
    trial = D._compile(D.HEADER + 'include C0 "c": stable code of medications during 30 days before screening\n')
    anchors = trial.parse_anchors({k: "2025-06-01" for k in trial.anchors})
    plan = Plan(trial, anchors, (Input("<records>", "records", records=[{"id": "x"}]),))
    with pytest.raises(EngineUnavailable, match=r"E0401.*`stable`.*criterion `C0`"):
        ENGINES["duckdb"].check(plan)


def test_the_whole_ssc_trial_compiles_to_sql():
    """`elig screen --engine duckdb` runs every SSc criterion, I6's `stable` dose and highest daily total of
    prednisone-equivalent doses included (it was refused with E0401 before)."""
    trial = D.trial_named("ssc_telitacicept.elig")
    compiled = compile_trial(trial.checked, trial.parse_anchors(D.SSC_ANCHORS))
    assert [c.id for c in compiled.criteria] == [c.id for c in trial.criteria] and len(compiled.criteria) == 20


def test_the_ssc_trial_gives_the_python_statuses_on_every_fixture():
    """The whole SSc trial: DuckDB and Spark give the Python backend's statuses, outcomes and attrition on every
    SSc fixture record (each criterion's boundary cases, the shipped example patients), and DuckDB decides
    I6 itself for every one of them (none is left to the Python engine)."""
    from eligibility_dsl.backends.sql import execute as X
    from eligibility_dsl.backends.sql.schema import Tables

    trial = D.trial_named("ssc_telitacicept.elig")
    anchors = trial.parse_anchors(D.SSC_ANCHORS)
    records = [dict(record, id=f"{label}") for label, name, record, when in D.CASES
               if name == "ssc_telitacicept.elig" and when == D.SSC_ANCHORS]
    assert len(records) > 20
    assert_same(("python", "duckdb", "spark"), trial, anchors, records)
    tables = Tables()
    for k, record in enumerate(records):
        assert tables.add(str(k), k, trial.bind(record), trial.checked.facts)
    con = X.duckdb_connection()
    X.load_arrow_duckdb(con, tables.arrow())
    rows = list(X.run_duckdb(con, compile_trial(trial.checked, anchors)))
    assert len(rows) == len(records) and not any("DEFER" in statuses for _, _, statuses, _ in rows)


@pytest.mark.parametrize("number", ["10000000000000000000000000000", "1.0000000000001", "-123456789012345678901234567"])
def test_a_record_number_the_tables_cannot_hold_is_decided_as_python_decides_it(number):
    """A fact of 10^28 (or with 13 decimals) would be NULL in DECIMAL(38, 12), which reads as missing: the SQL
    engine hands that record to the Python engine instead of answering UNKNOWN (found by the differential
    law above). The other records still go through the tables."""
    trial = D._compile(D.HEADER + 'include C0 "c": n1 in [n1, n1]\ninclude C1 "d": n1 > 2\n')
    anchors = trial.parse_anchors({k: "2025-06-01" for k in trial.anchors})
    records = [{"id": "big", "facts": {"n1": number}}, {"id": "small", "facts": {"n1": "3"}}, {"id": "none"}]
    want = screen("python", trial, anchors, records)
    got = screen("duckdb", trial, anchors, records)
    assert [r.statuses for r in got] == [r.statuses for r in want]
    assert got[0].statuses[0] == "MET" and got[2].statuses == ("UNKNOWN", "UNKNOWN")
    assert [r.record_id for r in got] == ["big", "small", "none"]


def test_a_record_with_times_of_day_is_decided_as_python_decides_it():
    """Two results on one day with times: the Python engine orders them by time (07:00 after 03:00); the event
    tables date events by day and would see a tie (unknown), so the SQL engine has the Python engine decide
    that record. A record dated by day still goes through the tables, tied."""
    from eligibility_dsl.api import compile_source

    trial = compile_source('trial T "t"\nanchor screening\ncodeset cr "creatinine":\n    LOINC "2160-0"\n'
                           'include I1 "low": latest value of observations in cr during 30 days before screening '
                           '< 1.5 mg/dL\n', "t.elig")
    anchors = trial.parse_anchors({"screening": "2025-06-15"})

    def record(rid, first, second):
        obs = [{"id": "o1", "code": {"system": "LOINC", "code": "2160-0"}, "date": first, "value": "2 mg/dL"},
               {"id": "o2", "code": {"system": "LOINC", "code": "2160-0"}, "date": second, "value": "1 mg/dL"}]
        return {"id": rid, "observations": obs, "coverage": {"observations": {"from": None, "to": "2025-06-15"}}}

    records = [record("timed", "2025-06-01T03:00:00Z", "2025-06-01T07:00:00Z"),
               record("by-day", "2025-06-01", "2025-06-01")]
    want = screen("python", trial, anchors, records)
    got = screen("duckdb", trial, anchors, records)
    assert [r.statuses for r in want] == [("MET",), ("UNKNOWN",)]
    assert [r.statuses for r in got] == [r.statuses for r in want]


@pytest.mark.parametrize("value", ["99999999999999999999999 ug/L", "12345678901234.123456789012 ug/L",
                                   "99999999999999 [lb_av]/L"])
def test_a_quantity_the_sql_comparisons_cannot_convert_is_decided_as_python_decides_it(value):
    """The SQL comparisons convert units exactly for |x| < 10^12 and said UNKNOWN beyond (in a latest value,
    against a reference range) where Python decides: such a record is now decided by the Python engine."""
    from eligibility_dsl.api import compile_source

    trial = compile_source('trial T "t"\nanchor screening\ncodeset cr "c":\n    LOINC "2951-2"\n'
                           'include I1 "a": latest value of observations in cr during 30 days before screening '
                           '< 1.5 kg/L\ninclude I2 "b": exists observations in cr where value > reference_high * 3 '
                           'during 30 days before screening\n', "t.elig")
    anchors = trial.parse_anchors({"screening": "2025-06-15"})
    records = [{"id": "r", "observations": [{"id": "o", "code": {"system": "LOINC", "code": "2951-2"},
                                             "date": "2025-06-10", "value": value, "reference_high": "1 ug/L"}],
                "coverage": {"observations": {"from": None, "to": "2025-06-15"}}}]
    want = screen("python", trial, anchors, records)
    assert want[0].statuses == ("NOT_MET", "MET")
    assert [r.statuses for r in screen("duckdb", trial, anchors, records)] == [r.statuses for r in want]


def test_a_cached_query_is_never_given_to_another_trial_with_the_same_id():
    """The SQL engines cache a trial's compiled query by the trial's id; an id is reused once its trial is
    gone, so the cache checks that the trial it holds is the one asked about (a reused id once gave a spec
    test another trial's query: a flaky failure)."""
    from eligibility_dsl.api import compile_source
    from eligibility_dsl.screening import sql_engines as SE

    old = compile_source('trial T "old"\nfact a: boolean\ninclude I1 "a": a\n', "old.elig")
    new = compile_source('trial T "new"\nfact b: boolean\ninclude I1 "b": not b\n', "new.elig")
    plan = Plan(new, {}, (Input("<records>", "records", records=[]),))
    cache = {SE._plan_key(plan): (old, "the old trial's query")}  # as if `old` had had `new`'s id
    assert SE._cached(cache, plan, lambda: "the new trial's query") == "the new trial's query"
    assert SE._cached(cache, plan, lambda: "compiled again") == "the new trial's query"
    rows = screen("duckdb", new, {}, [{"id": "r", "facts": {"b": False}}])
    assert rows[0].statuses == ("MET",) and rows[0].outcome == "ELIGIBLE"


def _query_statuses(trial, anchors, records) -> list[tuple[str, ...]]:
    """The statuses the compiled query itself gives (DEFER: left to the Python engine), per record."""
    from eligibility_dsl.backends.sql import execute as X
    from eligibility_dsl.backends.sql.schema import Tables

    tables = Tables()
    for k, record in enumerate(records):
        assert tables.add(str(k), k, trial.bind(record), trial.checked.facts)
    con = X.duckdb_connection()
    X.load_arrow_duckdb(con, tables.arrow())
    return [statuses for _, _, statuses, _ in X.run_duckdb(con, compile_trial(trial.checked, anchors))]


def _dexamethasone(rid: str, dose: str) -> dict:
    med = {"id": "m1", "start": "2025-06-01", "daily_dose": {"value": dose, "unit": "mg/day"},
           "code": [{"system": "ATC", "code": "H02AB02"}]}
    return {"id": rid, "medications": [med],
            "coverage": {"medications": {"from": None, "to": "2025-06-15"}}}


def test_a_quotient_with_no_exact_decimal_at_its_threshold_is_decided_as_python_decides_it():
    """`1 mg/day / 0.75 mg * 0.75 mg` is exactly 1 mg/day in SQL; the Python engine divides at 34 digits and
    gets 0.99...975, so `= 1 mg/day` was MET on DuckDB and not on Python. A record whose divided quantity is
    within 10^-12 of the threshold is now decided by the Python engine; one farther away stays in SQL."""
    from eligibility_dsl.api import compile_source

    trial = compile_source('trial T "t"\nanchor screening\ncodeset dex "dexamethasone":\n    ATC "H02AB02"\n'
                           'table tab "equivalent": dex: 0.75 mg\n'
                           'include I1 "equal": exists medications where daily_dose / tab[code] * 0.75 mg = 1 mg/day '
                           'during 30 days before screening\n'
                           'include I2 "at least": exists medications where daily_dose / tab[code] * 0.75 mg '
                           '>= 1 mg/day during 30 days before screening\n', "t.elig")
    anchors = trial.parse_anchors({"screening": "2025-06-15"})
    records = [_dexamethasone("at-the-threshold", "1"), _dexamethasone("above", "1.5"),
               _dexamethasone("below", "0.9")]
    want = screen("python", trial, anchors, records)
    assert [r.statuses for r in want] == [("NOT_MET", "NOT_MET"), ("NOT_MET", "MET"), ("NOT_MET", "NOT_MET")]
    for engine in ("duckdb", "spark"):
        assert [r.statuses for r in screen(engine, trial, anchors, records)] == [r.statuses for r in want]
    assert _query_statuses(trial, anchors, records) == [("DEFER", "DEFER"), ("NOT_MET", "MET"), ("NOT_MET", "NOT_MET")]


def test_a_definition_or_query_read_by_two_criteria_leaves_a_patient_to_python_in_both():
    """A definition, and a query, are compiled once; the patients they leave to the Python engine are left to
    it by every criterion that reads them (their compiled forms are reused), and by a daily total's
    comparisons in each criterion."""
    from eligibility_dsl.api import compile_source

    query = "exists medications where daily_dose / tab[code] * 0.75 mg >= 1 mg/day during 30 days before screening"
    trial = compile_source('trial T "t"\nanchor screening\ncodeset dex "dexamethasone":\n    ATC "H02AB02"\n'
                           'table tab "equivalent": dex: 0.75 mg\n'
                           'define total: highest daily total of daily_dose / tab[code] * 5 mg over medications in dex '
                           'during 30 days before screening\n'
                           f'define at_one: {query.replace(">=", "=")}\n'
                           'include I1 "at most": total <= 10 mg/day\nexclude E1 "over": total > 10 mg/day\n'
                           'include I2 "one": at_one\nexclude E2 "not one": not at_one\n'
                           f'include I3 "at least": {query}\nexclude E3 "at least too": {query}\n', "t.elig")
    anchors = trial.parse_anchors({"screening": "2025-06-15"})
    records = [_dexamethasone("exactly-10", "1.5"), _dexamethasone("at-one", "1"), _dexamethasone("under", "0.9")]
    assert _query_statuses(trial, anchors, records) == [
        ("DEFER", "DEFER", "NOT_MET", "MET", "MET", "MET"), ("MET", "NOT_MET") + ("DEFER",) * 4,
        ("MET", "NOT_MET", "NOT_MET", "MET", "NOT_MET", "NOT_MET")]
    want = screen("python", trial, anchors, records)
    assert [r.statuses for r in screen("duckdb", trial, anchors, records)] == [r.statuses for r in want]


def test_statuses_and_flags_packed_over_several_words_decode_as_python_decides():
    """The result row packs two bits per criterion and one per missing flag into BIGINTs of 62 bits: a trial of
    70 criteria (three words of statuses, two of flags) decodes to the Python engine's statuses and missing
    data."""
    from eligibility_dsl.api import compile_source

    names = [f"f{k}" for k in range(70)]
    source = 'trial T "wide"\n' + "".join(f"fact {n}: boolean\n" for n in names)
    source += "".join(f'{"include" if k % 3 else "exclude"} C{k} "c{k}": {n}\n' for k, n in enumerate(names))
    trial = compile_source(source, "wide.elig")
    # every known fact on the eligible side, some missing: INDETERMINATE, missing data from every word of flags
    records = [{"id": f"r{j}", "facts": {n: k % 3 != 0 for k, n in enumerate(names) if (k + j) % (j + 2)}}
               for j in range(6)]
    records.append({"id": "all-true", "facts": dict.fromkeys(names, True)})
    want = screen("python", trial, {}, records)
    got = screen("duckdb", trial, {}, records)
    assert compile_trial(trial.checked, {}).status_columns == 3
    assert [(r.statuses, r.missing) for r in got] == [(r.statuses, r.missing) for r in want]
    assert {s for r in got for s in r.statuses} == {"MET", "NOT_MET", "UNKNOWN"}
    assert {r.outcome for r in got} == {"INDETERMINATE", "INELIGIBLE"}
    indices = {int(m[1:]) for r in got for m in r.missing}
    assert min(indices) < 62 <= max(indices)  # flags from both words


def test_a_result_converted_through_its_analyte_is_decided_as_python_decides_it():
    """A creatinine of 88 umol/L (LOINC 14682-9) against `< 1.5 mg/dL` converts through creatinine's molar mass
    in the Python engine (MET); the SQL comparisons convert units of one dimension only and said UNKNOWN. A
    patient whose value a comparison cannot convert is now decided by the Python engine, in a query's
    condition and in a picked value; one in mg/dL stays in SQL."""
    from eligibility_dsl.api import compile_source

    trial = compile_source('trial T "t"\nanchor screening\ncodeset cr "creatinine":\n'
                           '    LOINC "2160-0", LOINC "14682-9"\n'
                           'include I1 "low": latest value of observations in cr during 30 days before screening '
                           '< 1.5 mg/dL\n'
                           'include I2 "any low": exists observations in cr where value < 1.5 mg/dL '
                           'during 30 days before screening\n'
                           'codeset a1c "HbA1c":\n    LOINC "4548-4", LOINC "59261-8"\n'
                           'include I3 "controlled": latest value of observations in a1c during 30 days before '
                           'screening < 7 %\n', "t.elig")
    anchors = trial.parse_anchors({"screening": "2025-06-15"})

    def record(rid: str, code: str, value: str) -> dict:
        return {"id": rid, "coverage": {"observations": {"from": None, "to": "2025-06-15"}},
                "observations": [{"id": "o1", "date": "2025-06-01", "code": {"system": "LOINC", "code": code},
                                  "value": value}]}
    records = [record("molar", "14682-9", "88 umol/L"), record("molar-high", "14682-9", "200 umol/L"),
               record("mass", "2160-0", "1.2 mg/dL"), record("ifcc", "59261-8", "48 mmol/mol"),
               record("kilograms", "2160-0", "72 kg")]
    for r in records[3:]:
        r["coverage"] = {"observations": {"from": None, "to": "2025-06-15"}}
    want = screen("python", trial, anchors, records)
    assert [r.statuses[:2] for r in want] == [("MET", "MET"), ("NOT_MET", "NOT_MET"), ("MET", "MET"),
                                              ("UNKNOWN", "NOT_MET"), ("UNKNOWN", "UNKNOWN")]
    assert want[3].statuses[2] == "MET"  # 48 mmol/mol is 6.54 % NGSP
    for engine in ("duckdb", "spark"):
        assert [r.statuses for r in screen(engine, trial, anchors, records)] == [r.statuses for r in want]
    assert [s[:2] for s in _query_statuses(trial, anchors, records)] == [
        ("DEFER", "DEFER"), ("DEFER", "DEFER"), ("MET", "MET"), ("UNKNOWN", "NOT_MET"), ("UNKNOWN", "UNKNOWN")]
    statuses = _query_statuses(trial, anchors, records)
    assert statuses[3][2] == "DEFER" and "DEFER" not in statuses[4]  # mmol/mol to Python; kilograms stay
