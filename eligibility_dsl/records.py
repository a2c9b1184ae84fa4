"""Patient records: JSON in, typed fact values out, or an error naming every field that does not fit.

A record (version 1) is a JSON object::

    {
      "id": "p-001",                      # optional, echoed in decisions
      "birth_date": "1980-05-01",          # built-in patient model
      "sex": "female",                     # female | male | other | unknown
      "facts": {                           # the facts the trial declares
        "fvc_percent_predicted": {"value": 48, "unit": "%"},
        "ana_positive": true,
        "consent": null                    # null or absent: missing (unknown)
      }
    }

Quantities may also be written as a string (`"48 %"`), numbers as decimal text
(`"134.4"`).  Numbers are read as
exact decimals: load JSON with ``parse_float=Decimal`` (the CLI does) or pass
``int``/``Decimal``; a float is converted through its shortest repr.  Nothing is
guessed: a wrong type, an unknown unit or field, or a malformed date is a
:class:`RecordError` listing every problem with its path.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from . import types as T
from .diagnostics import suggest
from .ir import FactSpec
from .runtime.calendar import parse_date
from .runtime.quantity import Quantity
from .runtime.units import UnitError, dimension_name, parse_unit

RECORD_FIELDS = ("id", "birth_date", "sex", "facts")


@attrs.frozen
class RecordIssue:
    path: str
    message: str
    help: str | None = None

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" + (f" ({self.help})" if self.help else "")

    def to_dict(self) -> dict:
        return {"path": self.path, "message": self.message, "help": self.help}


class InputError(ValueError):
    """Input to an evaluation (record or anchors) that does not fit the trial."""


class RecordError(InputError):
    """A patient record that does not fit the trial's patient model; ``issues`` lists every problem."""

    def __init__(self, issues: list[RecordIssue], record_id: str | None = None):
        self.issues = issues
        self.record_id = record_id
        who = f"record `{record_id}`" if record_id else "record"
        super().__init__(f"{who} does not fit the patient model: " + "; ".join(map(str, issues)))


class _Invalid(Exception):
    def __init__(self, message: str, help: str | None = None):
        self.message, self.help = message, help


_DECIMAL_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _decimal(raw: Any) -> Decimal:
    if isinstance(raw, str) and _DECIMAL_TEXT.fullmatch(raw):
        return Decimal(raw)  # decimal text: exact whatever the JSON reader does with numbers
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal):
        raise _Invalid(f"expected a number, found {_json_kind(raw)}")
    value = raw if isinstance(raw, Decimal) else Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
    if not value.is_finite():
        raise _Invalid("expected a finite number")
    return value


def _json_kind(raw: Any) -> str:
    if isinstance(raw, bool):
        return f"`{str(raw).lower()}`"
    if isinstance(raw, str):
        return f'text `"{raw}"`'
    if isinstance(raw, dict):
        return "an object"
    if isinstance(raw, list):
        return "a list"
    return f"`{raw}`"


def _boolean(raw: Any, spec: T.Type) -> bool:
    if not isinstance(raw, bool):
        raise _Invalid(f"expected `true` or `false`, found {_json_kind(raw)}")
    return raw


def _number(raw: Any, spec: T.Type) -> Decimal:
    return _decimal(raw)


def _quantity(raw: Any, spec: T.Type) -> Quantity:
    if isinstance(raw, str):
        value_text, _, unit_text = raw.strip().partition(" ")
        try:
            value = Decimal(value_text)
        except InvalidOperation:
            raise _Invalid(f'expected a quantity such as "10 {spec.unit.symbol}", found `{raw}`') from None
        raw = {"value": value, "unit": unit_text.strip()}
    if not isinstance(raw, dict) or set(raw) != {"value", "unit"}:
        raise _Invalid(f'expected a quantity `{{"value": 10, "unit": "{spec.unit.symbol}"}}`, found {_json_kind(raw)}')
    value = _decimal(raw["value"])
    if not isinstance(raw["unit"], str):
        raise _Invalid("the unit must be a text")
    try:
        unit = parse_unit(raw["unit"])
    except UnitError as err:
        raise _Invalid(err.message, err.help) from None
    if unit.dims != spec.dims:
        raise _Invalid(f"`{raw['unit']}` is a unit of {dimension_name(unit.dims)}, expected "
                       f"{dimension_name(spec.dims)} (such as `{spec.unit.symbol}`)")
    return Quantity(value, unit)


def _date(raw: Any, spec: T.Type) -> datetime.date:
    if not isinstance(raw, str):
        raise _Invalid(f"expected a date `YYYY-MM-DD`, found {_json_kind(raw)}")
    try:
        return parse_date(raw)
    except ValueError:
        raise _Invalid(f"`{raw}` is not a valid date (expected YYYY-MM-DD)") from None


def _text(raw: Any, spec: T.Type) -> str:
    if not isinstance(raw, str):
        raise _Invalid(f"expected a text, found {_json_kind(raw)}")
    return raw


def _code(raw: Any, spec: T.Type) -> str:
    if not isinstance(raw, str):
        raise _Invalid(f"expected a code (text), found {_json_kind(raw)}")
    if spec.values and raw not in spec.values:
        allowed = ", ".join(f"`{v}`" for v in spec.values)
        raise _Invalid(f"`{raw}` is not one of {allowed}", suggest(raw, spec.values))
    return raw


_READERS: dict[str, Callable[[Any, T.Type], Any]] = {
    "boolean": _boolean,
    "number": _number,
    "quantity": _quantity,
    "date": _date,
    "text": _text,
    "code": _code,
}


class RecordBinder:
    """Turns records into fact dictionaries for one trial's patient model (built once per trial)."""

    def __init__(self, facts: Mapping[str, FactSpec]):
        self.declared = {n: s for n, s in facts.items() if not s.builtin}
        self.builtin = {n: s for n, s in facts.items() if s.builtin}
        self._readers = {n: (_READERS[s.type.kind], s.type) for n, s in facts.items() if s.type.kind in _READERS}

    def bind(self, record: Any) -> dict[str, Any]:
        if not isinstance(record, Mapping):
            raise RecordError([RecordIssue("$", f"expected a JSON object, found {_json_kind(record)}")])
        issues: list[RecordIssue] = []
        record_id = record.get("id")
        if record_id is not None and not isinstance(record_id, str):
            issues.append(RecordIssue("id", f"expected a text, found {_json_kind(record_id)}"))
            record_id = None
        for key in record:
            if key not in RECORD_FIELDS:
                issues.append(RecordIssue(key, f"unknown field `{key}`", suggest(key, RECORD_FIELDS)))
        values: dict[str, Any] = {}
        for name in self.builtin:
            self._read(name, record.get(name), name, values, issues)
        facts = record.get("facts", {})
        if not isinstance(facts, Mapping):
            issues.append(RecordIssue("facts", f"expected an object, found {_json_kind(facts)}"))
            facts = {}
        for key in facts:
            if key not in self.declared:
                help = ("it is a built-in field: put it at the top level of the record" if key in self.builtin
                        else suggest(key, self.declared))
                issues.append(RecordIssue(f"facts.{key}", f"unknown fact `{key}`", help))
        for name in self.declared:
            self._read(name, facts.get(name), f"facts.{name}", values, issues)
        if issues:
            raise RecordError(issues, record_id)
        return values

    def _read(self, name: str, raw: Any, path: str, values: dict, issues: list) -> None:
        if raw is None:
            values[name] = None
            return
        reader, spec = self._readers[name]
        try:
            values[name] = reader(raw, spec)
        except _Invalid as err:
            issues.append(RecordIssue(path, err.message, err.help))
