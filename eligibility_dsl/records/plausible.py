"""Plausible ranges: a value no patient can have is a record error naming the field, never believed.

A record is refused (not evaluated) when it holds:

- a number too large or too precise to be a measurement (more than ``MAX_DIGITS`` significant digits,
  or a magnitude of ``10^MAX_EXPONENT`` or more, or below ``10^-MAX_EXPONENT`` other than zero): such a
  value is a data error, and refusing it keeps every later multiplication far from ``decimal.Overflow``;
- a negative dose, frequency or daily dose; a negative half-life, a non-positive upper reference limit, a
  negative lower reference limit (docs/patient_model.md, "Plausible ranges");
- a quantity in `%` below 0 or above 1000, and a percent-of-predicted lung function (FVC, DLCO)
  above 250 %;
- an mRSS score outside 0-51; a condition's CTCAE `grade` other than 1, 2, 3, 4 or 5;
- a code with a wildcard (`H02AB*`): a record states what was given, a pattern is for criteria.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..runtime.numtext import number_text
from ..runtime.quantity import Quantity

MAX_DIGITS = 34  # significant digits
MAX_EXPONENT = 30  # |value| < 10^30, and 0 or |value| >= 10^-30

PERCENT = (Decimal(0), Decimal(1000))
PERCENT_PREDICTED = (Decimal(0), Decimal(250))
# LOINC percent-of-predicted lung function codes (FVC, DLCO): 0-250 % covers every published value.
PERCENT_PREDICTED_CODES = frozenset({"19872-1", "19871-3", "19873-9", "19911-7", "19913-3"})
MRSS = (Decimal(0), Decimal(51))


def magnitude_problem(value: Decimal) -> str | None:
    """Why ``value`` (finite) cannot be a recorded number, or None."""
    if len(value.as_tuple().digits) > MAX_DIGITS:
        return f"`{number_text(value)}` has more than {MAX_DIGITS} significant digits"
    if value and not -MAX_EXPONENT <= value.adjusted() < MAX_EXPONENT:
        return (f"`{number_text(value)}` is out of the range of recorded values "
                f"(10^-{MAX_EXPONENT} to 10^{MAX_EXPONENT})")
    return None


def _non_negative(value: Decimal) -> str | None:
    """never negative (a record error)"""
    return None if value >= 0 else "cannot be negative"


def _ctcae_grade(value: Decimal) -> str | None:
    """a CTCAE grade: 1, 2, 3, 4 or 5"""
    return None if value in (1, 2, 3, 4, 5) else "must be a CTCAE grade: 1, 2, 3, 4 or 5"


# The JSON Schema of a field whose check allows a few values only (records/schema.py): the values as numbers
# or decimal text.
_ctcae_grade.schema = {"enum": [1, 2, 3, 4, 5, "1", "2", "3", "4", "5"]}  # type: ignore[attr-defined]


def _positive(value: Decimal) -> str | None:
    """positive (zero or negative: a record error)"""
    return None if value > 0 else "must be positive"


# (collection, field) -> check on the field's number (a quantity's value)
FIELD_CHECKS: dict[tuple[str, str], Callable[[Decimal], str | None]] = {
    ("medications", "dose"): _non_negative,
    ("medications", "frequency"): _non_negative,
    ("medications", "daily_dose"): _non_negative,
    ("trial_participations", "half_life"): _non_negative,
    ("observations", "reference_low"): _non_negative,
    ("observations", "reference_high"): _positive,
    ("conditions", "grade"): _ctcae_grade,
}


def _number_of(value: Any) -> Decimal | None:
    if isinstance(value, Quantity):
        return value.value
    if isinstance(value, Decimal):
        return value
    return None


def _percent(value: Any, bounds: tuple[Decimal, Decimal]) -> str | None:
    if isinstance(value, Quantity) and value.unit.symbol == "%" and not bounds[0] <= value.value <= bounds[1]:
        return f"`{value}` is outside the plausible range {bounds[0]}-{bounds[1]} %"
    return None


def event_problems(collection: str, fields: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, message) for every implausible value of one event."""
    out = []
    for name, value in fields.items():
        check = FIELD_CHECKS.get((collection, name))
        number = _number_of(value)
        if check is not None and number is not None:
            problem = check(number)
            if problem:
                out.append((name, f"`{value}`: a {name.replace('_', ' ')} {problem}"))
    codes = fields.get("code") or ()
    if collection == "observations":
        lung = any(c.system == "LOINC" and c.code in PERCENT_PREDICTED_CODES for c in codes)
        problem = _percent(fields.get("value"), PERCENT_PREDICTED if lung else PERCENT)
        if problem:
            out.append(("value", problem))
    if collection == "assessments" and fields.get("score") is not None:
        if any(c.system == "LOCAL" and c.code == "mRSS" for c in codes) and not MRSS[0] <= fields["score"] <= MRSS[1]:
            out.append(("score", f"the mRSS `{number_text(fields['score'])}` is outside its scale 0-51"))
    return out


def fact_problem(value: Any) -> str | None:
    """Why a declared fact's value is implausible, or None (a quantity in `%`: 0-1000)."""
    return _percent(value, PERCENT)
