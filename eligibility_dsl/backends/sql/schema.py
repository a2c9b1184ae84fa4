"""The event tables the SQL backend reads (documented in docs/event_tables.md), and loading bound records
into them.

One table per collection of the patient model (``records/model.py``), plus ``patients`` (the built-in
fields), ``facts`` (declared facts, one row per patient and fact), ``coverage`` (the period over which a
collection is complete) and ``codes`` (the codings of events: an event may carry several).

Column types: dates are ``DATE``; numbers ``DECIMAL(38, 12)`` (an exact decimal: a value that does not fit
is stored as missing, so a criterion reading it is UNKNOWN, never silently rounded); codes and texts
``VARCHAR``; a quantity field is two columns, ``<field>_value`` and ``<field>_unit`` (UCUM text).  An
event's period is ``start_date`` and ``end_date`` (``end_date`` null: ongoing; a point event has both the
same).
"""

from __future__ import annotations

import datetime
from decimal import Context, Decimal, InvalidOperation
from typing import Any

from ...records.model import COLLECTIONS
from ...runtime.censored import parse_censored
from ...runtime.codes import Coding
from ...runtime.quantity import Quantity

SCALE = 12
PRECISION = 38
_QUANT = Decimal((0, (1,), -SCALE))
_LIMIT = Decimal(10) ** (PRECISION - SCALE)
_CONTEXT = Context(prec=PRECISION + 10)

# Column kinds: date | number | text | boolean | int
PATIENTS = (("patient_id", "text"), ("position", "int"), ("birth_date", "date"), ("sex", "text"))
FACTS = (("patient_id", "text"), ("name", "text"), ("value_boolean", "boolean"), ("value_number", "number"),
         ("value_date", "date"), ("value_text", "text"), ("value_unit", "text"))
COVERAGE = (("patient_id", "text"), ("collection", "text"), ("low", "date"), ("high", "date"))
CODES = (("patient_id", "text"), ("collection", "text"), ("event_id", "text"), ("field", "text"),
         ("system", "text"), ("code", "text"))
_ANY = (("value_kind", "text"), ("value_boolean", "boolean"), ("value_number", "number"), ("value_unit", "text"),
        ("value_text", "text"))


def fact_column(kind: str) -> str:
    """The column of the facts table that holds a fact of this type kind."""
    return {"boolean": "value_boolean", "number": "value_number", "date": "value_date", "code": "value_text",
            "text": "value_text", "quantity": "value_number"}[kind]


def _field_columns(name: str, kind: str) -> tuple[tuple[str, str], ...]:
    if kind == "coding":
        return ()  # in the codes table
    if kind == "quantity":
        return ((f"{name}_value", "number"), (f"{name}_unit", "text"))
    if kind == "any":
        return _ANY
    return ((name, {"number": "number", "date": "date", "code": "text", "text": "text"}[kind]),)


def collection_columns(collection: str) -> tuple[tuple[str, str], ...]:
    spec = COLLECTIONS[collection]
    cols: list[tuple[str, str]] = [("patient_id", "text"), ("event_id", "text"), ("start_date", "date"),
                                   ("end_date", "date")]
    for f in spec.fields.values():
        if f.name in (spec.start, spec.end):
            continue
        cols += _field_columns(f.name, f.type.kind)
    return tuple(cols)


def field_column(collection: str, field: str) -> str:
    spec = COLLECTIONS[collection]
    if field == spec.start:
        return "start_date"
    if field == spec.end:
        return "end_date"
    return field


TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "patients": PATIENTS, "facts": FACTS, "coverage": COVERAGE, "codes": CODES,
    **{name: collection_columns(name) for name in COLLECTIONS},
}


class Inexact(Exception):
    """What the tables cannot hold exactly: a number beyond DECIMAL(38, 12) (raised by ``_cell``), a quantity
    of 10^12 or more (``_amount``: the SQL comparisons convert units exactly only below that, and would say
    unknown where the Python engine decides), or an event's time of day (the tables date events by day, and
    the order of one day's events by time is the Python engine's: ``runtime/exact_windows.timed_pick``)."""


def _cell(value: Any) -> Decimal | None:
    """A number for a DECIMAL column; raises ``Inexact`` rather than store NULL (unknown) for a number that
    was there."""
    number = exact_number(value)
    if number is None and isinstance(value, Decimal):
        raise Inexact(value)
    return number


_AMOUNT_LIMIT = Decimal(10) ** 12  # quantities.py and dynamic.py convert |x| < 10^12 exactly


def _amount(value: Decimal) -> Decimal | None:
    """A quantity's number for a DECIMAL column (``_cell``), below 10^12 in magnitude."""
    if abs(value) >= _AMOUNT_LIMIT:
        raise Inexact(value)
    return _cell(value)


def exact_number(value: Any) -> Decimal | None:
    """A number as the DECIMAL(38, 12) column holds it, or None when it would not be exact."""
    if not isinstance(value, Decimal) or not value.is_finite():
        return None
    if abs(value) >= _LIMIT:
        return None
    try:
        q = value.quantize(_QUANT, context=_CONTEXT)
    except InvalidOperation:
        return None
    return q if q == value else None


