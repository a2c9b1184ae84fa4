"""JSON Schema (draft 2020-12) for patient records of model version 1, generated from the patient model.

    record_schema()              the generic schema: any trial's facts (``facts`` is an open object)
    record_schema(trial.facts)   one trial's schema: ``facts`` lists exactly the facts it declares

Built from ``patient_model.COLLECTIONS`` and the code systems of ``runtime.codes``,
so it cannot drift from what the binder reads.  The package ships this module's
output as ``schemas/patient-record-v1.schema.json`` (``elig schema``).

The schema documents the format and catches most mistakes early, in any JSON
Schema tool; the binder (``Trial.bind``) stays the authority.  A record the schema
accepts may still be refused: a schema cannot check that a date exists
(``2025-02-30``), that a unit is known and of the right dimension, that an event
ends after it starts or a coverage period is in order, that event ids are unique
across collections, or that the mRSS components add up to the recorded score.  In
places it is stricter than the binder (a quantity text is ``"<decimal> <unit>"``;
a coding's ``display`` is a text): it describes the format to write.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from ..language import types as T
from ..runtime import codes
from ..runtime.numtext import number_text
from ..runtime.units import dimension_name
from .model import COLLECTIONS, MODEL_VERSION, MRSS_SITES, Collection, Field
from .plausible import FIELD_CHECKS

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = f"urn:eligibility-dsl:patient-record:v{MODEL_VERSION}"
DECIMAL_TEXT = r"-?[0-9]+(\.[0-9]+)?"  # the binder's decimal text (records._DECIMAL_TEXT)
DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
DATE_TIME_PATTERN = ("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}(:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)?)?"
                     "(Z|[+-][0-9]{2}:[0-9]{2})?$")
QUANTITY_TEXT = f"^{DECIMAL_TEXT} +\\S+$"
MRSS_CODE = ("LOCAL", "mRSS")  # the coding whose assessments may carry `components`

_NULL = {"type": "null"}


def _ref(name: str) -> dict:
    return {"$ref": f"#/$defs/{name}"}


def _nullable(schema: dict, description: str | None = None) -> dict:
    """``schema`` or null: an optional value given as null counts as absent (missing)."""
    out = {"description": description} if description else {}
    if list(schema) == ["type"]:
        return {**out, "type": [schema["type"], "null"]}
    return {**out, "anyOf": [schema, _NULL]}


def _any_case(text: str) -> str:
    """A regular expression matching ``text`` in any letter case (ECMA-262 has no inline flags)."""
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() and c.upper() != c.lower()
                   else "\\" + c if c in ".+*?()[]{}|^$\\" else c for c in text)


def _system_pattern(only: str | None = None) -> str:
    """Every spelling ``codes.normalize_system`` accepts (of one system, if ``only``): short names in
    any case, ignoring spaces, hyphens and underscores; URIs in any case, with trailing slashes."""
    sep = "[ _-]*"
    spellings = [sep + sep.join(_any_case(c) for c in alias) + sep
                 for alias, name in codes._ALIASES.items() if only in (None, name)]
    spellings += [_any_case(uri) + "/*" for uri, name in codes._URIS.items() if only in (None, name)]
    if only is None:  # HL7's own code systems: `HL7:<id>`, its terminology.hl7.org URI, its FHIR R3 URI
        hl7_id = "[A-Za-z0-9][A-Za-z0-9.-]*/*"
        spellings += [_any_case(codes.HL7_PREFIX) + hl7_id, _any_case(codes.HL7_URI) + hl7_id,
                      _any_case("http://hl7.org/fhir/") + "[Vv][23]/[A-Za-z0-9.-]+/*"]
    return "^\\s*(?:" + "|".join(spellings) + ")\\s*$"


_SIMPLE = {"boolean": ({"type": "boolean"}, "`true` or `false`"), "number": (_ref("decimal"), "a number"),
           "date": (_ref("date"), "a date"), "text": ({"type": "string"}, "a text"),
           "coding": (_ref("codings"), "one coding or a list of codings"),
           "any": (_ref("observation_value"), "a quantity, a coding, a boolean, a number or a text")}


def _value(t: T.Type, description: str | None, nullable: bool) -> dict:
    """The schema of a value of type ``t``; a quantity's dimension is stated in its description."""
    if t.kind == "quantity":
        schema, note = _ref("quantity"), "a quantity"
        if t.dims is not None:
            note = f"a quantity of {dimension_name(t.dims)}, such as `{t.unit.symbol}`"
            description = f"{description} ({note})" if description else note
    elif t.kind == "code":
        schema, note = {"type": "string", **({"enum": list(t.values)} if t.values else {})}, "a code"
    elif t.kind in _SIMPLE:
        schema, note = _SIMPLE[t.kind]
    else:
        raise ValueError(f"no JSON Schema for values of kind `{t.kind}`")
    text = description or note
    return _nullable(schema, text) if nullable else {**schema, "description": text}


