"""A hand-written Python version of the 20 criteria of trials/ssc_telitacicept.elig (NCT06546540).

Plain code over the raw JSON-shaped record (as ``json.loads(..., parse_float=Decimal)`` gives it): no
library code, no interpreter of the criteria. It is the "fast as it can reasonably be written by hand"
yardstick of ``bench_history.py``, and it states the same semantics as the library, criterion by
criterion:

- Kleene three-valued logic: ``None`` is unknown.
- Windows include both ends; an interval event (no end: ongoing) matches when it shares a day with the
  window, a point event when its date is inside. Month arithmetic clamps to the month's end.
- Absence is "no" only where ``coverage`` states the collection complete over the whole window; a matching
  event decides whatever the coverage; an event whose filter is unknown (a missing field, values that
  cannot be compared) is undecided: it may or may not match.
- ``days on`` counts each day once, overlapping courses included; from an incomplete history it is known
  only from below.
- ``stable`` / ``continuous``: the same daily dose on every matching record, and the records cover the
  window with gaps no longer than allowed; a stable dose is true only where the history is complete.
- ``latest`` / ``change in`` order records by date and need the window covered; the records of the deciding
  day must agree (docs/language.md, "Order on one day").
- The ACR/EULAR score is a range when items are unknown; ``>= 9`` is decided when the range allows.
- Prednisone equivalents: ``daily_dose / equivalent * 5 mg`` compared exactly (multiplied out).
- ``max(28 days, 5 * half_life)`` with a missing half-life still decides when 28 days suffices.

The record is trusted to fit the patient model (the library's binder checks that; this code does not):
it reads only what the criteria need. A unit this code does not know raises ValueError, so that a
change in the record generator cannot silently make the two disagree. If the trial file changes, change
this file with it: ``bench_history.py`` stops at the first record where the two disagree.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from fractions import Fraction

INCLUDE = ("I1", "I2", "I3", "I4", "I5", "I6")
EXCLUDE = ("E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8", "E9", "E10", "E11", "E12", "E13", "E14")
ORDER = INCLUDE + EXCLUDE

# ------------------------------------------------------------------ calendar


def month_length(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1]


def add_months(d: datetime.date, n: int) -> datetime.date:
    """CQL: move year and month, then clamp the day to the month's end (2025-03-31 - 1 month = 2025-02-28)."""
    index = d.year * 12 + d.month - 1 + n
    year, month = index // 12, index % 12 + 1
    return datetime.date(year, month, min(d.day, month_length(year, month)))


def age_in_years(born: datetime.date, on: datetime.date) -> int:
    """Completed years; a 29 February birthday falls on 28 February in a common year."""
    day = born.day
    if born.month == 2 and day == 29 and month_length(on.year, 2) == 28:
        day = 28
    years = on.year - born.year
    return years if (on.month, on.day) >= (born.month, day) else years - 1


_ordinal_cache: dict[str, int] = {}


def day(text: str) -> int:
    """A date text as a day number. Dates repeat a lot across records (anchors, coverage ends)."""
    n = _ordinal_cache.get(text)
    if n is None:
        n = datetime.date.fromisoformat(text).toordinal()
        if len(_ordinal_cache) < 100_000:
            _ordinal_cache[text] = n
    return n


# ------------------------------------------------------------------ codes

_SYSTEMS = {
    "atc": "ATC", "rxnorm": "RxNorm", "snomed": "SNOMED", "snomedct": "SNOMED", "sct": "SNOMED",
    "icd10": "ICD10", "icd10cm": "ICD10", "loinc": "LOINC", "cvx": "CVX", "local": "LOCAL",
    "http://www.whocc.no/atc": "ATC", "http://www.nlm.nih.gov/research/umls/rxnorm": "RxNorm",
    "http://snomed.info/sct": "SNOMED", "http://hl7.org/fhir/sid/icd-10": "ICD10",
    "http://hl7.org/fhir/sid/icd-10-cm": "ICD10", "http://loinc.org": "LOINC", "http://hl7.org/fhir/sid/cvx": "CVX",
    "urn:eligibility-dsl:local": "LOCAL",
}
_system_cache: dict[str, str] = {}


