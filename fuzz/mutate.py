"""Mutations: byte and token edits, splices, unicode, huge literals, deep nesting (criteria); type swaps,
nulls, extremes, duplicated keys, malformed dates and units, huge collections (records)."""

from __future__ import annotations

import copy
import json
import random
import re
from typing import Any

UNICODE = ["\u00a0", "\u200b", "\ufeff", "\u2028", "\ud800", "é", "≥", "\x00", "\r", "𝟙"]
TOKENS = ["and", "or", "not", "(", ")", "include", "exclude", "during", "before", "after", "*", "import", "\"",
          "mg/day", "%", ">=", "1e999999999", "9" * 5000, "0.0000000000000000000000000000001", "-", "::"]


def mutate_criteria(text: str, corpus: list[str], rng: random.Random) -> str:
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(7)
        pos = rng.randrange(len(text) + 1)
        if op == 0 and text:  # byte edit
            text = text[:pos] + chr(rng.randrange(32, 127)) + text[pos + 1:]
        elif op == 1:  # token insert
            text = text[:pos] + " " + rng.choice(TOKENS) + " " + text[pos:]
        elif op == 2:  # token delete
            words = re.split(r"(\s+)", text)
            if words:
                del words[rng.randrange(len(words))]
            text = "".join(words)
        elif op == 3:  # splice with another shipped trial
            other = rng.choice(corpus)
            cut = rng.randrange(len(other) + 1)
            text = text[:pos] + other[cut:cut + rng.randint(1, 400)] + text[pos:]
        elif op == 4:
            text = text[:pos] + rng.choice(UNICODE) + text[pos:]
        elif op == 5:  # deep nesting
            depth = rng.choice([50, 500, 5000])
            text = text[:pos] + "(" * depth + "true" + ")" * depth + text[pos:]
        else:  # import tricks
            text = rng.choice(['import "/dev/zero"\n', 'import "../../etc/passwd"\n', 'import "self.elig"\n',
                               'import "' + "a/" * 200 + 'x.elig"\n']) + text
    return text


def _extreme(rng: random.Random) -> Any:
    return rng.choice([None, True, 0, -1, "", "x" * 10_000, [], {}, "1e999999999", float("nan"), float("inf"),
                       10 ** 40, "-200 mg/day", "2025-02-30", "0000-00-00", "99999-01-01", "10 furlongs",
                       "1 %", "300 %", {"value": "1", "unit": "mg"}, {"system": "ATC", "code": "H02AB*"},
                       "\ud800", [[[[[]]]]]])


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out.extend(_paths(v, (*path, k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.extend(_paths(v, (*path, i)))
    return out


def mutate_record(record: dict, rng: random.Random) -> str:
    """A mutated record as JSON text (text, so that duplicated keys and deep nesting can be expressed)."""
    record = copy.deepcopy(record)
    for _ in range(rng.randint(1, 4)):
        paths = [p for p in _paths(record) if p]
        if not paths:
            break
        path = rng.choice(paths)
        parent = record
        for step in path[:-1]:
            parent = parent[step]
        op = rng.randrange(4)
        if op == 0:
            parent[path[-1]] = _extreme(rng)
        elif op == 1 and isinstance(parent, dict):
            del parent[path[-1]]
        elif op == 2 and isinstance(parent[path[-1]], list) and parent[path[-1]]:
            parent[path[-1]] = parent[path[-1]] * rng.choice([2, 100, 2000])  # huge collections (duplicate ids)
        else:
            parent[path[-1]] = json.loads(json.dumps(parent[path[-1]]))  # type kept; swap below
            if isinstance(parent[path[-1]], str):
                parent[path[-1]] = rng.choice([len(parent[path[-1]]), [parent[path[-1]]], None])
    text = json.dumps(record, default=str, allow_nan=True)
    if rng.random() < 0.1:
        text = text.replace('"id": ', '"id": "dup", "id": ', 1)  # duplicated key
    if rng.random() < 0.05:
        text = "[" * 100_000 + text + "]" * 100_000
    return text
