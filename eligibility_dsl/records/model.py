"""The patient model, version 1: the event collections a record may hold and their typed fields.

One table, read by the checker (which fields a query may use, and their types),
the record binder (how to read and validate each field) and the JSON Schema
generator (``schema.py``).  Each event has an ``id`` for provenance and a period:
interval events (medications, conditions, trial participations) run from a start
to an end (no end: ongoing); point events (observations, procedures,
immunizations, assessments) happen on one date.

A collection may state the period over which it is complete (``coverage``).
Absence of a matching event counts as "no" only inside that period; outside it,
or when no coverage is stated (the default), absence is unknown.
"""

from __future__ import annotations

import attrs

from ..language import types as T

MODEL_VERSION = "1"


@attrs.frozen
class Field:
    name: str
    type: T.Type
    description: str
    required: bool = False


@attrs.frozen
class Collection:
    name: str
    description: str
    fields: dict[str, Field]
    start: str  # the field holding the period's start (or the point date)
    end: str | None  # the field holding the period's end; None for point events
    summary: tuple[str, ...] = ()  # fields shown for an event in a trace

    @property
    def point(self) -> bool:
        return self.end is None


def _fields(*fields: Field) -> dict[str, Field]:
    return {f.name: f for f in fields}


CODING = T.Type("coding")
ANY_QUANTITY = T.Type("quantity")  # a quantity of any dimension, checked when compared
ANY_VALUE = T.Type("any")  # an observation value: quantity, coding or boolean

VERIFICATION = ("unconfirmed", "provisional", "differential", "confirmed", "refuted")
ENCOUNTER_CLASSES = ("ambulatory", "emergency", "inpatient", "observation", "virtual", "home", "other")

# Words written for a code value where a spelling suggestion would mislead (`outpatient` is not `inpatient`):
# the checker's help names the value meant.
CODE_SYNONYMS = {"outpatient": "ambulatory", "out-patient": "ambulatory", "office": "ambulatory",
                 "clinic": "ambulatory", "er": "emergency", "ed": "emergency", "hospitalized": "inpatient",
                 "hospitalised": "inpatient", "telehealth": "virtual", "telemedicine": "virtual"}

_CODE = Field("code", CODING, "what the event is: one coding or a list of codings", required=True)
# Richer events (issue 11): why it was done, where on the body, how severe, in what setting.
_REASON = Field("reason", CODING, "why it was given or done: the coding(s) of the indication (FHIR reasonCode, "
                "or reasonReference resolved to the Condition's code)")
_BODY_SITE = Field("body_site", CODING, "where on the body (FHIR bodySite)")
SEVERITIES = ("mild", "moderate", "severe")

