"""What every command shares: reading files and records, the input errors they raise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..records import jsonread


class InputProblem(Exception):
    """A command's input (a file, an anchor, a record) that cannot be used: exit status 2."""


def read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise InputProblem(f"cannot read `{path}`: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise InputProblem(f"`{path}` is not UTF-8 text") from None


def read_json(path: str) -> Any:
    """A record file through the strict reader (records/jsonread.py): a regular file only, duplicate
    keys, NaN/Infinity and unreadably deep nesting refused."""
    try:
        return jsonread.load_file(path)
    except jsonread.JSONProblem as err:
        raise InputProblem(str(err)) from None


def parse_anchors(items: list[str]) -> dict[str, str]:
    anchors: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise InputProblem(f"`--anchor {item}` should be NAME=YYYY-MM-DD, e.g. `--anchor screening=2025-09-11`")
        anchors[name.strip()] = value.strip()
    return anchors
