"""Benchmark: each query form over 1,000, 10,000 and 100,000 events, timed (the test suite counts the
operations instead: tests/test_scaling.py).

    python benchmarks/bench_scaling.py                 # up to 100,000 events
    python benchmarks/bench_scaling.py --max 10000     # smoke run

Each criterion of tests/scaling.py's trial is compiled alone and evaluated on one record with n events
(best of 3); the table shows milliseconds and the growth from one size to the next (10 = linear).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
try:
    from eligibility_dsl import compile_source
except ImportError:  # not installed: use the checkout this file lives in
    sys.path.insert(0, str(REPO))
    from eligibility_dsl import compile_source
from scaling import FORMS, SCREENING, TRIAL, record  # noqa: E402 - after the sys.path set-up above


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max", type=int, default=100_000, help="largest number of events (default 100000)")
    args = parser.parse_args(argv)
    sizes = [n for n in (1_000, 10_000, 100_000) if n <= args.max]
    head, *parts = TRIAL.split("include ")
    bound = {}
    print(f"binding records of {', '.join(f'{n:,}' for n in sizes)} events (x2: medications and observations)")
    whole = compile_source(TRIAL)
    for n in sizes:
        rec = record(n)
        t = best(lambda rec=rec: whole.bind(rec), 1)
        bound[n] = whole.bind(rec)
        print(f"  bind {2 * n:>7,} events: {t * 1e3:8.1f} ms")
    print(f"\n| {'form':<12} | {'trace':<5} | " + " | ".join(f"{n:>9,} ev ms" for n in sizes)
          + " | " + " | ".join(f"x{sizes[i + 1] // sizes[i]} growth" for i in range(len(sizes) - 1)) + " |")
    print("|" + "---|" * (2 + len(sizes) + len(sizes) - 1))
    for form in FORMS:
        part = next(p for p in parts if p.startswith(form + " "))
        trial = compile_source(head + "include " + part)
        anchors = trial.parse_anchors({"screening": SCREENING})
        for trace in ("off", "full"):
            ms = [best(lambda b=bound[n], t=trial, a=anchors, tr=trace: t.evaluate_bound(b, a, trace=tr)) * 1e3
                  for n in sizes]
            growth = [ms[i + 1] / ms[i] for i in range(len(ms) - 1)]
            print(f"| {form:<12} | {trace:<5} | " + " | ".join(f"{m:>12.2f}" for m in ms) + " | "
                  + " | ".join(f"{g:>9.1f}" for g in growth) + " |")


if __name__ == "__main__":
    main()
