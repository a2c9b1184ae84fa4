"""Benchmark: the compiled SSc trial (facts-only version) against a hand-written Python baseline.

    python benchmarks/bench_ssc.py                    # 100,000 records, a few minutes
    python benchmarks/bench_ssc.py --records 2000     # smoke test (CI)
    python benchmarks/bench_ssc.py --json out.json    # also write the figures

Steps: generate N synthetic records deterministically; check that the library and
the baseline agree on every criterion status and outcome (abort naming the first
record where they do not); then time each mode, best of 3 runs over all records.
No assertion is made on timings: the table is for people to read.

The workload is pinned: benchmarks/ssc_facts.elig is the facts-only version (0.1) of
trials/ssc_telitacicept.elig, kept here so that figures stay comparable as the real trial evolves.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
try:
    from eligibility_dsl import compile_file
except ImportError:  # not installed: use the checkout this file lives in
    sys.path.insert(0, str(REPO))
    from eligibility_dsl import compile_file
from eligibility_dsl import InputError  # noqa: E402 - after the sys.path fallback above

TRIAL_FILE = Path(__file__).resolve().parent / "ssc_facts.elig"
SCREENING = "2025-09-11"
MISSING_RATE = 0.05  # chance per fact (and per built-in field) of being missing

# ------------------------------------------------------------------ records


def generate_records(n: int, seed: int) -> list[dict]:
    """N records in the documented JSON shape, numbers as json.loads(parse_float=Decimal) gives them."""
    rng = random.Random(seed)
    start, end = datetime.date(1940, 1, 1).toordinal(), datetime.date(2012, 12, 31).toordinal()
    leap_days = [datetime.date(y, 2, 29) for y in range(1940, 2013, 4)]
    near_threshold = ["49.9", "49.99", "50", "50.0", "50.00", "50.01", "50.1", "50.5"]

    def chance(p: float) -> bool:
        return rng.random() < p

    def birth_date() -> str:
        roll = rng.random()
        if roll < 0.05:  # around the 18th birthday on the screening date
            born = datetime.date(2007, 9, 11) + datetime.timedelta(days=rng.randint(-3, 3))
        elif roll < 0.08:  # leap-day birthdays
            born = rng.choice(leap_days)
        else:
            born = datetime.date.fromordinal(rng.randint(start, end))
        return born.isoformat()

    def fvc() -> dict:
        if chance(0.15):
            text = rng.choice(near_threshold)
            return {"value": int(text) if text == "50" else Decimal(text), "unit": "%"}
        return {"value": Decimal(f"{rng.uniform(30, 110):.{rng.choice((0, 1, 1, 1, 2))}f}"), "unit": "%"}

    records = []
    for i in range(n):
        sex = rng.choices(["female", "male", "other", "unknown"], weights=[80, 18, 1, 1])[0]
        born = birth_date()
        female_fertile = sex == "female" and born >= "1975"
        facts = {
            "acr_eular_2013_score": min(19, max(0, round(rng.triangular(0, 19, 12)))),
            "investigator_approved": chance(0.9),
            "fvc_percent_predicted": fvc(),
            "ana_positive": chance(0.9),
            "anti_scl70_positive": chance(0.35),
            "anticentromere_positive": chance(0.25),
            "anti_rna_pol3_positive": chance(0.1),
            "consented": chance(0.95),
            "pregnant": female_fertile and chance(0.03),
            "lactating": female_fertile and chance(0.02),
            "plans_children_within_12_months": chance(0.08),
            "serious_complication": chance(0.1),
            "severe_psychiatric_condition": chance(0.04),
        }
        record = {"record_version": "1", "id": f"bench-{i:06d}", "birth_date": born, "sex": sex, "facts": facts}
        for where, key in [(record, "birth_date"), (record, "sex")] + [(facts, k) for k in list(facts)]:
            if chance(MISSING_RATE):  # missing: mostly null, sometimes absent (both are documented)
                if chance(0.8):
                    where[key] = None
                else:
                    del where[key]
        records.append(record)
    return records


# ------------------------------------------------------------------ hand-written baseline


def k_and(*xs):
    if any(x is False for x in xs):
        return False
    return None if any(x is None for x in xs) else True


def k_or(*xs):
    if any(x is True for x in xs):
        return True
    return None if any(x is None for x in xs) else False


def k_not(x):
    return None if x is None else not x


def age_in_years(born: datetime.date, on: datetime.date) -> int:
    """Completed years; the birthday in a year without it (29 Feb) falls on the month's last day."""
    years = on.year - born.year
    last_day = 29 if born.month == 2 and on.year % 4 == 0 and (on.year % 100 or on.year % 400 == 0) else 28
    day = min(born.day, last_day) if born.month == 2 else born.day
    return years if (on.month, on.day) >= (born.month, day) else years - 1


