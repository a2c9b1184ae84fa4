"""FHIR data types to the patient model's values: dates, codings, quantities.

Each function returns the model's JSON value, or None with a note saying why the value cannot be
held exactly; the caller decides what leaving it out means for the event.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from ...runtime.codes import normalize_system
from ...runtime.units import UnitError, parse_unit

# FHIR date, dateTime and instant: YYYY, YYYY-MM, YYYY-MM-DD, or a date and a time of day.
_DATE = re.compile(r"([0-9]{4})(-[0-9]{2}(-[0-9]{2})?)?(T.*)?")

# UCUM codes this library's unit parser spells otherwise, with exactly the same meaning.
UNIT_SYNONYMS = {"mm[Hg]": "mmHg"}

_UCUM = "http://unitsofmeasure.org"


def date(raw: Any, notes: list[str], what: str) -> str | None:
    """The calendar date of a FHIR date, dateTime or instant, as written in the source's own time
    zone (``2019-05-01T23:30:00-05:00`` is 2019-05-01: the local date where it happened).  A partial
    date (``2019``, ``2019-05``) cannot be held: None, with a note."""
    if not isinstance(raw, str):
        notes.append(f"{what} is not a date")
        return None
    m = _DATE.fullmatch(raw)
    if m is None:
        notes.append(f"{what} `{raw}` is not a FHIR date")
        return None
    if m.group(3) is None:
        notes.append(f"{what} `{raw}` is a partial date (the patient model needs a day)")
        return None
    return raw[:10]


def period_dates(period: Any, notes: list[str], what: str) -> tuple[str | None, str | None]:
    """(start, end) of a FHIR Period; a missing end stays None (ongoing)."""
    if not isinstance(period, dict):
        return None, None
    start = date(period["start"], notes, f"{what}.start") if "start" in period else None
    end = date(period["end"], notes, f"{what}.end") if "end" in period else None
    return start, end


def codings(concept: Any) -> tuple[list[dict], list[str]]:
    """The codings of a CodeableConcept in systems this library knows, and the others' systems
    (a coding in an unknown system can match no code set, so it is left out)."""
    known: list[dict] = []
    unknown: list[str] = []
    if not isinstance(concept, dict):
        return known, unknown
    for coding in concept.get("coding") or ():
        if not isinstance(coding, dict) or not isinstance(coding.get("code"), str) or not coding["code"].strip():
            continue
        system = coding.get("system")
        name = normalize_system(system) if isinstance(system, str) else None
        if name is None:
            unknown.append(str(system) if system else "no system")
            continue
        out = {"system": name, "code": coding["code"]}
        if isinstance(coding.get("display"), str):
            out["display"] = coding["display"]
        known.append(out)
    return known, unknown


def concept_text(concept: Any) -> str | None:
    return concept.get("text") if isinstance(concept, dict) and isinstance(concept.get("text"), str) else None


def first_code(concept: Any, system_suffix: str = "") -> str | None:
    """The first code of a CodeableConcept whose system ends with ``system_suffix``."""
    if not isinstance(concept, dict):
        return None
    for coding in concept.get("coding") or ():
        if isinstance(coding, dict) and isinstance(coding.get("code"), str) and \
                str(coding.get("system", "")).endswith(system_suffix):
            return coding["code"]
    return None


def unit_of(raw: dict) -> str | None:
    """The unit of a Quantity: its UCUM code when it has one, else its human-readable unit."""
    code = raw.get("code")
    if isinstance(code, str) and code and raw.get("system") in (_UCUM, None):
        return code
    unit = raw.get("unit")
    return unit if isinstance(unit, str) and unit else (code if isinstance(code, str) and code else None)


def quantity(raw: Any, notes: list[str], what: str) -> dict | None:
    """``{"value": Decimal, "unit": str}`` for a FHIR Quantity, or None (with a note) when it has no
    value, no unit, or a unit this library does not know.  A ``comparator`` is not handled here."""
    if not isinstance(raw, dict):
        return None
    value = raw.get("value")
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        notes.append(f"{what} has no value")
        return None
    unit = unit_of(raw)
    if unit is None:
        notes.append(f"{what} `{value}` has no unit")
        return None
    unit = UNIT_SYNONYMS.get(unit, unit)
    try:
        parse_unit(unit)
    except UnitError as err:
        notes.append(f"{what} `{value} {unit}`: {err.message}")
        return None
    return {"value": Decimal(value), "unit": unit}
