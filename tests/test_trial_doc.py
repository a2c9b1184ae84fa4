"""`elig doc`: the trial in plain language (explain/trial_doc.py, cli/doc.py).

The SSc trial's Markdown is a golden file (tests/fixtures/doc/ssc_telitacicept.md); regenerate it with
`UPDATE_FIXTURES=1 pytest tests/test_trial_doc.py` and read the diff.
"""

import inspect
import os
import re
from html.parser import HTMLParser
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from strategies import trials

from eligibility_dsl.api import check_file, check_source
from eligibility_dsl.check import ir
from eligibility_dsl.cli import main
from eligibility_dsl.explain import trial_doc
from eligibility_dsl.explain.trial_doc import to_html, to_markdown, trial_document

ROOT = Path(__file__).resolve().parents[1]
SSC = ROOT / "trials" / "ssc_telitacicept.elig"
GOLDEN = Path(__file__).parent / "fixtures" / "doc" / "ssc_telitacicept.md"
SHIPPED = sorted((ROOT / "trials").glob("*.elig")) + sorted((ROOT / "trials" / "examples").glob("*.elig"))
NODE_KINDS = [c for _, c in inspect.getmembers(ir, inspect.isclass) if issubclass(c, ir.Node) and c is not ir.Node]
INTERNAL = re.compile(r"\b(" + "|".join(c.__name__ for c in NODE_KINDS) + r"|None|date_shift|Decimal|Quantity)\b")


def _doc(path: Path) -> dict:
    trial, diagnostics = check_file(path, lib_path=[ROOT / "trials" / "lib"])
    assert not [d for d in diagnostics if d.severity == "error"]
    return trial_document(trial)


def test_the_ssc_trial_in_markdown_matches_the_golden_file():
    actual = to_markdown(_doc(SSC))
    if os.environ.get("UPDATE_FIXTURES"):
        GOLDEN.write_text(actual, encoding="utf-8")
    assert actual == GOLDEN.read_text(encoding="utf-8")


def test_each_criterion_stands_beside_its_reading():
    doc = _doc(SSC)
    i3 = next(c for c in doc["include"] if c["id"] == "I3")
    assert i3["text"] == "Lung function FVC% > 50%"
    assert i3["reading"] == ("the most recent FVC, percent of predicted, measured in the 3 months before "
                             "screening, is above 50 %")
    assert len(doc["include"]) + len(doc["exclude"]) == 20


def test_value_sets_list_their_codes_and_the_reading_rules_come_from_the_file_and_the_engine():
    doc = _doc(SSC)
    fvc = next(c for c in doc["codesets"] if c["name"] == "fvc percent predicted")
    assert {"system": "LOINC", "code": "19872-1", "display": "FVC measured/predicted"} in fvc["codes"]
    assert any(r.startswith("Worded windows include both ends") for r in doc["file_rules"])
    assert any("unknown" in r for r in doc["engine_rules"])


class _Balance(HTMLParser):
    VOID = frozenset({"meta", "br", "hr", "img", "link", "input"})

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def test_the_html_is_well_formed_and_escapes_the_trial_text():
    for path in SHIPPED:
        page = to_html(_doc(path))
        checker = _Balance()
        checker.feed(page)
        assert checker.errors == [] and checker.stack == [], path.name
    page = to_html(_doc(SSC))
    assert "FVC% &gt; 50%" in page


def test_every_ir_node_kind_has_a_reading():
    assert set(NODE_KINDS) <= set(trial_doc._READINGS)


def test_shipped_trials_read_without_internal_names():
    """(Only the readings: a protocol text may well say "Age".)"""
    for path in SHIPPED:
        doc = _doc(path)
        for c in doc["include"] + doc["exclude"] + doc["definitions"]:
            assert not INTERNAL.search(c["reading"]), (path.name, c["reading"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trials())
def test_doc_never_raises_and_never_prints_an_internal_name(generated):
    """Law: for every generated trial (which compiles), `elig doc` gives a reading of each criterion in
    words, Markdown and HTML, without an exception and without an IR class name or `None`."""
    source, _ = generated
    trial, diagnostics = check_source(source, "generated.elig")
    assert not [d for d in diagnostics if d.severity == "error"]
    doc = trial_document(trial)
    for c in doc["include"] + doc["exclude"] + doc["definitions"]:
        assert c["reading"] and not INTERNAL.search(c["reading"]), c["reading"]
    assert to_markdown(doc) and to_html(doc)


def test_cli_writes_markdown_or_html(tmp_path, capsys):
    out = tmp_path / "ssc.html"
    assert main(["doc", str(SSC), "--format", "html", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert main(["doc", str(SSC)]) == 0
    assert capsys.readouterr().out == GOLDEN.read_text(encoding="utf-8")


def test_cli_on_a_file_with_errors_prints_the_diagnostics(tmp_path, capsys):
    bad = tmp_path / "bad.elig"
    bad.write_text('trial NCT1 "t"\ninclude I1 "x": nothing\n', encoding="utf-8")
    assert main(["doc", str(bad)]) == 1
    assert "unknown name `nothing`" in capsys.readouterr().out
