"""Running test files: each case evaluated against its trial, every expectation compared, differences kept.

    run = run_tests(["trials/"], coverage=True)
    run.passed, run.failures(), run.coverage

A case is evaluated with full traces (the evidence and the coverage read them). A record that does not
fit, or anchors the trial does not take, make the case fail with the binder's message; a test file that
cannot be read, or a trial that does not compile, fails that file. Nothing raises for a user's mistake.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import attrs

from ..api import Trial, compile_file
from ..diagnostics import CompileError
from ..records.binder import InputError
from ..report import render_text
from .coverage import Coverage
from .suite import Case, SuiteError, discover, load_suite, trial_of


@attrs.frozen
class Mismatch:
    """One expectation the decision did not meet."""

    what: str  # `outcome`, `criterion I3`, `missing of I3`, `missing`, `reasons`, `evidence of E10`, `record`
    expected: Any
    got: Any
    detail: str = ""  # the criterion's explanation, the binder's message

    def to_dict(self) -> dict:
        return {"what": self.what, "expected": _plain(self.expected), "got": _plain(self.got), "detail": self.detail}


@attrs.frozen
class CaseResult:
    name: str
    why: str
    mismatches: tuple[Mismatch, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.mismatches

    def to_dict(self) -> dict:
        return {"name": self.name, "why": self.why, "passed": self.passed,
                "mismatches": [m.to_dict() for m in self.mismatches]}


@attrs.frozen
class SuiteResult:
    path: str
    trial: str
    cases: tuple[CaseResult, ...] = ()
    errors: tuple[str, ...] = ()  # the file (or its trial) could not be used

    @property
    def passed(self) -> bool:
        return not self.errors and all(c.passed for c in self.cases)

    def to_dict(self) -> dict:
        return {"path": self.path, "trial": self.trial, "passed": self.passed, "errors": list(self.errors),
                "cases": [c.to_dict() for c in self.cases]}


@attrs.frozen
class TestRun:
    suites: tuple[SuiteResult, ...]
    coverage: dict[str, Coverage] = attrs.field(factory=dict)  # by trial file

    __test__ = False  # not a pytest class

    @property
    def passed(self) -> bool:
        return all(s.passed for s in self.suites)

    @property
    def counts(self) -> dict[str, int]:
        cases = [c for s in self.suites for c in s.cases]
        return {"files": len(self.suites), "cases": len(cases), "passed": sum(c.passed for c in cases),
                "failed": sum(not c.passed for c in cases), "broken_files": sum(bool(s.errors) for s in self.suites)}

    def coverage_percent(self) -> float | None:
        """Outcome and boundary coverage together, over every trial run (None when nothing to cover)."""
        reached = sum(c.reached for c in self.coverage.values())
        total = sum(c.total for c in self.coverage.values())
        return 100.0 * reached / total if total else None


def run_tests(paths: Iterable[str | Path], *, coverage: bool = False) -> TestRun:
    """Every suite under ``paths`` (see :func:`discover`), each trial compiled once."""
    files = discover(paths)
    trials: dict[str, Trial | list[str]] = {}
    covered: dict[str, Coverage] = {}
    results = []
    for path in files:
        try:
            trial_path = trial_of(path)
        except SuiteError as err:
            results.append(SuiteResult(str(path), "", errors=tuple(err.problems)))
            continue
        trial = trials.get(trial_path)
        if trial is None:
            trial = trials[trial_path] = _compile(trial_path)
        if isinstance(trial, list):
            results.append(SuiteResult(str(path), trial_path, errors=tuple(trial)))
            continue
        try:
            suite = load_suite(path, [c.id for c in trial.criteria])
        except SuiteError as err:
            results.append(SuiteResult(str(path), trial_path, errors=tuple(err.problems)))
            continue
        observe = None
        if coverage:
            cov = covered.get(trial_path)
            if cov is None:
                cov = covered[trial_path] = Coverage(trial.checked)
            observe = cov.observe
        results.append(SuiteResult(suite.path, trial_path, tuple(run_case(trial, c, observe) for c in suite.cases)))
    return TestRun(tuple(results), covered)


def _compile(path: str) -> Trial | list[str]:
    if not Path(path).is_file():
        return [f"the trial `{path}` does not exist (name it with `\"trial\"` in the test file)"]
    try:
        return compile_file(path, lib_path=_shipped_libraries(path))
    except CompileError as err:
        return [f"the trial `{path}` does not compile:\n" + render_text(err.diagnostics, err.sources).rstrip()]
    except (OSError, UnicodeDecodeError) as err:
        return [f"cannot read the trial `{path}`: {err}"]


def _shipped_libraries(path: str) -> list[Path]:
    """The `lib` folder beside the trial's folder (`trials/lib` for `trials/examples/x.elig`), the layout of
    the shipped trials, which import `../lib/...`: a library folder as `--lib-path` names one."""
    lib = Path(path).resolve().parent.parent / "lib"
    return [lib] if lib.is_dir() else []


def run_case(trial: Trial, case: Case, observe: Callable | None = None) -> CaseResult:
    try:
        bound = trial.bind(case.record)
        anchors = trial.parse_anchors(case.anchors)
    except InputError as err:
        return CaseResult(case.name, case.why, (Mismatch("record", "a record and anchors that fit the trial",
                                                         "an input error", str(err)),))
    decision = trial.evaluate_bound(bound, anchors, trace="full")
    if observe is not None:
        observe(decision, bound)
    return CaseResult(case.name, case.why, tuple(compare(decision, case)))


def compare(decision, case: Case) -> list[Mismatch]:
    expect = case.expect
    out: list[Mismatch] = []
    got = {c.id: c for c in decision.criteria}
    explanations: dict[str, str] | None = None

    def explanation(cid: str) -> str:
        nonlocal explanations
        if explanations is None:
            explanations = criterion_blocks(decision.explain("full"), list(got))
        return explanations.get(cid, "")

    if expect.outcome is not None and str(decision.outcome) != expect.outcome:
        out.append(Mismatch("outcome", expect.outcome, str(decision.outcome),
                            "because of " + ", ".join(f"{c.id} {c.status}" for c in decision.criteria
                                                      if c.decisive or str(c.status) == "UNKNOWN")))
    for cid, status in expect.criteria.items():
        if str(got[cid].status) != status:
            out.append(Mismatch(f"criterion {cid}", status, str(got[cid].status), explanation(cid)))
    for cid, missing in expect.criterion_missing.items():
        if tuple(got[cid].missing) != missing:
            out.append(Mismatch(f"missing of {cid}", list(missing), list(got[cid].missing)))
    if expect.missing is not None and tuple(decision.missing) != expect.missing:
        out.append(Mismatch("missing", list(expect.missing), list(decision.missing)))
    if expect.reasons is not None and tuple(decision.reasons) != expect.reasons:
        out.append(Mismatch("reasons", list(expect.reasons), list(decision.reasons)))
    provisional = None if decision.provisional is None else str(decision.provisional)
    if isinstance(expect.provisional, str | type(None)) and expect.provisional != provisional:
        out.append(Mismatch("provisional", expect.provisional, provisional))
    if expect.to_confirm is not None and tuple(decision.to_confirm) != expect.to_confirm:
        out.append(Mismatch("to_confirm", list(expect.to_confirm), list(decision.to_confirm)))
    for cid, texts in expect.evidence.items():
        block = explanation(cid)
        absent = [t for t in texts if t not in block]
        if absent:
            out.append(Mismatch(f"evidence of {cid}", absent, "not in the explanation", block))
    return out


def criterion_blocks(text: str, ids: list[str]) -> dict[str, str]:
    """Cut a full explanation into one block per criterion (from its header line to the next one)."""
    if not ids:
        return {}
    header = re.compile(r"^\s*(" + "|".join(map(re.escape, ids)) + r")\s+(include|exclude)\s", re.MULTILINE)
    starts = [(m.start(), m.group(1)) for m in header.finditer(text)]
    return {cid: text[start:end].rstrip() for (start, cid), (end, _) in
            zip(starts, [*starts[1:], (len(text), None)], strict=True)}


def _plain(value: Any) -> Any:
    return value if isinstance(value, str | int | list | dict | type(None)) else str(value)