def system_of(text: str) -> str:
    s = _system_cache.get(text)
    if s is None:
        t = text.strip()
        key = t.rstrip("/").lower() if ":" in t else t.lower().replace(" ", "").replace("-", "").replace("_", "")
        s = _system_cache[text] = _SYSTEMS[key]
    return s


def codes_of(raw) -> tuple:
    """An event's codings as (system, normalised code) pairs: ICD-10 upper-cased without its dot, ATC
    upper-cased, CVX with two digits at least, other systems as written (trimmed)."""
    if raw is None:
        return ()
    out = []
    for c in (raw if isinstance(raw, list) else (raw,)):
        system = system_of(c["system"])
        code = c["code"].strip()
        if system == "ICD10":
            code = code.upper().replace(".", "")
        elif system == "ATC":
            code = code.upper()
        elif system == "CVX" and code.isascii() and code.isdigit():
            code = code.lstrip("0").rjust(2, "0")  # CVX `3` is `03` (the library normalises it so)
        out.append((system, code))
    return tuple(out)


class Codes:
    """A code set: exact codes, and class prefixes (ATC and ICD-10 only)."""

    __slots__ = ("exact", "prefixes")

    def __init__(self, *parts):
        exact, prefixes = set(), {}
        for part in parts:
            if isinstance(part, Codes):
                exact |= part.exact
                for s, p in part.prefixes.items():
                    prefixes[s] = prefixes.get(s, ()) + p
                continue
            system, code = part
            if system == "ICD10":
                code = code.replace(".", "")
            if code.endswith("*"):
                prefixes[system] = prefixes.get(system, ()) + (code[:-1],)
            else:
                exact.add((system, code))
        self.exact, self.prefixes = frozenset(exact), prefixes

    def has(self, codes: tuple) -> bool:
        for c in codes:
            if c in self.exact:
                return True
            p = self.prefixes.get(c[0])
            if p is not None and c[1].startswith(p):
                return True
        return False


def _many(system: str, codes: str) -> list:
    return [(system, c) for c in codes.split()]


# The code sets of trials/lib/ssc_valuesets.elig and the trial file, as Python data.
PULMONARY_HYPERTENSION = Codes(("ICD10", "I27.0"), ("ICD10", "I27.2*"), ("SNOMED", "70995007"))
ILD = Codes(("ICD10", "J84*"))
ANTICENTROMERE = Codes(*_many("LOINC", "8068-9 16570-4 56734-7 29966-9"))
ANTI_SCL70 = Codes(*_many("LOINC", "17569-5 17570-3 32715-5 47322-3 27416-7"))
ANTI_RNA_POL3 = Codes(*_many("LOINC", "89513-6 72317-1 81738-7 79182-2"))
SSC_AUTOANTIBODIES = Codes(ANTICENTROMERE, ANTI_SCL70, ANTI_RNA_POL3)
ANA = Codes(("LOINC", "8061-4"))
FVC_PERCENT = Codes(*_many("LOINC", "19872-1 19871-3 19873-9"), ("SNOMED", "445210000"))
MRSS = Codes(("LOCAL", "mRSS"))
MYCOPHENOLATE = Codes(("ATC", "L04AA06"), ("RxNorm", "68149"))
CYCLOPHOSPHAMIDE = Codes(("ATC", "L01AA01"), ("RxNorm", "3002"))
CONVENTIONAL = Codes(("ATC", "L04AX03"), ("ATC", "L01BA01"), ("RxNorm", "6851"), ("ATC", "L04AX01"),
                     ("ATC", "L04AD01"), ("RxNorm", "3008"), MYCOPHENOLATE, CYCLOPHOSPHAMIDE)
