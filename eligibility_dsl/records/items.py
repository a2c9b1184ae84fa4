"""The items (components) of a scored assessment: `"items": {"physical_aggression": 4, "pacing": null}`.

Any assessment may list its items, each by name with its score (a decimal; `null`: the item was not
scored). The language counts them (`count items with score >= 4 of latest assessments in cmai ...`,
runtime/items.py). The items listed are the assessment's items: an instrument's item that the record
leaves out is not counted, so a record should list every item of the instrument, `null` where unscored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

_NAME = re.compile(r"[A-Za-z0-9_.\-]+")
_DECIMAL_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def read_items(raw: Any) -> tuple[tuple[tuple[str, Decimal | None], ...] | None, list[tuple[str, str]]]:
    """The items as (name, score) pairs in the record's order, and the problems as (subpath, message)."""
    if raw is None:
        return None, []
    if not isinstance(raw, Mapping):
        return None, [("", f"expected an object of item scores, found {type(raw).__name__}")]
    out, problems = [], []
    for name, value in raw.items():
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            problems.append((f".{name}", f"an item name is letters, digits, `_`, `.` or `-`, found `{name}`"))
            continue
        if isinstance(value, str) and _DECIMAL_TEXT.fullmatch(value):
            value = Decimal(value)
        if value is None:
            out.append((name, None))
        elif isinstance(value, bool) or not isinstance(value, int | Decimal) or (
                isinstance(value, Decimal) and not value.is_finite()):
            problems.append((f".{name}", f"an item's score is a number or `null`, found `{value!r}`"))
        else:
            out.append((name, Decimal(value)))
    return tuple(out), problems
