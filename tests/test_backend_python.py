"""The generated Python backend: no user text becomes code, errors point at the criteria file, trace levels
are filters, the specialised binder agrees with the general one, and the generated module is readable."""

import ast
import copy
import datetime
import json
import keyword
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import records, trials

from eligibility_dsl import EvaluationError, RecordError, Status, compile_file, compile_source
from eligibility_dsl.backends.python.generator import RUNTIME_NAMES
from eligibility_dsl.records.binder import BoundRecord, RecordBinder

SSC = compile_file("trials/ssc_telitacicept.elig")
SSC_ANCHORS = {"screening": "2025-09-11", "first_dose": "2025-09-25"}

# ------------------------------------------------------------------ no user text becomes code

# Names a criteria file may use that would mean something in Python or in the generated module.
_TRICKY_NAMES = sorted({*keyword.kwlist, "None", "True", "False", "F", "E", "C", "B", "BP", "M", "P", "D", "X", "ev",
                        "run", "prepare", "t0", "c0", "v1", "q2", "d3", "s4", "h5", "hit", "bad", "unk", "stop",
                        "__import__", "exec", "eval", "print", "os", "_select", "_Trace", "self"}
                       - {"and", "or", "not", "in", "if", "else", "true", "false", "unknown", "from", "all"})
_TRICKY_TEXT = st.text(alphabet=st.sampled_from(['"', "'", "\\", "#", "\u2028", "\u202e", "\x0c", "{", "}", "é",
                                                  "x", " ", ":", "(", ")", "𝔉"]), min_size=1, max_size=30)
# A code may not hold invisible or format characters (E0125, README "Security and limits").
_TRICKY_CODE = _TRICKY_TEXT.filter(lambda t: not any(c in "\u2028\u202e\x0c" for c in t))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _fixed_names() -> set[str]:
    return {*RUNTIME_NAMES, "_ND", "ev", "F", "E", "C", "B", "BP", "M", "P", "D", "X", "A", "bad", "unk", "stop",
            "hit", "tuple", "len"}


_GENERATED = re.compile(r"(c|v|q|tq|a|ta|d|td|s|ts|h|r|t|sel)[0-9]+|run|prepare")


