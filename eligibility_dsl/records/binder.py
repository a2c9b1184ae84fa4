"""Patient records: JSON in, typed fact values out, or an error naming every field that does not fit.

A record (version 1) is a JSON object::

    {
      "id": "p-001",                      # optional, echoed in decisions
      "birth_date": "1980-05-01",          # built-in patient model
      "sex": "female",                     # female | male | other | unknown
      "facts": {                           # the facts the trial declares
        "fvc_percent_predicted": {"value": 48, "unit": "%"},
        "ana_positive": true,
        "consent": null                    # null or absent: missing (unknown)
      }
    }

Quantities may also be written as a string (`"48 %"`), numbers as decimal text
(`"134.4"`).  Numbers are read as
exact decimals: load JSON with ``parse_float=Decimal`` (the CLI does) or pass
``int``/``Decimal``; a float is converted through its shortest repr.  Nothing is
guessed: a wrong type, an unknown unit or field, or a malformed date is a
:class:`RecordError` listing every problem with its path.
"""

from __future__ import annotations

import datetime
import decimal
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from ..diagnostics import suggest
from ..language import types as T
from ..runtime.calendar import parse_date
from ..runtime.codes import Coding
from ..runtime.datetimes import is_datetime_text
from ..runtime.decimal_context import EXACT as EXACT_CONTEXT
from ..runtime.events import Coverage, Event
from ..runtime.molar import analyte_of
from ..runtime.numtext import number_text
from ..runtime.quantity import Quantity, with_analyte
from ..runtime.units import BASE_DIMENSIONS, UnitError, dimension_name, parse_unit
from .current import as_of_issues, coverage_entry
from .datetimes import HELP as DATE_TIME_HELP
from .datetimes import read_birth_time, read_date_time
from .items import read_items
from .model import COLLECTIONS, MODEL_VERSION, MRSS_SITES, Collection
from .plausible import MAX_DIGITS, MAX_EXPONENT, PERCENT, event_problems, magnitude_problem

RECORD_FIELDS = ("record_version", "id", "as_of", "birth_date", "sex", "facts", "coverage", "coverage_policy",
                 "problems", *COLLECTIONS)


@attrs.frozen
class RecordIssue:
    path: str
    message: str
    help: str | None = None

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" + (f" ({self.help})" if self.help else "")

    def to_dict(self) -> dict:
        return {"path": self.path, "message": self.message, "help": self.help}


class InputError(ValueError):
    """Input to an evaluation (record or anchors) that does not fit the trial."""


class RecordError(InputError):
    """A patient record that does not fit the trial's patient model; ``issues`` lists every problem."""

    def __init__(self, issues: list[RecordIssue], record_id: str | None = None):
        self.issues = issues
        self.record_id = record_id
        who = f"record `{record_id}`" if record_id else "record"
        super().__init__(f"{who} does not fit the patient model: " + "; ".join(map(str, issues)))


class _Invalid(Exception):
    def __init__(self, message: str, help: str | None = None):
        self.message, self.help = message, help


_DECIMAL_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _decimal(raw: Any) -> Decimal:
    if isinstance(raw, str) and _DECIMAL_TEXT.fullmatch(raw):
        raw = Decimal(raw)  # decimal text: exact whatever the JSON reader does with numbers
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal):
        raise _Invalid(f"expected a number, found {_json_kind(raw)}")
    value = raw if isinstance(raw, Decimal) else Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
    if not value.is_finite():
        raise _Invalid("expected a finite number")
    problem = magnitude_problem(value)
    if problem:
        raise _Invalid(problem)
    return value


def _json_kind(raw: Any) -> str:
    if raw is None:
        return "`null`"
    if isinstance(raw, bool):
        return f"`{str(raw).lower()}`"
    if isinstance(raw, str):
        return f'text `"{_shown(raw)}"`'
    if isinstance(raw, dict):
        return "an object"
    if isinstance(raw, list):
        return "a list"
    if isinstance(raw, Decimal):
        return f"`{number_text(raw)}`"
    return f"`{_shown(str(raw))}`"


def _shown(text: str) -> str:
    """User text in a message: bounded, with lone surrogates and line breaks escaped."""
    text = text if len(text) <= 80 else text[:77] + "..."
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\n", "\\n")


