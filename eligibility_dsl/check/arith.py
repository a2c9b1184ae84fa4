"""Arithmetic typing rules: what `+ - * /` give for each pair of operand kinds (a dispatch table)."""

from __future__ import annotations

from collections.abc import Callable

from ..language import types as T
from ..runtime.units import dimension_name

_ANY_QUANTITY = T.Type("quantity")


def _static(t: T.Type) -> T.Type:
    """For arithmetic, an observation's value is taken to be a quantity (checked when evaluating)."""
    return _ANY_QUANTITY if t.kind == "any" else t


def _same_dims(lt: T.Type, rt: T.Type):
    if lt.dims is None or rt.dims is None:
        return _ANY_QUANTITY, "quantity"
    if lt.dims != rt.dims:
        return None, None
    finer = lt.unit if lt.unit.factor <= rt.unit.factor else rt.unit
    return T.quantity(finer), "quantity"


def _duration(dt: T.Type) -> bool:
    return dt.dims is not None and dimension_name(dt.dims) in ("time", "calendar duration")


def _product(lt: T.Type, rt: T.Type):
    if lt.dims is None or rt.dims is None:
        return _ANY_QUANTITY, "quantity"
    unit = lt.unit.mul(rt.unit)
    return (T.NUMBER if unit.is_dimensionless and unit.factor == 1 else T.quantity(unit)), "quantity"


def _quotient(lt: T.Type, rt: T.Type):
    if lt.dims is None or rt.dims is None:
        return _ANY_QUANTITY, "quantity"
    if lt.dims == rt.dims:
        return T.NUMBER, "quantity"
    return T.quantity(lt.unit.div(rt.unit)), "quantity"


# (operator, left kind, right kind) -> rule giving (result type, arithmetic kind) or (None, None).
_ARITH_RULES: dict[tuple[str, str, str], Callable] = {
    ("+", "number", "number"): lambda lt, rt: (T.NUMBER, "number"),
    ("-", "number", "number"): lambda lt, rt: (T.NUMBER, "number"),
    ("*", "number", "number"): lambda lt, rt: (T.NUMBER, "number"),
    ("/", "number", "number"): lambda lt, rt: (T.NUMBER, "number"),
    ("+", "quantity", "quantity"): _same_dims,
    ("-", "quantity", "quantity"): _same_dims,
    ("*", "quantity", "quantity"): _product,
    ("/", "quantity", "quantity"): _quotient,
    ("*", "number", "quantity"): lambda lt, rt: (rt, "scale"),
    ("*", "quantity", "number"): lambda lt, rt: (lt, "scale"),
    ("/", "quantity", "number"): lambda lt, rt: (lt, "scale"),
    ("+", "date", "quantity"): lambda lt, rt: (T.DATE, "date_shift") if _duration(rt) else (None, None),
    ("-", "date", "quantity"): lambda lt, rt: (T.DATE, "date_shift") if _duration(rt) else (None, None),
    ("+", "quantity", "date"): lambda lt, rt: (T.DATE, "date_shift") if _duration(lt) else (None, None),
}
