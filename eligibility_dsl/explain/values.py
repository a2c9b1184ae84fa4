"""Runtime values as people and programs read them: the language's spelling, and JSON."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from ..runtime.bounded import Bounded
from ..runtime.events import codings_text
from ..runtime.numtext import number_text
from ..runtime.quantity import Quantity


def json_value(value: Any) -> Any:
    """A runtime value as JSON: exact decimals as strings, quantities as value and unit."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, Decimal):
        return number_text(value)
    if isinstance(value, Quantity):
        return {"value": number_text(value.value), "unit": value.unit.symbol}
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [json_value(v) for v in value]
    if isinstance(value, Bounded):  # a score with unscored items, a count over an incomplete history
        return {"at_least": json_value(value.low), "at_most": json_value(value.high)}
    if hasattr(value, "system") and hasattr(value, "code"):  # a coding
        return {"system": value.system, "code": value.label, "display": value.display}
    return str(value)


def text_value(value: Any) -> str:
    """A runtime value as the language writes it."""
    if value is None:
        return "unknown"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Decimal):
        return number_text(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, tuple):  # an event's codings
        return codings_text(value)
    return str(value)
