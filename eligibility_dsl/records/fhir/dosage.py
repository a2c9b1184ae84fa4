"""A medication's dose and daily dose from FHIR Dosage, only when it can be computed exactly.

Rule: daily dose = dose per administration x administrations per period / period, from a single
Dosage with one ``doseQuantity`` (with a unit) and a ``timing.repeat`` of ``frequency`` per ``period``
``periodUnit`` (or a timing code such as BID).  Anything else -- a range of doses or frequencies,
"as needed", several dosage lines (a taper), a calendar period (month, year), no unit -- leaves the
daily dose unknown, never guessed: a criterion on it is then unknown, not decided by an invented
number.  The result is written in the period's own unit (``15 mg/wk``) so that no division is made.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .values import quantity

# UCUM time units of Timing.repeat.periodUnit that are exact lengths of time.
_PERIOD_UNITS = {"s": "s", "min": "min", "h": "h", "d": "d", "wk": "wk"}

# HL7 v3 GTSAbbreviation timing codes with a fixed number of administrations per day.
_TIMING_CODES = {"QD": (1, 1, "d"), "BID": (2, 1, "d"), "TID": (3, 1, "d"), "QID": (4, 1, "d"),
                 "AM": (1, 1, "d"), "PM": (1, 1, "d"), "QOD": (1, 2, "d"), "Q4H": (1, 4, "h"),
                 "Q6H": (1, 6, "h"), "Q8H": (1, 8, "h"), "Q12H": (1, 12, "h"), "WK": (1, 1, "wk")}

_PER_DAY = {"s": Decimal(86400), "min": Decimal(1440), "h": Decimal(24), "d": Decimal(1)}


def _number(raw: Any) -> Decimal | None:
    if isinstance(raw, bool) or not isinstance(raw, int | Decimal):
        return None
    return Decimal(raw)


def _frequency(timing: Any) -> tuple[Decimal, Decimal, str] | None:
    """(administrations, period, unit), or None when the timing states no fixed frequency."""
    if not isinstance(timing, dict):
        return None
    repeat = timing.get("repeat")
    if isinstance(repeat, dict) and ("period" in repeat or "frequency" in repeat):
        if "frequencyMax" in repeat or "periodMax" in repeat:  # a range of frequencies: not one number
            return None
        frequency = _number(repeat.get("frequency", 1))
        period = _number(repeat.get("period"))
        unit = _PERIOD_UNITS.get(repeat.get("periodUnit"))
        if frequency is None or period is None or unit is None or period <= 0 or frequency <= 0:
            return None
        return frequency, period, unit
    code = timing.get("code")
    if isinstance(code, dict):
        for coding in code.get("coding") or ():
            if isinstance(coding, dict) and coding.get("code") in _TIMING_CODES:
                f, p, u = _TIMING_CODES[coding["code"]]
                return Decimal(f), Decimal(p), u
    return None


def dose_fields(dosages: Any, notes: list[str]) -> dict[str, Any]:
    """``dose``, ``frequency`` and ``daily_dose`` (those that are exactly known) for a list of Dosage;
    ``notes`` receives why a daily dose is unknown when a dose was given but no frequency could be read."""
    if isinstance(dosages, dict):
        dosages = [dosages]
    if not isinstance(dosages, list) or not dosages:
        return {}
    if len(dosages) > 1:
        notes.append("several dosage lines (a sequence or taper): the daily dose is unknown")
        return {}
    dosage = dosages[0]
    if not isinstance(dosage, dict):
        return {}
    out: dict[str, Any] = {}
    dose = None
    rates = dosage.get("doseAndRate") or ()
    if isinstance(dosage.get("dose"), dict):  # MedicationAdministration.dosage.dose
        dose = quantity(dosage["dose"], notes, "dose")
    elif len(rates) == 1 and isinstance(rates[0], dict) and isinstance(rates[0].get("doseQuantity"), dict):
        raw = rates[0]["doseQuantity"]
        if raw.get("unit") is None and raw.get("code") is None:
            # `{"value": 1}`: one of the product's units (a tablet, a puff) -- an amount of what is
            # not stated, so no dose in mg can be derived from it.
            return {}
        dose = quantity(raw, notes, "dose")
    if dose is None:
        return out
    out["dose"] = dose
    if dosage.get("asNeededBoolean") or "asNeededCodeableConcept" in dosage:
        notes.append("taken as needed: the daily dose is unknown")
        return out
    freq = _frequency(dosage.get("timing"))
    if freq is None:
        return out
    count, period, unit = freq
    if unit in _PER_DAY:
        per_day = count * _PER_DAY[unit] / period
        if per_day * period == count * _PER_DAY[unit]:  # exact: nothing lost to rounding
            out["frequency"] = per_day
            out["daily_dose"] = {"value": dose["value"] * per_day, "unit": f"{dose['unit']}/d"}
            return out
    if period == 1:  # once a week: written per week, which is exact
        out["daily_dose"] = {"value": dose["value"] * count, "unit": f"{dose['unit']}/{unit}"}
        return out
    notes.append(f"a dose {count} times every {period} {unit} has no exact daily dose: the daily dose is unknown")
    return out
