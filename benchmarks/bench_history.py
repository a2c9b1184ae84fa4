"""Benchmark: the real SSc trial over patient histories against a hand-written Python baseline.

    python benchmarks/bench_history.py                     # 10,000 records, several minutes
    python benchmarks/bench_history.py --records 300       # smoke test (CI)
    python benchmarks/bench_history.py --profile           # also: where the library's time goes
    python benchmarks/bench_history.py --json out.json     # also write the figures

The trial is trials/ssc_telitacicept.elig (20 criteria over conditions, medications, observations,
procedures, immunizations, allergies, trial participations and assessments, with the code sets and the
prednisone-equivalent table of trials/lib/ssc_valuesets.elig), anchors screening=2025-09-11 and
first_dose=2025-09-25.

Steps: generate N history records deterministically (history_records.py); check that the library and the
hand-written baseline (history_baseline.py) agree on every criterion's status and the outcome of every
record, in trace off, fails and full modes, fast mode and evaluate_bound, and on records made for other
anchors at month ends and leap days (stop, naming the first record where they do not); then time each mode,
best of N interleaved runs over all records. No assertion is made on timings: the table is for people.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
try:
    from eligibility_dsl import compile_file
except ImportError:  # not installed: use the checkout this file lives in
    sys.path.insert(0, str(REPO))
    from eligibility_dsl import compile_file
from history_baseline import EXCLUDE, ORDER, Windows, decide  # noqa: E402
from history_records import COLLECTIONS, generate_history_records  # noqa: E402

from eligibility_dsl import InputError  # noqa: E402 - after the sys.path fallback above

TRIAL_FILE = REPO / "trials" / "ssc_telitacicept.elig"
SCREENING, FIRST_DOSE = datetime.date(2025, 9, 11), datetime.date(2025, 9, 25)
# Anchors where month arithmetic clamps (31st, leap day, end of February) or crosses a year.
EDGE_ANCHORS = [
    (datetime.date(2025, 3, 31), datetime.date(2025, 8, 31)),   # 6 months before 31 August: 28 February
    (datetime.date(2024, 2, 29), datetime.date(2024, 3, 14)),   # a year before a leap day: 28 February 2023
    (datetime.date(2025, 5, 31), datetime.date(2025, 6, 30)),   # a month before 31 May: 30 April
    (datetime.date(2024, 8, 31), datetime.date(2024, 9, 14)),   # 6 months before 31 August 2024: 29 February
    (datetime.date(2026, 1, 1), datetime.date(2026, 1, 15)),    # windows crossing the year
    (datetime.date(2025, 3, 1), datetime.date(2025, 3, 29)),    # 35 days before 1 March: 25 January
]
MODES = (("trace off", {"trace": "off"}), ("trace fails", {"trace": "fails"}), ("trace full", {"trace": "full"}),
         ("fast", {"fast": True}))


def anchors_of(screening: datetime.date, first_dose: datetime.date) -> dict[str, str]:
    return {"screening": screening.isoformat(), "first_dose": first_dose.isoformat()}


# ------------------------------------------------------------------ differential check


def _disagree(record: dict, anchors: dict, label: str, got_outcome: str, expected_outcome: str,
              got: dict, expected: dict, note: str = "") -> None:
    diff = {k: (got.get(k), expected.get(k)) for k in ORDER if got.get(k) != expected.get(k)}
    sys.exit(f"DISAGREEMENT on record {record.get('id')!r} (anchors {anchors}, {label}):\n"
             f"  library outcome {got_outcome}, baseline {expected_outcome}\n"
             f"  criteria that differ (library, baseline): {diff}\n{note}"
             f"  record: {json.dumps(record, default=str)}\n"
             "Fix the baseline if the trial changed, or the library if it is wrong.")


def _fast_expected(expected: dict) -> dict:
    """What fast mode reports: every criterion up to the first decisive one, then NOT_EVALUATED."""
    out, stopped = {}, False
    for cid in ORDER:
        if stopped:
            out[cid] = "NOT_EVALUATED"
            continue
        out[cid] = expected[cid]
        stopped = expected[cid] == ("MET" if cid in EXCLUDE else "NOT_MET")
    return out


_VALUE = {"MET": True, "NOT_MET": False, "UNKNOWN": None}


def check_record(trial, record: dict, anchors: dict, windows: Windows, modes=MODES) -> None:
    expected_outcome, expected = decide(record, windows)
    for label, kwargs in modes:
        try:
            d = trial.evaluate(record, anchors, **kwargs)
        except InputError as err:
            sys.exit(f"The library rejected record {record.get('id')!r}: {err}\n"
                     "The generator made a record that does not fit the patient model: fix history_records.py.")
        got = {c.id: c.status.value for c in d.criteria}
        want = _fast_expected(expected) if kwargs.get("fast") else expected
        if d.outcome.value != expected_outcome or got != want:
            _disagree(record, anchors, label, d.outcome.value, expected_outcome, got, want)
        level = kwargs.get("trace", "off")
        for c in d.criteria:  # the traced evaluation must agree with the fast one it explains
            failing = c.status.value == "UNKNOWN" or c.status.value == ("NOT_MET" if c.kind == "include" else "MET")
            wants_trace = level == "full" or (level == "fails" and failing)
            if wants_trace != (c.trace is not None):
                sys.exit(f"record {record.get('id')!r}, {label}: criterion {c.id} ({c.status.value}) "
                         f"{'has no' if wants_trace else 'has a'} trace")
            if c.trace is not None and c.trace.value is not _VALUE[c.status.value]:
                sys.exit(f"record {record.get('id')!r}, {label}: criterion {c.id} is {c.status.value} but its "
                         f"trace's value is {c.trace.value!r}")
    bound = trial.bind(record)
    d = trial.evaluate_bound(bound, trial.parse_anchors(anchors), trace="off")
    got = {c.id: c.status.value for c in d.criteria}
    if d.outcome.value != expected_outcome or got != expected:
        _disagree(record, anchors, "evaluate_bound", d.outcome.value, expected_outcome, got, expected)


def differential_check(trial, records: list[dict], edge_records: int, seed: int) -> int:
    anchors, windows = anchors_of(SCREENING, FIRST_DOSE), Windows(SCREENING, FIRST_DOSE)
    for record in records:
        check_record(trial, record, anchors, windows)
    edges = 0
    for k, (s, f) in enumerate(EDGE_ANCHORS):
        extra = generate_history_records(edge_records, seed + 1 + k, s, f, prefix=f"edge{k}")
        a, w = anchors_of(s, f), Windows(s, f)
        for record in extra:
            check_record(trial, record, a, w, MODES[::3])  # trace off and fast
        edges += len(extra)
    print(f"differential check: library == baseline on {len(records) + edges:,} records "
          f"({len(records):,} generated at the benchmark's anchors, 4 modes and evaluate_bound each, with traces "
          f"checked against statuses; {edges:,} at {len(EDGE_ANCHORS)} month-end and leap-day anchor pairs)")
    return len(records) + edges


# ------------------------------------------------------------------ workload summary


def describe_workload(records: list[dict], windows: Windows) -> dict:
    sizes = [sum(len(r.get(c) or ()) for c in COLLECTIONS) for r in records]
    by_collection = {c: sum(len(r.get(c) or ()) for r in records) for c in COLLECTIONS}
    outcomes: dict[str, int] = {}
    statuses = {cid: {"MET": 0, "NOT_MET": 0, "UNKNOWN": 0} for cid in ORDER}
    for r in records:
        outcome, status = decide(r, windows)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        for cid, s in status.items():
            statuses[cid][s] += 1
    n = len(records)
    print(f"events per record: min {min(sizes)}, median {statistics.median(sizes):.0f}, mean {sum(sizes) / n:.1f}, "
          f"max {max(sizes)}; by collection: " + ", ".join(f"{c} {v:,}" for c, v in by_collection.items()))
    print("outcomes: " + ", ".join(f"{k} {v:,} ({v / n:.1%})" for k, v in sorted(outcomes.items())))
    print("statuses (MET / NOT_MET / UNKNOWN): " + "  ".join(
        f"{cid} {s['MET'] * 100 // n}/{s['NOT_MET'] * 100 // n}/{s['UNKNOWN'] * 100 // n}%"
        for cid, s in statuses.items()))
    return {"events_min": min(sizes), "events_mean": sum(sizes) / n, "events_max": max(sizes),
            "events_by_collection": by_collection, "outcomes": outcomes, "statuses": statuses}


# ------------------------------------------------------------------ timing


def time_modes(modes, repeat: int) -> dict[str, list[float]]:
    """Seconds per run for each mode. Modes take turns within each round, so that drift in the machine's
    speed (a shared or throttled CPU) falls on every mode alike."""
    runs: dict[str, list[float]] = {name: [] for name, _, _ in modes}
    for _ in range(repeat):
        for name, fn, items in modes:
            t0 = time.perf_counter()
            for item in items:
                fn(item)
            runs[name].append(time.perf_counter() - t0)
    return runs


def print_table(results: list[dict], n: int, repeat: int) -> None:
    print(f"\n{n:,} records, best of {repeat} interleaved runs; ratio = baseline time / mode time; "
          "spread = slowest run / best run - 1")
    header = (f"| {'mode':<27} | {'records/s':>10} | {'µs/record':>9} | {'ratio':>6} | {'vs baseline':>12} "
              f"| {'spread':>6} |")
    print(header)
    print("|" + "|".join("-" * len(cell) for cell in header.split("|")[1:-1]) + "|")
    for r in results:
        slower = "—" if r is results[0] else f"{1 / r['ratio_to_baseline']:.1f}x slower"
        print(f"| {r['mode']:<27} | {r['records_per_second']:>10,.0f} | {r['us_per_record']:>9.1f} | "
              f"{r['ratio_to_baseline']:>6.3f} | {slower:>12} | {r['spread']:>6.0%} |")


# ------------------------------------------------------------------ profile


def _stage(fn, items) -> float:
    t0 = time.perf_counter()
    for item in items:
        fn(item)
    return time.perf_counter() - t0


def profile(trial, records: list[dict], repeat: int, top: int = 18) -> dict:
    """Where `evaluate` spends its time: binding, the generated criteria code, the decision object; then the
    functions that cost the most inside binding and inside the criteria (cProfile, by own time).

    Reaches into the Trial's internals (``_compiled``, ``_batch``): they may change with the library."""
    anchors = trial.parse_anchors(anchors_of(SCREENING, FIRST_DOSE))
    compiled, batch = trial._compiled, trial._batch(anchors)
    bound = [trial.bind(r) for r in records]
    n = len(records)

    def run(b):
        return compiled.evaluate(b.facts, b.events, b.coverage, batch, False)

    def traces(b):
        return compiled.traces(range(len(trial.criteria)), b.facts, b.events, b.coverage, batch)

    # evaluate_bound with the criteria's results already known: what is left is the decision object and
    # evaluate_bound's own bookkeeping (trace level, batch constants looked up).
    known = {id(b.facts): run(b) for b in bound}

    def decision_stage() -> float:
        compiled.evaluate = lambda facts, events, coverage, batch, stop: known[id(facts)]
        try:
            return _stage(lambda b: trial.evaluate_bound(b, anchors, trace="off"), bound)
        finally:
            del compiled.evaluate  # the class's method again

    stages = {"bind (trial.bind)": [], "criteria (generated run)": [], "evaluate_bound, trace off": [],
              "decision object": [],
              "decision.criteria (materialise)": [], "traces of all 20 (trace full)": [], "evaluate, trace off": []}
    for _ in range(repeat):
        stages["bind (trial.bind)"].append(_stage(trial.bind, records))
        stages["criteria (generated run)"].append(_stage(run, bound))
        stages["evaluate_bound, trace off"].append(_stage(lambda b: trial.evaluate_bound(b, anchors, trace="off"),
                                                          bound))
        stages["decision object"].append(decision_stage())
        fresh = [trial.evaluate_bound(b, anchors, trace="off") for b in bound]
        stages["decision.criteria (materialise)"].append(_stage(lambda d: d.criteria, fresh))
        stages["traces of all 20 (trace full)"].append(_stage(traces, bound))
        stages["evaluate, trace off"].append(_stage(lambda r: trial.evaluate(r, anchors, trace="off"), records))
    best = {k: min(v) / n * 1e6 for k, v in stages.items()}
    total = best["evaluate, trace off"]
    decision = best["decision object"]
    print(f"\nwhere the time goes ({n:,} records, best of {repeat}; µs per record)")
    print(f"| {'stage':<44} | µs/record | share of evaluate, trace off |")
    print(f"|{'-' * 46}|-----------|------------------------------|")
    rows = [("bind (trial.bind)", best["bind (trial.bind)"]),
            ("criteria (generated run)", best["criteria (generated run)"]),
            ("decision object, evaluate_bound's own work", decision),
            ("evaluate, trace off (all of it)", total),
            ("reading decision.criteria, when asked", best["decision.criteria (materialise)"]),
            ("traces of all 20 criteria (trace full)", best["traces of all 20 (trace full)"])]
    for name, us in rows:
        share = f"{us / total:.0%}" if name != "evaluate, trace off (all of it)" else "100%"
        print(f"| {name:<44} | {us:>9.1f} | {share:>28} |")
    hot = {}
    for label, fn, items in (("bind", trial.bind, records), ("criteria", run, bound)):
        prof = cProfile.Profile()
        prof.enable()
        for item in items:
            fn(item)
        prof.disable()
        out = io.StringIO()
        st = pstats.Stats(prof, stream=out)
        st.sort_stats("tottime").print_stats(top)
        rows = []
        for (file, line, func), (_, nc, tt, ct, _) in sorted(st.stats.items(), key=lambda kv: -kv[1][2])[:top]:
            where = f"{Path(file).name}:{line}" if not file.startswith("<") else file.split(":")[0] + ">"
            rows.append({"function": func, "where": where, "calls_per_record": nc / n,
                         "own_us_per_record": tt / n * 1e6, "cumulative_us_per_record": ct / n * 1e6})
        hot[label] = rows
        print(f"\ncProfile, {label}: top {top} functions by own time (µs per record; cProfile inflates small calls)")
        print(f"| {'function':<34} | {'where':<30} | {'calls/rec':>9} | {'own µs':>7} | {'cum µs':>7} |")
        print(f"|{'-' * 36}|{'-' * 32}|{'-' * 11}|{'-' * 9}|{'-' * 9}|")
        for r in rows:
            print(f"| {r['function'][:34]:<34} | {r['where'][:30]:<30} | {r['calls_per_record']:>9.1f} | "
                  f"{r['own_us_per_record']:>7.1f} | {r['cumulative_us_per_record']:>7.1f} |")
    stage_figures = {"bind": best["bind (trial.bind)"], "criteria": best["criteria (generated run)"],
                     "decision": decision, "evaluate_trace_off": total,
                     "materialise_criteria": best["decision.criteria (materialise)"],
                     "traces_full": best["traces of all 20 (trace full)"]}
    return {"stages_us_per_record": stage_figures, "hot_functions": hot}


