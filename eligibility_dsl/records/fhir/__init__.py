"""FHIR R4 in: bundles and Bulk Data NDJSON exports to patient records of this library's JSON model.

    from eligibility_dsl.records.fhir import CoveragePolicy, read_bundle, read_bulk

    records = read_bundle("patient.json", coverage=CoveragePolicy.period("2023-01-01", "2025-09-11"))
    records = read_bulk("export/", coverage=CoveragePolicy.first_encounter("2025-09-11"))
    decisions = trial.evaluate_many(records, {"screening": "2025-09-11"}, errors="return")

Each record is a plain dict in the documented model (docs/patient_model.md), bound by the normal
record binder like any other record, so that validation stays in one place; events are named by
their FHIR resource (``MedicationRequest/abc``) so traces cite the source.  What the model cannot
hold is mapped exactly or reported in the record's ``problems`` (docs/fhir.md, rule by rule).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from ...runtime.calendar import parse_date
from ..model import MODEL_VERSION
from .coverage import CoveragePolicy
from .mapping import IGNORED, MAPPERS, UNREAD_CLINICAL, PatientRecord, birth_time
from .source import FhirError, Index, bundle_resources, decode, load_json, ndjson_resources
from .values import date

__all__ = ["CoveragePolicy", "FhirError", "convert", "read_bulk", "read_bundle", "to_json"]

_SEX = {"female": "female", "male": "male", "other": "other", "unknown": "unknown"}
_PATIENT_FIELDS = ("subject", "patient")


def read_bundle(source: str | Path | bytes | dict, *, coverage: CoveragePolicy | None = None,
                export_date: datetime.date | str | None = None) -> list[dict]:
    """The patient records in a FHIR Bundle (transaction, collection, searchset, batch-response, ...):
    ``source`` is a path, the JSON bytes, or the decoded dict.  ``export_date`` (default: the bundle's
    ``timestamp``) is the day the ``first_encounter`` coverage policy runs to."""
    if isinstance(source, dict):
        bundle, where = source, "bundle"
    elif isinstance(source, bytes):
        bundle, where = decode(source, "bundle"), "bundle"
    else:
        bundle, where = load_json(source), str(source)
    resources = bundle_resources(bundle, where)
    if export_date is None:
        stamp = bundle.get("timestamp") or (bundle.get("meta") or {}).get("lastUpdated")
        export_date = stamp[:10] if isinstance(stamp, str) and len(stamp) >= 10 else None
    return convert(resources, coverage=coverage, export_date=export_date)


def read_bulk(directory: str | Path, *, coverage: CoveragePolicy | None = None,
              export_date: datetime.date | str | None = None) -> list[dict]:
    """The patient records of a FHIR Bulk Data export: a directory of ``*.ndjson`` files
    (``Patient.ndjson``, ``Condition.ndjson``, ...), resources grouped by their patient reference."""
    return convert(ndjson_resources(directory), coverage=coverage, export_date=export_date)


def convert(resources: Iterable[tuple[dict, str | None]], *, coverage: CoveragePolicy | None = None,
            export_date: datetime.date | str | None = None) -> list[dict]:
    """Records from (resource, fullUrl) pairs: one record per Patient, in the order patients appear."""
    policy = coverage or CoveragePolicy.none()
    export_day = export_date if isinstance(export_date, datetime.date) or export_date is None else \
        parse_date(export_date)
    items = list(resources)
    index = Index(items)
    patients: dict[str, PatientRecord] = {}
    for resource, _ in items:
        if resource.get("resourceType") == "Patient":
            key = index.key(resource)
            if key not in patients:
                patients[key] = _patient(resource, key)
    unattributed: list[str] = []
    unread: dict[str, int] = {}
    for resource, _ in items:
        kind = resource.get("resourceType")
        mapper = MAPPERS.get(kind)
        if mapper is None:
            if kind not in IGNORED:
                unread[kind] = unread.get(kind, 0) + 1
                target = _owner(resource, index, patients)
                for pt in ([target] if target is not None else patients.values()):
                    _unread(pt, kind)
            continue
        key = index.key(resource)
        pt = _owner(resource, index, patients)
        if pt is None:
            ref = _patient_reference(resource)
            if ref is None:
                unattributed.append(key)
                continue
            pt = patients[ref] = _orphan(ref)
        mapper(resource, key, pt, index)
    for pt in patients.values():
        for key in unattributed:
            pt.problem(key, "the resource names no patient, so it may belong to this one", fatal=True)
    return [_record(pt, policy, export_day) for pt in patients.values()]


def _patient(resource: dict, key: str) -> PatientRecord:
    pt = PatientRecord(key)
    notes: list[str] = []
    if "birthDate" in resource:
        born = date(resource["birthDate"], notes, "birthDate")
        if born is not None:
            pt.fields["birth_date"] = born
        else:
            pt.problem(f"{key}.birthDate", "; ".join(notes) + ": the birth date is left out, so the age is unknown")
    birth_time(resource, key, pt)  # the extension patient-birthTime (issue 11)
    if resource.get("gender") in _SEX:
        pt.fields["sex"] = _SEX[resource["gender"]]
    if resource.get("deceasedBoolean") is True or "deceasedDateTime" in resource:
        when = resource.get("deceasedDateTime")
        pt.problem(f"{key}.deceased", f"the patient died{f' ({when[:10]})' if isinstance(when, str) else ''}; "
                   "the patient model has no field for it")
    return pt


def _orphan(reference: str) -> PatientRecord:
    pt = PatientRecord(reference)
    pt.problem(reference, f"resources refer to the patient `{reference}`, whose Patient resource is not in the "
               "export", fatal=True)
    return pt


def _patient_reference(resource: dict) -> str | None:
    for name in _PATIENT_FIELDS:
        ref = resource.get(name)
        if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
            return ref["reference"]
    return None


def _owner(resource: dict, index: Index, patients: dict[str, PatientRecord]) -> PatientRecord | None:
    for name in _PATIENT_FIELDS:
        target = index.resolve(resource.get(name), resource)
        if target is not None and target.get("resourceType") == "Patient":
            return patients.get(index.key(target))
    ref = _patient_reference(resource)
    return patients.get(ref) if ref is not None else None


def _unread(pt: PatientRecord, kind: str) -> None:
    if any(p["path"] == kind for p in pt.problems):
        return
    collection = UNREAD_CLINICAL.get(kind)
    message = f"{kind} resources are not read by this adapter"
    if collection is not None:
        pt.withdrawn.setdefault(collection, kind)
        message += f"; the coverage of {collection} is withdrawn, so the absence of an event there is unknown"
    pt.problem(kind, message)


def _record(pt: PatientRecord, policy: CoveragePolicy, export_day: datetime.date | None) -> dict:
    first = parse_date(pt.first_encounter) if pt.first_encounter else None
    coverage, text, problem = policy.apply(first, export_day)
    if problem is not None:
        pt.problem("coverage", problem)
    for name, path in pt.withdrawn.items():
        if coverage.pop(name, None) is not None:
            text = f"{text}; withdrawn for {name} (see {path})"
    record: dict[str, Any] = {"record_version": MODEL_VERSION, "id": pt.key, **pt.fields}
    if coverage:
        record["coverage"] = coverage
    record["coverage_policy"] = text
    if pt.problems:
        record["problems"] = pt.problems
    for name in sorted(pt.events):
        record[name] = pt.events[name]
    return record


def to_json(record: Any, indent: int | None = 1) -> str:
    """A converted record as JSON text; decimals are written as decimal text, which reads exactly."""
    import json

    def default(value: Any) -> Any:
        if isinstance(value, Decimal):
            return format(value, "f")
        raise TypeError(f"cannot write {type(value).__name__} as JSON")
    return json.dumps(record, indent=indent, ensure_ascii=False, default=default)
