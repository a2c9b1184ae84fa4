"""Event tables back into patient records, for the Python engine: the reader of ``event-tables`` (Parquet) and
``omop`` inputs (the OMOP views of ``omop.py``).

One query per table, each ordered by the patient's position and streamed in Arrow batches; the streams are
merged patient by patient, so memory holds one batch per table, never the population.  A record is the JSON
form of docs/patient_model.md (dates as ISO text, numbers and quantities as exact decimal text), so the Python
engine binds it exactly as it binds any other record.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from ..records.model import COLLECTIONS

FETCH = 20_000  # rows per Arrow batch


def _num(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _cell(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return _num(value)
    return value


def _quantity(value: Any, unit: Any) -> Any:
    return None if value is None or unit is None else {"value": _num(value), "unit": unit}


def _stream(con: Any, sql: str) -> Iterator[dict]:
    """Rows of a query as dicts, fetched in batches (a cursor of its own: the streams run side by side)."""
    cur = con.cursor()
    relation = cur.sql(sql)
    reader = (relation.to_arrow_reader(FETCH) if hasattr(relation, "to_arrow_reader")
              else relation.fetch_arrow_reader(FETCH))
    for batch in reader:
        yield from batch.to_pylist()
    cur.close()


class _Merge:
    """Rows of one table, grouped by position: ``take(position)`` gives the rows of that patient."""

    def __init__(self, rows: Iterator[dict]):
        self.rows = rows
        self.head = next(rows, None)

    def take(self, position: int) -> list[dict]:
        out = []
        while self.head is not None and self.head["_position"] <= position:
            if self.head["_position"] == position:
                out.append(self.head)
            self.head = next(self.rows, None)
        return out


def _ordered(table: str, columns: str = "t.*", only: str = "") -> str:
    return (f'SELECT p.position AS _position, {columns} FROM "{table}" t JOIN patients p USING (patient_id) '
            f"{only}ORDER BY p.position")


def _only(positions: list[int] | None) -> str:
    """A WHERE clause keeping the patients at these positions (integers: written out), or nothing."""
    if positions is None:
        return ""
    return f"WHERE p.position IN ({', '.join(str(int(x)) for x in positions) or 'NULL'}) "


def _fact_value(row: dict) -> Any:
    if row["value_boolean"] is not None:
        return row["value_boolean"]
    if row["value_number"] is not None:
        return _quantity(row["value_number"], row["value_unit"]) if row["value_unit"] else _num(row["value_number"])
    if row["value_date"] is not None:
        return row["value_date"].isoformat()
    return row["value_text"]


def _observation_value(row: dict, codings: list[dict]) -> Any:
    kind = row.get("value_kind")
    if kind == "boolean":
        return row["value_boolean"]
    if kind == "quantity":
        return _quantity(row["value_number"], row["value_unit"])
    if kind == "number":
        return None if row["value_number"] is None else _num(row["value_number"])
    if kind == "coding":
        return codings or None
    if kind == "text":
        return row["value_text"]
    if kind == "censored" and row["value_number"] is not None:  # `<` in value_text, the bound in number/unit
        bound = _num(row["value_number"])
        return f"{row['value_text']}{bound}" + (f" {row['value_unit']}" if row["value_unit"] else "")
    return None


def _event(collection: str, row: dict, codes: dict[str, list[dict]]) -> dict:
    spec = COLLECTIONS[collection]
    event: dict[str, Any] = {"id": row["event_id"], spec.start: _cell(row["start_date"])}
    if spec.end is not None and not spec.point and row["end_date"] is not None:
        event[spec.end] = _cell(row["end_date"])
    for field, coded in codes.items():
        if field != "value" and coded:
            event[field] = coded
    for name, f in spec.fields.items():
        if name in (spec.start, spec.end) or f.type.kind == "coding":
            continue
        kind = f.type.kind
        if kind == "quantity":
            value = _quantity(row.get(f"{name}_value"), row.get(f"{name}_unit"))
        elif kind == "any":
            value = _observation_value(row, codes.get("value", []))
        else:
            value = _cell(row.get(name))
        if value is not None:
            event[name] = value
    return event


def records(con: Any, positions: list[int] | None = None) -> Iterator[tuple[int, dict]]:
    """(position, record) of every patient of the event tables on ``con`` (or of those at ``positions``), in
    position order."""
    collections = list(COLLECTIONS)
    only = _only(positions)
    facts = _Merge(_stream(con, _ordered("facts", only=only)))
    coverage = _Merge(_stream(con, _ordered("coverage", only=only)))
    codes = _Merge(_stream(con, "SELECT p.position AS _position, c.* FROM codes c JOIN patients p USING (patient_id) "
                                f"{only}ORDER BY p.position, c.collection, c.event_id, c.field, c.system, c.code"))
    events = {c: _Merge(_stream(con, _ordered(c, only=only) + ", t.event_id")) for c in collections}
    for patient in _stream(con, f"SELECT p.position AS _position, p.* FROM patients p {only}ORDER BY p.position"):
        position = patient["_position"]
        record: dict[str, Any] = {"id": patient["patient_id"]}
        if patient["birth_date"] is not None:
            record["birth_date"] = patient["birth_date"].isoformat()
        if patient["sex"] is not None:
            record["sex"] = patient["sex"]
        fact_rows = facts.take(position)
        if fact_rows:
            record["facts"] = {r["name"]: _fact_value(r) for r in fact_rows}
        cov = {r["collection"]: {"from": _cell(r["low"]), "to": _cell(r["high"])} for r in coverage.take(position)}
        if cov:
            record["coverage"] = cov
        coded: dict[tuple[str, str], dict[str, list[dict]]] = {}
        for r in codes.take(position):
            system = r["system"]  # a malformed code's system is marked `?` in the tables (backends/sql/schema.py)
            coded.setdefault((r["collection"], r["event_id"]), {}).setdefault(r["field"], []).append(
                {"system": system[1:] if system and system.startswith("?") else system, "code": r["code"]})
        for collection in collections:
            rows = events[collection].take(position)
            if rows:
                record[collection] = [_event(collection, r, coded.get((collection, r["event_id"]), {}))
                                      for r in rows]
        yield position, record


def open_tables(kind: str, path: str, anchors: dict[str, datetime.date] | None, threads: int | None = None) -> Any:
    """A DuckDB connection holding the event tables of an ``event-tables`` or ``omop`` input (raises
    ``omop.OmopProblem`` or ImportError when it cannot be read)."""
    from .omop import open_omop

    if kind == "omop":
        return open_omop(path, anchors, threads)
    import duckdb

    from ..backends.sql.execute import load_parquet_duckdb_plain

    con = duckdb.connect(":memory:")
    if threads:
        con.execute(f"SET threads TO {int(threads)}")
    load_parquet_duckdb_plain(con, path)
    return con


def probe(path: str) -> str | None:
    """Why the event tables at ``path`` cannot be read (a file that is not Parquet, a missing column), or None."""
    import duckdb

    from ..backends.sql.schema import TABLES

    try:
        con = open_tables("event-tables", path, None)
    except duckdb.Error as err:
        return f"the event tables cannot be read: {str(err).splitlines()[0]}"
    try:
        for name in TABLES:
            try:
                con.execute(f'SELECT * FROM "{name}" LIMIT 0')
            except duckdb.Error as err:
                return f"the event table `{name}` cannot be read: {str(err).splitlines()[0]}"
    finally:
        con.close()
    return None


def read(kind: str, path: str, anchors: dict[str, datetime.date],
         positions: list[int] | None = None) -> Iterator[tuple[int, dict]]:
    """(position, record) of every patient of a table input (or of those at ``positions``), streamed (the
    connection closes at the end)."""
    con = open_tables(kind, path, anchors)
    try:
        yield from records(con, positions)
    finally:
        con.close()
