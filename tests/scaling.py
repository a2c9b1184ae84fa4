"""Shared by the scaling test (which counts operations) and the scaling benchmark (which times them):
one trial with a criterion per query form, and records with n events of the kind each form reads."""

from __future__ import annotations

import datetime

SCREENING = datetime.date(2025, 9, 11)

TRIAL = """trial SCALE "every query form over many events"
anchor screening
codeset steroids: ATC "H02AB*"
codeset fvc: LOINC "19872-1"
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
"""

FORMS = ("EXISTS", "COUNT", "DAYS_ON", "LATEST", "EARLIEST", "CHANGE", "STABLE", "STABLE_GAPS", "CONTINUOUS",
         "ALL", "POINT")


def record(n: int) -> dict:
    """n overlapping steroid courses (doses that differ, so `stable` must compare them all) and n FVC
    measurements, over the year before screening, with the history complete."""
    start = SCREENING - datetime.timedelta(days=365)
    meds, obs = [], []
    for i in range(n):
        first = start + datetime.timedelta(days=(i * 7) % 360)
        meds.append({"id": f"m{i}", "code": {"system": "ATC", "code": "H02AB06" if i % 2 else "H02AB04"},
                     "start": first.isoformat(), "end": (first + datetime.timedelta(days=20)).isoformat(),
                     "daily_dose": f"{5 + i % 40} mg/day"})
        obs.append({"id": f"o{i}", "code": {"system": "LOINC", "code": "19872-1"},
                    "date": (start + datetime.timedelta(days=i % 365)).isoformat(), "value": f"{40 + i % 50} %"})
    complete = {"from": "2020-01-01", "to": SCREENING.isoformat()}
    return {"id": f"n{n}", "medications": meds, "observations": obs,
            "coverage": {"medications": complete, "observations": complete}}