def _suggest(key: Any, candidates) -> str | None:
    return suggest(key, candidates) if isinstance(key, str) and len(key) <= 200 else None


def _key(key: Any) -> str:
    return _shown(key) if isinstance(key, str) else f"[{_shown(repr(key))}]"


def _unknown(what: str, key: Any) -> str:
    """``unknown field `x```, or for a key that is not a text (a record built in Python), say so."""
    return f"{what} `{_shown(key)}`" if isinstance(key, str) else f"a key must be a text, found {_json_kind(key)}"


def _boolean(raw: Any, spec: T.Type) -> bool:
    if not isinstance(raw, bool):
        raise _Invalid(f"expected `true` or `false`, found {_json_kind(raw)}")
    return raw


def _number(raw: Any, spec: T.Type) -> Decimal:
    return _decimal(raw)


def _quantity(raw: Any, spec: T.Type) -> Quantity:
    example = spec.unit.symbol if spec.unit is not None else "mg"
    if isinstance(raw, str):
        value_text, _, unit_text = raw.strip().partition(" ")
        if not _DECIMAL_TEXT.fullmatch(value_text):
            raise _Invalid(f'expected a quantity such as "10 {example}", found `{raw}`')
        raw = {"value": Decimal(value_text), "unit": unit_text.strip()}
    if not isinstance(raw, dict) or set(raw) != {"value", "unit"}:
        raise _Invalid(f'expected a quantity `{{"value": 10, "unit": "{example}"}}`, found {_json_kind(raw)}')
    value = _decimal(raw["value"])
    if not isinstance(raw["unit"], str):
        raise _Invalid("the unit must be a text")
    try:
        unit = parse_unit(raw["unit"])
        quantity = Quantity(value, unit)  # beyond the magnitude limit: MagnitudeError, a UnitError
    except UnitError as err:
        raise _Invalid(err.message, err.help) from None
    if spec.dims is not None and unit.dims != spec.dims:
        raise _Invalid(f"`{raw['unit']}` is a unit of {dimension_name(unit.dims)}, expected "
                       f"{dimension_name(spec.dims)} (such as `{spec.unit.symbol}`)")
    if unit.symbol == "%" and not PERCENT[0] <= value <= PERCENT[1]:
        raise _Invalid(f"`{number_text(value)} %` is outside the plausible range {PERCENT[0]}-{PERCENT[1]} %")
    return quantity


def _date(raw: Any, spec: T.Type) -> datetime.date:
    if not isinstance(raw, str):
        raise _Invalid(f"expected a date `YYYY-MM-DD`, found {_json_kind(raw)}")
    try:
        return parse_date(raw)
    except ValueError:
        raise _Invalid(f"`{raw}` is not a valid date (expected YYYY-MM-DD)") from None


def _text(raw: Any, spec: T.Type) -> str:
    if not isinstance(raw, str):
        raise _Invalid(f"expected a text, found {_json_kind(raw)}")
    return raw


def _code(raw: Any, spec: T.Type) -> str:
    if not isinstance(raw, str):
        raise _Invalid(f"expected a code (text), found {_json_kind(raw)}")
    if spec.values and raw not in spec.values:
        allowed = ", ".join(f"`{v}`" for v in spec.values)
        raise _Invalid(f"`{raw}` is not one of {allowed}", suggest(raw, spec.values))
    return raw


# Bounds a real record never reaches: a code (SNOMED CT at most 18 digits, RxNorm 7, a LOCAL code a short
# identifier) and the codings of one value (a FHIR CodeableConcept carries a few). Beyond them a record is
# refused rather than repeated into every trace node that names the event (found by fuzzing).
MAX_CODE_CHARACTERS = 256
MAX_CODINGS = 64


def _one_coding(raw: Any) -> Coding:
    if not isinstance(raw, Mapping) or not {"system", "code"} <= set(raw) or not set(raw) <= {"system", "code",
                                                                                              "display"}:
        raise _Invalid(f'expected a coding `{{"system": "ATC", "code": "L04AB02"}}`, found {_json_kind(raw)}')
    if not isinstance(raw["system"], str) or not isinstance(raw["code"], str):
        raise _Invalid("a coding's system and code must be texts")
    if raw.get("display") is not None and not isinstance(raw["display"], str):
        raise _Invalid("a coding's display must be a text")
    if len(raw["code"]) > MAX_CODE_CHARACTERS or len(raw["system"]) > MAX_CODE_CHARACTERS:
        raise _Invalid(f"`{_shown(raw['code'])}` is {len(raw['code']):,} characters long: no code system "
                       f"has codes or names over {MAX_CODE_CHARACTERS}")
    if "*" in raw["code"]:
        raise _Invalid(f"`{_shown(raw['code'])}` is a code pattern: a record gives the code itself "
                       "(patterns are for criteria)")
    try:
        return Coding(raw["system"], raw["code"], raw.get("display"))
    except ValueError as err:
        raise _Invalid(str(err)) from None


