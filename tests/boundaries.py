"""Boundary checks for the flagship trial (trials/ssc_telitacicept.elig), usable against ANY compiled trial.

Every numeric threshold and window length of the trial is checked at the boundary and one smallest step
either side, on records built from ``trials/tests/ssc_telitacicept/base.json`` with RFC 7386 merge patches and
explicit anchors. The records live as data under ``tests/fixtures/boundaries/``:

- ``<topic>_<criterion>.json``: ``{"about", "criterion", "anchors", "cases": [{"name", "expected", "why",
  "patch"}]}``; a case may override ``criterion`` or ``anchors``.
- ``windows.json``: one event template per window of the trial, and rows of anchors with the window's first
  day written out by hand (calendar arithmetic with month-end clamping). For every row, the event is placed on
  the window's first day and on the day before it, each with its expected status. Placeholders in the template:
  ``{day}``, ``{day+N}``, ``{day-N}``, ``{screening}``, ``{first_dose}``; every collection's coverage is
  extended to ``first_dose`` so that an absence counts.

``CHECKS`` is the list of all of them. ``check.run(trial)`` raises AssertionError with the criterion's full
explanation when the trial decides otherwise; ``tests/test_boundaries.py`` runs them on the real trial and
``tests/test_mutation.py`` runs them on mutants of it, to prove that they bite.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from eligibility_dsl.authoring.suite import merge_patch as _library_merge_patch

ROOT = Path(__file__).parent.parent
TRIAL_FILE = ROOT / "trials" / "ssc_telitacicept.elig"
# The SSc trial's example patients, as `elig test` files (docs/authoring.md): base.json, <ID>.test.json with a
# MET, NOT_MET and UNKNOWN merge patch per criterion, patients.test.json with whole patients.
SSC_TESTS = ROOT / "trials" / "tests" / "ssc_telitacicept"
BASE_FILE = SSC_TESTS / "base.json"
DATA = ROOT / "tests" / "fixtures" / "boundaries"
STATUSES = ("MET", "NOT_MET", "UNKNOWN")


def load_json(path: Path) -> Any:
    # Exact decimals, as the CLI reads records.
    return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)


# RFC 7386 JSON merge patch, shared by every test that builds records from patches: the one `elig test`
# applies to a trial's test files (eligibility_dsl/authoring/suite.py), so tests and test files agree.
merge_patch = _library_merge_patch


BASE = load_json(BASE_FILE)


def ssc_criterion_cases(load=load_json) -> list[tuple[str, dict]]:
    """(criterion id, {"expected", "why", "patch"}) for each per-criterion example case of the SSc trial
    (trials/tests/ssc_telitacicept/<ID>.test.json: merge patches on base.json, one status expected each)."""
    out = []
    for path in sorted(SSC_TESTS.glob("[IE]*.test.json")):
        cid = path.name.removesuffix(".test.json")
        for case in load(path)["cases"]:
            out.append((cid, {"expected": case["expect"]["criteria"][cid], "why": case["why"],
                              "patch": case["patch"]}))
    return out


def ssc_whole_patients(load=load_json) -> list[tuple[str, dict]]:
    """(name, case) for each whole example patient of the SSc trial (trials/tests/ssc_telitacicept/
    patients.test.json); ``case["record_path"]`` is the record file, ``case["expect"]`` the expectations."""
    data = load(SSC_TESTS / "patients.test.json")
    return [(case["name"], {**case, "record_path": (SSC_TESTS / case["record"]).resolve()}) for case in data["cases"]]


def criterion_explanation(decision, criterion_id: str) -> str:
    """The block of ``decision.explain("full")`` that belongs to one criterion."""
    text = decision.explain("full")
    header = re.compile(r"^\s*(\S+)\s+(include|exclude)\s", re.MULTILINE)
    starts = [(m.start(), m.group(1)) for m in header.finditer(text)]
    for (start, cid), (end, _) in zip(starts, [*starts[1:], (len(text), None)], strict=True):
        if cid == criterion_id:
            return text[start:end].rstrip()
    return text


@dataclass(frozen=True)
class Check:
    """One record, one criterion, one expected status."""

    name: str
    criterion: str
    expected: str
    why: str
    patch: dict = field(repr=False)
    anchors: dict = field(repr=False)
    source: str = ""  # the data file it came from

    def __post_init__(self):
        # Built once: evaluation does not modify a record, and the mutation check runs every check many times.
        object.__setattr__(self, "_record", merge_patch(BASE, self.patch))

    def record(self) -> dict:
        return self._record

    def status(self, trial) -> str:
        return str(trial.evaluate(self.record(), self.anchors, trace=False).criterion(self.criterion).status)

    def run(self, trial) -> None:
        got = self.status(trial)
        if got != self.expected:
            decision = trial.evaluate(self.record(), self.anchors)
            anchors = " ".join(f"{k}={v}" for k, v in self.anchors.items())
            raise AssertionError(
                f"{self.name}: {self.criterion} is {got}, expected {self.expected} ({anchors}; {self.source})\n"
                f"  why {self.expected}: {self.why}\n{criterion_explanation(decision, self.criterion)}")


# ------------------------------------------------------------------------------------------ data files

def case_checks(path: Path) -> list[Check]:
    data = load_json(path)
    out = []
    for case in data["cases"]:
        assert case["expected"] in STATUSES, (path.name, case["name"])
        criterion = case.get("criterion", data["criterion"])
        out.append(Check(f"{criterion}/{path.stem}/{case['name']}", criterion, case["expected"], case["why"],
                         case["patch"], dict(case.get("anchors", data["anchors"])), path.name))
    return out


# --------------------------------------------------------------------------------------- calendar windows

_PLACEHOLDER = re.compile(r"^\{(day|screening|first_dose)(?:([+-])(\d+))?\}$")


def fill(template: Any, values: dict[str, datetime.date]) -> Any:
    """Replace the placeholders (whole strings such as ``{day+14}``) in a JSON template."""
    if isinstance(template, dict):
        return {k: fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, values) for v in template]
    if isinstance(template, str):
        m = _PLACEHOLDER.match(template)
        if m:
            days = int(m.group(3) or 0) * (-1 if m.group(2) == "-" else 1)
            return (values[m.group(1)] + datetime.timedelta(days=days)).isoformat()
        if "{" in template:
            return re.sub(r"\{[^}]*\}", lambda t: fill(t.group(0), values), template)
    return template


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def window_record_patch(window: dict, values: dict[str, datetime.date]) -> dict:
    coverage = {name: {"to": values["first_dose"].isoformat()} for name in BASE["coverage"]}
    patch = fill(window["patch"], values)
    assert "coverage" not in patch, "a window template may not change the coverage"
    return merge_patch({"coverage": coverage}, patch)


def window_checks_for(window: dict, screening: str, first_dose: str, first_day: str) -> list[Check]:
    anchors = {"screening": screening, "first_dose": first_dose}
    first = datetime.date.fromisoformat(first_day)
    out = []
    for label, day, expected in (("first-day", first, window["on_first_day"]),
                                 ("day-before", first - datetime.timedelta(days=1), window["on_day_before"])):
        values = {"day": day, "screening": datetime.date.fromisoformat(screening),
                  "first_dose": datetime.date.fromisoformat(first_dose)}
        why = (f"{window['literal']}: window `{window['window']}` opens on {first_day}; {{day}} = {day} "
               f"({label.replace('-', ' ')}). {fill(window['why'], values)}")
        out.append(Check(f"{window['criterion']}/window/{slug(window['literal'])}/screening-{screening}/{label}",
                         window["criterion"], expected, why, window_record_patch(window, values), anchors,
                         "windows.json"))
    return out


def window_data() -> dict:
    return load_json(DATA / "windows.json")


def window_checks() -> list[Check]:
    data = window_data()
    out = []
    for window in data["windows"]:
        for row in data["anchors"]:
            out += window_checks_for(window, row["screening"], row["first_dose"], row["first_day"][window["window"]])
    return out


# ------------------------------------------------------------------------------------------------ all

def all_checks() -> list[Check]:
    checks = [c for path in sorted(DATA.glob("*.json")) if path.name != "windows.json" for c in case_checks(path)]
    checks += window_checks()
    names = [c.name for c in checks]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    assert not duplicates, f"duplicate check names: {duplicates}"
    return checks


CHECKS: list[Check] = all_checks()


def failures(trial, checks: list[Check] | None = None, *, explain: bool = False) -> list[tuple[Check, str]]:
    """Every check that the trial fails, with what happened: the status it got (or, with ``explain``, the full
    assertion message). An exception other than AssertionError counts as a failure too, named in the message."""
    out = []
    for check in CHECKS if checks is None else checks:
        try:
            if explain:
                check.run(trial)
                continue
            got = check.status(trial)
            if got != check.expected:
                out.append((check, f"{got}, expected {check.expected}"))
        except AssertionError as err:
            out.append((check, str(err)))
        except Exception as err:  # a crash on a mutant still kills it, but must be visible
            out.append((check, f"raised {type(err).__name__}: {err}"))
    return out