# ------------------------------------------------------------------ main


def commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000, help="number of records (default 10000)")
    parser.add_argument("--seed", type=int, default=20250911, help="random seed (default 20250911)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode; the best is kept (default 3)")
    parser.add_argument("--edge-records", type=int, default=None,
                        help="records per month-end anchor pair in the differential check (default records/20)")
    parser.add_argument("--profile", action="store_true", help="also show where the library's time goes")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)

    machine = (f"Python {platform.python_version()} ({platform.python_implementation()}), "
               f"{platform.platform()}, {platform.machine()}, os.cpu_count()={os.cpu_count()}")
    print(f"{datetime.date.today().isoformat()}, commit {commit()}; {machine}")
    t0 = time.perf_counter()
    trial = compile_file(TRIAL_FILE)
    print(f"compiled {TRIAL_FILE.name} ({len(trial.criteria)} criteria) in {(time.perf_counter() - t0) * 1e3:.0f} ms")

    t0 = time.perf_counter()
    records = generate_history_records(args.records, args.seed, SCREENING, FIRST_DOSE)
    print(f"generated {len(records):,} records (seed {args.seed}) in {time.perf_counter() - t0:.1f} s")
    windows = Windows(SCREENING, FIRST_DOSE)
    workload = describe_workload(records, windows)

    t0 = time.perf_counter()
    edge_records = args.edge_records if args.edge_records is not None else max(20, args.records // 20)
    checked = differential_check(trial, records, edge_records, args.seed)
    print(f"  ({time.perf_counter() - t0:.0f} s)")

    anchors_text = anchors_of(SCREENING, FIRST_DOSE)
    anchors = trial.parse_anchors(anchors_text)
    bound = [trial.bind(r) for r in records]
    modes = [
        ("baseline (hand-written)", lambda r: decide(r, windows), records),
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
    print_table(results, len(records), args.repeat)

    figures = {"date": datetime.date.today().isoformat(), "commit": commit(), "machine": machine,
               "records": len(records), "seed": args.seed, "repeat": args.repeat, "checked_records": checked,
               "workload": workload, "modes": results}
    if args.profile:
        figures["profile"] = profile(trial, records, args.repeat)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
