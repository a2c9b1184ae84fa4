"""The VS Code TextMate grammar (editors/vscode/syntaxes/elig.tmLanguage.json) against the language.

What this proves: the grammar is valid JSON; every regex compiles under the `regex` module, whose
syntax for the constructs used here (classes, groups, look-ahead, `\\b`, `^`/`$`) is Oniguruma's; a
tokeniser following TextMate's rule for `match` patterns (at each position the earliest match wins,
ties go to the rule listed first) gives a scope to every non-blank character of every shipped trial,
comments and texts included; every keyword of grammars/elig.lark is scoped as a keyword (or a type or
constant) where the language uses it; and the words the parser reserves are never shown as names in
the shipped trials.  What it does not prove: how VS Code's own engine (vscode-textmate) paints them.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest
import regex

from eligibility_dsl.language.syntax import RESERVED_WORDS

ROOT = Path(__file__).parent.parent
GRAMMAR = ROOT / "editors" / "vscode" / "syntaxes" / "elig.tmLanguage.json"
TRIALS = sorted((ROOT / "trials").rglob("*.elig"))
KEYWORD_SCOPES = ("keyword.", "storage.type.", "constant.language.")


@cache
def grammar() -> dict:
    return json.loads(GRAMMAR.read_text(encoding="utf-8"))


def _rules(patterns: list[dict]) -> list[dict]:
    """The `match` rules in the order TextMate tries them, includes expanded."""
    out = []
    for p in patterns:
        if "include" in p:
            out += _rules([grammar()["repository"][p["include"][1:]]])
        elif "patterns" in p:
            out += _rules(p["patterns"])
        else:
            out.append(p)
    return out


@cache
def compiled() -> list[tuple[regex.Pattern, dict]]:
    return [(regex.compile(rule["match"]), rule) for rule in _rules(grammar()["patterns"])]


def tokenise(line: str) -> list[str | None]:
    """The scope of each character of `line` (None where no rule applies)."""
    scopes: list[str | None] = [None] * len(line)
    pos = 0
    while pos < len(line):
        best = None
        for pattern, rule in compiled():
            m = pattern.search(line, pos)
            if m and m.end() > m.start() and (best is None or m.start() < best[0].start()):
                best = (m, rule)
        if best is None:
            break
        m, rule = best
        for i in range(m.start(), m.end()):
            scopes[i] = rule.get("name")
        for group, capture in rule.get("captures", {}).items():
            if m.group(int(group)) is not None:
                for i in range(m.start(int(group)), m.end(int(group))):
                    scopes[i] = capture["name"]
        pos = m.end()
    return scopes


def test_the_grammar_is_json_and_its_regexes_compile():
    assert grammar()["scopeName"] == "source.elig"
    assert len(compiled()) > 10


@pytest.mark.parametrize("path", TRIALS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_character_of_a_shipped_trial_is_scoped(path: Path):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        scopes = tokenise(line)
        bare = [i for i, ch in enumerate(line) if not ch.isspace() and scopes[i] is None]
        assert not bare, f"{path.name}:{number}: no scope for `{line[bare[0]:]}`"
        for m in re.finditer(r"[A-Za-z_][A-Za-z0-9_]*", line):
            if m.group() in RESERVED_WORDS and scopes[m.start()] == "variable.other.elig":
                pytest.fail(f"{path.name}:{number}: the keyword `{m.group()}` is shown as a name")


def _lark_keywords() -> set[str]:
    text = (ROOT / "grammars" / "elig.lark").read_text(encoding="utf-8")
    return set(re.findall(r'"([A-Za-z_]+)"', text))


@pytest.mark.parametrize("keyword", sorted(_lark_keywords()))
def test_every_keyword_of_the_lark_grammar_is_a_keyword(keyword: str):
    # Declaration keywords start a line; the others sit between names.
    for line, at in ((f"{keyword} x", 0), (f"x {keyword} y", 2)):
        scope = tokenise(line)[at]
        if scope is not None and scope.startswith(KEYWORD_SCOPES):
            return
    pytest.fail(f"`{keyword}` is never scoped as a keyword")


def test_texts_comments_and_units_get_their_scopes():
    scopes = tokenise('    hba1c > 7.5 % and note = "a # in a text" # a comment')
    line = '    hba1c > 7.5 % and note = "a # in a text" # a comment'
    assert scopes[line.index("%")] == "keyword.other.unit.elig"
    assert scopes[line.index("7.5")] == "constant.numeric.elig"
    assert scopes[line.index("# in")] == "string.quoted.double.elig"
    assert scopes[line.index("# a comment")] == "comment.line.number-sign.elig"
    assert scopes[line.index("hba1c")] == "variable.other.elig"