def _coding(raw: Any, spec: T.Type) -> tuple[Coding, ...]:
    """One coding or a list of codings (an event may be coded in several systems)."""
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise _Invalid("expected at least one coding")
    if len(items) > MAX_CODINGS:
        raise _Invalid(f"{len(items):,} codings for one value: at most {MAX_CODINGS} (one per code system "
                       "and version is the most a real record carries)")
    return tuple(_one_coding(item) for item in items)


def _any(raw: Any, spec: T.Type) -> Any:
    """An observation's value: a quantity (`{"value", "unit"}` or `"48 %"`), a coding or a list of
    codings, a boolean (qualitative results: true = positive), a number, or a text. Text that reads
    as a decimal is a number; text that reads as a number and a word is a quantity (its unit must be
    known); anything else is a text."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, list) or (isinstance(raw, Mapping) and "system" in raw):
        codes = _coding(raw, spec)
        return codes[0] if len(codes) == 1 else codes
    if isinstance(raw, Mapping):
        return _quantity(raw, T.Type("quantity"))
    if isinstance(raw, str):
        text = raw.strip()
        if _DECIMAL_TEXT.fullmatch(text):
            return _decimal(text)
        head, _, unit = text.partition(" ")
        if _DECIMAL_TEXT.fullmatch(head) and unit:
            # A number and a word reads as a quantity: an unknown unit is an error, not a text,
            # so that "2 katals/L" is never silently compared as words. Titres: "1:160".
            return _quantity(text, T.Type("quantity"))
        return raw
    return _decimal(raw)


_READERS: dict[str, Callable[[Any, T.Type], Any]] = {
    "coding": _coding,
    "any": _any,
    "boolean": _boolean,
    "number": _number,
    "quantity": _quantity,
    "date": _date,
    "text": _text,
    "code": _code,
}


@attrs.frozen
class BoundRecord:
    """A record read against a trial's patient model: typed facts, events by collection, coverage."""

    id: str | None
    facts: dict[str, Any]
    events: dict[str, list[Event]] = attrs.field(factory=dict)
    coverage: dict[str, Coverage] = attrs.field(factory=dict)
    # How the record's builder decided its coverage (e.g. "stated by the caller: complete from 2023-01-01
    # to 2025-09-11"), echoed so that a decision can say on what grounds absence counted as "no".
    coverage_policy: str | None = None
    # Problems the record's builder found in its source and could not map (non-fatal ones: a fatal one
    # refuses the record), e.g. a FHIR value in a unit this library does not know, left out.
    problems: tuple[RecordIssue, ...] = ()
    # The date the record's data were extracted (records taken at screening): what a window holds after
    # it is pending (runtime/pending.py), never missing.
    as_of: datetime.date | None = None


_DAY = parse_unit("day")
_TIME = BASE_DIMENSIONS.index("time")


