"""Issue 8, the criteria-file side: no file outside the trial is read, no criteria file crashes or hangs
the compiler, and a trial that decides nothing is an error. Each test is a minimal reproducer of a class the
probe found on main (README, "Security and limits")."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eligibility_dsl.api import check_file, check_source, compile_file, compile_source
from eligibility_dsl.cli import main
from eligibility_dsl.diagnostics import CompileError
from eligibility_dsl.language.loader import MAX_FILE_BYTES
from eligibility_dsl.runtime.quantity import MagnitudeError, Quantity
from eligibility_dsl.runtime.units import UnitError, parse_unit

SECRET = "root:x:0:0:SECRET-CONTENT-MUST-NOT-LEAK"
HEADER = 'trial NCT00000001 "t"\nanchor screening\n'
CRITERION = 'include I1 "consent": consented\nfact consented: boolean\n'


def _trial(folder: Path, import_path: str, name: str = "trial.elig") -> Path:
    path = folder / name
    path.write_text(HEADER + f'import "{import_path}"\n' + CRITERION, encoding="utf-8")
    return path


def _codes(path: Path, **kwargs) -> list[str]:
    _, diagnostics = check_file(path, **kwargs)
    return [d.code for d in diagnostics]


def _cli(capsys, *argv) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """site/trials/ holds the trial; site/secret.txt and site/other.elig lie outside its folder."""
    trials = tmp_path / "site" / "trials"
    trials.mkdir(parents=True)
    (tmp_path / "site" / "secret.txt").write_text(SECRET + "\n", encoding="utf-8")
    (tmp_path / "site" / "other.elig").write_text(SECRET + "\n", encoding="utf-8")
    return trials


# ------------------------------------------------------------------------ import is confined


@pytest.mark.parametrize("written", [
    "/etc/passwd",                  # absolute
    "../../../../../../etc/passwd",  # climbing out
    "../other.elig",                # a .elig file, but outside the trial's folder
    "../secret.txt",                # not .elig
    "/dev/zero",
])
def test_an_import_outside_the_trial_is_refused_and_quotes_nothing(tree: Path, capsys, written: str):
    trial = _trial(tree, written)
    assert _codes(trial) == ["E0150"]
    for fmt in ("text", "json"):
        code, output = _cli(capsys, "check", str(trial), "--format", fmt)
        assert code == 1
        assert "SECRET" not in output and "root:" not in output and "Traceback" not in output
    code, output = _cli(capsys, "check", str(trial), "--format", "json")
    assert [d["name"] for d in json.loads(output)] == ["import-refused"]


def test_a_symlink_pointing_out_of_the_tree_is_refused(tree: Path, capsys):
    (tree / "lib.elig").symlink_to(tree.parent / "other.elig")
    trial = _trial(tree, "lib.elig")
    assert _codes(trial) == ["E0150"]
    code, output = _cli(capsys, "check", str(trial))
    assert code == 1 and "SECRET" not in output


def test_a_symlink_inside_the_tree_to_a_file_that_is_not_elig_is_refused(tree: Path):
    (tree / "notes.txt").write_text('library L "l"\n', encoding="utf-8")
    (tree / "lib.elig").symlink_to(tree / "notes.txt")
    assert _codes(_trial(tree, "lib.elig")) == ["E0150"]


def test_a_device_is_refused_without_reading_it(tree: Path):
    """`import` of /dev/zero read until MemoryError; a link to it inside the tree is refused too."""
    (tree / "zero.elig").symlink_to("/dev/zero")
    assert _codes(_trial(tree, "zero.elig")) == ["E0150"]


def test_a_named_pipe_is_refused_without_blocking(tree: Path):
    """Opening a FIFO blocks until a writer comes: the loader stats before it opens."""
    os.mkfifo(tree / "pipe.elig")
    (_checked, diagnostics) = check_file(_trial(tree, "pipe.elig"))
    assert [d.code for d in diagnostics] == ["E0150"]
    assert "regular file" in diagnostics[0].message


def test_a_file_over_the_size_limit_is_refused(tree: Path):
    with open(tree / "big.elig", "wb") as handle:  # sparse: nothing is written but the length
        handle.truncate(MAX_FILE_BYTES + 1)
    _, diagnostics = check_file(_trial(tree, "big.elig"))
    assert [d.code for d in diagnostics] == ["E0150"] and "MiB" in diagnostics[0].message


def test_a_nul_in_an_import_path_is_a_diagnostic_everywhere(tree: Path, capsys):
    trial = _trial(tree, "lib\\u0000.elig")
    trial.write_text(HEADER + 'import "lib\0.elig"\n' + CRITERION, encoding="utf-8")
    assert _codes(trial) == ["E0150"]
    code, output = _cli(capsys, "schema", str(trial))  # `elig schema` had a loader of its own
    assert code == 1 and "Traceback" not in output and "E0150" in output


def test_library_folders_named_by_the_caller_are_allowed(tmp_path: Path, capsys):
    shared = tmp_path / "shared_libs"
    shared.mkdir()
    (shared / "vs.elig").write_text('library vs "value sets"\ncodeset c "c":\n    ATC "L04AB*"\n', encoding="utf-8")
    trials = tmp_path / "trials"
    trials.mkdir()
    by_name = _trial(trials, "vs.elig", "by_name.elig")
    relative = _trial(trials, "../shared_libs/vs.elig", "relative.elig")
    for trial in (by_name, relative):
        assert _codes(trial) in (["E0150"], ["E0116"])  # refused, or not found, without the folder
        assert _codes(trial, lib_path=[shared]) == []
        assert compile_file(trial, lib_path=[shared]).criteria
        code, output = _cli(capsys, "check", str(trial), "--lib-path", str(shared))
        assert code == 0, output
    source = (by_name).read_text(encoding="utf-8")
    assert compile_source(source, lib_path=[shared]).criteria


def test_the_shipped_trials_still_import_their_library():
    root = Path(__file__).parent.parent / "trials"
    assert _codes(root / "ssc_telitacicept.elig") == []
    assert _codes(root / "examples" / "nct00043706_dcssc.elig", lib_path=[root / "lib"]) == []


# ------------------------------------------------------------------------------ import cycles


def test_a_library_importing_itself_through_a_growing_path_is_a_located_cycle(tmp_path: Path):
    """The cycle check compared path strings: `../lib/self.elig` never repeated and recursed (RecursionError)."""
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "self.elig").write_text('library self "s"\nimport "../lib/self.elig"\n', encoding="utf-8")
    trial = _trial(tmp_path, "lib/self.elig")
    _, diagnostics = check_file(trial)
    assert [d.code for d in diagnostics] == ["E0151"]
    (cycle,) = diagnostics
    assert cycle.span.file.endswith("self.elig") and cycle.span.line == 2
    assert "self.elig -> self.elig" in cycle.message


def test_two_libraries_importing_each_other_are_a_cycle_and_a_diamond_is_not(tmp_path: Path):
    (tmp_path / "a.elig").write_text('library a "a"\nimport "b.elig"\n', encoding="utf-8")
    (tmp_path / "b.elig").write_text('library b "b"\nimport "a.elig"\n', encoding="utf-8")
    assert _codes(_trial(tmp_path, "a.elig")) == ["E0151"]
    (tmp_path / "c.elig").write_text('library c "c"\nimport "d.elig"\n', encoding="utf-8")
    (tmp_path / "d.elig").write_text('library d "d"\n', encoding="utf-8")
    (tmp_path / "e.elig").write_text('library e "e"\nimport "d.elig"\nimport "./c.elig"\n', encoding="utf-8")
    assert _codes(_trial(tmp_path, "e.elig")) == []


# ------------------------------------------------------------------------------ encodings


def test_a_criteria_file_that_is_not_utf8_is_a_diagnostic(tmp_path: Path, capsys):
    path = tmp_path / "latin1.elig"
    path.write_bytes((HEADER + "# caf\xe9\n" + CRITERION).encode("latin-1"))
    with pytest.raises(CompileError) as err:
        compile_file(path)
    (d,) = err.value.diagnostics
    assert (d.code, d.span.line, d.span.column) == ("E0154", 3, 6)
    with pytest.raises(CompileError):
        check_file(path)
    for command in ("check", "compile", "schema"):
        code, output = _cli(capsys, command, str(path))
        assert code == 1 and "E0154" in output and "Traceback" not in output, (command, output)


# ---------------------------------------------------------------------- a trial with no criteria


def test_a_trial_with_no_criteria_is_an_error_and_a_library_is_not():
    _, diagnostics = check_source(HEADER)
    assert [d.code for d in diagnostics] == ["E0152"]
    _, diagnostics = check_source('library L "l"\ncodeset c "c":\n    ATC "L04AB*"\n')
    assert diagnostics == []


@pytest.mark.parametrize("newline", ["\r", "\r\n"])
def test_cr_line_endings_never_compile_to_zero_criteria(newline: str):
    """With CR-only line endings a leading `#` comment swallowed the whole file: zero criteria, everyone
    ELIGIBLE. Whether the parser reads the lines or not, the result is the criterion or an error."""
    text = ("# a comment\n" + HEADER + "fact consented: boolean\n"
            'include I1 "consent": consented\n').replace("\n", newline)
    try:
        trial = compile_source(text)
    except CompileError as err:
        assert any(d.severity == "error" for d in err.diagnostics)
        return
    assert [c.id for c in trial.criteria] == ["I1"]
    assert trial.evaluate({"id": "p", "birth_date": "1980-01-01", "facts": {"consented": False}},
                          {"screening": "2025-01-01"}).outcome.name == "INELIGIBLE"


# --------------------------------------------------------------------------- units and numbers


@pytest.mark.parametrize("unit", ["9" * 5000 + "/L", "10*999999999/L", "kg^999999999", "10*-999999999999",
                                  "mg." * 100 + "mg", "kg10.kg10.kg10"])
def test_huge_unit_exponents_and_factors_are_unit_errors(unit: str):
    with pytest.raises(UnitError) as err:
        parse_unit(unit)
    assert len(err.value.message) < 200  # the text is quoted clipped, never in full


def test_a_huge_unit_in_a_criterion_is_a_diagnostic():
    for unit in ["9" * 5000, "10*999999999/L", "kg^999999999"]:
        _, diagnostics = check_source(HEADER + f"include I1 \"x\": 1 '{unit}' > 1 '10*9/L'\n")
        assert [d.code for d in diagnostics] == ["E0104"], unit


def test_a_number_too_large_or_too_long_in_a_criterion_is_a_diagnostic():
    for number in ["9" * 5000, "1." + "0" * 200, "9" * 5000 + " mg"]:
        _, diagnostics = check_source(HEADER + f'include I1 "x": {number} > 1{" mg" if "mg" in number else ""}\n')
        assert [d.code for d in diagnostics] == ["E0153"], number[:20]


def test_a_quantity_beyond_the_magnitude_limit_is_the_librarys_own_error():
    """A half-life of `1e999999999999999999 h` hung any comparison (its exact Fraction has 10^18 digits)."""
    for value in [Decimal("1e999999999999999999"), "1e-999999999", Decimal("-1e1001")]:
        with pytest.raises(MagnitudeError):
            Quantity(value, "h")
    assert issubclass(MagnitudeError, UnitError) and issubclass(MagnitudeError, ArithmeticError)
    assert Quantity(Decimal("1e1000"), "h") > Quantity(1, "h")


def test_a_huge_unit_in_a_record_is_a_record_error():
    trial = compile_source(HEADER + "fact dose: quantity in mg\ninclude I1 \"dose\": dose > 1 mg\n")
    failures = list(trial.evaluate_many(
        [{"id": "p", "birth_date": "1980-01-01", "facts": {"dose": {"value": 1, "unit": "mg." * 300}}},
         {"id": "q", "birth_date": "1980-01-01", "facts": {"dose": {"value": 1, "unit": "ug^999999999"}}}],
        {"screening": "2025-01-01"}, errors="return"))
    assert [type(f).__name__ for f in failures] == ["RecordFailure", "RecordFailure"]


# ----------------------------------------------------------------------------- code patterns


@pytest.mark.parametrize("code", ["L0*4AB", "*", " *", "**", "L04AB**", "L04AB*\u200f", "L04AB\u200f*",
                                  "\u200eL04AB*", "L04\u200bAB"])
def test_a_code_pattern_check_accepts_compiles_or_check_rejects_with_a_location(code: str):
    text = (HEADER + f'codeset c "c":\n    ATC "{code}"\n'
            'include I1 "x": exists medications in c during 1 year before screening\n')
    _, diagnostics = check_source(text)
    assert [d.code for d in diagnostics] == ["E0125"]
    assert diagnostics[0].span.line == 4


_SYSTEMS = st.sampled_from(["ATC", "ICD10", "ICD10CM", "SNOMED", "LOINC", "RxNorm", "LOCAL", "CPT"])
_CODE_TEXT = st.text(st.sampled_from(list("L04ABM3*.-9 \u200f\u200b\u202eé")), max_size=8)


@settings(max_examples=150, deadline=None)
@given(_SYSTEMS, _CODE_TEXT)
def test_whatever_check_accepts_in_a_code_set_compiles_and_evaluates(system: str, code: str):
    """Law: for any code text in a code set, `check` reporting no error implies that `compile_source` and
    evaluating a record do not raise."""
    if '"' in code or "\\" in code:
        return
    text = (HEADER + f'codeset c "c":\n    {system} "{code}"\n'
            'include I1 "x": exists medications in c during 1 year before screening\n')
    _, diagnostics = check_source(text)
    if any(d.severity == "error" for d in diagnostics):
        return
    trial = compile_source(text)
    record = {"id": "p", "birth_date": "1980-01-01",
              "medications": [{"id": "m1", "code": {"system": "ATC", "code": "L04AB02"}, "start": "2024-06-01"}]}
    trial.evaluate(record, {"screening": "2025-01-01"})


def test_a_record_value_beyond_the_magnitude_limit_is_a_record_error():
    """A half-life of `1e999999999999999999 h` in a record hung the comparison; now the binder refuses it."""
    trial = compile_source(HEADER + "fact half_life: quantity in h\ninclude I1 \"x\": half_life > 1 h\n")
    (failure,) = trial.evaluate_many(
        [{"id": "p", "birth_date": "1980-01-01",
          "facts": {"half_life": {"value": Decimal("1e999999999999999999"), "unit": "h"}}}],
        {"screening": "2025-01-01"}, errors="return")
    assert type(failure).__name__ == "RecordFailure"
    # The record's plausible range (10^±30, records/plausible.py) refuses it before the runtime's limit would.
    message = failure.issues[0].message
    assert ("limit" in message or "range" in message) and "999999999999999999" in message


def test_a_device_or_a_pipe_as_the_criteria_file_is_an_input_problem(tmp_path: Path, capsys):
    os.mkfifo(tmp_path / "pipe.elig")
    for path in ("/dev/zero", str(tmp_path / "pipe.elig")):
        for command in ("check", "compile"):
            code, output = _cli(capsys, command, path)
            assert code == 2 and "not a regular file" in output and "Traceback" not in output
        with pytest.raises(OSError):
            compile_file(path)