# prednisone_equivalent_dose, in the table's order: the agent's code set and the dose (mg) equal to 5 mg
# prednisone.
STEROID_EQUIVALENTS = (
    (Codes(("ATC", "H02AB07"), ("RxNorm", "8640")), Decimal(5)),      # prednisone
    (Codes(("ATC", "H02AB06"), ("RxNorm", "8638")), Decimal(5)),      # prednisolone
    (Codes(("ATC", "H02AB04"), ("RxNorm", "6902")), Decimal(4)),      # methylprednisolone
    (Codes(("ATC", "H02AB08"), ("RxNorm", "10759")), Decimal(4)),     # triamcinolone
    (Codes(("ATC", "H02AB09"), ("RxNorm", "5492")), Decimal(20)),     # hydrocortisone
    (Codes(("ATC", "H02AB10"), ("RxNorm", "2878")), Decimal(25)),     # cortisone
    (Codes(("ATC", "H02AB02"), ("RxNorm", "3264")), Decimal("0.75")),  # dexamethasone
    (Codes(("ATC", "H02AB01"), ("RxNorm", "1514")), Decimal("0.75")),  # betamethasone
)
SYSTEMIC_CORTICOSTEROIDS = Codes(*(cs for cs, _ in STEROID_EQUIVALENTS), ("ATC", "H02AB*"))
MCTD = Codes(("ICD10", "M35.1"), ("SNOMED", "398049005"))
OVERLAP = Codes(("ICD10", "M35.1"))
LOCALIZED_SCLERODERMA = Codes(("ICD10", "L94.0"), ("ICD10", "L94.1"))
PREGNANCY = Codes(("SNOMED", "77386006"), ("ICD10", "Z33"), ("ICD10", "Z33.1"), ("ICD10", "Z33.3"))
HUMAN_BIOLOGICS_ALLERGY = Codes(("LOCAL", "ALLERGY_HUMAN_BIOLOGIC"))
LIVE_VACCINES = Codes(*_many("CVX", "03 94 04 05 06 07 38 21 121 37 183 184 02 178 179 182 25 19 116 119 74 122 "
                                    "111 149 333 125 151 174 56 330 75 105 169 54 55 143 204 317 80"))
B_CELL = Codes(*_many("ATC", "L01FA01 L01XC02 L04AG04 L04AA26 L04AG08 L04AA36 L01FA02 L01XC10 L04AG12 L01FA03 "
                             "L01XC15 L04AG10 L04AA47 L01FA*"), ("RxNorm", "121191"), ("RxNorm", "974779"))
TNF = Codes(("ATC", "L04AB*"))
IL_RECEPTOR = Codes(*_many("ATC", "L04AC01 L04AC02 L04AC03 L04AC07 L04AC12 L04AC14 L04AC19"),
                    ("RxNorm", "190353"), ("RxNorm", "612865"))
IVIG = Codes(("ATC", "J06BA02"), ("CVX", "87"))
PLASMA_EXCHANGE = Codes(("LOCAL", "plasma_exchange"))
TCM = Codes(("LOCAL", "TCM"))
HIV = Codes(*_many("ICD10", "B20* B21* B22* B23* B24* Z21"), ("SNOMED", "86406008"), ("SNOMED", "62479008"))
ACTIVE_INFECTION = Codes(
    ("ICD10", "B02*"), ("SNOMED", "4740000"), HIV, *_many("ICD10", "A15* A16* A17* A18* A19*"),
    ("SNOMED", "427099000"), ("SNOMED", "56717001"),
    *[("ICD10", f"A{i}*") for i in range(10)], *[("ICD10", f"B{i}*") for i in range(9)], ("ICD10", "B99*"),
    ("SNOMED", "40733004"))
MALIGNANCY = Codes(*[("ICD10", f"C{i}*") for i in range(10)], ("SNOMED", "363346000"))
ALT = Codes(*_many("LOINC", "1742-6 1743-4 76625-3 77144-4"))
SEVERE_DEPRESSION = Codes(*_many("ICD10", "F32.2 F32.3 F33.2 F33.3"))
PSYCHOSIS = Codes(*_many("ICD10", "F20* F21* F22* F23* F24* F25* F28* F29*"))
SUICIDAL_IDEATION = Codes(("ICD10", "R45.851"), ("SNOMED", "6471006"))
CURRENT_STATUSES = frozenset(("active", "recurrence", "relapse"))

# ------------------------------------------------------------------ quantities

