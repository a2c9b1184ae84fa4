"""Shared by the scaling test (which counts operations) and the scaling benchmark (which times them):
one trial with a criterion per query form, and records with n events of the kind each form reads.

Every query form of the grammar is here (tests/test_scaling.py checks it against grammars/elig.lark):
exists, count, all ... have, latest, earliest, days on, stable (with and without gaps), continuous,
change, highest daily total (with a table lookup), result words (`value is high`, `is normal`) and
censored laboratory values (`<20 {copies}/mL`) in a filter and in a latest value."""

from __future__ import annotations

import datetime

SCREENING = datetime.date(2025, 9, 11)

TRIAL = """trial SCALE "every query form over many events"
anchor screening
codeset steroids: ATC "H02AB*"
codeset prednisone: ATC "H02AB07"
codeset methylprednisolone: ATC "H02AB04"
codeset betamethasone: ATC "H02AB01"
codeset fvc: LOINC "19872-1"
codeset crp: LOINC "1988-5"
codeset viral_load: LOINC "20447-9"
codeset cmai: LOCAL "CMAI"
table equivalent "dose equivalent to 5 mg prednisone": prednisone: 5 mg, methylprednisolone: 4 mg,
    betamethasone: 0.75 mg
include EXISTS "exists":
    exists medications in steroids where daily_dose >= 10 mg/day during 1 year before screening
include COUNT "count": count medications in steroids during 1 year before screening >= 3
include DAYS_ON "days on":
    days on medications in steroids where daily_dose >= 10 mg/day during 1 year before screening > 14 days
include LATEST "latest": latest daily_dose of medications in steroids during 1 year before screening > 5 mg/day
include EARLIEST "earliest":
    earliest daily_dose of medications in steroids during 1 year before screening > 5 mg/day
include CHANGE "change": change in daily_dose of medications in steroids during 1 year before screening >= 0 mg/day
include STABLE "stable": stable daily_dose of medications in steroids during 6 months before screening
include STABLE_GAPS "stable with gaps":
    stable daily_dose of medications in steroids during 6 months before screening allowing gaps of 7 days
include CONTINUOUS "continuous":
    continuous medications in steroids during 6 months before screening allowing gaps of 3 days
include ALL "all": all medications in steroids during 1 year before screening have daily_dose <= 100 mg/day
include POINT "latest of point events":
    latest value of observations in fvc during 1 year before screening > 50 %
include DAILY_TOTAL "highest daily total":
    highest daily total of daily_dose / equivalent[code] * 5 mg
        over medications in steroids during 1 year before screening <= 1000 mg/day
include RESULT_WORD "result word": exists observations in crp where value is high during 1 year before screening
include RESULT_ALL "result word in all":
    all observations in crp during 1 year before screening have (value is normal or value is high)
include CENSORED "censored values in a filter":
    exists observations in viral_load where value >= 1000 {copies}/mL during 1 year before screening
include CENSORED_LATEST "latest censored value":
    latest value of observations in viral_load during 1 year before screening < 50 {copies}/mL
include HIGHEST "highest of a field": highest value of observations in fvc during 1 year before screening > 50 %
include LOWEST "lowest of a field": lowest value of observations in fvc during 1 year before screening >= 40 %
include ITEMS "counting over items":
    count items with score >= 3 of latest assessments in cmai during 1 year before screening >= 2
"""

FORMS = ("EXISTS", "COUNT", "DAYS_ON", "LATEST", "EARLIEST", "CHANGE", "STABLE", "STABLE_GAPS", "CONTINUOUS",
         "ALL", "POINT", "DAILY_TOTAL", "RESULT_WORD", "RESULT_ALL", "CENSORED", "CENSORED_LATEST", "HIGHEST",
         "LOWEST", "ITEMS")

_STEROIDS = ("H02AB06", "H02AB04", "H02AB07", "H02AB01")  # prednisolone (no table entry), the other three
_HIGH = {"system": "HL7:v3-ObservationInterpretation", "code": "H"}


def only(form: str) -> str:
    """The trial with the one criterion ``form`` (its declarations kept)."""
    head, *parts = TRIAL.split("\ninclude ")
    return head + "\ninclude " + next(p for p in parts if p.startswith(form + " ")) + "\n"


def record(n: int) -> dict:
    """n overlapping steroid courses (doses that differ, so `stable` must compare them all), and n each of
    FVC measurements, CMAI assessments of 29 items,
    CRP results (against a reference range, some with an interpretation) and viral loads
    (every other one censored, `<20 {copies}/mL`), over the year before screening, with the history
    complete."""
    start = SCREENING - datetime.timedelta(days=365)
    meds, obs, scales = [], [], []
    for i in range(n):
        first = start + datetime.timedelta(days=(i * 7) % 360)
        day = (start + datetime.timedelta(days=i % 365)).isoformat()
        code = _STEROIDS[i % 4] if i % 10 == 9 else _STEROIDS[1 - i % 2]  # mostly the two of the first version
        meds.append({"id": f"m{i}", "code": {"system": "ATC", "code": code},
                     "start": first.isoformat(), "end": (first + datetime.timedelta(days=20)).isoformat(),
                     "daily_dose": f"{5 + i % 40} mg/day"})
        obs.append({"id": f"o{i}", "code": {"system": "LOINC", "code": "19872-1"}, "date": day,
                    "value": f"{40 + i % 50} %"})
        crp = {"id": f"c{i}", "code": {"system": "LOINC", "code": "1988-5"}, "date": day,
               "value": f"{1 + i % 9} mg/L", "reference_high": "5 mg/L"}
        if i % 3 == 0:
            crp["interpretation"] = _HIGH if 1 + i % 9 > 5 else {"system": "HL7:v3-ObservationInterpretation",
                                                                 "code": "N"}
        obs.append(crp)
        obs.append({"id": f"v{i}", "code": {"system": "LOINC", "code": "20447-9"}, "date": day,
                    "value": "<20 {copies}/mL" if i % 2 else f"{100 + i % 2000} {{copies}}/mL"})
        scales.append({"id": f"a{i}", "code": {"system": "LOCAL", "code": "CMAI"}, "date": day,
                       "items": {f"item{k}": (i + k) % 5 for k in range(29)}})
    complete = {"from": "2020-01-01", "to": SCREENING.isoformat()}
    return {"id": f"n{n}", "medications": meds, "observations": obs, "assessments": scales,
            "coverage": {"medications": complete, "observations": complete, "assessments": complete}}
