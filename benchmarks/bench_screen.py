"""Benchmark: `elig screen` throughput on the SSc trial (history version) over a generated cohort.

    python benchmarks/bench_screen.py                     # 20,000 records, best of 2 rounds, a few minutes
    python benchmarks/bench_screen.py --records 500 --rounds 1      # smoke test (CI)
    python benchmarks/bench_screen.py --json out.json

The trial is trials/ssc_telitacicept.elig (20 criteria over event histories), anchors screening=2025-09-11,
first_dose=2025-09-25.  The records come from tests/cohort.py (seeded: the SSc base record with 0-3
per-criterion patches, random birth dates, 3% missing facts, 1% broken records), written once to an NDJSON
file.  Each mode reads that file and decides every record; times are wall-clock for the whole call (reading,
parsing, evaluating, writing and committing; with --jobs 2 also starting the workers, which compile the
trial).  The modes take turns within each round.  "CPU s" adds the CPU time of the worker processes: on a
machine whose cores are busy with other work, wall time cannot fall with --jobs, and CPU time shows the cost.
No assertions on timings: the table is for people.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # the cohort generator the screening tests use
try:
    import eligibility_dsl.screening
except ImportError:  # not installed: use the checkout this file lives in
    sys.path.insert(0, str(REPO))
import cohort  # noqa: E402

import eligibility_dsl.screening  # noqa: E402
from eligibility_dsl import compile_file  # noqa: E402
from eligibility_dsl.screening import screen  # noqa: E402

TRIAL = REPO / "trials" / "ssc_telitacicept.elig"


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the worker processes of --jobs 2)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def evaluate_many(trial, source: Path, out: Path) -> int:
    """The floor: parse each line and evaluate_many(errors="return") in this process, nothing written."""
    with open(source, encoding="utf-8") as f:
        records = (json.loads(line, parse_float=Decimal) for line in f if line.strip())
        return sum(1 for _ in trial.evaluate_many(records, cohort.ANCHORS, errors="return"))


def evaluate_many_statuses(trial, source: Path, out: Path) -> int:
    """The same, reading what a result row holds: each criterion's status, the missing data, the problems
    (decisions are lazy: a batch that reads only the outcome does not build the per-criterion results)."""
    n = 0
    with open(source, encoding="utf-8") as f:
        records = (json.loads(line, parse_float=Decimal) for line in f if line.strip())
        for d in trial.evaluate_many(records, cohort.ANCHORS, errors="return"):
            if hasattr(d, "criteria"):
                _ = [c.status for c in d.criteria], d.missing, d.problems
            n += 1
    return n


def screen_mode(fmt: str, jobs: int):
    def run(trial, source: Path, out: Path) -> int:
        target = out.with_suffix(f".{fmt}")
        summary = screen(trial, [source], cohort.ANCHORS, out=target, jobs=jobs, show_progress=False)
        target.unlink()
        return summary.records
    return run


MODES = {
    "evaluate_many (in process, no output)": evaluate_many,
    "evaluate_many, statuses read": evaluate_many_statuses,
    "screen --jobs 1 --out .ndjson": screen_mode("ndjson", 1),
    "screen --jobs 1 --out .parquet": screen_mode("parquet", 1),
    "screen --jobs 2 --out .parquet": screen_mode("parquet", 2),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()

    trial = compile_file(TRIAL)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        source = cohort.write_ndjson(Path(tmp) / "cohort.ndjson", cohort.ssc_cohort(args.records, args.seed))
        size = source.stat().st_size
        outcomes: dict[str, int] = {}
        for row in eligibility_dsl.screening.screen_rows(trial, [source], cohort.ANCHORS):
            outcomes[row.outcome] = outcomes.get(row.outcome, 0) + 1
        times: dict[str, list[float]] = {name: [] for name in MODES}
        cpu: dict[str, list[float]] = {name: [] for name in MODES}
        for _ in range(args.rounds):
            for name, mode in MODES.items():
                cpu_before = _cpu_seconds()
                started = time.perf_counter()
                done = mode(trial, source, Path(tmp) / "out")
                times[name].append(time.perf_counter() - started)
                cpu[name].append(_cpu_seconds() - cpu_before)
                assert done == args.records, (name, done)

    print(f"{args.records:,} records ({size / 1e6:.1f} MB of NDJSON, seed {args.seed}): "
          + ", ".join(f"{k} {v:,}" for k, v in sorted(outcomes.items())))
    load = (load_before, os.getloadavg()[0])
    print(f"best of {args.rounds} interleaved rounds; Python {platform.python_version()}, "
          f"{platform.system()} {platform.machine()}, os.cpu_count()={os.cpu_count()}, "
          f"1-minute load average {load[0]:.2f} before, {load[1]:.2f} after (other work on the machine)")
    floor = min(times["evaluate_many (in process, no output)"])
    rows = []
    width = max(map(len, MODES))
    print(f"| {'mode'.ljust(width)} | records/s | seconds | vs evaluate_many | spread | CPU s (all processes) |")
    print(f"|{'-' * (width + 2)}|-----------|---------|------------------|--------|-----------------------|")
    for name, ts in times.items():
        best = min(ts)
        rate = args.records / best
        cpu_best = cpu[name][ts.index(best)]
        rows.append({"mode": name, "records_per_s": rate, "seconds": best, "runs": ts, "cpu_seconds": cpu_best})
        print(f"| {name.ljust(width)} | {rate:9,.0f} | {best:7.2f} | {floor / best:15.2f}x | "
              f"{max(ts) / best - 1:6.0%} | {cpu_best:21.2f} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"records": args.records, "seed": args.seed, "outcomes": outcomes,
                                               "load_average": load, "modes": rows}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