# Rates in mg per week (so that mg/wk and g/day stay exact decimals); durations in seconds; enzyme
# activities per litre, by kind (U and IU are different dimensions: they never compare).
_RATE = {"mg/day": 7, "mg/d": 7, "g/day": 7000, "g/d": 7000, "ug/day": Decimal("0.007"), "mg/wk": 1, "g/wk": 1000}
_MASS_PER_DAY_IN_WEEK = {"mg": 7, "g": 7000, "ug": Decimal("0.007"), "mcg": Decimal("0.007")}
_SECONDS = {"s": 1, "min": 60, "h": 3600, "hr": 3600, "hours": 3600, "d": 86400, "day": 86400, "days": 86400,
            "wk": 604800}
_ACTIVITY = {"U/L": ("U", 1), "IU/L": ("IU", 1), "mU/mL": ("U", 1), "kU/L": ("U", 1000)}


def number(raw) -> Decimal:
    return raw if type(raw) is Decimal else Decimal(raw)


def quantity(raw) -> tuple[Decimal, str]:
    """(value, unit text) of a quantity written as {"value", "unit"} or "10 mg"."""
    if isinstance(raw, str):
        value, _, unit = raw.strip().partition(" ")
        return Decimal(value), unit.strip()
    return number(raw["value"]), raw["unit"]


_DECIMAL_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def value_quantity(raw) -> tuple[Decimal, str] | None:
    """An observation's value as (amount, unit) when it is a quantity; None for a boolean, a number, a
    coding or a text (none of which compares with a quantity)."""
    if isinstance(raw, dict):
        return None if "system" in raw else (number(raw["value"]), raw["unit"])
    if isinstance(raw, str):
        head, _, unit = raw.strip().partition(" ")
        if unit and _DECIMAL_TEXT.fullmatch(head):
            return Decimal(head), unit.strip()
    return None


def weekly_mg(med: dict) -> Decimal | None:
    """A medication record's daily dose in mg per week: `daily_dose`, else `dose` x `frequency`."""
    raw = med.get("daily_dose")
    if raw is not None:
        value, unit = quantity(raw)
        return value * _RATE[unit]
    dose, frequency = med.get("dose"), med.get("frequency")
    if dose is None or frequency is None:
        return None
    value, unit = quantity(dose)
    return value * number(frequency) * _MASS_PER_DAY_IN_WEEK[unit]


def prednisone_equivalent(codes: tuple) -> Decimal | None:
    for cs, equivalent in STEROID_EQUIVALENTS:
        if cs.has(codes):
            return equivalent
    return None


def mrss_score(a: dict) -> Decimal | None:
    score = a.get("score")
    if score is None:
        parts = a.get("components")
        if parts is not None and len(parts) == 17 and all(v is not None for v in parts.values()):
            return Decimal(sum(int(v) for v in parts.values()))
        return None
    return number(score)


# ------------------------------------------------------------------ windows and coverage


class Windows:
    """The windows of the trial for one pair of anchors, as (first day, last day) numbers (None: unbounded),
    computed once per batch (as the library does)."""

    def __init__(self, screening: datetime.date, first_dose: datetime.date):
        s, f = screening.toordinal(), first_dose.toordinal()
        self.screening = screening
        self.s = s
        self.before = (None, s)
        self.now = (s, s)
        self.m3 = (add_months(screening, -3).toordinal(), s)
        self.m6 = (add_months(screening, -6).toordinal(), s)
        self.m1 = (add_months(screening, -1).toordinal(), s)
        self.y1 = (add_months(screening, -12).toordinal(), s)
        self.d35 = (s - 35, s)
        self.fd_m6 = (add_months(first_dose, -6).toordinal(), f)
        self.fd_d30 = (f - 30, f)


def covers(cov: tuple | None, window: tuple) -> bool:
    if cov is None:
        return False
    low, high = cov
    first, last = window
    if last > high:
        return False
    return low is None or (first is not None and first >= low)


def overlaps(start: int, end: int | None, window: tuple) -> bool:
    first, last = window
    return (first is None or end is None or end >= first) and start <= last


def exists(found: bool, undecided: bool, covered: bool):
    if found:
        return True
    if undecided or not covered:
        return None
    return False


def union_days(periods, window: tuple) -> int:
    """Distinct days of the window on which any period is active (ongoing: to the window's end)."""
    first, last = window
    clipped = sorted((max(s, first), last if e is None or e > last else e) for s, e in periods)
    total, done = 0, first - 1
    for s, e in clipped:
        s = max(s, done + 1)
        if s <= e:
            total += e - s + 1
            done = e
    return total


