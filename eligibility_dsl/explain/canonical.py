"""Canonical JSON (RFC 8785, the JSON Canonicalization Scheme) and the sha256 hashes decision records use.

Why RFC 8785: a hash of JSON is only reproducible when the bytes are, and JCS fixes them (object keys sorted
by UTF-16 code units, no whitespace, numbers written as ECMAScript writes a double, strings with minimal
escapes).  The ``rfc8785`` package (Trail of Bits) implements it; ``tests/test_record.py`` checks it
against the RFC's own examples.

Numbers: records are read with exact decimals, and JCS numbers are IEEE doubles.  A decimal is written as
the double nearest to it; when that double is not exactly the decimal (more than about 15 significant
digits, say ``50.0000000000000001``) the hash cannot tell the two apart, so ``inexact_numbers`` lists
where that happens and decision records carry the list: such a record's hash is a weaker promise, and
``elig verify`` says so.  (Replay still evaluates the exact decimals, so a decision that depends on those
digits is caught by comparing outcomes.)
"""

from __future__ import annotations

import datetime
import hashlib
import json
from decimal import Decimal
from typing import Any

import rfc8785

__all__ = ["CanonicalError", "canonical_json", "inexact_numbers", "load_strict", "sha256_hex", "sha256_of"]

CANONICALIZATION = "RFC 8785"


class CanonicalError(ValueError):
    """A value that has no JSON form (a set, an object, NaN)."""


def _plain(value: Any, path: str, inexact: list[str] | None) -> Any:
    """``value`` with decimals as doubles and dates as ISO text, ready for ``rfc8785``."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        if abs(value) <= 2**53 - 1:
            return value
        as_float = float(value)
        if inexact is not None and int(as_float) != value:
            inexact.append(path or "$")
        return as_float
    if isinstance(value, Decimal | float):
        if not (value.is_finite() if isinstance(value, Decimal) else value == value and abs(value) != float("inf")):
            raise CanonicalError(f"`{value}` at {path or '$'} is not a JSON number")
        as_float = float(value)
        if inexact is not None and isinstance(value, Decimal) and Decimal(repr(as_float)) != value:
            inexact.append(path or "$")
        return as_float
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalError(f"a key at {path or '$'} is {type(key).__name__}, not text")
            out[key] = _plain(item, f"{path}.{key}" if path else key, inexact)
        return out
    if isinstance(value, list | tuple):
        return [_plain(item, f"{path}[{i}]", inexact) for i, item in enumerate(value)]
    raise CanonicalError(f"{type(value).__name__} at {path or '$'} has no JSON form")


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 bytes of ``value`` (JSON data; ``Decimal`` and ``date`` accepted)."""
    try:
        return rfc8785.dumps(_plain(value, "", None))
    except rfc8785.CanonicalizationError as err:
        raise CanonicalError(str(err)) from None


def inexact_numbers(value: Any) -> list[str]:
    """Paths (``facts.x.value``) of the numbers whose canonical double is not exactly the number written."""
    found: list[str] = []
    _plain(value, "", found)
    return found


def sha256_hex(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def sha256_of(value: Any) -> str:
    """The sha256 of ``value``'s canonical JSON, in hex."""
    return sha256_hex(canonical_json(value))


class DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKey(f"the key `{key}` appears twice in one object")
        out[key] = value
    return out


def load_strict(text: str) -> Any:
    """JSON with exact decimals and no duplicate keys (a second copy of a key would hide the first from
    every hash). Raises ``ValueError`` (``json.JSONDecodeError`` or ``DuplicateKey``)."""
    return json.loads(text, parse_float=Decimal, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)


def _no_constant(name: str):
    raise ValueError(f"`{name}` is not JSON")
