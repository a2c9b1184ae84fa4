"""Events on one day that no order can tell apart: the rule of `latest`/`earliest` for a tie.

Records dated by day say nothing of the order of two events on the same day, and two date-times may be
the same instant. When the latest (earliest) event is one of several such events, the answer is what they
all agree on (their field's value, a result word): two creatinines on one day of 1.0 and 1.0 mg/dL give
1.0 mg/dL; of 1.0 and 2.0 mg/dL, an unknown with "which of them is the latest" missing. No event id, file
position or other accident of the export ever decides it.

``value_key`` is the one definition of "the same value", shared by the Python backend and the SQL event
tables (whose value columns are built from it): a number equals a number of the same value (1.0 = 1.00),
a quantity one of the same value written in the same unit, a censored text one with the same comparator
and bound, a date, a boolean or a text the same one. Coded values (a SNOMED *Positive*) are never taken
to agree: with two coded results on one day the answer is unknown, which the SQL engines can state
without comparing sets of codes.

An observation's results that differ only in their number (two FVCs of 82 % and 88.1 % on one day, two
creatinines of 1 and 2 mg/dL) are the range between them (``value_range``): the latest is one of them, so
`> 50 %` is decided (true for both) and `< 1.5 mg/dL` is not. Results in different units, of different
kinds, censored or coded are not ranged: the answer is unknown.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .bounded import bounded_or_exact
from .censored import parse_censored
from .codes import Coding
from .quantity import Quantity

__all__ = ["agree", "value_key", "value_range"]

_CODED = object()  # the key of a coded value: equal to nothing, itself included


def value_key(value: Any) -> tuple | object:
    """(kind, boolean, number, unit, text) of a value, the columns the SQL event tables hold it in."""
    if value is None:
        return (None, None, None, None, None)
    if isinstance(value, bool):
        return ("boolean", value, None, None, None)
    if isinstance(value, Quantity):
        return ("quantity", None, value.value, str(value.unit), None)
    if isinstance(value, Decimal):
        return ("number", None, value, None, None)
    if isinstance(value, Coding) or (isinstance(value, tuple) and value and isinstance(value[0], Coding)):
        return _CODED
    if isinstance(value, str):
        cens = parse_censored(value)
        if cens is not None:
            bound = cens.bound
            if isinstance(bound, Quantity):
                return ("censored", None, bound.value, str(bound.unit), cens.op)
            return ("censored", None, bound, None, cens.op)
        return ("text", None, None, None, value)
    return ("other", None, None, None, value)  # a date, a code: compared as themselves


def agree(values: list, kind: str = "any") -> bool:
    """Whether the values of tied events, of a field of type ``kind``, are all the same value. Texts, codes
    and codings of a typed field are compared as written (as their SQL columns are); values of type `any`
    (an observation's value) by ``value_key``."""
    if len(values) < 2:
        return True
    if kind in ("text", "code", "coding", "date", "boolean"):
        return all(v == values[0] for v in values[1:])
    first = value_key(values[0])
    return first is not _CODED and all(value_key(v) == first for v in values[1:])


def value_range(values: list):
    """The range of tied results that differ only in their number (all numbers, or all quantities written in
    one unit): ``Bounded`` from the least to the greatest; None for any other mix."""
    if all(isinstance(v, Decimal) and not isinstance(v, bool) for v in values):
        return bounded_or_exact(min(values), max(values))
    if all(isinstance(v, Quantity) for v in values) and len({str(v.unit) for v in values}) == 1:
        unit = values[0].unit
        numbers = [v.value for v in values]
        return bounded_or_exact(Quantity(min(numbers), unit), Quantity(max(numbers), unit))
    return None
