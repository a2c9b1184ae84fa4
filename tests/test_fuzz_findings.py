"""What the two 30-minute fuzz runs (README, "Security and limits") found, each kept as a minimal reproducer.

- Criteria: a criterion text holding a lone surrogate (a ``str`` given to ``compile_source`` can hold one,
  though no UTF-8 file can) made the generated module's comment unencodable, so ``compile()`` raised
  ``UnicodeEncodeError`` after the checker had accepted the trial.
- Records: a condition with 4,000 codings, half of them a 10,000-character "SNOMED CT" code, went over
  the worker's 2 GiB bound: every trace node naming the event printed every coding in full (the JSON
  decision 870 MB for a 20 MB record), and every problem quoted the code whole. Now such a record is a
  record error (a code is at most 256 characters, a value at most 64 codings), and within those bounds
  trace lines name four codings and count the rest, and problems quote a long code cut short.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from eligibility_dsl import compile_file, compile_source
from eligibility_dsl.cli import main

ROOT = Path(__file__).parent.parent
SSC = ROOT / "trials" / "ssc_telitacicept.elig"
EXAMPLE = ROOT / "trials" / "patients" / "example.json"
ANCHORS = ["--anchor", "screening=2025-09-11", "--anchor", "first_dose=2025-09-25"]


@pytest.mark.parametrize("char", ["\ud800", "\udfff", "\udced"])
def test_a_lone_surrogate_in_a_criterion_text_compiles_and_is_kept(char: str):
    trial = compile_source(f'trial NCT00000001 "t"\nfact consented: boolean\n'
                           f'include I1 "treated for at lea{char}st 8 weeks": consented\n')
    decision = trial.evaluate({"record_version": "1", "id": "p", "facts": {"consented": True}}, {})
    assert str(decision.outcome) == "ELIGIBLE"
    assert decision.criteria[0].text == f"treated for at lea{char}st 8 weeks"
    assert "\\ud" in trial.python_source and char not in trial.python_source


def _many_long_codes(tmp_path: Path, codings: int, length: int) -> Path:
    record = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    condition = record["conditions"][0]
    good = condition["code"][0] if isinstance(condition["code"], list) else condition["code"]
    bad = {"system": "SNOMED", "code": "x" * length, "display": "systemic sclerosis"}
    condition["code"] = [copy.deepcopy(good if i % 2 == 0 else bad) for i in range(codings)]
    path = tmp_path / "codes.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    return path


@pytest.mark.parametrize(("codings", "length", "why"), [
    (4000, 10, "4,000 codings for one value: at most 64"),
    (2, 10_000, "is 10,000 characters long: no code system has codes or names over 256"),
])
def test_the_fuzzed_record_is_refused_as_a_record_error_not_evaluated(tmp_path, capsys, codings, length, why):
    code = main(["eval", str(SSC), str(_many_long_codes(tmp_path, codings, length)), *ANCHORS])
    captured = capsys.readouterr()
    assert code == 2 and why in captured.out + captured.err
    assert "Traceback" not in captured.out + captured.err


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "html"])
def test_long_malformed_codes_at_the_bounds_give_a_bounded_report_that_names_the_problem(tmp_path, capsys, fmt):
    path = _many_long_codes(tmp_path, 64, 256)
    code = main(["eval", str(SSC), str(path), *ANCHORS, "--format", fmt, "--explain", "full"])
    out = capsys.readouterr().out
    assert code == 0
    # Trace lines name four codings and count the rest; problems quote a code's first 40 characters.
    assert len(out) < 1_500_000 if fmt == "json" else len(out) < 300_000
    if fmt != "json":
        assert "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx... (256 characters)" in out
        assert "x" * 41 not in out
        assert "and 60 more" in out


def test_the_malformed_code_still_keeps_its_criterion_undecided(tmp_path):
    trial = compile_file(SSC)
    record = json.loads(_many_long_codes(tmp_path, 20, 256).read_text(encoding="utf-8"))
    decision = trial.evaluate(record, {"screening": "2025-09-11", "first_dose": "2025-09-25"})
    problems = [p for c in decision.criteria for p in c.problems]
    assert any("is not a SNOMED CT identifier" in str(p) and "(256 characters)" in str(p) for p in problems)
    assert str(decision.outcome) != "ELIGIBLE"
