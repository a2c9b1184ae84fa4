"""Runtime layer: the exact values compiled evaluators call.

Units and quantities with exact arithmetic (``Fraction``/``Decimal``, never
float), CQL calendar arithmetic on dates, Kleene three-valued logic, code
systems and code sets, events with windows and day counting, and values known
only between bounds.  This is the bottom layer of ``eligibility_dsl``: it
imports nothing else from the package, so every other layer may depend on it.
"""

from .bounded import Bounded, bounded_or_exact, compare_bounded
from .calendar import add_days, add_months, add_years, age_in_years, between, difference, parse_date, shift
from .codes import PREFIX_SYSTEMS, SYSTEMS, CodeSet, Coding, normalize_code, normalize_system
from .events import Coverage, Event, Window, covered_continuously, days_inclusive, exposure_days
from .logic import and_, implies, is_true, not_, or_
from .quantity import (
    DISPLAY_PRECISION,
    DIVISION_CONTEXT,
    Quantity,
    add,
    compare,
    div,
    divide_by_number,
    max_q,
    min_q,
    mul,
    scale,
    sub,
)
from .units import BASE_DIMENSIONS, DIMENSIONLESS, Unit, UnitError, UnitMismatch, dimension_name, parse_unit

__all__ = [
    "BASE_DIMENSIONS",
    "DIMENSIONLESS",
    "DISPLAY_PRECISION",
    "DIVISION_CONTEXT",
    "PREFIX_SYSTEMS",
    "SYSTEMS",
    "Bounded",
    "CodeSet",
    "Coding",
    "Coverage",
    "Event",
    "Quantity",
    "Unit",
    "UnitError",
    "UnitMismatch",
    "Window",
    "add",
    "add_days",
    "add_months",
    "add_years",
    "age_in_years",
    "and_",
    "between",
    "bounded_or_exact",
    "compare",
    "compare_bounded",
    "covered_continuously",
    "days_inclusive",
    "difference",
    "dimension_name",
    "div",
    "divide_by_number",
    "exposure_days",
    "implies",
    "is_true",
    "max_q",
    "min_q",
    "mul",
    "normalize_code",
    "normalize_system",
    "not_",
    "or_",
    "parse_date",
    "parse_unit",
    "scale",
    "shift",
    "sub",
]