class RecordBinder:
    """Turns records into typed values for one trial's patient model (built once per trial)."""

    def __init__(self, facts: Mapping[str, Any]):
        """``facts``: the trial's fact specs by name (each with ``type`` and ``builtin``)."""
        self.declared = {n: s for n, s in facts.items() if not s.builtin}
        self.builtin = {n: s for n, s in facts.items() if s.builtin}
        self._readers = {n: (_READERS[s.type.kind], s.type) for n, s in facts.items() if s.type.kind in _READERS}

    def bind(self, record: Any) -> BoundRecord:
        if not isinstance(record, Mapping):
            raise RecordError([RecordIssue("$", f"expected a JSON object, found {_json_kind(record)}")])
        issues: list[RecordIssue] = []
        record_id = record.get("id")
        if record_id is not None and not isinstance(record_id, str):
            issues.append(RecordIssue("id", f"expected a text, found {_json_kind(record_id)}"))
            record_id = None
        for key in record:
            if key not in RECORD_FIELDS:
                issues.append(RecordIssue(_key(key), _unknown("unknown field", key), _suggest(key, RECORD_FIELDS)))
        values: dict[str, Any] = {}
        readers = self._readers
        for name in self.builtin:
            raw = record.get(name)
            if name == "birth_date" and is_datetime_text(raw):  # a birth date-time (issue 11)
                problem = read_birth_time(raw, values)
                issues.extend(() if problem is None else [RecordIssue("birth_date", problem, DATE_TIME_HELP)])
                continue
            self._read(name, raw, name, values, issues)
        facts = record.get("facts", {})
        if not isinstance(facts, Mapping):
            issues.append(RecordIssue("facts", f"expected an object, found {_json_kind(facts)}"))
            facts = {}
        for key in facts:
            if key not in self.declared:
                help = ("it is a built-in field: put it at the top level of the record" if key in self.builtin
                        else _suggest(key, self.declared))
                issues.append(RecordIssue(f"facts.{_key(key)}", _unknown("unknown fact", key), help))
        for name in self.declared:  # the hot loop of binding: inlined _read
            raw = facts.get(name)
            if raw is None:
                values[name] = None
                continue
            reader, spec = readers[name]
            try:
                values[name] = reader(raw, spec)
            except _Invalid as err:
                issues.append(RecordIssue(f"facts.{name}", err.message, err.help))
        version = record.get("record_version")
        if version is not None and version != MODEL_VERSION:
            issues.append(RecordIssue("record_version", f'this library reads version "{MODEL_VERSION}" records '
                                      f"(a text), found {_json_kind(version)}"))
        events = {name: self._events(record[name], COLLECTIONS[name], issues)
                  for name in COLLECTIONS if name in record}
        coverage = self._coverage(record["coverage"], issues) if "coverage" in record else {}
        policy = record.get("coverage_policy")
        if policy is not None and not isinstance(policy, str):
            issues.append(RecordIssue("coverage_policy", f"expected a text, found {_json_kind(policy)}"))
            policy = None
        problems = _source_problems(record.get("problems"), issues)
        as_of = self._as_of(record.get("as_of"), coverage, issues)  # as-of date (records/current.py)
        seen: dict[str, str] = {}
        for name, items in events.items():
            for i, e in enumerate(items):
                if e.id in seen:
                    issues.append(RecordIssue(f"{name}[{i}].id", f"event id `{e.id}` is already used by {seen[e.id]}"))
                seen.setdefault(e.id, f"{name}[{i}]")
        if issues:
            raise RecordError(issues, record_id)
        if policy is None and not problems and as_of is None:
            return BoundRecord(record_id, values, events, coverage)
        return BoundRecord(record_id, values, events, coverage, policy, problems, as_of)

    def _as_of(self, raw: Any, coverage: dict, issues: list) -> datetime.date | None:
        if raw is None:
            return None
        try:
            as_of = _date(raw, T.DATE)
        except _Invalid as err:
            issues.append(RecordIssue("as_of", err.message))
            return None
        issues.extend(RecordIssue(path, message) for path, message in as_of_issues(as_of, coverage))
        return as_of

    def _events(self, raw: Any, collection: Collection, issues: list[RecordIssue]) -> list[Event]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            issues.append(RecordIssue(collection.name, f"expected a list of events, found {_json_kind(raw)}"))
            return []
        out = []
        for i, item in enumerate(raw):
            path = f"{collection.name}[{i}]"
            if not isinstance(item, Mapping):
                issues.append(RecordIssue(path, f"expected an object, found {_json_kind(item)}"))
                continue
            event = self._event(item, collection, path, issues)
            if event is not None:
                out.append(event)
        return out

    def _event(self, item: Mapping, collection: Collection, path: str, issues: list) -> Event | None:
        before = len(issues)
        event_id = item.get("id")
        if not isinstance(event_id, str) or not event_id.strip():
            issues.append(RecordIssue(f"{path}.id", "every event needs an `id` (a text), for provenance"))
            event_id = None
        extra = {"components", "items"} if collection.name == "assessments" else set()
        allowed = set(collection.fields) | {"id"} | extra
        for key in item:
            if key not in allowed:
                issues.append(RecordIssue(f"{path}.{_key(key)}", _unknown(f"{collection.name} have no field", key),
                                          _suggest(key, allowed)))
        fields: dict[str, Any] = {}
        instant = None
        for name, field in collection.fields.items():
            raw = item.get(name)
            if raw is None:
                if field.required:
                    issues.append(RecordIssue(f"{path}.{name}", f"`{name}` is required: {field.description}"))
                fields[name] = None
                continue
            if collection.point and name == collection.start and is_datetime_text(raw):  # issue 11
                instant, problem = read_date_time(raw)
                if problem is not None:
                    issues.append(RecordIssue(f"{path}.{name}", problem, DATE_TIME_HELP))
                fields[name] = None if instant is None else instant.date
                continue
            try:
                fields[name] = _READERS[field.type.kind](raw, field.type)
            except _Invalid as err:
                issues.append(RecordIssue(f"{path}.{name}", err.message, err.help))
                fields[name] = None
        for name, message in event_problems(collection.name, fields):
            issues.append(RecordIssue(f"{path}.{name}", message))
        if len(issues) > before:
            return None
        if collection.name == "medications":
            _check_doses(fields, path, issues)
        if collection.name == "assessments":
            self._components(item.get("components"), fields, path, issues)
            items, item_problems = read_items(item.get("items"))
            issues.extend(RecordIssue(f"{path}.items{sub}", message) for sub, message in item_problems)
            if items is not None:
                fields["items"] = items
        if collection.name == "observations" and isinstance(fields.get("value"), Quantity):
            # A result whose LOINC code names an analyte converts between mass and molar units
            # (runtime/molar.py, docs/units.md).
            fields["value"] = with_analyte(fields["value"], analyte_of(fields.get("code") or ()))
        if len(issues) > before or event_id is None:
            return None
        start = fields[collection.start]
        end = start if collection.point else fields[collection.end]
        try:
            event = Event(event_id, collection.name, fields, start, end)
            event.instant = instant
            return event
        except ValueError as err:
            issues.append(RecordIssue(path, str(err)))
            return None

    def _components(self, raw: Any, fields: dict, path: str, issues: list) -> None:
        """The modified Rodnan skin score's 17 sites: each an integer 0-3; their sum is the score."""
        if raw is None:
            return
        if not isinstance(raw, Mapping):
            issues.append(RecordIssue(f"{path}.components", f"expected an object, found {_json_kind(raw)}"))
            return
        codes = fields.get("code") or ()
        if not any(c.system == "LOCAL" and c.code == "mRSS" for c in codes):
            garbled = next((c.problem for c in codes if c.problem is not None), None)
            issues.append(RecordIssue(f"{path}.components", "components are read for the mRSS "
                                      '(code `{"system": "LOCAL", "code": "mRSS"}`) only'
                                      + (f", and {garbled}" if garbled else "")))
            return
        total, complete = Decimal(0), True
        for site in raw:
            if site not in MRSS_SITES:
                issues.append(RecordIssue(f"{path}.components.{_key(site)}", _unknown("unknown mRSS site", site),
                                          _suggest(site, MRSS_SITES)))
        for site in MRSS_SITES:
            value = raw.get(site)
            if value is None:
                complete = False
                continue
            if isinstance(value, str) and _DECIMAL_TEXT.fullmatch(value):
                value = Decimal(value)
            if (isinstance(value, bool) or not isinstance(value, int | Decimal)
                    or (isinstance(value, Decimal) and not value.is_finite()) or value not in (0, 1, 2, 3)):
                issues.append(RecordIssue(f"{path}.components.{site}",
                                          f"expected 0, 1, 2 or 3, found {_json_kind(value)}"))
                complete = False
                continue
            total = EXACT_CONTEXT.add(total, Decimal(value))  # never the caller's decimal context
        if not complete:
            # A missing site leaves the total to the recorded score, which cannot be below the known sites.
            if fields.get("score") is not None and fields["score"] < total:
                issues.append(RecordIssue(f"{path}.score", f"the score {fields['score']} is below the sum of the "
                                          f"sites given ({total})"))
            return
        if fields.get("score") is None:
            fields["score"] = total
        elif fields["score"] != total:
            issues.append(RecordIssue(f"{path}.score", f"the score {fields['score']} is not the sum of the "
                                      f"17 sites ({total})"))

    def _coverage(self, raw: Any, issues: list) -> dict[str, Coverage]:
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            issues.append(RecordIssue("coverage", f"expected an object, found {_json_kind(raw)}"))
            return {}
        out = {}
        for name, period in raw.items():
            path = f"coverage.{name}"
            if name not in COLLECTIONS:
                path = f"coverage.{_key(name)}"
                issues.append(RecordIssue(path, _unknown("unknown collection", name), _suggest(name, COLLECTIONS)))
                continue
            try:  # a history period, a current list or both (records/current.py)
                out[name] = coverage_entry(period, lambda raw: _date(raw, T.DATE))
            except _Invalid as err:
                issues.append(RecordIssue(path, err.message))
            except ValueError as err:
                issues.append(RecordIssue(path, str(err)))
        return out

    def _read(self, name: str, raw: Any, path: str, values: dict, issues: list) -> None:
        """One fact or built-in field."""
        if raw is None:
            values[name] = None
            return
        reader, spec = self._readers[name]
        try:
            values[name] = reader(raw, spec)
        except _Invalid as err:
            issues.append(RecordIssue(path, err.message, err.help))


