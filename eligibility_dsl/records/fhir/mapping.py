"""FHIR R4 resources to patient-model events, one function per resource type (a dispatch table).

The rules (docs/fhir.md states them for users):

- ``entered-in-error`` resources are dropped; so are events that did not happen (procedures and
  immunizations ``not-done``, medications ``not-taken``/``intended``/``not-done``, cancelled or
  draft orders, proposals and plans, ``doNotPerform`` orders, planned or cancelled encounters).
- A refuted condition is kept, with ``verification: "refuted"``; a refuted allergy gets
  ``status: "refuted"``.
- An event that cannot be placed exactly (no day for its date, no coding in a known system, an end
  that is known to exist but not when) is left out of the record, and the coverage of its collection
  is withdrawn with a problem saying why: absence in that collection is then unknown, so what is left
  out can make a criterion unknown but never decide it.
- A value that cannot be held exactly (a unit this library does not know, a range, a time) is left
  out of its event, with a problem: a criterion on it is then unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ...runtime.datetimes import parse_datetime
from . import context
from .dosage import dose_fields
from .source import Index
from .values import codings, concept_text, date, first_code, period_dates, quantity

DROPPED_STATUS = {
    "Observation": {"entered-in-error", "cancelled"},
    "MedicationRequest": {"entered-in-error", "cancelled", "draft"},
    "MedicationStatement": {"entered-in-error", "not-taken", "intended"},
    "MedicationAdministration": {"entered-in-error", "not-done"},
    "Immunization": {"entered-in-error", "not-done"},
    "Procedure": {"entered-in-error", "not-done", "preparation"},
    "Encounter": {"entered-in-error", "cancelled", "planned"},
}
_NOT_EXPOSURE_INTENTS = {"proposal", "plan", "option", "directive"}

_MED_STATUS = {"active": "active", "in-progress": "active", "on-hold": "on-hold", "completed": "completed",
               "stopped": "stopped", "unknown": "unknown"}
_CONDITION_STATUS = {"active", "recurrence", "relapse", "inactive", "remission", "resolved"}
_VERIFICATION = {"unconfirmed", "provisional", "differential", "confirmed", "refuted"}
_ALLERGY_CATEGORY = {"food": "food", "medication": "medication", "environment": "environment",
                     "biologic": "biologic"}
_ENCOUNTER_CLASS = {"AMB": "ambulatory", "EMER": "emergency", "IMP": "inpatient", "ACUTE": "inpatient",
                    "NONAC": "inpatient", "OBSENC": "observation", "VR": "virtual", "HH": "home",
                    "FLD": "other", "PRENC": "other", "SS": "other"}
# SNOMED CT route concepts (and HL7 v3 RouteOfAdministration codes) for the model's routes.
_ROUTES = {"26643006": "oral", "47625008": "intravenous", "34206005": "subcutaneous", "78421000": "intramuscular",
           "6064005": "topical", "447694001": "inhaled", "18679011000001101": "inhaled",
           "PO": "oral", "IVINJ": "intravenous", "IVINFUS": "intravenous", "IV": "intravenous",
           "SQ": "subcutaneous", "SC": "subcutaneous", "IM": "intramuscular", "TOPICAL": "topical",
           "IPINHL": "inhaled", "ORINHL": "inhaled", "NASINHL": "inhaled"}


class PatientRecord:
    """The record being built for one patient, with its problems and withdrawn coverage."""

    def __init__(self, key: str):
        self.key = key
        self.events: dict[str, list[dict]] = {}
        self.problems: list[dict] = []
        self.withdrawn: dict[str, str] = {}  # collection -> the first reason its coverage was withdrawn
        self.first_encounter: str | None = None
        self.fields: dict[str, Any] = {}

    def problem(self, path: str, message: str, fatal: bool = False) -> None:
        item = {"path": path, "message": message}
        if fatal:
            item["fatal"] = True
        self.problems.append(item)

    def leave_out(self, collection: str, path: str, why: str) -> None:
        self.problem(path, f"left out of {collection}: {why}; the coverage of {collection} is withdrawn, "
                     "so the absence of an event there is unknown")
        self.withdrawn.setdefault(collection, path)

    def add(self, collection: str, event: dict) -> None:
        self.events.setdefault(collection, []).append(event)

    def codes(self, concept: Any, key: str, collection: str, what: str = "code") -> list[dict] | None:
        known, unknown = codings(concept)
        if known:
            return known
        text = concept_text(concept)
        found = (f"codings in {', '.join(f'`{s}`' for s in unknown)}" if unknown else "no coding") + (
            f", text `{text}`" if text else "")
        self.leave_out(collection, f"{key}.{what}", f"no coding in a known code system ({found})")
        return None

    def notes(self, path: str, notes: list[str]) -> None:
        for note in notes:  # each note says what could not be held; it is left out unless kept as text
            self.problem(path, note if "kept as" in note else note + " (left out)")


BIRTH_TIME_URL = "http://hl7.org/fhir/StructureDefinition/patient-birthTime"


def birth_time(resource: dict, key: str, pt: PatientRecord) -> None:
    """Patient.birthDate's time of day: the extension `patient-birthTime` (a dateTime) on the birthDate
    element (FHIR JSON ``_birthDate.extension``; also read on the Patient itself, where some systems put it).

    A birth time that is well formed and falls on birthDate (its date as written) becomes ``birth_date``
    written as a date-time, which `age in hours` reads; one that is malformed, has no time of day, or is
    on another day is a problem shown in the decision, and the birth date alone is kept (an age in hours
    is then uncertain, never a guess)."""
    found = []
    for holder in (resource.get("_birthDate"), resource):
        extensions = holder.get("extension") if isinstance(holder, dict) else None
        if isinstance(extensions, list):
            found += [e for e in extensions if isinstance(e, dict) and e.get("url") == BIRTH_TIME_URL]
    if not found:
        return
    path = f"{key}.birthDate.extension(patient-birthTime)"
    raw = found[0].get("valueDateTime")
    try:
        when = parse_datetime(raw) if isinstance(raw, str) else None
    except ValueError:
        when = None
    born = pt.fields.get("birth_date")
    if when is None or when.precision == "day":
        what = f"`{raw}`" if isinstance(raw, str) else "not a dateTime"
        pt.problem(path, f"the birth time {what} is not a date-time with a time of day: it is left out, "
                         "so an age in hours is known only from the birth date")
    elif born is not None and when.date.isoformat() != born:
        pt.problem(path, f"the birth time `{raw}` is not on the birth date `{born}`: it is left out, so an age "
                         "in hours is known only from the birth date")
    elif len(found) > 1 and any(e.get("valueDateTime") != raw for e in found[1:]):
        pt.problem(path, "the record gives different birth times: they are left out, so an age in hours is "
                         "known only from the birth date")
    else:
        pt.fields["birth_date"] = raw


Mapper = Callable[[dict, str, PatientRecord, Index], None]


def _status_dropped(resource: dict) -> bool:
    return resource.get("status") in DROPPED_STATUS.get(resource.get("resourceType", ""), ())


def condition(res: dict, key: str, pt: PatientRecord, index: Index) -> None:
    verification = first_code(res.get("verificationStatus"))
    if verification == "entered-in-error":
        return
    codes = pt.codes(res.get("code"), key, "conditions")
    if codes is None:
        return
    notes: list[str] = []
    onset = _onset(res, "onset", notes)
    if onset is None:
        pt.leave_out("conditions", key, "; ".join(notes) or "no onset date (onset[x])")
        return
    event: dict[str, Any] = {"id": key, "code": codes, "onset": onset}
    if any(k.startswith("abatement") for k in res):
        abatement = _abatement(res, notes)
        if abatement is None:
            pt.leave_out("conditions", key, "; ".join(notes) or "it abated, but the date is not given")
            return
        event["abatement"] = abatement
    status = first_code(res.get("clinicalStatus"))
    if status in _CONDITION_STATUS:
        event["status"] = status
    if verification in _VERIFICATION:
        event["verification"] = verification
    site = context.body_site(res)
    if site is not None:
        event["body_site"] = site
    severity = context.severity(res)
    if severity is not None:
        event["severity"] = severity
    pt.add("conditions", event)


def _onset(res: dict, prefix: str, notes: list[str]) -> str | None:
    if f"{prefix}DateTime" in res:
        return date(res[f"{prefix}DateTime"], notes, f"{prefix}DateTime")
    if f"{prefix}Period" in res:
        start, _ = period_dates(res[f"{prefix}Period"], notes, f"{prefix}Period")
        return start  # the condition is present from the period's start
    for form in ("Age", "Range", "String"):
        if f"{prefix}{form}" in res:
            notes.append(f"{prefix}{form} gives no calendar day")
            return None
    return None


def _abatement(res: dict, notes: list[str]) -> str | None:
    if "abatementDateTime" in res:
        return date(res["abatementDateTime"], notes, "abatementDateTime")
    if "abatementPeriod" in res:
        start, end = period_dates(res["abatementPeriod"], notes, "abatementPeriod")
        if start is not None and start == end:
            return start
        notes.append("abatementPeriod does not say on which day it abated")
        return None
    form = next(k for k in res if k.startswith("abatement"))
    notes.append(f"{form} gives no calendar day")
    return None


def observation(res: dict, key: str, pt: PatientRecord, index: Index) -> None:
    if _status_dropped(res):
        return
    codes = pt.codes(res.get("code"), key, "observations")
    if codes is None:
        return
    notes: list[str] = []
    when = _effective(res, notes)
    if when is None:
        pt.leave_out("observations", key, "; ".join(notes) or "no effective date (effective[x])")
        return
    setting = context.setting(res, index, _ENCOUNTER_CLASS)  # the components were taken in it too
    _observation_event(res, key, codes, when, pt, setting)
    for i, component in enumerate(res.get("component") or ()):
        if not isinstance(component, dict):
            continue
        ckey = f"{key}.component[{i}]"
        ccodes = pt.codes(component.get("code"), ckey, "observations")
        if ccodes is not None:
            _observation_event(component, ckey, ccodes, when, pt, setting)


def _effective(res: dict, notes: list[str]) -> str | None:
    for name in ("effectiveDateTime", "effectiveInstant"):
        if name in res:
            return date(res[name], notes, name)
    if "effectivePeriod" in res:
        start, end = period_dates(res["effectivePeriod"], notes, "effectivePeriod")
        return start or end
    if "effectiveTiming" in res:
        notes.append("effectiveTiming gives no single day")
    return None


_VALUE_KINDS = ("valueQuantity", "valueCodeableConcept", "valueString", "valueBoolean", "valueInteger",
                "valueRatio", "valueRange", "valueSampledData", "valueTime", "valueDateTime", "valuePeriod")


def _observation_event(res: dict, key: str, codes: list[dict], when: str, pt: PatientRecord,
                       setting: str | None) -> None:
    event: dict[str, Any] = {"id": key, "code": codes, "date": when}
    notes: list[str] = []
    kind = next((k for k in _VALUE_KINDS if k in res), None)
    if kind is not None:
        value = _value(kind, res[kind], notes)
        if value is not None:
            event["value"] = value
    low, high = _reference_range(res.get("referenceRange"), notes)
    if low is not None:
        event["reference_low"] = low
    if high is not None:
        event["reference_high"] = high
    interpretation: list[dict] = []
    for concept in res.get("interpretation") or ():
        interpretation.extend(codings(concept)[0])
    if interpretation:
        event["interpretation"] = interpretation
    if setting is not None:
        event["setting"] = setting
    pt.notes(key, notes)
    pt.add("observations", event)


def _value(kind: str, raw: Any, notes: list[str]) -> Any:
    if kind == "valueQuantity":
        if isinstance(raw, dict) and raw.get("comparator") in ("<", "<=", ">=", ">"):
            q = quantity(raw, notes, "valueQuantity")
            if q is None:
                return None
            # A censored value: kept as the text a laboratory writes, so that it is never compared
            # as if it were exact (`<50` is not 50).
            notes.append(f"the censored value `{raw['comparator']}{q['value']} {q['unit']}` is kept as a text")
            return f"{raw['comparator']}{q['value']} {q['unit']}"
        if isinstance(raw, dict) and raw.get("unit") is None and raw.get("code") is None and "value" in raw:
            return raw["value"] if isinstance(raw["value"], int | Decimal) else None
        return quantity(raw, notes, "valueQuantity")
    if kind == "valueCodeableConcept":
        found, _ = codings(raw)
        if found:
            return found
        text = concept_text(raw)
        if text is None:
            notes.append("valueCodeableConcept has no coding in a known system and no text")
        return text
    if kind == "valueString":
        return raw if isinstance(raw, str) else None
    if kind == "valueBoolean":
        return raw if isinstance(raw, bool) else None
    if kind == "valueInteger":
        return Decimal(raw) if isinstance(raw, int) and not isinstance(raw, bool) else None
    if kind == "valueRatio" and isinstance(raw, dict):
        n, d = raw.get("numerator") or {}, raw.get("denominator") or {}
        if not (n.get("unit") or n.get("code") or d.get("unit") or d.get("code")) and \
                isinstance(n.get("value"), int | Decimal) and isinstance(d.get("value"), int | Decimal):
            return f"{n['value']}:{d['value']}"  # a titre, written as the patient model writes titres
        notes.append("valueRatio with units has no patient-model form")
        return None
    notes.append(f"{kind} has no patient-model form")
    return None


def _reference_range(ranges: Any, notes: list[str]) -> tuple[dict | None, dict | None]:
    """The normal range: the one range that applies to everyone (no ``appliesTo``, type normal or none)."""
    if not ranges:
        return None, None
    usable = [r for r in ranges if isinstance(r, dict) and not r.get("appliesTo") and
              first_code(r.get("type")) in (None, "normal")]
    if len(usable) != 1:
        notes.append(f"{len(ranges)} reference ranges, none of which is the one normal range")
        return None, None
    r = usable[0]
    low = quantity(r["low"], notes, "referenceRange.low") if "low" in r else None
    high = quantity(r["high"], notes, "referenceRange.high") if "high" in r else None
    return low, high


def medication(res: dict, key: str, pt: PatientRecord, index: Index) -> None:
    kind = res.get("resourceType")
    if _status_dropped(res) or res.get("doNotPerform") is True:
        return
    if kind == "MedicationRequest" and res.get("intent") in _NOT_EXPOSURE_INTENTS:
        return
    codes = _medication_codes(res, key, pt, index)
    if codes is None:
        return
    notes: list[str] = []
    start, end = _medication_period(res, kind, notes)
    if start is None:
        pt.leave_out("medications", key, "; ".join(notes) or "no date it was taken")
        return
    event: dict[str, Any] = {"id": key, "code": codes, "start": start}
    status = _MED_STATUS.get(res.get("status"))
    if end is not None:
        event["end"] = end
    elif status in ("completed", "stopped"):
        # It ended, but the source does not say when: only its first day is known.
        event["end"] = start
        pt.withdrawn.setdefault("medications", key)
        pt.problem(key, f"{res.get('status')} without an end date: recorded on its first day ({start}) only; "
                   "the coverage of medications is withdrawn, so the absence of an event there is unknown")
    if status is not None:
        event["status"] = status
    dosages = res.get("dosageInstruction") if kind == "MedicationRequest" else res.get("dosage")
    event.update(dose_fields(dosages, notes))
    route = _route(dosages)
    if route is not None:
        event["route"] = route
    reason = context.reason(res, index, notes)
    if reason is not None:
        event["reason"] = reason
    pt.notes(key, notes)
    pt.add("medications", event)


def _medication_codes(res: dict, key: str, pt: PatientRecord, index: Index) -> list[dict] | None:
    if "medicationCodeableConcept" in res:
        return pt.codes(res["medicationCodeableConcept"], key, "medications", "medicationCodeableConcept")
    med = index.resolve(res.get("medicationReference"), res)
    if med is None:
        ref = (res.get("medicationReference") or {}).get("reference")
        pt.leave_out("medications", f"{key}.medicationReference", f"the Medication `{ref}` is not in the export")
        return None
    codes, _ = codings(med.get("code"))
    # A code set naming an ingredient matches a product through its ingredients' codings.
    for ingredient in med.get("ingredient") or ():
        if not isinstance(ingredient, dict):
            continue
        if "itemCodeableConcept" in ingredient:
            codes.extend(codings(ingredient["itemCodeableConcept"])[0])
        else:
            item = index.resolve(ingredient.get("itemReference"), med) or index.resolve(
                ingredient.get("itemReference"), res)
            if item is not None and item.get("resourceType") == "Medication":
                codes.extend(codings(item.get("code"))[0])
    if not codes:
        return pt.codes(med.get("code"), key, "medications", "medicationReference")
    return codes


def _medication_period(res: dict, kind: str, notes: list[str]) -> tuple[str | None, str | None]:
    if kind == "MedicationRequest":
        for dosage in res.get("dosageInstruction") or ():
            bounds = ((dosage.get("timing") or {}).get("repeat") or {}).get("boundsPeriod") \
                if isinstance(dosage, dict) else None
            if isinstance(bounds, dict) and "start" in bounds:
                return period_dates(bounds, notes, "dosageInstruction.timing.repeat.boundsPeriod")
        if "authoredOn" in res:
            return date(res["authoredOn"], notes, "authoredOn"), None
        return None, None
    if "effectiveDateTime" in res:
        day = date(res["effectiveDateTime"], notes, "effectiveDateTime")
        return day, day
    if "effectivePeriod" in res:
        return period_dates(res["effectivePeriod"], notes, "effectivePeriod")
    return None, None


def _route(dosages: Any) -> str | None:
    dosage = dosages[0] if isinstance(dosages, list) and len(dosages) == 1 else dosages
    if not isinstance(dosage, dict) or not isinstance(dosage.get("route"), dict):
        return None
    for coding in dosage["route"].get("coding") or ():
        if isinstance(coding, dict) and coding.get("code") in _ROUTES:
            return _ROUTES[coding["code"]]
    return None  # an unknown route stays unknown rather than becoming "other"


def _point(collection: str, code_field: str, date_fields: tuple[str, ...], why_where: bool = False) -> Mapper:
    """Immunizations and procedures: a coding and the day it happened; with ``why_where`` (procedures),
    its reason and body site."""

    def mapper(res: dict, key: str, pt: PatientRecord, index: Index) -> None:
        if _status_dropped(res):
            return
        codes = pt.codes(res.get(code_field), key, collection, code_field)
        if codes is None:
            return
        notes: list[str] = []
        when = None
        for name in date_fields:
            if name in res:
                when = (period_dates(res[name], notes, name)[0] if name.endswith("Period")
                        else date(res[name], notes, name))
                break
        else:
            form = next((k for k in res if k.startswith(date_fields[0][:-8])), None)
            notes.append(f"{form} gives no calendar day" if form else "no date")
        if when is None:
            pt.leave_out(collection, key, "; ".join(notes))
            return
        event: dict[str, Any] = {"id": key, "code": codes, "date": when}
        if why_where:
            said: list[str] = []
            reason, site = context.reason(res, index, said), context.body_site(res)
            if reason is not None:
                event["reason"] = reason
            if site is not None:
                event["body_site"] = site
            pt.notes(key, said)
        pt.add(collection, event)
    return mapper


def allergy(res: dict, key: str, pt: PatientRecord, index: Index) -> None:
    verification = first_code(res.get("verificationStatus"))
    if verification == "entered-in-error":
        return
    codes = pt.codes(res.get("code"), key, "allergies")
    if codes is None:
        return
    notes: list[str] = []
    onset = _onset(res, "onset", notes) or (date(res["recordedDate"], notes, "recordedDate")
                                            if "recordedDate" in res else None)
    if onset is None:
        pt.leave_out("allergies", key, "; ".join(notes) or "no onset or recorded date")
        return
    event: dict[str, Any] = {"id": key, "code": codes, "onset": onset}
    for category in res.get("category") or ():
        if category in _ALLERGY_CATEGORY:
            event["category"] = _ALLERGY_CATEGORY[category]
            break
    status = "refuted" if verification == "refuted" else first_code(res.get("clinicalStatus"))
    if status in ("active", "inactive", "resolved", "refuted"):
        event["status"] = status
    pt.add("allergies", event)


def encounter(res: dict, key: str, pt: PatientRecord, index: Index) -> None:
    if _status_dropped(res):
        return
    klass = res.get("class")
    class_code = klass.get("code") if isinstance(klass, dict) else None
    codes: list[dict] = []
    for concept in res.get("type") or ():
        codes.extend(codings(concept)[0])
    if not codes and isinstance(klass, dict):
        codes = codings({"coding": [klass]})[0]
    if not codes:
        pt.leave_out("encounters", key, "no type or class in a known code system")
        return
    notes: list[str] = []
    start, end = period_dates(res.get("period"), notes, "period")
    if start is None:
        pt.leave_out("encounters", key, "; ".join(notes) or "no period start")
        return
    event: dict[str, Any] = {"id": key, "code": codes, "start": start}
    if end is not None:
        event["end"] = end
    if class_code in _ENCOUNTER_CLASS:
        event["class"] = _ENCOUNTER_CLASS[class_code]
    said: list[str] = []
    reason = context.reason(res, index, said)
    if reason is not None:
        event["reason"] = reason
    pt.notes(key, said)
    if pt.first_encounter is None or start < pt.first_encounter:
        pt.first_encounter = start
    pt.add("encounters", event)


MAPPERS: dict[str, Mapper] = {
    "Condition": condition,
    "Observation": observation,
    "MedicationRequest": medication,
    "MedicationStatement": medication,
    "MedicationAdministration": medication,
    "Immunization": _point("immunizations", "vaccineCode", ("occurrenceDateTime",)),
    "Procedure": _point("procedures", "code", ("performedDateTime", "performedPeriod"), why_where=True),
    "AllergyIntolerance": allergy,
    "Encounter": encounter,
}

# Resource types with nothing for the patient model, read for references only or not at all. Each
# is listed so that a type this adapter has never seen is reported, not silently skipped.
IGNORED = frozenset({
    # who and where; money; provenance and workflow
    "Patient", "Organization", "Practitioner", "PractitionerRole", "Location", "HealthcareService", "Endpoint",
    "RelatedPerson", "Person", "Group", "Device", "Claim", "ClaimResponse", "ExplanationOfBenefit", "Coverage",
    "Account", "Invoice", "ChargeItem", "PaymentNotice", "PaymentReconciliation", "Provenance", "AuditEvent",
    "OperationOutcome", "Binary", "Medication", "Substance", "Schedule", "Slot", "Appointment",
    "AppointmentResponse", "Task", "Communication", "CommunicationRequest", "Consent", "Basic", "Subscription",
    # plans and orders, not what happened; reports whose results are Observations in the same export
    "CarePlan", "CareTeam", "Goal", "ServiceRequest", "DiagnosticReport", "ImagingStudy", "DocumentReference",
    "Media", "Composition", "List", "SupplyDelivery", "SupplyRequest", "Specimen", "DeviceRequest", "Questionnaire",
})
# Types that do hold patient history the model has no place for: reported, and where they would belong
# to a collection (a dispensed drug is a medication), that collection's coverage is withdrawn.
UNREAD_CLINICAL = {"MedicationDispense": "medications", "FamilyMemberHistory": None, "QuestionnaireResponse": None,
                   "ClinicalImpression": None, "RiskAssessment": None, "DeviceUseStatement": None,
                   "NutritionOrder": None, "AdverseEvent": None, "ResearchSubject": "trial_participations",
                   "DetectedIssue": None, "Flag": None, "BodyStructure": None, "EpisodeOfCare": None,
                   "VisionPrescription": None, "MolecularSequence": None, "ImmunizationEvaluation": None,
                   "ImmunizationRecommendation": None}
