"""The ``units`` table: every unit text found in the event tables, with its dimensions and exact factor
(``runtime.units.parse_unit``), built when the tables are loaded (never part of the input).

Columns: ``unit`` (the text as stored), ``dims`` (the dimension exponents, comma-separated), ``num`` and
``den`` (the factor to the base unit of its dimensions, as a fraction in lowest terms; DECIMAL(38, 12)
holding whole numbers).  A unit text that does not parse has no row: a comparison that needs it is unknown.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from ...runtime.units import UnitError, parse_unit
from .schema import TABLES

UNITS = (("unit", "text"), ("dims", "text"), ("num", "number"), ("den", "number"))
_MAX = Decimal(10) ** 12  # larger factors have no row (quantities.py multiplies them exactly)


def dims_key(dims: tuple[int, ...]) -> str:
    return ",".join(str(d) for d in dims)


def unit_columns() -> list[tuple[str, str]]:
    """(table, column) of every unit text column of the event tables."""
    return [(t, c) for t, cols in TABLES.items() for c, _ in cols if c.endswith("_unit") and t != "facts"]


def unit_rows(texts: Iterable[str | None]) -> dict[str, list]:
    out: dict[str, list] = {c: [] for c, _ in UNITS}
    for text in sorted({t for t in texts if t}):
        try:
            unit = parse_unit(text)
        except (UnitError, ValueError):
            continue
        n, d = Decimal(unit.factor.numerator), Decimal(unit.factor.denominator)
        if n >= _MAX or d >= _MAX:
            continue
        for col, value in zip(("unit", "dims", "num", "den"), (text, dims_key(unit.dims), n, d), strict=True):
            out[col].append(value)
    return out


def arrow_units(tables: dict[str, Any]) -> Any:
    """The units table for Arrow event tables."""
    import pyarrow as pa

    from .schema import PRECISION, SCALE

    texts: list = []
    for t, c in unit_columns():
        if t in tables and c in tables[t].column_names:
            texts += tables[t].column(c).to_pylist()
    rows = unit_rows(texts)
    types = {"text": pa.string(), "number": pa.decimal128(PRECISION, SCALE)}
    return pa.table({c: pa.array(rows[c], type=types[k]) for c, k in UNITS})


def distinct_units_sql(quote: str) -> str:
    """One query listing the distinct unit texts of the loaded event tables."""
    parts = [f"SELECT DISTINCT {quote}{c}{quote} AS u FROM {quote}{t}{quote}" for t, c in unit_columns()]
    return " UNION ".join(parts)