COLLECTIONS: dict[str, Collection] = {
    c.name: c
    for c in (
        Collection(
            "conditions", "diagnoses and problems",
            _fields(
                _CODE,
                Field("onset", T.DATE, "date of onset or diagnosis", required=True),
                Field("abatement", T.DATE, "date it resolved; absent while it lasts"),
                Field("status", T.code(("active", "recurrence", "relapse", "inactive", "remission", "resolved")),
                      "clinical status (FHIR Condition.clinicalStatus)"),
                Field("verification", T.code(VERIFICATION),
                      "verification status (FHIR Condition.verificationStatus); `refuted`: ruled out"),
                _BODY_SITE,
                Field("severity", T.code(SEVERITIES), "how severe (FHIR Condition.severity)"),
                Field("grade", T.NUMBER, "the CTCAE grade (1-5) of an adverse event recorded as a condition"),
            ),
            start="onset", end="abatement", summary=("code", "status", "verification"),
        ),
        Collection(
            "medications", "medication exposures (statements or administrations)",
            _fields(
                _CODE,
                Field("dose", ANY_QUANTITY, "dose per administration"),
                Field("frequency", T.NUMBER, "administrations per day"),
                Field("daily_dose", ANY_QUANTITY,
                      "dose per day; computed as dose × frequency per day when absent and both are given"),
                Field("route", T.code(("oral", "intravenous", "subcutaneous", "intramuscular", "topical",
                                       "inhaled", "other")), "route of administration"),
                Field("start", T.DATE, "first day taken", required=True),
                Field("end", T.DATE, "last day taken; absent while ongoing"),
                Field("status", T.code(("active", "on-hold", "completed", "stopped", "unknown")),
                      "status of the statement, order or administration (FHIR status)"),
                _REASON,
            ),
            start="start", end="end", summary=("code", "daily_dose"),
        ),
        Collection(
            "observations", "laboratory results and other measurements",
            _fields(
                _CODE,
                Field("date", T.DATE, "date of the measurement", required=True),
                Field("value", ANY_VALUE, "a quantity, a coding (or list of codings), a boolean "
                      "(qualitative results: true = positive), a number or a text"),
                Field("reference_low", ANY_QUANTITY, "lower limit of the reference (normal) range"),
                Field("reference_high", ANY_QUANTITY, "upper limit of the reference (normal) range"),
                Field("interpretation", CODING, "the laboratory's interpretation, e.g. HL7 "
                      "v3-ObservationInterpretation `H`, `POS` (FHIR Observation.interpretation)"),
                Field("setting", T.code(ENCOUNTER_CLASSES), "the class of the encounter the result was taken in "
                      "(FHIR Observation.encounter's class); absent: unknown"),
            ),
            start="date", end=None, summary=("code", "value"),
        ),
        Collection(
            "procedures", "procedures and therapies performed",
            _fields(_CODE, Field("date", T.DATE, "date performed", required=True), _REASON, _BODY_SITE),
            start="date", end=None, summary=("code",),
        ),
        Collection(
            "immunizations", "vaccines given",
            _fields(_CODE, Field("date", T.DATE, "date given", required=True)),
            start="date", end=None, summary=("code",),
        ),
        Collection(
            "allergies", "allergies and intolerances; a recorded allergy lasts unless it has an end",
            _fields(
                _CODE,
                Field("category", T.code(("food", "medication", "biologic", "environment", "other")),
                      "what the substance is"),
                Field("onset", T.DATE, "date first recorded or of onset", required=True),
                Field("end", T.DATE, "date it resolved; absent while it holds"),
                Field("status", T.code(("active", "inactive", "resolved", "refuted")),
                      "clinical status; `refuted`: the allergy was ruled out"),
            ),
            start="onset", end="end", summary=("code", "category", "status"),
        ),
        Collection(
            "encounters", "visits and stays: outpatient, emergency, inpatient, virtual",
            _fields(
                _CODE,
                Field("class", T.code(ENCOUNTER_CLASSES), "the kind of encounter (FHIR Encounter.class)"),
                Field("start", T.DATE, "first day of the encounter", required=True),
                Field("end", T.DATE, "last day of the encounter; absent while it lasts"),
                _REASON,
            ),
            start="start", end="end", summary=("code", "class"),
        ),
        Collection(
            "trial_participations", "participation in other clinical trials",
            _fields(
                Field("compound", T.TEXT, "the study compound", required=True),
                Field("code", CODING, "the compound's coding, if it has one"),
                Field("start", T.DATE, "first dose of the study compound", required=True),
                Field("last_dose", T.DATE, "last dose of the study compound"),
                Field("half_life", T.quantity_of("h"), "the compound's elimination half-life"),
            ),
            start="start", end="last_dose", summary=("compound", "last_dose", "half_life"),
        ),
        Collection(
            "assessments", "scored assessments such as the modified Rodnan skin score",
            _fields(
                _CODE,
                Field("date", T.DATE, "date assessed", required=True),
                Field("score", T.NUMBER, "the total; computed from the components when absent and all are given"),
            ),
            start="date", end=None, summary=("code", "score"),
        ),
    )
}

# The 17 sites of the modified Rodnan skin score (Clements 1993), each scored 0-3.
MRSS_SITES = (
    "face", "anterior_chest", "abdomen",
    "fingers_right", "fingers_left", "hands_right", "hands_left", "forearms_right", "forearms_left",
    "upper_arms_right", "upper_arms_left", "thighs_right", "thighs_left", "lower_legs_right", "lower_legs_left",
    "feet_right", "feet_left",
)


# counting over items (lang11b): the fields of one item of an assessment (`items`), in scope inside
# `count items with ...`. Not a collection of the record: items live inside their assessment.
ITEM_FIELDS = Collection(
    "items", "the items (components) of an assessment",
    _fields(
        Field("item", T.TEXT, "the item's name, as the record writes it", required=True),
        Field("score", T.NUMBER, "the item's score (null in the record: not scored)"),
    ),
    start="date", end=None, summary=("item", "score"),
)
