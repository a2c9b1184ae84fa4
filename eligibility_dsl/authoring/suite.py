"""Test files for a trial: where they live, what they hold, and reading them strictly.

A trial `trials/NAME.elig` has its tests in `trials/tests/NAME/`: every `*.test.json` there is a suite;
other files there (a base record) are data the suites name. A suite:

    {
      "trial": "../../NAME.elig",            optional: the default is the trial named like the folder
      "base": "base.json",                   optional: the record cases start from (relative to the file)
      "anchors": {"screening": "2025-09-11"},  the anchors of every case (a case may override some)
      "cases": [
        {
          "name": "I3 MET",                  unique within the file
          "why": "the latest FVC, 51 %, ...",  optional: what the case shows
          "record": "../../patients/x.json",  optional: a record file, or the record itself; else the base
          "patch": {...},                    optional: an RFC 7386 merge patch applied to that record
          "anchors": {...},                  optional: merged over the suite's
          "expect": {
            "outcome": "ELIGIBLE",
            "criteria": {"I3": "MET", "I4": {"status": "UNKNOWN", "missing": ["..."]}},
            "missing": ["..."],              decision.missing, exactly, in order
            "reasons": ["I2"],               decision.reasons, exactly, in order
            "evidence": {"I2": ["46 years"]},  texts the criterion's full explanation must contain
            "provisional": "ELIGIBLE",       decision.provisional (a record with `as_of`; null: none)
            "to_confirm": ["..."]            decision.to_confirm, exactly, in order
          }
        }
      ]
    }

A file that does not fit is a :class:`SuiteError` listing every problem with its place (never a
traceback); the runner reports it as a failed file and goes on with the others.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from ..diagnostics import suggest

SUFFIX = ".test.json"
STATUSES = ("MET", "NOT_MET", "UNKNOWN")
OUTCOMES = ("ELIGIBLE", "INELIGIBLE", "INDETERMINATE")
_SUITE_KEYS = {"trial", "base", "anchors", "cases", "description"}
_CASE_KEYS = {"name", "why", "record", "patch", "anchors", "expect"}
_EXPECT_KEYS = {"outcome", "criteria", "missing", "reasons", "evidence", "provisional", "to_confirm"}
_NOTHING = object()  # an expectation not stated (None is a stated "no provisional outcome")


class SuiteError(Exception):
    """A test file that cannot be used: every problem, each with where it is (`cases[2].expect`)."""

    def __init__(self, path: str, problems: list[str]):
        self.path, self.problems = path, problems
        super().__init__(f"{path}: " + "; ".join(problems))


@attrs.frozen
class Expectation:
    outcome: str | None = None
    criteria: dict[str, str] = attrs.field(factory=dict)  # id -> status
    criterion_missing: dict[str, tuple[str, ...]] = attrs.field(factory=dict)  # id -> missing, exactly
    missing: tuple[str, ...] | None = None
    reasons: tuple[str, ...] | None = None
    evidence: dict[str, tuple[str, ...]] = attrs.field(factory=dict)
    # Decisions at screening (explain/pending.py): the provisional outcome and what to confirm, when stated.
    provisional: Any = _NOTHING
    to_confirm: tuple[str, ...] | None = None


@attrs.frozen
class Case:
    name: str
    why: str
    record: Any = attrs.field(repr=False)  # the record after the patch
    anchors: dict[str, str]
    expect: Expectation


@attrs.frozen
class Suite:
    path: str
    trial: str  # the trial file's path
    cases: tuple[Case, ...]
    description: str = ""


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: an object merges key by key (``null`` deletes), anything else replaces
    the target whole; neither argument is changed."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key `{key}`")
        out[key] = value
    return out


def read_json(path: Path) -> Any:
    """JSON with exact decimals and no duplicate keys; raises SuiteError when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise SuiteError(str(path), [f"cannot read the file: {err.strerror or err}"]) from None
    except UnicodeDecodeError:
        raise SuiteError(str(path), ["the file is not UTF-8 text"]) from None
    try:
        return json.loads(text, parse_float=Decimal, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as err:
        raise SuiteError(str(path), [f"invalid JSON at line {err.lineno}, column {err.colno}: {err.msg.lower()}"]) \
            from None
    except ValueError as err:
        raise SuiteError(str(path), [str(err)]) from None


def default_trial(suite_path: Path) -> Path:
    """`trials/tests/NAME/x.test.json` tests `trials/NAME.elig`."""
    return suite_path.parent.parent.parent / f"{suite_path.parent.name}.elig"


def tests_folder(trial: Path) -> Path:
    """Where the tests of `trials/NAME.elig` live: `trials/tests/NAME/`."""
    return trial.parent / "tests" / trial.stem


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """The suite files under ``paths`` (a suite file, a tests folder, a trial file, or a folder of trials),
    sorted and without repeats; a path that does not exist is a SuiteError."""
    found: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_file() and p.name.endswith(SUFFIX):
            found.append(p)
        elif p.is_file() and p.suffix == ".elig":
            found.extend(sorted(tests_folder(p).glob("*" + SUFFIX)))
        elif p.is_dir():
            found.extend(sorted(f for f in p.rglob("*" + SUFFIX) if f.is_file()))
        else:
            raise SuiteError(str(p), ["no such test file, tests folder or trial"])
    seen: set[Path] = set()
    return [f for f in found if not (f.resolve() in seen or seen.add(f.resolve()))]


def trial_of(path: str | Path) -> str:
    """The trial a suite file tests (raises SuiteError when the file cannot be read as JSON)."""
    path = Path(path)
    data = read_json(path)
    named = data.get("trial") if isinstance(data, dict) else None
    return str(path.parent / named if isinstance(named, str) else default_trial(path))


def load_suite(path: str | Path, criteria: Iterable[str] | None = None) -> Suite:
    """Read one suite file. With ``criteria`` (the trial's ids), expectations naming others are errors."""
    path = Path(path)
    data = read_json(path)
    problems: list[str] = []
    if not isinstance(data, dict):
        raise SuiteError(str(path), ["a test file is a JSON object with `cases`"])
    _unknown_keys(data, _SUITE_KEYS, "", problems)
    trial = path.parent / data["trial"] if isinstance(data.get("trial"), str) else default_trial(path)
    base: Any = None
    if "base" in data:
        base = _record(path, data["base"], "base", problems)
    anchors = _anchors(data.get("anchors", {}), "anchors", problems)
    cases_data = data.get("cases")
    if not isinstance(cases_data, list) or not cases_data:
        problems.append("`cases` must be a non-empty list")
        cases_data = []
    known = None if criteria is None else list(criteria)
    cases, names = [], set()
    for n, raw in enumerate(cases_data):
        where = f"cases[{n}]"
        if not isinstance(raw, dict):
            problems.append(f"{where}: a case is an object")
            continue
        case = _case(path, raw, where, base, anchors, known, problems)
        if case is not None:
            if case.name in names:
                problems.append(f"{where}: a second case named `{case.name}`")
            names.add(case.name)
            cases.append(case)
    if problems:
        raise SuiteError(str(path), problems)
    return Suite(str(path), str(trial), tuple(cases), str(data.get("description", "")))


def _unknown_keys(data: dict, allowed: set[str], where: str, problems: list[str]) -> None:
    for key in data:
        if key not in allowed:
            hint = suggest(key, allowed)
            problems.append(f"{where + ': ' if where else ''}unknown key `{key}`" + (f" ({hint})" if hint else ""))


def _record(path: Path, value: Any, where: str, problems: list[str]) -> Any:
    if isinstance(value, str):
        try:
            return read_json(path.parent / value)
        except SuiteError as err:
            problems.append(f"{where}: `{value}`: " + "; ".join(err.problems))
            return None
    if not isinstance(value, dict):
        problems.append(f"{where}: a record is an object, or the name of a record file")
        return None
    return value


def _anchors(value: Any, where: str, problems: list[str]) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        problems.append(f"{where}: anchors are an object of dates, such as {{\"screening\": \"2025-09-11\"}}")
        return {}
    return dict(value)


def _case(path: Path, raw: dict, where: str, base: Any, anchors: dict, known: list[str] | None,
          problems: list[str]) -> Case | None:
    _unknown_keys(raw, _CASE_KEYS, where, problems)
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{where}: a case needs a `name`")
        return None
    where = f"{where} `{name}`"
    record = _record(path, raw["record"], f"{where}.record", problems) if "record" in raw else base
    if record is None and "record" not in raw:
        problems.append(f"{where}: no `record`, and the file has no `base`")
    if "patch" in raw:
        if not isinstance(raw["patch"], dict):
            problems.append(f"{where}.patch: a merge patch is an object")
        else:
            record = merge_patch(record, raw["patch"])
    case_anchors = {**anchors, **_anchors(raw.get("anchors", {}), f"{where}.anchors", problems)}
    expect = _expectation(raw.get("expect"), f"{where}.expect", known, problems)
    why = raw.get("why", "")
    if not isinstance(why, str):
        problems.append(f"{where}.why: a text")
    return Case(name, why if isinstance(why, str) else "", record, case_anchors, expect)


def _expectation(raw: Any, where: str, known: list[str] | None, problems: list[str]) -> Expectation:
    if not isinstance(raw, dict) or not raw:
        problems.append(f"{where}: a case expects something: `outcome`, `criteria`, `missing`, `reasons` or "
                        "`evidence`")
        return Expectation()
    _unknown_keys(raw, _EXPECT_KEYS, where, problems)
    outcome = raw.get("outcome")
    if outcome is not None and outcome not in OUTCOMES:
        problems.append(f"{where}.outcome: `{outcome}` is not one of {', '.join(OUTCOMES)}")
    statuses: dict[str, str] = {}
    criterion_missing: dict[str, tuple[str, ...]] = {}
    for cid, value in _mapping(raw.get("criteria", {}), f"{where}.criteria", problems).items():
        _known_criterion(cid, known, f"{where}.criteria", problems)
        status = value.get("status") if isinstance(value, dict) else value
        if status not in STATUSES:
            problems.append(f"{where}.criteria.{cid}: `{status}` is not one of {', '.join(STATUSES)}")
            continue
        statuses[cid] = status
        if isinstance(value, dict):
            _unknown_keys(value, {"status", "missing"}, f"{where}.criteria.{cid}", problems)
            if "missing" in value:
                criterion_missing[cid] = _texts(value["missing"], f"{where}.criteria.{cid}.missing", problems)
    evidence = {}
    for cid, texts in _mapping(raw.get("evidence", {}), f"{where}.evidence", problems).items():
        _known_criterion(cid, known, f"{where}.evidence", problems)
        evidence[cid] = _texts(texts, f"{where}.evidence.{cid}", problems)
    missing = _texts(raw["missing"], f"{where}.missing", problems) if "missing" in raw else None
    reasons = _texts(raw["reasons"], f"{where}.reasons", problems) if "reasons" in raw else None
    provisional = raw.get("provisional", _NOTHING)
    if provisional is not _NOTHING and provisional not in (None, "ELIGIBLE", "INELIGIBLE"):
        problems.append(f"{where}.provisional: `{provisional}` is not one of ELIGIBLE, INELIGIBLE or null")
    to_confirm = _texts(raw["to_confirm"], f"{where}.to_confirm", problems) if "to_confirm" in raw else None
    return Expectation(outcome, statuses, criterion_missing, missing, reasons, evidence, provisional, to_confirm)


def _mapping(value: Any, where: str, problems: list[str]) -> dict:
    if not isinstance(value, dict):
        problems.append(f"{where}: an object keyed by criterion id")
        return {}
    return value


def _texts(value: Any, where: str, problems: list[str]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"{where}: a list of texts")
        return ()
    return tuple(value)


def _known_criterion(cid: str, known: list[str] | None, where: str, problems: list[str]) -> None:
    if known is not None and cid not in known:
        hint = suggest(cid, known)
        problems.append(f"{where}: the trial has no criterion `{cid}`" + (f" ({hint})" if hint else ""))