INCLUDE = ("I1", "I2", "I3", "I4")
EXCLUDE = ("E1", "E4", "E13", "E14")


def baseline_decide(record: dict, screening: datetime.date) -> tuple[str, dict[str, str]]:
    f = record.get("facts") or {}
    born = record.get("birth_date")
    born = datetime.date.fromisoformat(born) if born is not None else None
    score = f.get("acr_eular_2013_score")
    fvc = f.get("fvc_percent_predicted")
    if fvc is not None and fvc["unit"] != "%":
        raise ValueError(f"unexpected FVC unit {fvc['unit']!r}")

    values = {
        "I1": k_and(None if score is None else Decimal(score) >= 9, f.get("investigator_approved")),
        "I2": None if born is None else age_in_years(born, screening) >= 18,
        "I3": None if fvc is None else Decimal(fvc["value"]) > 50,
        "I4": k_or(f.get("ana_positive"), f.get("anti_scl70_positive"), f.get("anticentromere_positive"),
                   f.get("anti_rna_pol3_positive")),
        "E1": k_not(f.get("consented")),
        "E4": k_or(f.get("pregnant"), f.get("lactating"), f.get("plans_children_within_12_months")),
        "E13": f.get("serious_complication"),
        "E14": f.get("severe_psychiatric_condition"),
    }
    status = {cid: "UNKNOWN" if v is None else "MET" if v else "NOT_MET" for cid, v in values.items()}
    if any(status[c] == "NOT_MET" for c in INCLUDE) or any(status[c] == "MET" for c in EXCLUDE):
        return "INELIGIBLE", status
    if all(status[c] == "MET" for c in INCLUDE) and all(status[c] == "NOT_MET" for c in EXCLUDE):
        return "ELIGIBLE", status
    return "INDETERMINATE", status


# ------------------------------------------------------------------ differential check


def calendar_edge_cases() -> list[tuple[dict, str]]:
    """Age edges the 2025-09-11 screening date cannot reach: leap-day birthdays at the end of February."""
    births = ["2008-02-29", "2008-02-28", "2008-03-01", "2007-02-28", "2007-09-11", "2007-09-12", "2004-02-29"]
    screenings = ["2025-09-11", "2026-02-28", "2026-03-01", "2028-02-28", "2028-02-29", "2025-02-28", "2022-02-28"]
    facts = {"acr_eular_2013_score": 12, "investigator_approved": True,
             "fvc_percent_predicted": {"value": Decimal("80.5"), "unit": "%"}, "ana_positive": True,
             "consented": True, "pregnant": False, "lactating": False, "plans_children_within_12_months": False,
             "serious_complication": False, "severe_psychiatric_condition": False}
    return [({"id": f"edge-born-{b}-at-{s}", "birth_date": b, "sex": "female", "facts": facts}, s)
            for b in births for s in screenings]


def differential_check(trial, records: list[dict]) -> None:
    cases = [(r, SCREENING) for r in records] + calendar_edge_cases()
    for record, screening in cases:
        expected_outcome, expected = baseline_decide(record, datetime.date.fromisoformat(screening))
        anchors = {"screening": screening}
        for label, kwargs in (("full", {"trace": "off"}), ("traced", {"trace": "full"}), ("fails", {"trace": "fails"}),
                              ("fast", {"fast": True})):
            try:
                d = trial.evaluate(record, anchors, **kwargs)
            except InputError as err:
                sys.exit(f"The library rejected record {record.get('id')!r}: {err}\n"
                         "The trial's inputs (patient model or anchors) changed: "
                         "update generate_records and baseline_decide.")
            got = {c.id: c.status.value for c in d.criteria}
            if label == "fast":  # stops at the first decisive criterion: compare what it evaluated
                expected_here = {k: v if got.get(k) != "NOT_EVALUATED" else "NOT_EVALUATED"
                                 for k, v in expected.items()}
            else:
                expected_here = expected
            if d.outcome.value != expected_outcome or got != expected_here:
                diff = {k: (got.get(k), expected_here.get(k)) for k in sorted(set(got) | set(expected_here))
                        if got.get(k) != expected_here.get(k)}
                sys.exit(f"DISAGREEMENT on record {record.get('id')!r} (screening {screening}, {label} mode):\n"
                         f"  library outcome {d.outcome.value}, baseline {expected_outcome}\n"
                         f"  criteria that differ (library, baseline): {diff}\n"
                         f"  record: {record!r}\n"
                         "Fix the baseline if the trial changed, or the library if it is wrong.")
    print(f"differential check: library == baseline on {len(cases):,} records "
          f"({len(records):,} generated + {len(cases) - len(records)} calendar edge cases), 3 modes each")