def assert_only_generated(source: str) -> None:
    """The module's AST holds only constants and names the generator made itself."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant):
            assert node.value is None or isinstance(node.value, bool | int), f"a constant in the code: {node.value!r}"
        elif isinstance(node, ast.Name):
            assert node.id in _fixed_names() or _GENERATED.fullmatch(node.id), f"a name from elsewhere: {node.id}"
        elif isinstance(node, ast.FunctionDef | ast.arg):
            name = node.name if isinstance(node, ast.FunctionDef) else node.arg
            assert name in _fixed_names() or _GENERATED.fullmatch(name), name
        elif isinstance(node, ast.Attribute):
            assert node.attr in ("value", "append", "extend", "clear", "get"), node.attr
        elif isinstance(node, ast.Import | ast.ImportFrom | ast.Global | ast.Nonlocal | ast.Lambda):
            raise AssertionError(f"unexpected {type(node).__name__}")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=st.lists(st.sampled_from(_TRICKY_NAMES), min_size=3, max_size=3, unique=True),
       text=_TRICKY_TEXT, code=_TRICKY_CODE, file=_TRICKY_TEXT)
def test_no_name_text_or_code_from_the_criteria_becomes_code(names, text, code, file):
    """Law: whatever names, texts and codes a criteria file holds (quotes, backslashes, line separators,
    `#`, Python keywords, the generator's own names), the generated module's AST holds only the constants
    and names the generator made; the values reach the code as bound constants and evaluate correctly."""
    flag, dose, when = names
    source = f'''trial T "{_escape(text)}"
anchor screening "{_escape(text)}"
fact {flag}: boolean "{_escape(text)}"
fact {dose}: quantity in mg/day
fact {when}: code of ["{_escape(code)}", "other"]
codeset {flag}_set "{_escape(text)}": LOCAL "{_escape(code.strip() or 'x')}" "{_escape(text)}"
define {dose}_high: {dose} > 10 mg/day
include {when}_1 "{_escape(text)}": {flag} and {when} = "{_escape(code)}"
exclude {flag}_2 "{_escape(text)}": {dose}_high or exists medications in {flag}_set during 1 year before screening
'''
    trial = compile_source(source, file)
    assert_only_generated(trial.python_source)
    record = {"facts": {flag: True, dose: "5 mg/day", when: code},
              "medications": [{"id": "m1", "code": {"system": "LOCAL", "code": code.strip() or "x"},
                               "start": "2025-01-01", "end": "2025-02-01"}],
              "coverage": {"medications": {"from": "2020-01-01", "to": "2025-09-11"}}}
    decision = trial.evaluate(record, {"screening": "2025-09-11"})
    assert [str(c.status) for c in decision.criteria] == ["MET", "MET"]


def test_the_shipped_trials_generate_only_generated_code():
    for path in ("trials/ssc_telitacicept.elig", "trials/examples/nct00043706_dcssc.elig",
                 "trials/examples/nct03860038_myeloma.elig", "benchmarks/ssc_facts.elig"):
        assert_only_generated(compile_file(path, lib_path=["trials/lib"]).python_source)


# ------------------------------------------------------------------ errors point at the criteria file

def test_an_exception_inside_generated_code_names_the_criterion_and_its_location():
    trial = compile_source('trial T "t"\nanchor screening\nfact fvc: quantity in %\n'
                           'include I1 "ok": true\ninclude I3 "FVC":\n    fvc > 50 %\n', "fvc.elig")
    # A value the binder would never produce (text where a quantity belongs) reaches generated code.
    bound = BoundRecord("p1", {"fvc": "forty", "birth_date": None, "sex": None})
    with pytest.raises(EvaluationError) as info:
        trial.evaluate_bound(bound, trial.parse_anchors({"screening": "2025-01-01"}))
    err = info.value
    assert err.criterion == "I3"
    assert (err.span.file, err.span.line, err.span.column) == ("fvc.elig", 6, 5)
    assert "internal error evaluating criterion `I3` at fvc.elig:6:5: TypeError" in str(err)
    assert isinstance(err.cause, TypeError)


def test_a_batch_turns_an_evaluation_error_into_a_result_row():
    trial = compile_source('trial T "t"\nanchor screening\nfact n: number\ninclude I1 "n": n > 1\n')

    class Weird:  # a value no binder produces: comparing it raises inside generated code
        def __gt__(self, other):
            raise ValueError("no order")

    bound = BoundRecord("w", {"n": Weird(), "birth_date": None, "sex": None})
    with pytest.raises(EvaluationError):
        trial.evaluate_bound(bound, trial.parse_anchors({"screening": "2025-01-01"}))


# ------------------------------------------------------------------ trace levels

def _ineligible_patient():
    return json.loads(Path("trials/patients/ineligible_two_reasons.json").read_text(encoding="utf-8"))


def test_trace_levels_are_filters_over_one_evaluation():
    record = _ineligible_patient()
    full = SSC.evaluate(record, SSC_ANCHORS, trace="full")
    fails = SSC.evaluate(record, SSC_ANCHORS, trace="fails")
    off = SSC.evaluate(record, SSC_ANCHORS, trace="off")
    assert full == fails == off  # statuses, missing and problems do not depend on the trace level
    assert all(c.trace is not None for c in full.criteria)
    assert all(c.trace is None for c in off.criteria)
    for f, c in zip(full.criteria, fails.criteria, strict=True):
        failing = c.status is Status.UNKNOWN or c.decisive
        assert (c.trace is not None) == failing, c.id
        if failing:
            assert c.trace.value == f.trace.value
    assert (full.trace_level, fails.trace_level, off.trace_level) == ("full", "fails", "off")


def test_fast_evaluation_traces_what_it_evaluated_when_asked():
    record = _ineligible_patient()
    quiet = SSC.evaluate(record, SSC_ANCHORS, fast=True)
    traced = SSC.evaluate(record, SSC_ANCHORS, fast=True, trace="full")
    assert quiet == traced and all(c.trace is None for c in quiet.criteria)
    evaluated = [c for c in traced.criteria if c.status is not Status.NOT_EVALUATED]
    assert evaluated and all(c.trace is not None for c in evaluated)
    assert any(c.status is Status.NOT_EVALUATED for c in traced.criteria)


def test_an_unknown_trace_level_is_refused():
    with pytest.raises(ValueError, match="trace must be"):
        SSC.evaluate(_ineligible_patient(), SSC_ANCHORS, trace="verbose")


# ------------------------------------------------------------------ the specialised binder

def _both(trial, record):
    general = RecordBinder(trial.checked.facts)
    try:
        expected = general.bind(copy.deepcopy(record))
    except RecordError as err:
        with pytest.raises(RecordError) as info:
            trial.bind(copy.deepcopy(record))
        assert [str(i) for i in info.value.issues] == [str(i) for i in err.issues]
        return
    got = trial.bind(copy.deepcopy(record))
    assert (got.id, got.facts, got.coverage) == (expected.id, expected.facts, expected.coverage)
    assert {k: [(e.id, e.start, e.end, e.fields) for e in v] for k, v in got.events.items()} == {
        k: [(e.id, e.start, e.end, e.fields) for e in v] for k, v in expected.events.items()}


_CORRUPT = st.sampled_from(["drop", "wrong_type", "unknown_key", "unknown_fact", "null_facts", "bad_date", "bad_id",
                            "version"])


def _corrupt(record: dict, how: str, data) -> dict:
    record = copy.deepcopy(record)
    facts = record.get("facts") if isinstance(record.get("facts"), dict) else None
    if how == "drop" and facts:
        facts.pop(sorted(facts)[0])
    elif how == "wrong_type" and facts:
        facts[sorted(facts)[0]] = data.draw(st.sampled_from(["yes", 3, [1], {"value": 1}, True, "1.5", "1 kg"]))
    elif how == "unknown_key":
        record["factz"] = {}
    elif how == "unknown_fact":
        record.setdefault("facts", {})["not_declared"] = True
    elif how == "null_facts":
        record["facts"] = None
    elif how == "bad_date":
        record["birth_date"] = data.draw(st.sampled_from(["2025-02-30", "20250101", 2025, "2025-1-1"]))
    elif how == "bad_id":
        record["id"] = 7
    elif how == "version":
        record["record_version"] = data.draw(st.sampled_from([1, "2", None]))
    return record


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_specialised_binder_agrees_with_the_general_binder(data):
    """Law: for any record, valid or not, the specialised binder gives exactly what the general binder
    gives: the same values, or a RecordError with the same issues."""
    trial = compile_source(data.draw(trials())[0])
    record = data.draw(records(trial))
    _both(trial, record)
    _both(trial, _corrupt(record, data.draw(_CORRUPT), data))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_specialised_binder_agrees_on_the_ssc_trial(data):
    record = data.draw(records(SSC, anchors={"screening": datetime.date(2025, 9, 11)}))
    _both(SSC, record)
    _both(SSC, _corrupt(record, data.draw(_CORRUPT), data))


# ------------------------------------------------------------------ the generated module reads as Python

def test_the_generated_module_is_readable():
    source = SSC.python_source
    assert source.startswith("# Generated by eligibility_dsl from trials/ssc_telitacicept.elig")
    for crit in SSC.criteria:
        assert f"# {crit.kind} {crit.id} (trials/ssc_telitacicept.elig:{crit.span.line}:" in source
    compile(source, "<check>", "exec")


def test_anchor_work_is_done_once_per_batch():
    """Windows that depend only on the anchors are computed by `prepare`, once for a batch."""
    trial = compile_source('trial T "t"\nanchor screening\n'
                           'include I1 "x": exists medications during 6 months before screening\n')
    calls = []
    compiled = trial._compiled
    original = compiled.prepare
    compiled.prepare = lambda anchors: calls.append(anchors) or original(anchors)
    records_ = [{"id": str(i), "coverage": {"medications": {"from": "2020-01-01", "to": "2025-01-01"}}}
                for i in range(5)]
    decisions = list(trial.evaluate_many(records_, {"screening": "2025-01-01"}))
    assert len(calls) == 1 and all(str(d.outcome) == "INELIGIBLE" for d in decisions)
