"""Runtime layer: the exact values compiled evaluators call.

Units and quantities with exact arithmetic (``Fraction``/``Decimal``, never
float), CQL calendar arithmetic on dates, and Kleene three-valued logic.  This
is the bottom layer of ``eligibility_dsl``: it imports nothing else from the
package, so every other layer may depend on it.
"""

from .calendar import add_days, add_months, add_years, age_in_years, between, difference, parse_date, shift
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
    "Quantity",
    "Unit",
    "UnitError",
    "UnitMismatch",
    "add",
    "add_days",
    "add_months",
    "add_years",
    "age_in_years",
    "and_",
    "between",
    "compare",
    "difference",
    "dimension_name",
    "div",
    "divide_by_number",
    "implies",
    "is_true",
    "max_q",
    "min_q",
    "mul",
    "not_",
    "or_",
    "parse_date",
    "parse_unit",
    "scale",
    "shift",
    "sub",
]