class Tables:
    """Rows of the event tables, column by column, built from bound records (then handed to Arrow)."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, list]] = {t: {c: [] for c, _ in cols} for t, cols in TABLES.items()}

    def _add(self, table: str, row: dict[str, Any]) -> None:
        for column, values in self.data[table].items():
            values.append(row.get(column))

    def add(self, patient_id: str, position: int, bound: Any, facts: dict[str, Any]) -> bool:
        """Add one bound record (``records.binder.BoundRecord``) under ``patient_id``; False (and nothing added)
        when the tables cannot hold it exactly (``Inexact``: a number beyond DECIMAL(38, 12), an event with a
        time of day): a NULL there would read as unknown data, so the caller decides that record another way
        (``screening/sql_engines.py``: the Python engine)."""
        sizes = {t: len(next(iter(cols.values()))) for t, cols in self.data.items()}
        try:
            self._add_record(patient_id, position, bound, facts)
        except Inexact:
            for t, cols in self.data.items():
                for values in cols.values():
                    del values[sizes[t]:]
            return False
        return True

    def _add_record(self, patient_id: str, position: int, bound: Any, facts: dict[str, Any]) -> None:
        self._add("patients", {"patient_id": patient_id, "position": position,
                               "birth_date": bound.facts.get("birth_date"), "sex": bound.facts.get("sex")})
        for name, spec in facts.items():
            if spec.builtin:
                continue
            value = bound.facts.get(name)
            if value is None:
                continue
            self._add("facts", {"patient_id": patient_id, "name": name, **_fact_cells(value)})
        for collection, cov in bound.coverage.items():
            self._add("coverage", {"patient_id": patient_id, "collection": collection, "low": cov.low,
                                   "high": cov.high})
        for collection, events in bound.events.items():
            for event in events:
                self._event(patient_id, collection, event)

    def _event(self, patient_id: str, collection: str, event: Any) -> None:
        spec = COLLECTIONS[collection]
        if getattr(event, "instant", None) is not None:
            raise Inexact(event.instant)
        row: dict[str, Any] = {"patient_id": patient_id, "event_id": event.id, "start_date": event.start,
                               "end_date": event.start if spec.point else event.end}
        for name, value in event.fields.items():
            f = spec.fields.get(name)
            if f is None or name in (spec.start, spec.end) or value is None:
                continue
            kind = f.type.kind
            if kind == "coding" or (kind == "any" and _codings(value)):
                for c in _codings(value):  # a malformed code: its system marked `?` (matches no code set)
                    system = c.system if c.problem is None else "?" + c.system
                    self._add("codes", {"patient_id": patient_id, "collection": collection, "event_id": event.id,
                                        "field": name, "system": system, "code": c.code})
                if kind == "any":
                    row["value_kind"] = "coding"
            elif kind == "any":
                row.update(_any_cells(value))
            elif kind == "quantity":
                if isinstance(value, Quantity):
                    row[f"{name}_value"] = _amount(value.value)
                    row[f"{name}_unit"] = str(value.unit)
            elif kind == "number":
                row[name] = _cell(value)
            else:
                row[name] = value
        self._add(collection, row)

    def arrow(self) -> dict[str, Any]:
        import pyarrow as pa

        types = {"text": pa.string(), "int": pa.int64(), "date": pa.date32(), "boolean": pa.bool_(),
                 "number": pa.decimal128(PRECISION, SCALE)}
        return {t: pa.table({c: pa.array(self.data[t][c], type=types[k]) for c, k in cols})
                for t, cols in TABLES.items()}


def _codings(value: Any) -> tuple[Coding, ...]:
    if isinstance(value, Coding):
        return (value,)
    if isinstance(value, tuple) and value and all(isinstance(v, Coding) for v in value):
        return value
    return ()


def _fact_cells(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"value_boolean": value}
    if isinstance(value, Decimal):
        return {"value_number": _cell(value)}
    if isinstance(value, Quantity):
        return {"value_number": _cell(value.value), "value_unit": str(value.unit)}
    if isinstance(value, datetime.date):
        return {"value_date": value}
    return {"value_text": str(value)}


def _any_cells(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"value_kind": "boolean", "value_boolean": value}
    if isinstance(value, Quantity):
        return {"value_kind": "quantity", "value_number": _amount(value.value), "value_unit": str(value.unit)}
    if isinstance(value, Decimal):
        return {"value_kind": "number", "value_number": _cell(value)}
    if isinstance(value, str):
        cens = parse_censored(value)
        if cens is not None:  # `<20 mg`: the comparator in value_text, the bound in value_number/value_unit
            bound = cens.bound
            if isinstance(bound, Quantity):
                return {"value_kind": "censored", "value_text": cens.op, "value_number": _amount(bound.value),
                        "value_unit": str(bound.unit)}
            return {"value_kind": "censored", "value_text": cens.op, "value_number": _cell(bound)}
    return {"value_kind": "text", "value_text": str(value)}


def sql_types(dialect: str) -> dict[str, str]:
    return {"text": "STRING" if dialect == "spark" else "VARCHAR", "int": "BIGINT", "date": "DATE",
            "boolean": "BOOLEAN", "number": f"DECIMAL({PRECISION}, {SCALE})"}


__all__ = [
    "CODES",
    "COVERAGE",
    "FACTS",
    "PATIENTS",
    "TABLES",
    "Inexact",
    "Tables",
    "exact_number",
    "fact_column",
    "field_column",
    "sql_types",
]