def continuous(periods, window: tuple, gap: int) -> bool:
    """Whether the periods cover the window apart from gaps of at most ``gap`` days (the days before the
    first and after the last period count as gaps)."""
    first, last = window
    cursor = first
    for s, e in sorted((max(s, first), last if e is None or e > last else e) for s, e in periods):
        if s > e:
            continue
        if s - cursor > gap:
            return False
        cursor = max(cursor, e + 1)
    return last - cursor + 1 <= gap


def k_and(*xs):
    if False in xs:
        return False
    return None if None in xs else True


def k_or(*xs):
    if True in xs:
        return True
    return None if None in xs else False


def k_implies(a, b):
    if a is False or b is True:
        return True
    return None if a is None or b is None else False


# ------------------------------------------------------------------ the decision


def _coverage(record: dict) -> dict:
    out = {}
    for name, c in (record.get("coverage") or {}).items():
        low = c.get("from")
        out[name] = (None if low is None else day(low), day(c["to"]))
    return out


def _interval_events(items, start_key: str, end_key: str) -> list:
    """[(start, end or None, codes, event)] for the events of an interval collection."""
    out = []
    for e in items or ():
        end = e.get(end_key)
        out.append((day(e[start_key]), None if end is None else day(end), codes_of(e.get("code")), e))
    return out


def _point_events(items) -> list:
    return [(day(e["date"]), codes_of(e.get("code")), e) for e in items or ()]


def _status_is(e: dict, statuses: frozenset):
    status = e.get("status")
    return None if status is None else status in statuses


def _conditions_exist(conds, cs: Codes, window, covered: bool, statuses: frozenset | None = None):
    undecided = False
    for s, e, codes, ev in conds:
        if overlaps(s, e, window) and cs.has(codes):
            if statuses is None:
                return True
            v = _status_is(ev, statuses)
            if v:
                return True
            if v is None:
                undecided = True
    return exists(False, undecided, covered)


def _points_exist(points, cs: Codes, window, covered: bool) -> bool | None:
    first, last = window
    for d, codes, _ in points:
        if first <= d <= last and cs.has(codes):
            return True
    return None if not covered else False


def _meds_exist(meds, cs: Codes, window, covered: bool) -> bool | None:
    for s, e, codes, _ in meds:
        if overlaps(s, e, window) and cs.has(codes):
            return True
    return None if not covered else False


def _positive_antibody(obs, cs: Codes, window, covered: bool):
    """exists observations in CS where value = true: a value that is not a boolean cannot be compared
    with true, so that observation is undecided."""
    undecided = False
    last = window[1]
    for d, codes, ev in obs:
        if d <= last and cs.has(codes):
            value = ev.get("value")
            if value is True:
                return True
            if value is not False:
                undecided = True
    return exists(False, undecided, covered)


def _stable_dose(meds, cs: Codes, window, covered: bool, gap: int):
    """stable daily_dose of medications in CS during WINDOW [allowing gaps of GAP days]."""
    doses, periods, unknown = set(), [], False
    for s, e, codes, ev in meds:
        if overlaps(s, e, window) and cs.has(codes):
            dose = weekly_mg(ev)
            if dose is None:
                unknown = True
            else:
                doses.add(dose)
            periods.append((s, e))
    if len(doses) > 1:
        return False
    if unknown:
        return None
    if periods and continuous(periods, window, gap):
        return True if covered else None  # the same dose on every record needs every record: a complete history
    return False if covered else None


