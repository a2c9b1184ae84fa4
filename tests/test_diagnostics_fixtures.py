"""Diagnostics as data files: each tests/fixtures/diagnostics/NAME.elig has NAME.expected, the exact
text `elig check` prints for it (message, code, location, caret, help).

To review a change in wording, regenerate with `UPDATE_FIXTURES=1 pytest tests/test_diagnostics_fixtures.py`
and read the diff: the fixtures are the catalogue of messages users see.
"""

import json
import os
from pathlib import Path

import pytest

from eligibility_dsl.api import check_source
from eligibility_dsl.check.unused import with_unused
from eligibility_dsl.report import render_json, render_text

FIXTURES = Path(__file__).parent / "fixtures" / "diagnostics"
CASES = sorted(FIXTURES.glob("*.elig"))


def rendered(path: Path) -> str:
    """What `elig check` prints: the diagnostics and, for a file with no errors, the unused-declaration
    warnings."""
    text = path.read_text(encoding="utf-8")
    trial, diagnostics = check_source(text, path.name)
    return render_text(with_unused(trial, diagnostics), {path.name: text})


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_rendered_diagnostics_match_fixture(path: Path):
    expected_file = path.with_suffix(".expected")
    actual = rendered(path)
    if os.environ.get("UPDATE_FIXTURES"):
        expected_file.write_text(actual, encoding="utf-8")
    assert actual == expected_file.read_text(encoding="utf-8")


def test_every_fixture_reports_at_least_one_error():
    """Every fixture shows a mistake: an error, or (the unused-declarations fixture) only warnings."""
    for path in CASES:
        out = rendered(path)
        assert "error[" in out or (path.stem == "unused" and "warning[W0102]" in out), path.name


def test_five_mistakes_are_five_distinct_errors_with_locations():
    path = FIXTURES / "five_mistakes.elig"
    _, diagnostics = check_source(path.read_text(encoding="utf-8"), path.name)
    found = [(d.code, d.span.line, d.span.column) for d in diagnostics]
    assert found == [("E0101", 8, 5), ("E0202", 11, 5), ("E0102", 13, 9), ("E0203", 17, 5), ("E0001", 20, 29)]


def test_json_rendering_carries_code_message_span_and_help():
    path = FIXTURES / "unknown_name.elig"
    _, diagnostics = check_source(path.read_text(encoding="utf-8"), path.name)
    data = json.loads(render_json(diagnostics))
    assert data[0] == {
        "code": "E0101",
        "name": "unknown-name",
        "severity": "error",
        "message": "unknown name `screning`",
        "span": {"file": "unknown_name.elig", "line": 4, "column": 26, "end_line": 4, "end_column": 34},
        "help": "did you mean `screening`?",
    }


def test_messages_follow_the_style_guide():
    """Lowercase start, no trailing period, user input in backticks (Cedar's guide)."""
    for path in CASES:
        _, diagnostics = check_source(path.read_text(encoding="utf-8"), path.name)
        for d in diagnostics:
            assert d.message[0].islower() or d.message[0] == "`", d.message
            assert not d.message.endswith("."), d.message
