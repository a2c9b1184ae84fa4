"""Why, where, how severe and in what setting (issue 11): FHIR R4 ``reasonCode`` / ``reasonReference``,
``bodySite``, ``Condition.severity`` and ``Observation.encounter`` to the patient model's ``reason``,
``body_site``, ``severity`` and ``setting`` (docs/fhir.md states the rules for users).

Each function returns the model's value, or None (the field is left out, so a criterion on it is unknown)
with a note when something the source says could not be held. A reason is all or nothing: when one of the
resource's reasons cannot be read as codings (a reference to a resource not in the export, or to one with
no coding in a known system), the whole `reason` is left out, since a reason not read could be the one a
criterion asks about.
"""

from __future__ import annotations

from .source import Index
from .values import codings

# FHIR R4 condition-severity value set (SNOMED CT): Severe 24484000, Moderate 6736007, Mild 255604002.
SEVERITY = {"24484000": "severe", "6736007": "moderate", "255604002": "mild"}
_SNOMED = "http://snomed.info/sct"
# A reason may point at any of these; a coded resource gives its `code`.
_CODED_REASONS = ("Condition", "Observation", "Procedure", "MedicationStatement", "DiagnosticReport")


def reason(res: dict, index: Index, notes: list[str]) -> list[dict] | None:
    """The codings of ``reasonCode`` and of the resources ``reasonReference`` points at (their ``code``)."""
    found: list[dict] = []
    for concept in res.get("reasonCode") or ():
        known, unknown = codings(concept)
        if not known:
            what = ", ".join(f"`{s}`" for s in unknown) if unknown else "no coding"
            notes.append(f"reason: reasonCode has no coding in a known code system ({what})")
            return None
        found.extend(known)
    for ref in res.get("reasonReference") or ():
        target = index.resolve(ref, res)
        text = ref.get("reference") if isinstance(ref, dict) else None
        if target is None:
            notes.append(f"reason: reasonReference `{text}` is not in the export")
            return None
        if _in_error(target):
            notes.append(f"reason: reasonReference `{text}` was entered in error")
            return None
        known = codings(target.get("code"))[0] if target.get("resourceType") in _CODED_REASONS else []
        if not known:
            notes.append(f"reason: reasonReference `{text}` has no coding in a known code system")
            return None
        found.extend(known)
    return found or None


def _in_error(res: dict) -> bool:
    """An ``entered-in-error`` resource (by its status or, for a Condition, its verification status)."""
    verification = res.get("verificationStatus")
    codes = [c.get("code") for c in (verification.get("coding") or ()) if isinstance(c, dict)] \
        if isinstance(verification, dict) else []
    return res.get("status") == "entered-in-error" or "entered-in-error" in codes


def body_site(res: dict) -> list[dict] | None:
    """The known codings of ``bodySite`` (a list of CodeableConcepts), or None."""
    found: list[dict] = []
    for concept in res.get("bodySite") or ():
        found.extend(codings(concept)[0])
    return found or None


def severity(res: dict) -> str | None:
    """``Condition.severity`` as mild / moderate / severe (SNOMED CT codes of the FHIR value set), or None."""
    concept = res.get("severity")
    for coding in (concept.get("coding") or ()) if isinstance(concept, dict) else ():
        if isinstance(coding, dict) and coding.get("system") == _SNOMED and coding.get("code") in SEVERITY:
            return SEVERITY[coding["code"]]
    return None


def setting(res: dict, index: Index, classes: dict[str, str]) -> str | None:
    """The class of the Encounter ``Observation.encounter`` points at, when that encounter is in the export
    and its class is one the model knows; None otherwise (unknown, never assumed outpatient)."""
    encounter = index.resolve(res.get("encounter"), res)
    if encounter is None or encounter.get("resourceType") != "Encounter" or _in_error(encounter):
        return None
    klass = encounter.get("class")
    code = klass.get("code") if isinstance(klass, dict) else None
    return classes.get(code) if isinstance(code, str) else None
