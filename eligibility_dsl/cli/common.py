"""What every command shares: reading files and records, the input errors they raise."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any


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
    text = read_text(path)
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as err:
        raise InputProblem(f"{path}:{err.lineno}:{err.colno}: invalid JSON: {err.msg.lower()}") from None


def parse_anchors(items: list[str]) -> dict[str, str]:
    anchors: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise InputProblem(f"`--anchor {item}` should be NAME=YYYY-MM-DD, e.g. `--anchor screening=2025-09-11`")
        anchors[name.strip()] = value.strip()
    return anchors