def _scale_said(spec: Any) -> str | None:
    """A fact's description, with its declared scale (a value outside it is not used: docs/patient_model.md)."""
    scale = getattr(spec, "range", None)
    if scale is None:
        return spec.description
    low, high = (number_text(v) if isinstance(v, Decimal) else str(v) for v in scale)
    said = f"declared scale {low} to {high}, a value outside is not used"
    return f"{spec.description}; {said}" if spec.description else said


def _event(c: Collection) -> dict:
    props: dict[str, Any] = {"id": {"type": "string", "minLength": 1, "description": "the event's identifier, "
                                    "unique in the record (across all collections): decisions cite it"}}
    for f in c.fields.values():
        check = FIELD_CHECKS.get((c.name, f.name))
        note = f"; {check.__doc__}" if check is not None else ""  # plausible range: the binder refuses the rest
        props[f.name] = _value(f.type, f.description + note, nullable=not f.required)
        if getattr(check, "schema", None) is not None:  # a check that allows a few values only
            props[f.name] = _nullable(check.schema, f.description + note)
    period = (f"a point event, dated by `{c.start}`" if c.point else
              f"an interval event from `{c.start}` to `{c.end}`, both days included (no `{c.end}`: ongoing)")
    out: dict[str, Any] = {"type": "object", "description": f"one of the {c.name}: {period}", "properties": props,
                           "required": ["id", *(f.name for f in c.fields.values() if f.required)],
                           "additionalProperties": False}
    if c.name == "assessments":
        props["components"] = _nullable(_ref("mrss_components"), "the modified Rodnan skin score by site; "
                                        f"only with the code {{\"system\": \"{MRSS_CODE[0]}\", "
                                        f"\"code\": \"{MRSS_CODE[1]}\"}}")
        props["items"] = _nullable({"type": "object", "additionalProperties": {
            "anyOf": [{"type": "number"}, {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$"}, {"type": "null"}]}},
            "the assessment's items (components) by name, each with its score (null: not scored)")
        out["if"] = {"properties": {"components": {"type": "object"}}, "required": ["components"]}
        out["then"] = {"properties": {"code": {"anyOf": [_ref("mrss_coding"),
                                                         {"type": "array", "contains": _ref("mrss_coding")}]}}}
    return out


def _defs() -> dict:
    coding = {"type": "object", "description": "one code in one code system",
              "properties": {
                  "system": _ref("system"),
                  "code": {"type": "string", "pattern": "\\S", "description": "the code, e.g. `L04AB02`, `M34.0`"},
                  "display": {"type": "string", "description": "a human-readable name; never used for matching"}},
              "required": ["system", "code"], "additionalProperties": False}
    systems = ", ".join(f"{name} ({uri})" for name, uri in codes.SYSTEMS.items())
    defs: dict[str, Any] = {
        "date": {"type": "string", "pattern": DATE_PATTERN, "description": "a calendar date, YYYY-MM-DD"},
        "date_time": {"type": "string", "pattern": DATE_TIME_PATTERN,
                      "description": "a date-time with a time of day (hh, hh:mm or hh:mm:ss[.fff]) and optionally an "
                                     "offset (Z, +hh:mm, -hh:mm), as FHIR dateTime writes it"},
        "decimal": {"description": "a number: a JSON number, or decimal text such as \"134.4\" (read exactly)",
                    "anyOf": [{"type": "number"}, {"type": "string", "pattern": f"^{DECIMAL_TEXT}$"}]},
        "unit": {"type": "string", "pattern": "^\\S+$",
                 "description": "a UCUM-style unit such as `mg`, `mg/day`, `%`, `10*9/L`, `mL/min/{1.73_m2}`"},
        "quantity": {"description": "a value with its unit: {\"value\": 48, \"unit\": \"%\"} or the text \"48 %\"",
                     "anyOf": [{"type": "object", "properties": {"value": _ref("decimal"), "unit": _ref("unit")},
                                "required": ["value", "unit"], "additionalProperties": False},
                               {"type": "string", "pattern": QUANTITY_TEXT}]},
        "system": {"type": "string", "pattern": _system_pattern(),
                   "description": f"a code system, by short name or URI (any letter case): {systems}; "
                                  "HL7 code systems as HL7:<id> or http://terminology.hl7.org/CodeSystem/<id>"},
        "coding": coding,
        "codings": {"description": "one coding, or a non-empty list of codings of the same thing "
                                   "(e.g. an ATC and an RxNorm code for one drug)",
                    "anyOf": [_ref("coding"), {"type": "array", "items": _ref("coding"), "minItems": 1}]},
        "mrss_coding": {"type": "object", "properties": {
            "system": {"type": "string", "pattern": _system_pattern(MRSS_CODE[0])},
            "code": {"type": "string", "pattern": f"^\\s*{MRSS_CODE[1]}\\s*$"}}, "required": ["system", "code"]},
        "observation_value": {
            "description": "a quantity, a coding or a list of codings, a boolean (qualitative results: true = "
                           "positive), a number or a text; a text that is a decimal is read as a number, a decimal "
                           "followed by a known unit as a quantity, anything else as a text",
            "anyOf": [{"type": "boolean"}, {"type": "number"}, _ref("codings"), _ref("quantity"),
                      {"type": "string"}]},
        "mrss_components": {"type": "object", "description": "score of each of the 17 sites, 0 to 3 (null or "
                            "absent: not recorded); when all 17 are given their sum is the score",
                            "properties": {site: {"enum": [0, 1, 2, 3, None]} for site in MRSS_SITES},
                            "additionalProperties": False},
        "source_problem": {
            "type": "object", "description": "one problem found in the source, with where it is",
            "properties": {"path": {"type": "string", "description": "where, e.g. `Observation/abc.valueQuantity`"},
                           "message": {"type": "string"}, "help": {"type": "string"},
                           "fatal": {"type": "boolean", "description": "true: the record is refused (dropping "
                                     "the data could change an answer); false or absent: kept as a note"}},
            "required": ["path", "message"], "additionalProperties": False},
        "coverage_period": {
            "type": "object", "description": "the days over which a collection is complete, both ends included",
            "properties": {"from": _nullable(_ref("date"), "first day covered; null or absent: since birth"),
                           "to": {**_ref("date"), "description": "last day covered, typically the extraction date"},
                           "current": {**_ref("date"), "description": "the current list (active problems, current "
                                       "medications) is complete as of this day: every event ongoing that day is "
                                       "in the record"}},
            "anyOf": [{"required": ["to"]}, {"required": ["current"]}],
            "dependentRequired": {"from": ["to"]}, "additionalProperties": False},
    }
    for c in COLLECTIONS.values():
        defs[f"{c.name}_event"] = _event(c)
    return defs


def record_schema(facts: Mapping[str, Any] | None = None, trial_id: str | None = None) -> dict:
    """The JSON Schema of a record: for any trial, or for the trial whose ``facts`` are given.

    With ``facts`` (``Trial.facts``), ``facts`` has one property per declared fact
    and no others, and the built-in fields take their types from the specs;
    ``trial_id`` (the trial's registry id) then names the schema in its ``$id``.
    """
    builtin = ({n: Field(n, s.type, s.description or "") for n, s in facts.items() if s.builtin} if facts is not None
               else {n: Field(n, t, d) for n, (t, d) in T.BUILTIN_FACTS.items()})
    props: dict[str, Any] = {
        "record_version": _nullable({"const": MODEL_VERSION}, f"the patient model version: the text \"{MODEL_VERSION}\""
                                    " (a JSON text, not a number); absent: the version this library reads"),
        "id": _nullable({"type": "string"}, "the record's identifier, echoed in decisions"),
        "as_of": _nullable(_ref("date"), "the day the record's data were extracted: no coverage runs past it, and "
                           "what a criterion's window holds after it is pending, to confirm"),
    }
    for f in builtin.values():
        props[f.name] = _value(f.type, f.description, nullable=True)
    if "birth_date" in props:  # a date, or a date-time for `age in hours` (issue 11)
        props["birth_date"] = _nullable({"anyOf": [_ref("date"), _ref("date_time")]},
                                        "the patient's date of birth, or its date-time (with the time of day)")
    if facts is None:
        props["facts"] = {"type": "object", "description": "the values of the facts a trial declares, by name; "
                          "null or absent: missing (unknown)"}
    else:
        props["facts"] = {"type": "object", "description": "the values of the facts this trial declares; "
                          "null or absent: missing (unknown)", "additionalProperties": False,
                          "properties": {n: _value(s.type, _scale_said(s), nullable=True)
                                         for n, s in facts.items() if not s.builtin}}
    props["coverage"] = _nullable(
        {"type": "object", "properties": {name: _ref("coverage_period") for name in COLLECTIONS},
         "additionalProperties": False},
        "per collection, the period over which the record holds every event of that kind: the absence of an "
        "event counts as \"no\" only inside it; a collection without coverage leaves absence unknown")
    props["coverage_policy"] = _nullable({"type": "string"}, "how the coverage was decided (e.g. \"stated by the "
                                         "caller\", \"from the first encounter to the export date\"), echoed")
    props["problems"] = _nullable({"type": "array", "items": _ref("source_problem")},
                                  "what the record's builder could not map from its source (e.g. a FHIR export)")
    for c in COLLECTIONS.values():
        props[c.name] = _nullable({"type": "array", "items": _ref(f"{c.name}_event")}, c.description)
    schema: dict[str, Any] = {"$schema": DIALECT}
    if facts is None:
        schema["$id"] = SCHEMA_ID
    elif trial_id:
        schema["$id"] = f"{SCHEMA_ID}:trial:{quote(trial_id, safe='')}"
    schema |= {
        "title": f"Patient record, model version {MODEL_VERSION}" + (f", trial {trial_id}" if trial_id else ""),
        "description": "One patient's record for eligibility_dsl. This schema documents the format and catches "
                       "most mistakes; the library's record binder is the authority (it also checks that dates "
                       "exist, units and their dimensions, periods in order, unique event ids and mRSS sums).",
        "type": "object", "properties": props, "additionalProperties": False, "$defs": _defs()}
    return schema