# ------------------------------------------------------------------ timing


def time_modes(modes, repeat: int) -> dict[str, list[float]]:
    """Seconds per run for each mode.  Modes take turns within each round, so that drift in
    the machine's speed (a shared or throttled CPU) falls on every mode alike."""
    runs: dict[str, list[float]] = {name: [] for name, _, _ in modes}
    for _ in range(repeat):
        for name, fn, items in modes:
            t0 = time.perf_counter()
            for item in items:
                fn(item)
            runs[name].append(time.perf_counter() - t0)
    return runs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="number of records (default 100000)")
    parser.add_argument("--seed", type=int, default=20250911, help="random seed (default 20250911)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode; the best is kept (default 3)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)

    machine = (f"Python {platform.python_version()} ({platform.python_implementation()}), "
               f"{platform.platform()}, {platform.machine()}, os.cpu_count()={os.cpu_count()}")
    print(machine)

    t0 = time.perf_counter()
    trial = compile_file(TRIAL_FILE)
    compile_first = time.perf_counter() - t0
    t0 = time.perf_counter()
    compile_file(TRIAL_FILE)
    compile_again = time.perf_counter() - t0
    print(f"compile {TRIAL_FILE.name}: {compile_first * 1e3:.1f} ms first in process (incl. grammar load), "
          f"{compile_again * 1e3:.1f} ms again")

    t0 = time.perf_counter()
    records = generate_records(args.records, args.seed)
    print(f"generated {len(records):,} records (seed {args.seed}) in {time.perf_counter() - t0:.1f} s")
    outcomes: dict[str, int] = {}
    for r in records:
        outcome = baseline_decide(r, datetime.date.fromisoformat(SCREENING))[0]
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    print("outcomes: " + ", ".join(f"{k} {v:,} ({v / len(records):.1%})" for k, v in sorted(outcomes.items())))

    differential_check(trial, records)

    anchors_text = {"screening": SCREENING}
    anchors = trial.parse_anchors(anchors_text)
    screening = datetime.date.fromisoformat(SCREENING)
    bound = [trial.bind(r) for r in records]
    modes = [
        ("baseline (hand-written)", lambda r: baseline_decide(r, screening), records),
        ("evaluate, trace off", lambda r: trial.evaluate(r, anchors_text, trace="off"), records),
        ("evaluate, trace fails", lambda r: trial.evaluate(r, anchors_text, trace="fails"), records),
        ("evaluate, trace full", lambda r: trial.evaluate(r, anchors_text, trace="full"), records),
        ("evaluate, fast=True", lambda r: trial.evaluate(r, anchors_text, fast=True), records),
        ("evaluate_bound, trace off", lambda b: trial.evaluate_bound(b, anchors, trace="off"), bound),
    ]
    runs = time_modes(modes, args.repeat)
    results = []
    for name, _, items in modes:
        seconds = min(runs[name])
        results.append({"mode": name, "seconds": seconds, "runs_seconds": runs[name],
                        "spread": max(runs[name]) / seconds - 1, "records_per_second": len(items) / seconds,
                        "us_per_record": seconds / len(items) * 1e6})
    base = results[0]["seconds"]
    for r in results:
        r["ratio_to_baseline"] = base / r["seconds"]

    print(f"\n{len(records):,} records, best of {args.repeat} interleaved runs; ratio = baseline time / mode time; "
          "spread = slowest run / best run - 1")
    header = (f"| {'mode':<27} | {'records/s':>10} | {'µs/record':>9} | {'ratio':>6} | {'vs baseline':>12} "
              f"| {'spread':>6} |")
    print(header)
    print("|" + "|".join("-" * len(cell) for cell in header.split("|")[1:-1]) + "|")
    for r in results:
        slower = "—" if r is results[0] else f"{1 / r['ratio_to_baseline']:.1f}x slower"
        print(f"| {r['mode']:<27} | {r['records_per_second']:>10,.0f} | {r['us_per_record']:>9.2f} | "
              f"{r['ratio_to_baseline']:>6.3f} | {slower:>12} | {r['spread']:>6.0%} |")

    if args.json:
        figures = {"date": datetime.date.today().isoformat(), "machine": machine, "records": len(records),
                   "seed": args.seed, "repeat": args.repeat, "compile_seconds_first": compile_first,
                   "compile_seconds_again": compile_again, "outcomes": outcomes, "modes": results}
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