_PROBLEM_KEYS = {"path", "message", "help", "fatal"}


def _source_problems(raw: Any, issues: list[RecordIssue]) -> tuple[RecordIssue, ...]:
    """The record's ``problems``: what its builder could not map from the source.  A fatal one
    (``"fatal": true``: dropping the data could change an answer) refuses the record like any other
    issue; the others are kept on the bound record for the decision to show."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        issues.append(RecordIssue("problems", f"expected a list of problems, found {_json_kind(raw)}"))
        return ()
    kept = []
    for i, item in enumerate(raw):
        path = f"problems[{i}]"
        if (not isinstance(item, Mapping) or not {"path", "message"} <= set(item) or not set(item) <= _PROBLEM_KEYS
                or not all(isinstance(item[k], str) for k in ("path", "message"))
                or not isinstance(item.get("help") or "", str) or not isinstance(item.get("fatal", False), bool)):
            issues.append(RecordIssue(path, 'expected `{"path": "...", "message": "...", "help": "...", '
                                      '"fatal": false}` (help and fatal optional)'))
            continue
        problem = RecordIssue(item["path"], item["message"], item.get("help"))
        (issues if item.get("fatal") else kept).append(problem)
    return tuple(kept)


_PRODUCT = decimal.Context(prec=2 * MAX_DIGITS + 2, Emax=4 * MAX_EXPONENT, Emin=-4 * MAX_EXPONENT,
                           traps=[decimal.Overflow, decimal.Underflow, decimal.InvalidOperation, decimal.Inexact])


def _is_rate(q: Quantity) -> bool:
    return q.unit.dims[_TIME] == -1


def _check_doses(fields: dict, path: str, issues: list) -> None:
    """A dose is per administration (no time in its unit), a daily dose a rate (`mg/day`); when both
    a dose and a frequency are given, the daily dose is their product (derived when absent, checked
    when present)."""
    dose, frequency, daily = fields.get("dose"), fields.get("frequency"), fields.get("daily_dose")
    if dose is not None and _is_rate(dose):
        issues.append(RecordIssue(f"{path}.dose", f"a dose is per administration, found the rate `{dose}`",
                                  "give a rate as `daily_dose`"))
        return
    if daily is not None and not _is_rate(daily):
        issues.append(RecordIssue(f"{path}.daily_dose", f"a daily dose is a rate such as `mg/day`, found `{daily}`"))
        return
    if dose is None or frequency is None:
        return
    try:  # exact: the product of two bounded numbers fits this context (no rounding, no overflow)
        product = _PRODUCT.multiply(dose.value, frequency)
    except ArithmeticError:
        issues.append(RecordIssue(f"{path}.daily_dose", "dose × frequency is out of the range of recorded values"))
        return
    problem = magnitude_problem(product)
    if problem:
        issues.append(RecordIssue(f"{path}.daily_dose", f"dose × frequency: {problem}"))
        return
    derived = Quantity(product, dose.unit.div(_DAY))
    if daily is None:
        fields["daily_dose"] = derived
    elif daily.unit.dims != derived.unit.dims or daily != derived:
        issues.append(RecordIssue(f"{path}.daily_dose", f"`{daily}` is not dose × frequency per day (`{derived}`)"))
