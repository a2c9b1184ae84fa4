"""Seeded generator of realistic patient histories for trials/ssc_telitacicept.elig (bench_history.py).

Each record follows docs/patient_model.md (version 1) and is what ``json.loads(..., parse_float=Decimal)``
gives: numbers are ``int`` or ``Decimal``, never float. A record is a systemic sclerosis patient (or a
referral that turns out otherwise) with 5 to 80 events across the eight collections, built from small
clinical stories:

- diagnoses (SSc, ILD, pulmonary hypertension, overlap syndromes, morphea, infections with their statuses,
  malignancy, HIV, pregnancy, psychiatric conditions) and unrelated ones, coded in ICD-10 (several
  spellings: ``M34.0``, ``M340``, ``m34.0``, ICD-10-CM, URIs) and SNOMED CT;
- medications: mycophenolate courses with dose changes, monthly cyclophosphamide pulses with gaps of 28 to
  42 days, weekly methotrexate (``mg/wk``), switches between immunosuppressants, corticosteroids near the
  10 mg/day prednisone-equivalent threshold (every agent of the table, deflazacort which is not in it,
  RxNorm-only codings), high-dose pulses of 13 to 16 days made of overlapping records, biologics and IVIG
  around the one-year and one-month window edges, Chinese medicine, unrelated drugs; doses as
  ``dose x frequency`` or ``daily_dose``, in mg, g or ug, sometimes missing;
- observations: FVC % predicted series with values near 50 % (``50``, ``50.0``, ``49.9``, ``50.01``),
  same-day duplicates, values that cannot be compared (a bare number, litres); ANA and SSc antibodies as
  booleans, sometimes as text or a quantity; ALT with its reference range near 3 x ULN, in U/L or IU/L;
  unrelated labs;
- mRSS assessments (score, all 17 sites, or some sites with a score), other scores; vaccines, live or not,
  near the one-month edge; allergies (human biologics with every status); trial participations with last
  doses near 28 days and near 5 half-lives, half-lives in h or days or missing, ongoing ones;
- coverage: complete histories, histories that stop short of screening or of the first dose, that start a
  few months back, partial, or absent; facts missing (null or absent) at a few per cent each.

Events are dated relative to the anchors, many of them one day either side of a window's edge.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from history_baseline import add_months

MRSS_SITES = (
    "face", "anterior_chest", "abdomen",
    "fingers_right", "fingers_left", "hands_right", "hands_left", "forearms_right", "forearms_left",
    "upper_arms_right", "upper_arms_left", "thighs_right", "thighs_left", "lower_legs_right", "lower_legs_left",
    "feet_right", "feet_left",
)
COLLECTIONS = ("conditions", "medications", "observations", "procedures", "immunizations", "allergies",
               "trial_participations", "assessments")
FACT_RATES = {  # chance that each fact is true
    "consented": 0.95, "skin_thickening_proximal_to_mcp": 0.35, "puffy_fingers": 0.5, "sclerodactyly": 0.55,
    "digital_tip_ulcers": 0.25, "fingertip_pitting_scars": 0.2, "telangiectasia": 0.5,
    "abnormal_nailfold_capillaries": 0.55, "raynaud_phenomenon": 0.9, "new_skin_involvement": 0.35,
    "lactating": 0.0, "plans_children_within_12_months": 0.06, "severe_complication_judged": 0.05,
}
CANDIDATE_FACT_RATES = {"consented": 0.99, "skin_thickening_proximal_to_mcp": 0.6, "new_skin_involvement": 0.5,
                        "plans_children_within_12_months": 0.01, "severe_complication_judged": 0.01}
MISSING_FACT = 0.04

ICD10_SYSTEMS = ("ICD10", "ICD10", "ICD10", "ICD-10-CM", "icd-10", "http://hl7.org/fhir/sid/icd-10-cm")
SNOMED_SYSTEMS = ("SNOMED", "SNOMED", "http://snomed.info/sct", "SNOMED CT", "sct")
LOINC_SYSTEMS = ("LOINC", "LOINC", "http://loinc.org")


FHIR_TYPES = {"c": "Condition", "m": "MedicationStatement", "o": "Observation", "p": "Procedure",
              "i": "Immunization", "a": "AllergyIntolerance", "t": "ResearchSubject", "s": "QuestionnaireResponse"}


class Maker:
    """The state of one record being made: random source, anchors, event ids."""

    def __init__(self, rng: random.Random, screening: datetime.date, first_dose: datetime.date, candidate: bool):
        self.rng, self.s, self.fd = rng, screening, first_dose
        # A referral that looks eligible: complete records, treatment as the trial wants it, and
        # exclusion events rarer (still there, so that some candidates fail on one criterion).
        self.candidate = candidate
        self.events = {name: [] for name in COLLECTIONS}
        self.n = 0
        # Window edges a criterion looks at: events land on them and one day either side.
        self.edges = {
            "m1": add_months(screening, -1), "m3": add_months(screening, -3), "m6": add_months(screening, -6),
            "y1": add_months(screening, -12), "d35": screening - datetime.timedelta(days=35),
            "fd_m6": add_months(first_dose, -6), "fd_d30": first_dose - datetime.timedelta(days=30),
        }

    # random helpers
    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def risk(self, p: float) -> bool:
        """The chance of something that excludes: lower for a candidate."""
        return self.rng.random() < (p * 0.12 if self.candidate else p)

    def pick(self, items):
        return self.rng.choice(items)

    def days(self, n: int) -> datetime.date:
        """Screening plus n days."""
        return self.s + datetime.timedelta(days=n)

    def near(self, edge: str | datetime.date, spread: int = 1) -> datetime.date:
        """A window edge, or a day at most ``spread`` away from it."""
        d = self.edges[edge] if isinstance(edge, str) else edge
        return d + datetime.timedelta(days=self.rng.randint(-spread, spread))

    def past(self, low: int, high: int) -> datetime.date:
        """A day between ``high`` and ``low`` days before screening."""
        return self.days(-self.rng.randint(low, high))

    def new_id(self, prefix: str) -> str:
        self.n += 1
        style = self.rng.random()
        if style < 0.6:
            return f"{prefix}{self.n}"
        if style < 0.9:
            return f"{FHIR_TYPES[prefix]}/{prefix}{self.n:x}"
        return f"{prefix}-{self.rng.getrandbits(32):08x}"

    def coding(self, system: str, code: str, display: str | None = None) -> dict:
        if system == "ICD10":
            system = self.pick(ICD10_SYSTEMS)
            if self.chance(0.15):
                code = code.replace(".", "")
            elif self.chance(0.05):
                code = code.lower()
        elif system == "SNOMED":
            system = self.pick(SNOMED_SYSTEMS)
        elif system == "LOINC":
            system = self.pick(LOINC_SYSTEMS)
        elif system == "ATC" and self.chance(0.05):
            system = "http://www.whocc.no/atc"
        c = {"system": system, "code": code}
        if display is not None and self.chance(0.7):
            c["display"] = display
        return c

    def code(self, *codings) -> dict | list:
        """One coding, or several codings of the same thing (an ATC and an RxNorm code for one drug)."""
        codings = [c for c in codings if c is not None]
        if len(codings) > 1 and self.chance(0.5):
            chosen = [c for c in codings if self.chance(0.6)] or [codings[0]]
            return [self.coding(*c) for c in chosen]
        return self.coding(*self.pick(codings))

    # event makers
    def condition(self, codings, onset: datetime.date, abatement: datetime.date | None = None,
                  status: str | None = "active") -> None:
        e = {"id": self.new_id("c"), "code": self.code(*codings), "onset": onset.isoformat()}
        if abatement is not None:
            e["abatement"] = max(abatement, onset).isoformat()
        if status is not None:
            e["status"] = status
        self.events["conditions"].append(e)

    def medication(self, codings, start: datetime.date, end: datetime.date | None, dose=None,
                   route: str | None = None) -> None:
        e = {"id": self.new_id("m"), "code": self.code(*codings), "start": start.isoformat()}
        if end is not None:
            e["end"] = max(end, start).isoformat()
        if dose is not None:
            e.update(dose)
        if route is not None and self.chance(0.7):
            e["route"] = route
        self.events["medications"].append(e)

    def observation(self, codings, date: datetime.date, value=None, low=None, high=None) -> None:
        e = {"id": self.new_id("o"), "code": self.code(*codings), "date": date.isoformat()}
        if value is not None:
            e["value"] = value
        if low is not None:
            e["reference_low"] = low
        if high is not None:
            e["reference_high"] = high
        self.events["observations"].append(e)

    def point(self, collection: str, prefix: str, codings, date: datetime.date) -> None:
        self.events[collection].append({"id": self.new_id(prefix), "code": self.code(*codings),
                                        "date": date.isoformat()})


def quantity(value, unit: str, rng: random.Random):
    """A quantity as the documented forms: {"value", "unit"} (value a number or decimal text) or "10 mg"."""
    text = format(value, "f") if isinstance(value, Decimal) else str(value)
    form = rng.random()
    if form < 0.45:
        return f"{text} {unit}"
    if form < 0.9:
        return {"value": value, "unit": unit}
    return {"value": text, "unit": unit}


def dec(x) -> Decimal | int:
    return x if isinstance(x, int) else Decimal(x)


# ------------------------------------------------------------------ dose forms


def daily_dose(m: Maker, mg_per_day: Decimal | int, per_administration: tuple | None = None) -> dict | None:
    """The dose fields of a medication record giving ``mg_per_day``; None (no dose recorded) sometimes."""
    r = m.rng
    if m.chance(0.06):
        return None
    if m.chance(0.04):  # a dose without its frequency: the daily dose is unknown
        return {"dose": quantity(dec(mg_per_day), "mg", r)}
    if per_administration is not None and m.chance(0.5):
        dose, frequency = per_administration
        return {"dose": quantity(dec(dose), "mg", r), "frequency": dec(frequency)}
    value = Decimal(mg_per_day)
    form = r.random()
    if form < 0.65:
        return {"daily_dose": quantity(dec(mg_per_day), r.choice(("mg/day", "mg/day", "mg/d")), r)}
    if form < 0.8 and value % 100 == 0:
        return {"daily_dose": quantity(value / 1000, "g/day", r)}
    if form < 0.9:
        return {"daily_dose": quantity(value * 7, "mg/wk", r)}
    return {"daily_dose": quantity(value * 1000, "ug/day", r)}


# ------------------------------------------------------------------ stories


def story_diagnoses(m: Maker) -> None:
    if m.chance(0.92):  # the SSc diagnosis itself (the trial does not read it: realistic noise)
        code = m.pick(("M34.0", "M34.1", "M34.81", "M34.9"))
        m.condition([("ICD10", code, "systemic sclerosis"), ("SNOMED", "89155008", "systemic sclerosis")],
                    m.past(60, 4000))
    if m.chance(0.35):
        onset = m.pick((m.past(30, 2500), m.past(30, 2500), m.days(m.rng.randint(-2, 3))))
        m.condition([("ICD10", m.pick(("J84.10", "J84.1", "J84.9", "J84.112")), "interstitial lung disease")],
                    onset, status=m.pick(("active", "active", None)))
    if m.chance(0.12):
        m.condition([("ICD10", m.pick(("I27.0", "I27.20", "I27.21", "I27.2")), "pulmonary hypertension"),
                     ("SNOMED", "70995007", "pulmonary hypertension")], m.past(-3, 2000))
    if m.chance(0.03):  # a near miss: kyphoscoliotic heart disease is not pulmonary hypertension here
        m.condition([("ICD10", "I27.1", "kyphoscoliotic heart disease")], m.past(10, 2000))
    if m.risk(0.035):
        m.condition([("ICD10", "M35.1", "overlap syndrome"), ("SNOMED", "398049005", "MCTD")],
                    m.past(-2, 3000), status=m.pick(("active", "inactive", None)))
    if m.chance(0.05):
        m.condition([("ICD10", m.pick(("M35.0", "M35.3", "M32.9")), "other connective tissue disease")],
                    m.past(10, 3000))
    if m.risk(0.025):
        m.condition([("ICD10", m.pick(("L94.0", "L94.1")), "localized scleroderma")], m.past(-2, 3000),
                    m.pick((None, m.past(1, 100))))
    if m.chance(0.04):
        m.condition([("ICD10", "L94.2", "calcinosis cutis")], m.past(10, 3000))


def story_current_conditions(m: Maker, female_fertile: bool) -> None:
    """Conditions whose status and dates at the screening day matter (E4, E12, E13, E14)."""
    def around_screening() -> tuple[datetime.date, datetime.date | None]:
        onset = m.pick((m.past(0, 400), m.days(m.rng.randint(-3, 3)), m.days(1)))
        abatement = m.pick((None, None, m.days(-1), m.days(0), m.days(1), m.days(m.rng.randint(-200, 60))))
        return onset, abatement

    if female_fertile and m.risk(0.06):
        onset, abatement = around_screening()
        m.condition([("SNOMED", "77386006", "pregnancy"), ("ICD10", m.pick(("Z33", "Z33.1", "Z33.3")), "pregnant")],
                    onset, abatement, m.pick(("active", "active", "active", "resolved", None)))
    if female_fertile and m.chance(0.02):  # not in the pregnancy set: elective termination, supervision
        m.condition([("ICD10", m.pick(("Z33.2", "Z34.00")), "pregnancy-related encounter")], m.past(0, 60))
    infections = [
        (0.06, [("ICD10", m.pick(("B02.9", "B02.1", "B02.29")), "herpes zoster"), ("SNOMED", "4740000", "zoster")]),
        (0.01, [("ICD10", m.pick(("A15.0", "A18.01")), "tuberculosis"), ("SNOMED", "427099000", "active TB")]),
        (0.025, [("ICD10", m.pick(("B18.1", "B18.2")), "chronic viral hepatitis")]),
        (0.03, [("ICD10", m.pick(("A41.9", "A49.9", "B37.0")), "infection")]),
        (0.05, [("ICD10", m.pick(("U07.1", "J11.1", "N39.0", "J18.9")), "infection outside the A00-B99 set")]),
        (0.01, [("SNOMED", "40733004", "infectious disease")]),
    ]
    for p, codings in infections:
        if m.risk(p):
            onset, abatement = around_screening()
            m.condition(codings, onset, abatement,
                        m.pick(("active", "active", "recurrence", "relapse", "resolved", "inactive", "remission",
                                None)))
    if m.risk(0.015):
        m.condition([("ICD10", m.pick(("B20", "Z21", "B24")), "HIV"), ("SNOMED", "86406008", "HIV infection")],
                    m.past(-5, 3000), status=m.pick(("active", None)))
    if m.risk(0.05):
        onset, abatement = around_screening()
        m.condition([("ICD10", m.pick(("C50.9", "C34.90", "C18.9", "C61")), "malignant neoplasm"),
                     ("SNOMED", "363346000", "malignancy")], m.pick((onset, m.past(300, 3000))), abatement,
                    m.pick(("active", "remission", "resolved", "recurrence", None)))
    if m.chance(0.02):  # in situ: not a malignancy for E13
        m.condition([("ICD10", "D05.1", "carcinoma in situ of breast")], m.past(10, 1000))
    psych = [
        (0.025, [("ICD10", m.pick(("F32.2", "F32.3", "F33.2", "F33.3")), "severe depression")]),
        (0.04, [("ICD10", m.pick(("F32.1", "F33.1", "F32.A")), "depression, not severe")]),
        (0.01, [("ICD10", m.pick(("F20.0", "F25.1", "F29", "F23")), "psychosis")]),
        (0.01, [("ICD10", "R45.851", "suicidal ideation"), ("SNOMED", "6471006", "suicidal thoughts")]),
    ]
    for p, codings in psych:
        if m.risk(p):
            onset, abatement = around_screening()
            m.condition(codings, onset, abatement,
                        m.pick(("active", "active", "recurrence", "remission", "resolved", None)))


BACKGROUND_CONDITIONS = [
    [("ICD10", "I10", "essential hypertension"), ("SNOMED", "38341003", "hypertension")],
    [("ICD10", "K21.9", "gastro-oesophageal reflux")],
    [("ICD10", "E03.9", "hypothyroidism")],
    [("ICD10", "M81.0", "osteoporosis")],
    [("ICD10", "I73.00", "Raynaud's syndrome"), ("SNOMED", "266261006", "Raynaud's disease")],
    [("ICD10", "D64.9", "anaemia")],
    [("ICD10", "N18.3", "chronic kidney disease stage 3")],
    [("ICD10", "E11.9", "type 2 diabetes")],
    [("ICD10", "K22.4", "oesophageal dysmotility")],
    [("ICD10", "M79.7", "fibromyalgia")],
    [("ICD10", "L98.4", "chronic skin ulcer")],
]


def story_immunosuppressants(m: Maker) -> None:
    """Conventional immunosuppressants (I5, I6): courses, dose changes, pulses, switches."""
    mmf = [("ATC", "L04AA06", "mycophenolic acid"), ("RxNorm", "68149", "mycophenolate mofetil")]
    cyc = [("ATC", "L01AA01", "cyclophosphamide"), ("RxNorm", "3002", "cyclophosphamide")]
    mtx = [("ATC", m.pick(("L04AX03", "L01BA01")), "methotrexate"), ("RxNorm", "6851", "methotrexate")]
    aza = [("ATC", "L04AX01", "azathioprine")]
    csa = [("ATC", "L04AD01", "ciclosporin"), ("RxNorm", "3008", "cyclosporine")]
    roll = m.rng.random() * (0.5 if m.candidate and m.chance(0.9) else 1)
    if roll < 0.5:  # mycophenolate, in one to three courses at different doses
        start = m.pick((m.past(190, 1200), m.past(190, 1200), m.near("m6", 3), m.near("fd_m6", 2), m.past(20, 150)))
        if m.candidate and m.chance(0.8):
            start = m.past(200, 1500)
        doses = [m.pick((1000, 1500, 2000, 2000, 3000))]
        for _ in range(m.pick((0, 0, 0, 0, 0, 1, 1, 2) if m.candidate else (0, 0, 0, 1, 1, 2))):
            doses.append(m.pick((1000, 1500, 2000, 2500, 3000)))
        # where the dose changed: inside the stable-dose window, just before it, or long before
        changes = sorted(m.pick((m.near("fd_m6", 1), m.past(20, 160), m.past(200, 600))) for _ in doses[1:])
        bounds = [start] + [max(c, start + datetime.timedelta(days=1)) for c in changes]
        end = m.pick((None, None, None, None, m.days(-1), m.days(0), m.days(m.rng.randint(-120, -2)), m.days(10)))
        if m.candidate and m.chance(0.8):
            end = None
        for k, dose in enumerate(doses):
            s = bounds[k]
            e = (bounds[k + 1] - datetime.timedelta(days=m.pick((1, 1, 1, 1, 3, 10)))) if k + 1 < len(doses) else end
            if e is not None and e < s:
                e = s
            m.medication(mmf, s, e, daily_dose(m, dose, (dose // 2, 2)), "oral")
    elif roll < 0.62:  # monthly intravenous cyclophosphamide pulses
        pulse = m.pick((500, 750, 750, 1000))
        day = m.pick((m.near("d35", 2), m.days(-m.rng.randint(1, 30)), m.days(-m.rng.randint(36, 90))))
        pulses = []
        for _ in range(m.rng.randint(4, 10)):
            pulses.append(day)
            day -= datetime.timedelta(days=m.pick((28, 30, 30, 31, 35, 36, 37, 42)))
        changed = m.chance(0.25)
        for k, d in enumerate(sorted(pulses)):
            dose = pulse + (250 if changed and k >= len(pulses) // 2 else 0)
            m.medication(cyc, d, d, daily_dose(m, dose, (dose, 1)), "intravenous")
    elif roll < 0.67:  # oral cyclophosphamide, continuous
        m.medication(cyc, m.past(100, 400), m.pick((None, m.past(0, 60))), daily_dose(m, 100, (50, 2)), "oral")
    if m.chance(0.3):  # methotrexate, weekly: a rate in mg/wk
        start = m.past(30, 1500)
        end = m.pick((None, m.past(0, 29), m.near("m6", 2), m.past(200, 900)))
        if end is not None and end < start:
            start, end = end, start
        weekly = m.pick((10, 15, 15, 20, 25))
        m.medication(mtx, start, end, None if m.chance(0.08) else
                     {"daily_dose": quantity(weekly, "mg/wk", m.rng)}, "oral")
    if m.chance(0.08):
        m.medication(aza, m.past(100, 900), m.pick((None, m.past(0, 120))), daily_dose(m, m.pick((100, 150)), (50, 2)),
                     "oral")
    if m.chance(0.04):
        m.medication(csa, m.past(100, 900), m.pick((None, m.past(0, 120))), daily_dose(m, 200, (100, 2)), "oral")
    if m.risk(0.15):  # a switch: one drug stops, another starts after a gap of a few days to two months
        stop = m.past(60, 170)
        gap = m.pick((1, 10, 20, 35, 36, 37, 60))
        m.medication(m.pick((aza, mtx)), m.past(200, 700), stop, daily_dose(m, 100, (50, 2)), "oral")
        m.medication(mmf, stop + datetime.timedelta(days=gap), None, daily_dose(m, 2000, (1000, 2)), "oral")


STEROIDS = [  # (codings, dose equal to 5 mg prednisone or None when the table has no entry, typical doses)
    ([("ATC", "H02AB07", "prednisone"), ("RxNorm", "8640", "prednisone")], 5, (2.5, 5, 7.5, 10, 10, 10.5, 12.5, 20)),
    ([("ATC", "H02AB06", "prednisolone"), ("RxNorm", "8638", "prednisolone")], 5, (5, 7.5, 10, 11)),
    ([("ATC", "H02AB04", "methylprednisolone"), ("RxNorm", "6902", "methylprednisolone")], 4, (4, 6, 8, 8, 8.5, 16)),
    ([("ATC", "H02AB08", "triamcinolone"), ("RxNorm", "10759", "triamcinolone")], 4, (4, 8, 9)),
    ([("ATC", "H02AB09", "hydrocortisone"), ("RxNorm", "5492", "hydrocortisone")], 20, (20, 30, 40, 45)),
    ([("ATC", "H02AB10", "cortisone"), ("RxNorm", "2878", "cortisone")], 25, (25, 50, 55)),
    ([("ATC", "H02AB02", "dexamethasone"), ("RxNorm", "3264", "dexamethasone")], 0.75, (0.75, 1.5, 1.5, 1.6, 4)),
    ([("ATC", "H02AB01", "betamethasone"), ("RxNorm", "1514", "betamethasone")], 0.75, (0.5, 1.5, 2)),
    ([("ATC", "H02AB13", "deflazacort")], None, (6, 12)),
]


def story_steroids(m: Maker) -> None:
    """Corticosteroids (I6: <= 10 mg/day prednisone equivalent before the first dose; E10: > 14 days on
    >= 100 mg/day within one month)."""
    if m.chance(0.55):  # maintenance, one or two records (a taper, or a change of agent)
        codings, equivalent, doses = m.pick(STEROIDS[:3] * 3 + STEROIDS[3:])
        start = m.pick((m.past(40, 900), m.near("fd_d30", 1), m.past(0, 30)))
        end = m.pick((None, None, m.near("fd_d30", 1), m.past(0, 25), m.days(m.rng.randint(1, 20))))
        if end is not None and end < start:
            start, end = end, start
        dose = Decimal(str(m.pick(doses)))
        if m.candidate and m.chance(0.85):  # at most 10 mg/day prednisone equivalent
            dose = Decimal(str(m.pick([d for d in doses if equivalent is None or d * 2 <= equivalent * 4] or doses)))
        m.medication(codings, start, end, daily_dose(m, dose, (dose, 1) if dose == int(dose) else None), "oral")
        if m.risk(0.3):
            codings, _, doses = m.pick(STEROIDS)
            dose = Decimal(str(m.pick(doses)))
            m.medication(codings, m.past(0, 60), m.pick((None, m.days(5))), daily_dose(m, dose), "oral")
    if m.risk(0.12):  # a high-dose course within the month before screening: 13 to 16 distinct days
        codings, equivalent, _ = m.pick(STEROIDS[:3] + STEROIDS[6:7] + STEROIDS[8:])
        eq = Decimal(str(equivalent if equivalent is not None else 4))
        per_day = eq * 20 * Decimal(m.pick((1, 1, 1, "0.99", "1.5", 5)))  # 100 mg/day prednisone, or about it
        total = m.pick((13, 14, 14, 15, 15, 16))
        first = m.pick((m.near("m1", 2), m.days(-m.rng.randint(16, 28))))
        pieces = m.pick((1, 2, 3))
        cut = sorted(m.rng.sample(range(1, total), pieces - 1)) if pieces > 1 else []
        bounds = [0, *cut, total]
        for k in range(pieces):
            s = first + datetime.timedelta(days=bounds[k])
            e = first + datetime.timedelta(days=bounds[k + 1] - 1)
            if k > 0 and m.chance(0.5):  # overlapping records: the same days counted once
                s -= datetime.timedelta(days=m.rng.randint(1, 3))
            m.medication(codings, s, e, daily_dose(m, per_day), m.pick(("oral", "intravenous")))
    if m.risk(0.04):  # intravenous methylprednisolone pulses, three days
        d = m.past(0, 40)
        m.medication(STEROIDS[2][0], d, d + datetime.timedelta(days=2), daily_dose(m, 500), "intravenous")
    if m.chance(0.08):  # not systemic: topical and inhaled corticosteroids have other ATC codes
        m.medication([("ATC", m.pick(("D07AC01", "R03BA02", "D07AB02")), "topical or inhaled corticosteroid")],
                     m.past(0, 200), None, None, m.pick(("topical", "inhaled")))


def story_other_drugs(m: Maker) -> None:
    """Biologics (E8, E9), IVIG and Chinese medicine (E10, E11), and unrelated drugs."""
    def infusion(codings, edge: str, dose) -> None:
        d = m.pick((m.near(edge, 1), m.past(0, 400), m.past(366, 900)))
        m.medication(codings, d, d, daily_dose(m, dose), "intravenous")

    if m.risk(0.08):
        codings = m.pick(([("ATC", "L01FA01", "rituximab"), ("RxNorm", "121191", "rituximab")],
                          [("ATC", "L01XC02", "rituximab (pre-2022 ATC)")],
                          [("RxNorm", "974779", "obinutuzumab")], [("ATC", "L04AG08", "ocrelizumab")]))
        for _ in range(m.pick((1, 2))):
            infusion(codings, "y1", 1000)
    if m.risk(0.03):
        start = m.pick((m.near("y1", 1), m.past(30, 700)))
        m.medication([("ATC", m.pick(("L04AG04", "L04AA26")), "belimumab")], start,
                     m.pick((None, start + datetime.timedelta(days=m.rng.randint(0, 300)))), None, "intravenous")
    if m.risk(0.05):
        start = m.past(100, 1500)
        end = m.pick((None, m.near("y1", 1), m.past(0, 300), m.past(400, 900)))
        if end is not None and end < start:
            start, end = end, start
        m.medication([("ATC", m.pick(("L04AB04", "L04AB02", "L04AB01")), "TNF-alpha inhibitor")], start, end)
    if m.risk(0.05):
        agent = m.pick(([("ATC", "L04AC07", "tocilizumab"), ("RxNorm", "612865", "tocilizumab")],
                        [("ATC", "L04AC03", "anakinra")],
                        [("ATC", m.pick(("L04AC10", "L04AC05")), "interleukin inhibitor, not a receptor blocker")]))
        start = m.past(30, 900)
        m.medication(agent, start, m.pick((None, m.near("y1", 1), m.past(0, 20))))
    if m.risk(0.05):
        infusion(m.pick(([("ATC", "J06BA02", "IVIG"), ("CVX", "87", "IGIV")],
                         [("ATC", "J06BA01", "immunoglobulin, subcutaneous")])), "m1", 30000)
    if m.risk(0.05):
        d = m.pick((m.near("m1", 1), m.past(0, 90)))
        m.medication([("LOCAL", m.pick(("TCM", "TCM", "TCM", "tcm")), "Chinese herbal preparation")], d,
                     m.pick((d, d + datetime.timedelta(days=m.rng.randint(1, 40)), None)), None, "oral")


BACKGROUND_DRUGS = [
    ([("ATC", "A02BC01", "omeprazole")], 20), ([("ATC", "A02BC02", "pantoprazole")], 40),
    ([("ATC", "C08CA05", "nifedipine")], 30), ([("ATC", "C08CA01", "amlodipine")], 5),
    ([("ATC", "C02KX01", "bosentan")], 250), ([("ATC", "G04BE03", "sildenafil")], 60),
    ([("ATC", "A12AA04", "calcium carbonate")], 1000), ([("ATC", "B01AC06", "aspirin")], 100),
    ([("ATC", "B01AC11", "iloprost")], None), ([("ATC", "C09AA02", "enalapril")], 10),
    ([("ATC", "A03FA01", "metoclopramide")], 30), ([("ATC", "H03AA01", "levothyroxine")], None),
]


def story_labs(m: Maker) -> None:
    """FVC % predicted (I3), antibodies (I1 score, I4), ALT (E13), and unrelated labs."""
    fvc_codes = [("LOINC", m.pick(("19872-1", "19871-3", "19873-9")), "FVC measured/predicted"),
                 ("SNOMED", "445210000", "% predicted FVC")]
    if m.chance(0.97 if m.candidate else 0.9):
        level = m.rng.uniform(55, 105) if m.candidate else m.rng.uniform(35, 105)
        dates = [m.past(0, 89) for _ in range(m.pick((1, 1, 2) if m.candidate else (0, 1, 1, 2)))]
        dates += [m.near("m3", 1) for _ in range(m.pick((0, 0, 1)))]
        dates += [m.past(95, 900) for _ in range(m.pick((0, 1, 2, 3)))]
        if dates and m.chance(0.06):  # a second test on the same day: the id decides which is latest
            dates.append(max(dates))
        for d in dates:
            roll = m.rng.random()
            if roll < 0.2:
                value = quantity(Decimal(m.pick(("50", "50.0", "50.00", "49.9", "49.99", "50.01", "50.1", "51"))), "%",
                                 m.rng)
            elif roll < 0.95:
                value = quantity(Decimal(f"{level + m.rng.uniform(-6, 6):.{m.pick((0, 1, 1))}f}"), "%", m.rng)
            elif roll < 0.97:
                value = Decimal(f"{level:.0f}")  # a bare number: cannot be compared with 50 %
            elif roll < 0.985:
                value = quantity(Decimal(f"{level / 30:.2f}"), "L", m.rng)  # litres: not a percentage
            else:
                value = None
            m.observation(fvc_codes, d, value)
    if m.chance(0.3):  # FVC as a volume: another LOINC code, not in the set
        m.observation([("LOINC", "19870-5", "FVC volume")], m.past(0, 200), quantity(Decimal("2.85"), "L", m.rng))

    def qualitative(codings, p_positive: float, when) -> None:
        roll = m.rng.random()
        if roll < 0.9:
            value = m.chance(p_positive)
        elif roll < 0.94:
            value = m.pick(("positive", "negative", "1:160"))  # text: cannot be compared with true
        elif roll < 0.97:
            value = {"system": "SNOMED", "code": m.pick(("10828004", "260385009")), "display": "positive/negative"}
        else:
            value = None
        m.observation(codings, when, value)

    if m.chance(0.97 if m.candidate else 0.85):
        qualitative([("LOINC", "8061-4", "ANA")], 0.9, m.days(1) if m.chance(0.08) else m.past(0, 2000))
    antibodies = [
        (0.6, 0.35, [("LOINC", m.pick(("17569-5", "17570-3", "47322-3")), "anti-Scl-70")]),
        (0.5, 0.3, [("LOINC", m.pick(("16570-4", "56734-7", "29966-9")), "anticentromere")]),
        (0.3, 0.15, [("LOINC", m.pick(("89513-6", "72317-1", "81738-7")), "anti-RNA polymerase III")]),
    ]
    for p_tested, p_positive, codings in antibodies:
        if m.chance(p_tested):
            qualitative(codings, p_positive, m.days(2) if m.chance(0.08) else m.past(0, 2000))
    if m.chance(0.04):  # a quantitative centromere antibody: a quantity is not `true`
        m.observation([("LOINC", "8068-9", "centromere Ab units/volume")], m.past(0, 900),
                      quantity(Decimal(m.rng.randint(1, 200)), "U/mL", m.rng))
    if m.chance(0.8):  # ALT, sometimes near 3 x ULN, in U/L or IU/L
        for _ in range(m.pick((1, 1, 2, 3, 4))):
            d = m.pick((m.past(0, 30), m.near("m1", 1), m.past(32, 700)))
            uln = m.pick((35, 40, 40, 45, 55))
            roll = m.rng.random()
            amount = (3 * uln + m.pick((-1, 0, 1)) if roll < (0.06 if m.candidate else 0.25) else
                      m.rng.randint(8, 80) if roll < (0.98 if m.candidate else 0.9) else m.rng.randint(100, 400))
            unit = m.pick(("U/L", "U/L", "U/L", "IU/L"))
            high_unit = unit if not m.risk(0.03) else m.pick(("U/L", "IU/L"))
            value = quantity(amount, unit, m.rng) if not m.risk(0.04) else m.pick((Decimal(amount), None, "<5 U/L"))
            m.observation([("LOINC", m.pick(("1742-6", "1742-6", "1743-4", "76625-3", "77144-4")), "ALT")], d, value,
                          quantity(7, unit, m.rng) if m.chance(0.7) else None,
                          quantity(uln, high_unit, m.rng) if not m.risk(0.08) else None)
    if m.chance(0.4):  # AST is not ALT
        m.observation([("LOINC", "1920-8", "AST")], m.past(0, 60), quantity(m.rng.randint(200, 300), "U/L", m.rng),
                      None, quantity(40, "U/L", m.rng))


BACKGROUND_LABS = [
    ([("LOINC", "2160-0", "creatinine")], lambda r: quantity(Decimal(f"{r.uniform(0.5, 1.6):.2f}"), "mg/dL", r)),
    ([("LOINC", "718-7", "haemoglobin")], lambda r: quantity(Decimal(f"{r.uniform(9, 16):.1f}"), "g/dL", r)),
    ([("LOINC", "1988-5", "CRP")], lambda r: quantity(Decimal(f"{r.uniform(0.2, 40):.1f}"), "mg/L", r)),
    ([("LOINC", "33762-6", "NT-proBNP")], lambda r: quantity(r.randint(20, 2000), "pg/mL", r)),
    ([("LOINC", "19911-7", "DLCO % predicted")], lambda r: quantity(r.randint(25, 100), "%", r)),
    ([("LOINC", "6690-2", "leukocytes")], lambda r: quantity(Decimal(f"{r.uniform(3, 12):.1f}"), "10*9/L", r)),
    ([("LOINC", "2345-7", "glucose")], lambda r: quantity(r.randint(70, 180), "mg/dL", r)),
]


def story_assessments(m: Maker) -> None:
    """mRSS assessments (I5's change in score over the 6 months before screening)."""
    if m.chance(0.75):
        level = m.rng.randint(4, 35)
        dates = [m.pick((m.past(0, 60), m.past(60, 180), m.near("m6", 1), m.past(190, 700)))
                 for _ in range(m.pick((1, 2, 2, 3, 4)))]
        if m.candidate:
            dates += [m.past(0, 60), m.past(90, 170)]
        if m.chance(0.05):
            dates.append(dates[0])  # two assessments on one day
        for d in dates:
            score = max(0, min(51, level + m.rng.randint(-4, 4) + (int(d > m.past(90, 90)) * 3 if m.candidate else 0)))
            e = {"id": m.new_id("s"), "code": m.coding("LOCAL", "mRSS", "modified Rodnan skin score"),
                 "date": d.isoformat()}
            roll = m.rng.random()
            if roll < 0.55:
                e["score"] = score if m.chance(0.8) else Decimal(score)
            elif roll < 0.8:  # all 17 sites: the score is their sum
                e["components"] = _sites(m, score)
            elif roll < 0.92:  # some sites, and the score as recorded
                sites = _sites(m, score)
                for site in m.rng.sample(MRSS_SITES, m.rng.randint(1, 5)):
                    if m.chance(0.5):
                        sites[site] = None  # not recorded, written as null
                    else:
                        del sites[site]  # not recorded, left out
                e["components"] = sites
                e["score"] = score
            elif roll < 0.96:  # some sites and no score: the total is unknown
                sites = _sites(m, score)
                sites.pop(m.pick(MRSS_SITES))
                e["components"] = sites
            m.events["assessments"].append(e)
    if m.chance(0.3):
        m.events["assessments"].append({"id": m.new_id("s"), "code": m.coding("LOCAL", "HAQ-DI", "HAQ disability"),
                                        "date": m.past(0, 300).isoformat(), "score": Decimal("1.25")})


def _sites(m: Maker, score: int) -> dict:
    sites = dict.fromkeys(MRSS_SITES, 0)
    names = list(MRSS_SITES)
    left = score
    while left > 0:
        site = m.pick(names)
        if sites[site] < 3:
            sites[site] += 1
            left -= 1
    return sites


def story_vaccines_allergies_trials_procedures(m: Maker) -> None:
    for _ in range(m.pick((0, 1, 2, 3, 4))):  # inactivated or recombinant vaccines (not live)
        m.point("immunizations", "i", [("CVX", m.pick(("141", "150", "158", "197", "208", "213", "33", "187")),
                                        "inactivated vaccine")], m.past(0, 1500))
    if m.risk(0.06):  # a live vaccine, often near the one-month edge
        # "3" is CVX "03" written without its zero: it must match.
        code = m.pick(("121", "03", "37", "111", "149", "19", "21", "3"))
        m.point("immunizations", "i", [("CVX", code, "live vaccine")], m.pick((m.near("m1", 1), m.past(0, 400))))
    if m.chance(0.35):
        m.events["allergies"].append({"id": m.new_id("a"), "code": m.code(("SNOMED", "91936005", "penicillin allergy"),
                                                                          ("ATC", "J01CA04", "amoxicillin")),
                                      "category": "medication", "onset": m.past(300, 8000).isoformat()})
    if m.chance(0.08):
        m.events["allergies"].append({"id": m.new_id("a"), "code": m.coding("SNOMED", "91935009", "peanut allergy"),
                                      "category": "food", "onset": m.past(300, 8000).isoformat(), "status": "active"})
    if m.risk(0.06):
        e = {"id": m.new_id("a"), "code": m.coding("LOCAL", "ALLERGY_HUMAN_BIOLOGIC", "allergy to IVIG"),
             "category": "biologic", "onset": m.pick((m.past(1, 3000), m.days(0), m.days(1))).isoformat()}
        status = m.pick(("active", "inactive", "resolved", "refuted", None))
        if status is not None:
            e["status"] = status
        if m.chance(0.2):
            e["end"] = max(datetime.date.fromisoformat(e["onset"]), m.past(0, 30)).isoformat()
        m.events["allergies"].append(e)
    if m.risk(0.1):
        half_life = m.pick((("134.4", "h"), ("5.6", "days"), ("12", "h"), ("10", "days"), ("72", "h"), ("2", "d"),
                            None, None))
        if half_life is None:
            last = m.pick((m.days(-28), m.days(-29), m.days(-27), m.past(30, 200)))
        else:
            seconds = Decimal(half_life[0]) * {"h": 3600, "days": 86400, "d": 86400}[half_life[1]] * 5
            washout = int(seconds // 86400)
            last = m.pick((m.days(-washout), m.days(-washout - 1), m.days(-washout + 1), m.days(-28), m.days(-29),
                           m.past(30, 900)))
        start = last - datetime.timedelta(days=m.rng.randint(30, 400))
        e = {"id": m.new_id("t"), "compound": m.pick(("ABC-123", "XYZ-9", "placebo-controlled study")),
             "start": start.isoformat()}
        if m.chance(0.85):
            e["last_dose"] = last.isoformat()
        elif m.chance(0.3):  # enrolment after screening, still dosing
            e["start"] = m.days(m.rng.randint(1, 10)).isoformat()
        if half_life is not None:
            e["half_life"] = quantity(Decimal(half_life[0]), half_life[1], m.rng)
        if m.chance(0.5):
            e["code"] = m.coding("LOCAL", e["compound"])
        m.events["trial_participations"].append(e)
    for _ in range(m.pick((0, 1, 1, 2, 3))):
        m.point("procedures", "p", [m.pick((("SNOMED", "127783003", "spirometry"),
                                            ("SNOMED", "40701008", "echocardiography"),
                                            ("SNOMED", "241541005", "HRCT of chest")))], m.past(0, 700))
    if m.risk(0.03):
        code = m.pick(("plasma_exchange", "plasma_exchange", "Plasma_Exchange"))  # LOCAL codes are case-sensitive
        m.point("procedures", "p", [("LOCAL", code, "therapeutic plasma exchange")],
                m.pick((m.near("m1", 1), m.past(0, 200))))


def background(m: Maker) -> None:
    """One event unrelated to the criteria (or related, far from every window)."""
    roll = m.rng.random()
    if roll < 0.3:
        m.condition(m.pick(BACKGROUND_CONDITIONS), m.past(0, 4000),
                    m.pick((None, None, m.past(0, 300))), m.pick(("active", "active", "inactive", "resolved", None)))
    elif roll < 0.55:
        codings, dose = m.pick(BACKGROUND_DRUGS)
        start = m.past(0, 2000)
        end = m.pick((None, None, start + datetime.timedelta(days=m.rng.randint(0, 400))))
        m.medication(codings, start, end, daily_dose(m, dose) if dose is not None else None, "oral")
    elif roll < 0.9:
        codings, value = m.pick(BACKGROUND_LABS)
        m.observation(codings, m.past(0, 1500), value(m.rng))
    elif roll < 0.95:
        m.point("procedures", "p", [("SNOMED", "127783003", "spirometry")], m.past(0, 1500))
    else:
        m.point("immunizations", "i", [("CVX", "141", "influenza, seasonal")], m.past(0, 1500))


# ------------------------------------------------------------------ records


def coverage(m: Maker) -> dict | None:
    """What the export says is complete: mostly all of it to screening or the first dose; sometimes an export
    that stops short, starts a few months back, leaves collections out, or states nothing."""
    roll = m.rng.random()
    if m.candidate:
        complete = roll < 0.9
    else:
        if roll < 0.15:
            return None
        if roll < 0.18:
            return {}
        complete = roll < 0.72

    def period() -> dict:
        if m.candidate and m.chance(0.85):
            to, low = m.pick((m.fd, m.fd, m.fd, m.fd + datetime.timedelta(days=3), m.fd, m.fd, m.fd, m.s)), None
        else:
            to = m.pick((m.fd, m.fd, m.s, m.s, m.fd + datetime.timedelta(days=3), m.days(-m.rng.randint(1, 20))))
            low = m.pick((None, None, None, datetime.date(2020, 1, 1), m.past(100, 400), m.near("m6", 1),
                          m.near("y1", 1)))
        return {"from": None if low is None else low.isoformat(), "to": to.isoformat()}

    base = period()
    out = {}
    for name in COLLECTIONS:
        if complete:
            out[name] = dict(base) if m.chance(0.9) else period()
        elif m.chance(0.6):
            out[name] = period()
    if complete and m.chance(0.3):  # `from` left out rather than null
        for p in out.values():
            if p["from"] is None:
                del p["from"]
    return out


def birth_date(m: Maker) -> str:
    roll = m.rng.random()
    if roll < 0.05:  # around the 18th birthday on the screening date
        born = datetime.date(m.s.year - 18, m.s.month, min(m.s.day, 28)) + datetime.timedelta(days=m.rng.randint(-3, 3))
    elif roll < 0.07:
        born = datetime.date(m.pick(range(1948, 2008, 4)), 2, 29)
    else:
        born = datetime.date.fromordinal(m.rng.randint(datetime.date(1940, 1, 1).toordinal(),
                                                       datetime.date(2006, 12, 31).toordinal()))
    return born.isoformat()


def make_record(rng: random.Random, i: int, screening: datetime.date, first_dose: datetime.date) -> dict:
    m = Maker(rng, screening, first_dose, candidate=rng.random() < 0.45)
    sex = rng.choices(["female", "male", "other", "unknown"], weights=[80, 18, 1, 1])[0]
    born = birth_date(m)
    female_fertile = sex == "female" and born >= f"{screening.year - 48}"
    rates = {**FACT_RATES, **CANDIDATE_FACT_RATES} if m.candidate else FACT_RATES
    facts = {name: m.chance(p) for name, p in rates.items()}
    facts["lactating"] = female_fertile and m.chance(0.03)
    for name in list(facts):
        if m.chance(MISSING_FACT / (3 if m.candidate else 1)):
            if m.chance(0.8):
                facts[name] = None
            else:
                del facts[name]
    record: dict = {"record_version": "1", "id": f"hist-{i:06d}", "birth_date": born, "sex": sex, "facts": facts}
    for key in ("birth_date", "sex"):
        if m.chance(0.02):
            record[key] = None
    if m.chance(0.1):
        del record["record_version"]

    target = min(80, max(5, round(rng.triangular(5, 80, 22))))
    story_diagnoses(m)
    story_current_conditions(m, female_fertile)
    story_immunosuppressants(m)
    story_steroids(m)
    story_other_drugs(m)
    story_labs(m)
    story_assessments(m)
    story_vaccines_allergies_trials_procedures(m)
    events = [(name, e) for name in COLLECTIONS for e in m.events[name]]
    while len(events) < target:
        before = {name: len(m.events[name]) for name in COLLECTIONS}
        background(m)
        events += [(name, e) for name in COLLECTIONS for e in m.events[name][before[name]:]]
    # An export that kept part of the history (a referral letter, a short extract): events dropped at random.
    keep = rng.randint(5, 12) if m.chance(0.08) else 80
    if len(events) > keep:
        events = rng.sample(events, keep)
    rng.shuffle(events)
    for name in COLLECTIONS:
        items = [e for n, e in events if n == name]
        if items or m.chance(0.2):  # an empty collection is sometimes written as []
            record[name] = items
    cov = coverage(m)
    if cov is not None:
        record["coverage"] = cov
    return record


def generate_history_records(n: int, seed: int, screening: datetime.date, first_dose: datetime.date,
                             prefix: str = "hist") -> list[dict]:
    """N records, deterministic for a given seed and anchors."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        r = make_record(rng, i, screening, first_dose)
        if prefix != "hist":
            r["id"] = f"{prefix}-{i:06d}"
        out.append(r)
    return out
