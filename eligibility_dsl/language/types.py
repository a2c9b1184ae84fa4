"""The types of the language, shared by the checker, the record binder and the compiler.

A quantity's type is its dimension (mass, time, mass/time, ...): `10 mg` and
`0.01 g` have the same type; the unit is kept only to show values in the unit
the trial designer wrote.  Calendar durations (months, years) are a dimension of
their own, apart from exact time (days, hours), because a month has no fixed
length.  ``ERROR`` is the type of anything already reported as wrong: it is
compatible with everything, so one mistake yields one diagnostic.
"""

from __future__ import annotations

import attrs

from ..runtime.dimension_words import dimension_words
from ..runtime.units import Unit, parse_unit


@attrs.frozen
class Type:
    kind: str  # boolean | number | quantity | date | text | code | error
    dims: tuple[int, ...] | None = None
    unit: Unit | None = attrs.field(default=None, eq=False)
    values: tuple[str, ...] | None = attrs.field(default=None, eq=False)

    def describe(self) -> str:
        if self.kind == "quantity" and self.dims is None:
            return "a quantity"
        if self.kind == "quantity":
            return dimension_words(self.dims, self.unit.symbol if self.unit is not None else None)
        if self.kind == "boolean":
            return "a condition"
        return {"number": "a number", "date": "a date", "text": "a text", "code": "a code", "titre": "a titre",
                "coding": "a coding", "any": "a value of any type", "error": "an erroneous value"}[self.kind]

    @property
    def is_error(self) -> bool:
        return self.kind == "error"


BOOLEAN = Type("boolean")
NUMBER = Type("number")
DATE = Type("date")
TEXT = Type("text")
TITRE = Type("titre")  # `titre 1:160` (runtime/titre.py)
CODE = Type("code")
ERROR = Type("error")


def quantity(unit: Unit) -> Type:
    return Type("quantity", unit.dims, unit)


def quantity_of(unit_text: str) -> Type:
    return quantity(parse_unit(unit_text))


def code(values: tuple[str, ...] | None) -> Type:
    return Type("code", values=values)


YEARS = quantity_of("years")

# The built-in patient model: fields every record may carry, known to every trial.
BUILTIN_FACTS: dict[str, tuple[Type, str]] = {
    "birth_date": (DATE, "the patient's date of birth"),
    "sex": (code(("female", "male", "other", "unknown")), "administrative sex (FHIR AdministrativeGender)"),
}


def is_dynamic(t: Type) -> bool:
    """A type known only at run time: an observation's value, or a quantity of any dimension
    (a dose may be in mg or in IU). Comparisons with it are checked when evaluating."""
    return t.kind == "any" or (t.kind == "quantity" and t.dims is None)


def comparable(a: Type, b: Type) -> bool:
    """Whether `a = b` makes sense (codes compare with texts)."""
    if a.is_error or b.is_error or a.kind == "any" or b.kind == "any":
        return True
    if {a.kind, b.kind} == {"code", "text"}:
        return True
    if a.kind == b.kind == "quantity" and (a.dims is None or b.dims is None):
        return True
    return a == b


def ordered(a: Type, b: Type) -> bool:
    """Whether `a < b` makes sense: numbers, quantities of one dimension, dates."""
    if a.is_error or b.is_error:
        return True
    if a.kind == "any" or b.kind == "any":
        return (b if a.kind == "any" else a).kind in ("number", "quantity", "date", "any", "titre")
    if a.kind == b.kind == "quantity" and (a.dims is None or b.dims is None):
        return True
    return a == b and a.kind in ("number", "quantity", "date", "titre")
