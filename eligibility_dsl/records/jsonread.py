"""The one strict JSON reader for patient records (CLI, API helpers, screening inputs).

Stricter than ``json.loads`` where leniency could change an answer or crash a run:

- a key given twice in one object is an error (``json`` keeps the last silently: which value did the
  source mean?);
- ``NaN``, ``Infinity`` and ``-Infinity`` are errors (not JSON, and not a measurement);
- numbers are exact: decimals are read as ``Decimal``; an integer of more than 18 digits is read as
  a ``Decimal`` too (Python refuses to convert an integer of over 4,300 digits), so that the record
  binder refuses it as out of range with the field's path;
- nesting deeper than the reader can follow is an error, not a ``RecursionError``.

Files: only regular files are read (never a device or a FIFO such as ``/dev/zero``), and at most
``MAX_BYTES``.
"""

from __future__ import annotations

import json
import os
import stat
from decimal import Decimal
from typing import Any

MAX_BYTES = 2 * 1024**3  # a record file larger than this is refused


class JSONProblem(ValueError):
    """Text that is not strict JSON; the message is one line naming where."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise JSONProblem(f"duplicate key `{_escape(key)}` in one object")
        out[key] = value
    return out


def _constant(name: str) -> Any:
    raise JSONProblem(f"`{name}` is not a number in JSON")


def _integer(text: str) -> int | Decimal:
    return int(text) if len(text) <= 18 else Decimal(text)


def _escape(text: str) -> str:
    """Text safe to print: at most 80 characters, lone surrogates and controls escaped."""
    shown = text if len(text) <= 80 else text[:77] + "..."
    return shown.encode("utf-8", "backslashreplace").decode("utf-8").replace("\n", "\\n")


def decode(text: str | bytes) -> Any:
    """Strict JSON, raising what ``json.loads`` raises for bad syntax (``JSONDecodeError``,
    ``RecursionError``) and :class:`JSONProblem` for what only this reader refuses."""
    return json.loads(text, parse_float=Decimal, parse_int=_integer, parse_constant=_constant,
                      object_pairs_hook=_pairs)


def loads(text: str | bytes, source: str = "<record>") -> Any:
    """Strict JSON (see the module docstring); raises :class:`JSONProblem` with ``source:line:col``."""
    try:
        return decode(text)
    except json.JSONDecodeError as err:
        raise JSONProblem(f"{source}:{err.lineno}:{err.colno}: invalid JSON: {err.msg.lower()}") from None
    except JSONProblem as err:
        raise JSONProblem(f"{source}: invalid JSON: {err}") from None
    except RecursionError:
        raise JSONProblem(f"{source}: invalid JSON: nested too deeply") from None
    except UnicodeDecodeError:
        raise JSONProblem(f"{source}: not UTF-8 text") from None


def read_file(path: str | os.PathLike, max_bytes: int = MAX_BYTES) -> str:
    """A regular file's text (UTF-8), refusing devices, FIFOs and files over ``max_bytes``."""
    try:
        with open(path, "rb", opener=_nonblocking) as f:
            info = os.fstat(f.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise JSONProblem(f"`{path}` is not a regular file")
            data = f.read(max_bytes + 1)
    except OSError as err:
        raise JSONProblem(f"cannot read `{path}`: {err.strerror or err}") from None
    if len(data) > max_bytes:
        raise JSONProblem(f"`{path}` is larger than {max_bytes} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise JSONProblem(f"`{path}` is not UTF-8 text") from None


def _nonblocking(path: str, flags: int) -> int:
    # O_NONBLOCK: opening a FIFO with no writer must not hang before fstat can refuse it.
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def load_file(path: str | os.PathLike, max_bytes: int = MAX_BYTES) -> Any:
    return loads(read_file(path, max_bytes), str(path))
