"""OMOP CDM v5.4 as input: the CDM tables mapped onto the event tables (docs/event_tables.md), as DuckDB views.

``open_omop(path, anchors)`` gives a DuckDB connection on which the event tables (``patients``, ``coverage``,
``codes``, ``conditions``, ...) are views over the CDM tables of ``path`` (a DuckDB database file, or a
directory of Parquet files ``<table>.parquet``).  Every engine reads OMOP through these views: DuckDB runs the
compiled query on them, Spark reads them exported to Parquet, the Python engine builds records from them
(``table_records.py``).  The mapping is docs/omop.md; its rules, in short:

- concept ids become codings through ``concept`` (``vocabulary_id`` -> the library's systems, codes normalised
  by the library); standard and source concepts both count, and ATC classes reached through
  ``concept_ancestor`` (when the table is there) count for drugs;
- an event none of whose concepts maps to a known system (concept id 0, an unknown vocabulary, a malformed
  code) is left out, and the coverage of its collection is withdrawn for that person: absence there is then
  unknown, so the unmapped event can make a criterion UNKNOWN but never decide it (never a quiet non-match);
- ``observation_period`` is the coverage of the collections the CDM records (the period that starts last on
  or before the latest anchor); allergies, trial participations and assessments have no coverage;
- nothing is guessed: a birth date needs day, month and year; a daily dose is not derived (left unknown).
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from ..runtime.codes import Coding

# vocabulary_id -> the library's system
VOCABULARIES = {"SNOMED": "SNOMED", "ICD10CM": "ICD10CM", "ICD10": "ICD10", "RxNorm": "RxNorm",
                "RxNorm Extension": None, "ATC": "ATC", "LOINC": "LOINC", "CPT4": "CPT", "ICD10PCS": "ICD10PCS",
                "ICD9CM": "ICD9CM", "ICD9Proc": "ICD9CM", "CVX": "CVX", "NDC": "NDC", "UCUM": "UCUM"}

# The CDM columns read, per table, with their DuckDB types (a table that is absent is empty).
_I, _D, _T, _N = "BIGINT", "DATE", "VARCHAR", "DECIMAL(38, 12)"
CDM: dict[str, tuple[tuple[str, str], ...]] = {
    "person": (("person_id", _I), ("gender_concept_id", _I), ("year_of_birth", _I), ("month_of_birth", _I),
               ("day_of_birth", _I), ("birth_datetime", "TIMESTAMP")),
    "observation_period": (("person_id", _I), ("observation_period_start_date", _D),
                           ("observation_period_end_date", _D)),
    "condition_occurrence": (("condition_occurrence_id", _I), ("person_id", _I), ("condition_concept_id", _I),
                             ("condition_start_date", _D), ("condition_end_date", _D),
                             ("condition_source_concept_id", _I)),
    "drug_exposure": (("drug_exposure_id", _I), ("person_id", _I), ("drug_concept_id", _I),
                      ("drug_exposure_start_date", _D), ("drug_exposure_end_date", _D), ("days_supply", _I),
                      ("route_concept_id", _I), ("drug_source_concept_id", _I)),
    "procedure_occurrence": (("procedure_occurrence_id", _I), ("person_id", _I), ("procedure_concept_id", _I),
                             ("procedure_date", _D), ("procedure_source_concept_id", _I)),
    "device_exposure": (("device_exposure_id", _I), ("person_id", _I), ("device_concept_id", _I),
                        ("device_exposure_start_date", _D), ("device_source_concept_id", _I)),
    "measurement": (("measurement_id", _I), ("person_id", _I), ("measurement_concept_id", _I),
                    ("measurement_date", _D), ("operator_concept_id", _I), ("value_as_number", _N),
                    ("value_as_concept_id", _I), ("unit_concept_id", _I), ("range_low", _N), ("range_high", _N),
                    ("measurement_source_concept_id", _I), ("visit_occurrence_id", _I)),
    "observation": (("observation_id", _I), ("person_id", _I), ("observation_concept_id", _I),
                    ("observation_date", _D), ("value_as_number", _N), ("value_as_string", _T),
                    ("value_as_concept_id", _I), ("unit_concept_id", _I), ("observation_source_concept_id", _I),
                    ("visit_occurrence_id", _I)),
    "visit_occurrence": (("visit_occurrence_id", _I), ("person_id", _I), ("visit_concept_id", _I),
                         ("visit_start_date", _D), ("visit_end_date", _D), ("visit_source_concept_id", _I)),
    "concept": (("concept_id", _I), ("vocabulary_id", _T), ("concept_code", _T)),
    "concept_ancestor": (("ancestor_concept_id", _I), ("descendant_concept_id", _I)),
}

# The collections observation_period covers (the CDM records these; it has no allergies, trial
# participations or assessments, so absence there stays unknown).
COVERED = ("conditions", "medications", "observations", "procedures", "immunizations", "encounters")

# operator_concept_id -> the comparator of a censored value
OPERATORS = {4171756: "<", 4171754: "<=", 4172704: ">", 4171755: ">="}
# value_as_concept_id -> a qualitative result (the patient model: true = positive)
QUALITATIVE = {9191: True, 4126681: True, 9189: False, 9190: False}
# visit_concept_id -> (encounter class, HL7 v3 ActCode)
VISITS = {9201: ("inpatient", "IMP"), 262: ("inpatient", "IMP"), 9202: ("ambulatory", "AMB"),
          9203: ("emergency", "EMER"), 581476: ("home", "HH"), 5083: ("virtual", "VR")}
# route concept (SNOMED code) -> the model's route
ROUTES = {"26643006": "oral", "47625008": "intravenous", "34206005": "subcutaneous", "78421000": "intramuscular",
          "6064005": "topical", "447694001": "inhaled"}
SEX = {8507: "male", 8532: "female"}


class OmopProblem(Exception):
    """An OMOP input that cannot be read as a CDM database (reported before the run starts)."""


# ------------------------------------------------------------------ the source tables

SCHEME = "omop:"


def strip_scheme(path: str) -> str:
    """``omop:PATH`` (the input syntax that names the kind) is PATH."""
    return path[len(SCHEME):] if path.startswith(SCHEME) else path



def _q(text: str) -> str:
    return str(text).replace("'", "''")


def _parquet_path(directory: Path, table: str) -> str | None:
    if (directory / f"{table}.parquet").is_file():
        return str(directory / f"{table}.parquet")
    if (directory / table).is_dir() and any((directory / table).glob("*.parquet")):
        return str(directory / table / "*.parquet")
    return None


def _sources(con: Any, path: str) -> dict[str, str | None]:
    """`FROM` text of each CDM table (None: absent)."""
    p = Path(path)
    if p.is_dir():
        return {t: (f"read_parquet('{_q(found)}')" if (found := _parquet_path(p, t)) else None) for t in CDM}
    if not p.is_file():
        raise OmopProblem(f"`{path}`: no such OMOP CDM database (a DuckDB file or a directory of Parquet tables)")
    try:
        con.execute(f"ATTACH '{_q(p)}' AS cdm (READ_ONLY)")
        rows = con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'cdm' "
                           "UNION ALL SELECT schema_name, view_name FROM duckdb_views() "
                           "WHERE database_name = 'cdm'").fetchall()
    except Exception as err:  # duckdb.Error: not a DuckDB file, a newer format, locked
        raise OmopProblem(f"`{path}` is not readable as a DuckDB database: {str(err).splitlines()[0]}") from None
    found: dict[str, str] = {}
    for schema, table in sorted(rows, key=lambda r: (r[0] != "main", r[0])):
        found.setdefault(table.lower(), f'cdm."{schema}"."{table}"')
    return {t: found.get(t) for t in CDM}


def _source_views(con: Any, path: str) -> None:
    path = strip_scheme(path)
    sources = _sources(con, path)
    if sources["person"] is None:
        raise OmopProblem(f"`{path}` has no `person` table: it is not an OMOP CDM database")
    for table, cols in CDM.items():
        src = sources[table]
        if src is None:
            select = ", ".join(f"CAST(NULL AS {t}) AS {c}" for c, t in cols)
            con.execute(f"CREATE VIEW omop_{table} AS SELECT {select} WHERE FALSE")
            continue
        have = {r[0].lower(): r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()}
        missing = [c for c, _ in cols if c not in have]
        if missing:
            raise OmopProblem(f"`{path}`: the OMOP table `{table}` has no column `{missing[0]}`")
        select = ", ".join(f'TRY_CAST("{have[c]}" AS {t}) AS {c}' for c, t in cols)
        con.execute(f"CREATE VIEW omop_{table} AS SELECT {select} FROM {src}")


# ------------------------------------------------------------------ concepts -> codings

# (collection, CDM table, id column, concept columns): the events and the concepts that code them
EVENTS = (
    ("conditions", "condition_occurrence", ("condition_concept_id", "condition_source_concept_id")),
    ("medications", "drug_exposure", ("drug_concept_id", "drug_source_concept_id")),
    ("procedures", "procedure_occurrence", ("procedure_concept_id", "procedure_source_concept_id")),
    ("devices", "device_exposure", ("device_concept_id", "device_source_concept_id")),
    ("measurements", "measurement", ("measurement_concept_id", "measurement_source_concept_id")),
    ("observations", "observation", ("observation_concept_id", "observation_source_concept_id")),
    ("visits", "visit_occurrence", ("visit_source_concept_id",)),
)
_VALUE_CONCEPTS = (("measurement", "value_as_concept_id"), ("observation", "value_as_concept_id"),
                   ("measurement", "unit_concept_id"), ("observation", "unit_concept_id"),
                   ("drug_exposure", "route_concept_id"))


def coding_of(vocabulary: Any, code: Any) -> tuple[str, str, str] | None:
    """(system, normalised code, label) of a concept, or None when it maps to no well-formed coding."""
    system = VOCABULARIES.get(vocabulary) if isinstance(vocabulary, str) else None
    if system is None or not isinstance(code, str) or not code.strip():
        return None
    try:
        coding = Coding(system, code)
    except (ValueError, TypeError):
        return None
    return None if coding.problem else (coding.system, coding.code, coding.label)


def _concept_map(con: Any) -> None:
    """``omop_codings(concept_id, system, code, label)``: the concepts the events use, mapped in Python (by the
    library's own normalisation) and loaded back as a table; ATC ancestors of drug concepts included."""
    import pyarrow as pa

    used = " UNION ".join(f"SELECT {c} AS concept_id FROM omop_{t}" for _, t, cols in EVENTS for c in cols)
    used += " UNION SELECT ancestor_concept_id FROM omop_concept_ancestor a JOIN omop_drug_exposure d " \
            "ON a.descendant_concept_id = d.drug_concept_id"
    used += "".join(f" UNION SELECT {c} FROM omop_{t}" for t, c in _VALUE_CONCEPTS)
    rows = con.execute(f"SELECT c.concept_id, c.vocabulary_id, c.concept_code FROM omop_concept c "
                       f"SEMI JOIN ({used}) u ON c.concept_id = u.concept_id WHERE c.concept_id <> 0").fetchall()
    ids, systems, codes, labels = [], [], [], []
    for concept_id, vocabulary, code in rows:
        mapped = coding_of(vocabulary, code)
        if mapped is not None:
            ids.append(concept_id)
            systems.append(mapped[0])
            codes.append(mapped[1])
            labels.append(mapped[2])
    table = pa.table({"concept_id": pa.array(ids, pa.int64()), "system": pa.array(systems, pa.string()),
                      "code": pa.array(codes, pa.string()), "label": pa.array(labels, pa.string())})
    con.register("omop_codings_arrow", table)
    con.execute("CREATE TABLE omop_codings AS SELECT * FROM omop_codings_arrow")
    con.unregister("omop_codings_arrow")


def _event_codings() -> str:
    """``omop_event_codes(source, event_key, person_id, system, code, label)``: every mapped coding of every event."""
    parts = []
    for source, table, cols in EVENTS:
        ident = f"{table}_id"
        for col in cols:
            parts.append(f"SELECT '{source}' AS source, e.{ident} AS event_key, e.person_id, m.system, m.code, "
                         f"m.label FROM omop_{table} e JOIN omop_codings m ON m.concept_id = e.{col}")
    parts.append("SELECT 'medications', e.drug_exposure_id, e.person_id, m.system, m.code, m.label "
                 "FROM omop_drug_exposure e JOIN omop_concept_ancestor a ON a.descendant_concept_id = "
                 "e.drug_concept_id JOIN omop_codings m ON m.concept_id = a.ancestor_concept_id "
                 "AND m.system = 'ATC'")
    visits = " UNION ALL ".join(f"SELECT {k} AS visit_concept_id, '{v[1]}' AS act" for k, v in VISITS.items())
    parts.append(f"SELECT 'visits', e.visit_occurrence_id, e.person_id, 'HL7:v3-ActCode', v.act, v.act "
                 f"FROM omop_visit_occurrence e JOIN ({visits}) v USING (visit_concept_id)")
    return "SELECT DISTINCT * FROM (" + " UNION ALL ".join(parts) + ")"


def _event_sql() -> dict[str, str]:
    """Per OMOP source: (collection, event_id, person_id, start, end, placed) of every event; ``placed`` false
    when the event cannot be put in its collection (no date; a drug whose end is not known)."""
    drug_end = ("COALESCE(drug_exposure_end_date, CASE WHEN days_supply > 0 THEN "
                "CAST(drug_exposure_start_date + (days_supply - 1) * INTERVAL 1 DAY AS DATE) END)")
    cvx = ("EXISTS (SELECT 1 FROM omop_event_codes k WHERE k.source = 'medications' "
           "AND k.event_key = e.drug_exposure_id AND k.system = 'CVX')")
    return {
        "conditions": "SELECT 'conditions' AS collection, CAST(condition_occurrence_id AS VARCHAR) AS event_id, "
                      "condition_occurrence_id AS event_key, person_id, condition_start_date AS start_date, "
                      "condition_end_date AS end_date, condition_start_date IS NOT NULL AS placed "
                      "FROM omop_condition_occurrence",
        "medications": f"SELECT CASE WHEN {cvx} THEN 'immunizations' ELSE 'medications' END, "
                       f"CAST(drug_exposure_id AS VARCHAR), drug_exposure_id, person_id, drug_exposure_start_date, "
                       f"CASE WHEN {cvx} THEN drug_exposure_start_date ELSE {drug_end} END, "
                       f"drug_exposure_start_date IS NOT NULL AND ({cvx} OR {drug_end} IS NOT NULL) "
                       f"FROM omop_drug_exposure e",
        "procedures": "SELECT 'procedures', 'procedure/' || procedure_occurrence_id, procedure_occurrence_id, "
                      "person_id, procedure_date, procedure_date, procedure_date IS NOT NULL "
                      "FROM omop_procedure_occurrence",
        "devices": "SELECT 'procedures', 'device/' || device_exposure_id, device_exposure_id, person_id, "
                   "device_exposure_start_date, device_exposure_start_date, device_exposure_start_date IS NOT NULL "
                   "FROM omop_device_exposure",
        "measurements": "SELECT 'observations', 'measurement/' || measurement_id, measurement_id, person_id, "
                        "measurement_date, measurement_date, measurement_date IS NOT NULL FROM omop_measurement",
        "observations": "SELECT 'observations', 'observation/' || observation_id, observation_id, person_id, "
                        "observation_date, observation_date, observation_date IS NOT NULL FROM omop_observation",
        "visits": "SELECT 'encounters', CAST(visit_occurrence_id AS VARCHAR), visit_occurrence_id, person_id, "
                  "visit_start_date, COALESCE(visit_end_date, visit_start_date), visit_start_date IS NOT NULL "
                  "FROM omop_visit_occurrence",
    }


def _unit_ok(code: str) -> bool:
    from ..runtime.units import parse_unit

    try:
        parse_unit(code)
    except (ValueError, ArithmeticError):
        return False
    return True


def _values(source: str, table: str) -> str:
    """The observation value columns of a measurement or an observation row ``e`` (docs/omop.md)."""
    unit = "u.code"
    ops = " ".join(f"WHEN {k} THEN '{v}'" for k, v in OPERATORS.items())
    qual_true = ", ".join(str(k) for k, v in QUALITATIVE.items() if v)
    qual = ", ".join(str(k) for k in QUALITATIVE)
    string = "e.value_as_string" if table == "observation" else "CAST(NULL AS VARCHAR)"
    censored = f"(CASE e.operator_concept_id {ops} END)" if table == "measurement" else "CAST(NULL AS VARCHAR)"
    kind = (f"CASE WHEN e.value_as_number IS NOT NULL THEN CASE WHEN {unit} IS NULL THEN NULL "
            f"WHEN {censored} IS NOT NULL THEN 'censored' ELSE 'quantity' END "
            f"WHEN e.value_as_concept_id IN ({qual}) THEN 'boolean' WHEN v.code IS NOT NULL THEN 'coding' "
            f"WHEN {string} IS NOT NULL THEN 'text' END")
    ranges = ("CAST(NULL AS DECIMAL(38, 12)), CAST(NULL AS VARCHAR), CAST(NULL AS DECIMAL(38, 12)), "
              "CAST(NULL AS VARCHAR)") if table != "measurement" else (
        f"CASE WHEN {unit} IS NOT NULL THEN e.range_low END, CASE WHEN e.range_low IS NOT NULL THEN {unit} END, "
        f"CASE WHEN {unit} IS NOT NULL THEN e.range_high END, CASE WHEN e.range_high IS NOT NULL THEN {unit} END")
    # the class of the visit the result was taken in (no visit, or one of another class: unknown)
    setting = "CASE w.visit_concept_id " + " ".join(f"WHEN {k} THEN '{c}'" for k, (c, _) in VISITS.items()) + " END"
    return (f"SELECT '{source}' AS source, e.{table}_id AS event_key, {kind} AS value_kind, "
            f"CASE WHEN e.value_as_number IS NULL AND e.value_as_concept_id IN ({qual}) "
            f"THEN e.value_as_concept_id IN ({qual_true}) END AS value_boolean, "
            f"CASE WHEN e.value_as_number IS NOT NULL AND {unit} IS NOT NULL "
            f"THEN e.value_as_number END AS value_number, "
            f"CASE WHEN e.value_as_number IS NOT NULL THEN {unit} END AS value_unit, "
            # a censored value as the event tables hold one: the comparator here, the bound in number/unit
            f"CASE WHEN e.value_as_number IS NOT NULL AND {unit} IS NOT NULL AND {censored} IS NOT NULL "
            f"THEN {censored} WHEN e.value_as_number IS NULL "
            f"AND v.code IS NULL AND e.value_as_concept_id NOT IN ({qual}) THEN {string} END AS value_text, "
            f"{ranges}, {setting} AS setting, v.system AS value_system, v.code AS value_code "
            f"FROM omop_{table} e LEFT JOIN omop_codings u ON u.concept_id = e.unit_concept_id AND u.system = 'UCUM' "
            f"LEFT JOIN omop_visit_occurrence w ON w.visit_occurrence_id = e.visit_occurrence_id "
            f"LEFT JOIN omop_codings v ON v.concept_id = e.value_as_concept_id AND e.value_as_number IS NULL "
            f"AND e.value_as_concept_id NOT IN ({qual})")


def latest_anchor(anchors: dict[str, datetime.date]) -> datetime.date:
    return max(anchors.values()) if anchors else datetime.date.max


def install_views(con: Any, anchors: dict[str, datetime.date]) -> None:
    """The event tables as views over the ``omop_*`` source views (``_source_views``)."""
    from ..backends.sql.schema import TABLES, sql_types

    types = sql_types("duckdb")
    _concept_map(con)
    # concepts that are units: only units the library reads (a unit it does not know leaves the value out)
    bad_units = [cid for cid, code in con.execute("SELECT concept_id, code FROM omop_codings WHERE system = 'UCUM'")
                 .fetchall() if not _unit_ok(code)]
    if bad_units:
        listed = ", ".join(map(str, bad_units))
        con.execute(f"DELETE FROM omop_codings WHERE system = 'UCUM' AND concept_id IN ({listed})")
    con.execute(f"CREATE TABLE omop_event_codes AS {_event_codings()}")
    events = " UNION ALL ".join(f"SELECT '{source}' AS source, * FROM ({sql})" for source, sql in _event_sql().items())
    con.execute(f"CREATE TABLE omop_events AS SELECT x.*, EXISTS (SELECT 1 FROM omop_event_codes k "
                f"WHERE k.source = x.source AND k.event_key = x.event_key AND k.system NOT IN ('UCUM')) AS mapped "
                f"FROM ({events}) x")
    con.execute("CREATE VIEW omop_kept AS SELECT * FROM omop_events WHERE placed AND mapped")
    anchor = latest_anchor(anchors).isoformat()
    sex = " ".join(f"WHEN {k} THEN '{v}'" for k, v in {**SEX, 8521: "other", 8551: "unknown"}.items())
    views = {
        "patients": "SELECT CAST(person_id AS VARCHAR) AS patient_id, "
                    "CAST(row_number() OVER (ORDER BY person_id) - 1 AS BIGINT) AS position, "
                    "COALESCE(CAST(birth_datetime AS DATE), TRY_CAST(printf('%04d-%02d-%02d', year_of_birth, "
                    "month_of_birth, day_of_birth) AS DATE)) AS birth_date, "
                    f"CASE gender_concept_id {sex} END AS sex FROM omop_person",
        "coverage": "SELECT CAST(p.person_id AS VARCHAR) AS patient_id, c.collection, "
                    "p.observation_period_start_date AS low, p.observation_period_end_date AS high FROM "
                    "(SELECT * FROM omop_observation_period WHERE observation_period_start_date <= "
                    f"DATE '{anchor}' AND observation_period_end_date IS NOT NULL QUALIFY row_number() OVER "
                    "(PARTITION BY person_id ORDER BY observation_period_start_date DESC, "
                    "observation_period_end_date DESC) = 1) p CROSS JOIN (VALUES "
                    + ", ".join(f"('{c}')" for c in COVERED) + ") c(collection) "
                    "WHERE NOT EXISTS (SELECT 1 FROM omop_events x WHERE x.person_id = p.person_id AND "
                    "x.collection = c.collection AND NOT (x.placed AND x.mapped))",
        "codes": "SELECT CAST(e.person_id AS VARCHAR) AS patient_id, e.collection, e.event_id, 'code' AS field, "
                 "k.system, k.code FROM omop_kept e JOIN omop_event_codes k "
                 "ON k.source = e.source AND k.event_key = e.event_key AND k.system <> 'UCUM' "
                 "UNION ALL SELECT CAST(e.person_id AS VARCHAR), e.collection, e.event_id, 'value', "
                 "v.value_system, v.value_code FROM omop_kept e JOIN omop_values v "
                 "ON v.source = e.source AND v.event_key = e.event_key WHERE v.value_code IS NOT NULL",
        "conditions": "SELECT CAST(person_id AS VARCHAR) AS patient_id, event_id, start_date, end_date, "
                      "NULL AS status, NULL AS verification, NULL AS severity, NULL AS grade FROM omop_kept "
                      "WHERE collection = 'conditions'",
        "medications": "SELECT CAST(e.person_id AS VARCHAR) AS patient_id, e.event_id, e.start_date, e.end_date, "
                       "NULL, NULL, NULL, NULL, NULL, "
                       "CASE r.code " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in ROUTES.items()) + " END, "
                       "NULL FROM omop_kept e JOIN omop_drug_exposure d ON d.drug_exposure_id = e.event_key "
                       "LEFT JOIN omop_codings r ON r.concept_id = d.route_concept_id AND r.system = 'SNOMED' "
                       "WHERE e.collection = 'medications'",
        "observations": "SELECT CAST(e.person_id AS VARCHAR) AS patient_id, e.event_id, e.start_date, e.end_date, "
                        "v.* EXCLUDE (source, event_key, value_system, value_code) FROM omop_kept e "
                        "JOIN omop_values v ON v.source = e.source AND v.event_key = e.event_key "
                        "WHERE e.collection = 'observations'",
        "procedures": "SELECT CAST(person_id AS VARCHAR), event_id, start_date, end_date FROM omop_kept "
                      "WHERE collection = 'procedures'",
        "immunizations": "SELECT CAST(person_id AS VARCHAR), event_id, start_date, end_date FROM omop_kept "
                         "WHERE collection = 'immunizations'",
        "encounters": "SELECT CAST(e.person_id AS VARCHAR), e.event_id, e.start_date, e.end_date, "
                      "CASE v.visit_concept_id " + " ".join(f"WHEN {k} THEN '{c}'" for k, (c, _) in VISITS.items())
                      + " END FROM omop_kept e JOIN omop_visit_occurrence v ON v.visit_occurrence_id = e.event_key "
                      "WHERE e.collection = 'encounters'",
    }
    con.execute("CREATE VIEW omop_values AS " + _values("measurements", "measurement") + " UNION ALL "
                + _values("observations", "observation"))
    for name, cols in TABLES.items():
        body = views.get(name)
        if body is None:  # facts, allergies, trial participations, assessments: the CDM does not hold them
            cast = ", ".join(f'CAST(NULL AS {types[k]}) AS "{c}"' for c, k in cols)
            con.execute(f'CREATE VIEW "{name}" AS SELECT {cast} WHERE FALSE')
            continue
        select = ", ".join(f'CAST("{c}" AS {types[k]}) AS "{c}"' for c, k in cols)
        con.execute(f'CREATE VIEW "{name}" AS SELECT {select} FROM (SELECT * FROM ({body})) '
                    f'AS t({", ".join(chr(34) + c + chr(34) for c, _ in cols)})')