def decide(record: dict, w: Windows) -> tuple[str, dict[str, str]]:
    """(outcome, {criterion id: MET | NOT_MET | UNKNOWN}) for one record."""
    facts = record.get("facts") or {}
    f = facts.get
    cov = _coverage(record)
    c_cond, c_med, c_obs = cov.get("conditions"), cov.get("medications"), cov.get("observations")
    conds = _interval_events(record.get("conditions"), "onset", "abatement")
    meds = _interval_events(record.get("medications"), "start", "end")
    obs = _point_events(record.get("observations"))

    cond_before = covers(c_cond, w.before)
    cond_now = covers(c_cond, w.now)
    obs_before = covers(c_obs, w.before)

    # I1: the 2013 ACR/EULAR score (a range when items are unknown) >= 9, and consent.
    ph = _conditions_exist(conds, PULMONARY_HYPERTENSION, w.before, cond_before)
    ild = _conditions_exist(conds, ILD, w.before, cond_before)
    antibody = _positive_antibody(obs, SSC_AUTOANTIBODIES, w.before, obs_before)
    categories = (
        ((9, f("skin_thickening_proximal_to_mcp")),),
        ((4, f("sclerodactyly")), (2, f("puffy_fingers"))),
        ((3, f("fingertip_pitting_scars")), (2, f("digital_tip_ulcers"))),
        ((2, f("telangiectasia")),),
        ((2, f("abnormal_nailfold_capillaries")),),
        ((2, ph), (2, ild)),
        ((3, f("raynaud_phenomenon")),),
        ((3, antibody),),
    )
    low = high = 0
    for items in categories:
        low += max((wt for wt, v in items if v is True), default=0)
        high += max((wt for wt, v in items if v is not False), default=0)
    classified = True if low >= 9 else False if high < 9 else None
    consented = f("consented")
    i1 = k_and(classified, consented)

    # I2: age at screening >= 18 years.
    born = record.get("birth_date")
    i2 = None if born is None else age_in_years(datetime.date.fromisoformat(born), w.screening) >= 18

    # I3: the latest FVC % predicted within 3 months before screening > 50 %.
    i3 = None
    if covers(c_obs, w.m3):
        first, last = w.m3
        found = [(d, ev) for d, codes, ev in obs if first <= d <= last and FVC_PERCENT.has(codes)]
        if found:
            # every result of the last day: which of them came last is not known, so all must agree
            top = max(d for d, _ in found)
            answers = set()
            for d, ev in found:
                if d == top:
                    q = value_quantity(ev.get("value"))
                    answers.add(q[0] > 50 if q is not None and q[1] == "%" else None)  # only % compares
            i3 = answers.pop() if len(answers) == 1 else None

    # I4: ANA or an SSc autoantibody positive, before screening.
    i4 = k_or(_positive_antibody(obs, ANA, w.before, obs_before), antibody)

    # I5: conventional treatment throughout the 6 months before screening (gaps <= 35 days), and new skin
    # involvement or an mRSS that did not improve over those 6 months.
    first, last = w.m6
    periods = [(s, e) for s, e, codes, _ in meds if overlaps(s, e, w.m6) and CONVENTIONAL.has(codes)]
    if periods and continuous(periods, w.m6, 35):
        treated = True
    else:
        treated = False if covers(c_med, w.m6) else None
    change = None
    if covers(cov.get("assessments"), w.m6):
        scored = sorted((day(a["date"]), a["id"], a) for a in record.get("assessments") or ()
                        if first <= day(a["date"]) <= last and MRSS.has(codes_of(a.get("code"))))
        if len(scored) >= 2 and scored[0][0] != scored[-1][0]:
            # the scores of the first and of the last day (several on one day must agree)
            ends = [{mrss_score(a) for d, _, a in scored if d == scored[k][0]} for k in (0, -1)]
            if all(len(e) == 1 and None not in e for e in ends):
                a, b = (e.pop() for e in ends)
                change = b - a >= 0
    i5 = k_and(treated, k_or(f("new_skin_involvement"), change))

    # I6: stable mycophenolate / cyclophosphamide doses over the 6 months before the first dose (for a
    # patient on them at screening), and the systemic corticosteroids of each of the 30 days before the
    # first dose adding up to at most 10 mg/day prednisone equivalent.
    med_fd_m6 = covers(c_med, w.fd_m6)
    on_mmf = _meds_exist(meds, MYCOPHENOLATE, w.now, covers(c_med, w.now))
    on_cyc = _meds_exist(meds, CYCLOPHOSPHAMIDE, w.d35, covers(c_med, w.d35))
    mmf = k_implies(on_mmf, _stable_dose(meds, MYCOPHENOLATE, w.fd_m6, med_fd_m6, 0))
    cyc = k_implies(on_cyc, _stable_dose(meds, CYCLOPHOSPHAMIDE, w.fd_m6, med_fd_m6, 35))
    # Corticosteroids taken the same day add up: the highest daily total of prednisone equivalents
    # (in mg/week: dose / equivalent * 5) over the days of the window, at most 70 mg/week = 10 mg/day.
    # A record whose amount is unknown, or a window not covered, leaves the total known only from below.
    lo, hi = w.fd_d30
    per_day: dict[int, Fraction] = {}
    steroids = True
    for s, e, codes, ev in meds:
        if overlaps(s, e, w.fd_d30) and SYSTEMIC_CORTICOSTEROIDS.has(codes):
            dose, equivalent = weekly_mg(ev), prednisone_equivalent(codes)
            if dose is None or equivalent is None:
                steroids = None
                continue
            amount = Fraction(dose) * 5 / Fraction(equivalent)
            for d in range(max(s, lo), (hi if e is None else min(e, hi)) + 1):
                per_day[d] = per_day.get(d, 0) + amount
    if per_day and max(per_day.values()) > 70:
        steroids = False
    elif steroids is True and not covers(c_med, w.fd_d30):
        steroids = None
    i6 = k_and(mmf, cyc, steroids)

    # E1: no consent.
    e1 = None if consented is None else not consented

    # E2, E3: MCTD or overlap syndrome; localized scleroderma; present diagnoses (on the problem list at
    # screening, any status).
    e2 = k_or(_conditions_exist(conds, MCTD, w.now, cond_now),
              _conditions_exist(conds, OVERLAP, w.now, cond_now))
    e3 = _conditions_exist(conds, LOCALIZED_SCLERODERMA, w.now, cond_now)

    # E4: active pregnancy at screening, a lactating woman, or plans for children.
    sex = record.get("sex")
    e4 = k_or(_conditions_exist(conds, PREGNANCY, w.now, cond_now, frozenset(("active",))),
              k_and(None if sex is None else sex == "female", f("lactating")),
              f("plans_children_within_12_months"))

    # E5: an allergy to human-derived biologics, not refuted, before screening.
    found = undecided = False
    for a in record.get("allergies") or ():
        if day(a["onset"]) <= w.s and HUMAN_BIOLOGICS_ALLERGY.has(codes_of(a.get("code"))):
            status = a.get("status")
            if status is None:
                undecided = True
            elif status != "refuted":
                found = True
                break
    e5 = exists(found, undecided, covers(cov.get("allergies"), w.before))

    # E6: a trial's last dose within max(28 days, 5 half-lives) before screening, or a participation
    # that includes the screening day (no last dose: still dosing).
    c_trials = cov.get("trial_participations")
    found = undecided = current = False
    for t in record.get("trial_participations") or ():
        start, last_dose = day(t["start"]), t.get("last_dose")
        end = None if last_dose is None else day(last_dose)
        if start <= w.s and (end is None or end >= w.s):
            current = True
        if start > w.s:
            continue
        if end is None:
            undecided = True
            continue
        days = w.s - end
        if days <= 28:
            found = True
            continue
        half_life = t.get("half_life")
        if half_life is None:
            undecided = True
        else:
            value, unit = quantity(half_life)
            if days * 86400 <= 5 * value * _SECONDS[unit]:
                found = True
    e6 = k_or(exists(found, undecided, covers(c_trials, w.before)),
              exists(current, False, covers(c_trials, w.now)))

    # E7: a live vaccine within one month.
    e7 = _points_exist(_point_events(record.get("immunizations")), LIVE_VACCINES, w.m1,
                       covers(cov.get("immunizations"), w.m1))

    # E8, E9: B cell-targeted therapy; a TNF inhibitor or an interleukin-receptor blocker; within a year.
    med_y1 = covers(c_med, w.y1)
    e8 = _meds_exist(meds, B_CELL, w.y1, med_y1)
    e9 = k_or(_meds_exist(meds, TNF, w.y1, med_y1), _meds_exist(meds, IL_RECEPTOR, w.y1, med_y1))

    # E10: within one month: IVIG, more than 14 days on >= 100 mg/day prednisone equivalent (each day once),
    # or plasma exchange.
    med_m1 = covers(c_med, w.m1)
    ivig = _meds_exist(meds, IVIG, w.m1, med_m1)
    high_dose, maybe = [], []
    for s, e, codes, ev in meds:
        if overlaps(s, e, w.m1) and SYSTEMIC_CORTICOSTEROIDS.has(codes):
            dose, equivalent = weekly_mg(ev), prednisone_equivalent(codes)
            if dose is None or equivalent is None:
                maybe.append((s, e))
            elif dose * 5 >= 700 * equivalent:  # dose / equivalent * 5 mg >= 100 mg/day
                high_dose.append((s, e))
    days_low = union_days(high_dose, w.m1)
    if days_low > 14:
        long_course = True
    elif not med_m1:
        long_course = None
    elif maybe and union_days(high_dose + maybe, w.m1) > 14:
        long_course = None
    else:
        long_course = False
    plasma = _points_exist(_point_events(record.get("procedures")), PLASMA_EXCHANGE, w.m1,
                           covers(cov.get("procedures"), w.m1))
    e10 = k_or(ivig, long_course, plasma)

    # E11: Chinese medicine within one month.
    e11 = _meds_exist(meds, TCM, w.m1, med_m1)

    # E12: an active infection at screening.
    e12 = _conditions_exist(conds, ACTIVE_INFECTION, w.now, cond_now, CURRENT_STATUSES)

    # E13: judged complications, active malignancy or infection at screening, HIV at screening, or ALT above
    # 3 x the upper limit of normal within one month.
    alt_found = alt_undecided = False
    first, last = w.m1
    for d, codes, ev in obs:
        if first <= d <= last and ALT.has(codes):
            v = _alt_above(ev)
            if v:
                alt_found = True
                break
            if v is None:
                alt_undecided = True
    e13 = k_or(f("severe_complication_judged"),
               _conditions_exist(conds, MALIGNANCY, w.now, cond_now, CURRENT_STATUSES),
               _conditions_exist(conds, HIV, w.now, cond_now),
               e12,
               exists(alt_found, alt_undecided, covers(c_obs, w.m1)))

    # E14: severe depression, psychosis or suicidal ideation, current at screening.
    e14 = k_or(_conditions_exist(conds, SEVERE_DEPRESSION, w.now, cond_now, CURRENT_STATUSES),
               _conditions_exist(conds, PSYCHOSIS, w.now, cond_now, CURRENT_STATUSES),
               _conditions_exist(conds, SUICIDAL_IDEATION, w.now, cond_now, CURRENT_STATUSES))

    values = (i1, i2, i3, i4, i5, i6, e1, e2, e3, e4, e5, e6, e7, e8, e9, e10, e11, e12, e13, e14)
    status = {cid: "UNKNOWN" if v is None else "MET" if v else "NOT_MET" for cid, v in zip(ORDER, values, strict=True)}
    if False in values[:6] or True in values[6:]:
        return "INELIGIBLE", status
    if None in values:
        return "INDETERMINATE", status
    return "ELIGIBLE", status


_CENSORED_ALT = re.compile(r"\s*(<=|>=|<|>)\s*([0-9]+(?:\.[0-9]+)?)\s+(\S+)\s*")


def _alt_above(ev: dict):
    """value > 3 * reference_high: unknown when either is missing or they cannot be compared.  A
    censored value (`<5 U/L`) decides only when its whole range lies on one side of the limit."""
    raw, high = ev.get("value"), ev.get("reference_high")
    censored = _CENSORED_ALT.fullmatch(raw) if isinstance(raw, str) else None
    q = (Decimal(censored.group(2)), censored.group(3)) if censored else value_quantity(raw)
    if q is None or high is None:
        return None
    (v, v_unit), (h, h_unit) = q, quantity(high)
    (v_kind, v_factor), (h_kind, h_factor) = _ACTIVITY[v_unit], _ACTIVITY[h_unit]
    if v_kind != h_kind:
        return None
    value, limit = v * v_factor, 3 * h * h_factor
    if censored is None:
        return value > limit
    op = censored.group(1)
    if op in ("<", "<="):  # every value below (or at) the bound
        return False if value <= limit else None
    # above (or at) the bound: all above the limit when the bound is, or when `>` touches it
    return True if value > limit or (op == ">" and value == limit) else None