def open_omop(path: str, anchors: dict[str, datetime.date] | None, threads: int | None = None) -> Any:
    """A DuckDB connection holding the event tables of the OMOP CDM database at ``path`` (docs/omop.md);
    with ``anchors`` None, only the CDM tables are checked (``omop_*`` views: the probe before a run)."""
    import duckdb

    con = duckdb.connect(":memory:")
    if threads:
        con.execute(f"SET threads TO {int(threads)}")
    try:
        _source_views(con, path)
        if anchors is not None:
            install_views(con, anchors)
            from ..backends.sql.execute import register_units_duckdb
            register_units_duckdb(con)  # the units the records hold, joined by quantity comparisons
    except OmopProblem:
        con.close()
        raise
    except duckdb.Error as err:
        con.close()
        raise OmopProblem(f"`{path}`: the OMOP CDM tables cannot be read: {str(err).splitlines()[0]}") from None
    return con


def export_parquet(path: str, anchors: dict[str, datetime.date], directory: str) -> None:
    """Write the event tables of an OMOP database as Parquet (``<directory>/<table>.parquet``: Spark reads them)."""
    from ..backends.sql.schema import TABLES

    con = open_omop(path, anchors)
    try:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for name in TABLES:
            con.execute(f"COPY (SELECT * FROM \"{name}\") TO '{_q(Path(directory) / (name + '.parquet'))}' "
                        "(FORMAT PARQUET)")
    finally:
        con.close()
