"""Benchmark: each query form over 1,000, 10,000 and 100,000 events, timed (the test suite counts the
operations instead: tests/test_scaling.py).

    python benchmarks/bench_scaling.py                 # up to 100,000 events
    python benchmarks/bench_scaling.py --max 10000     # smoke run

Each criterion of tests/scaling.py's trial (one per query form: exists, count, all ... have, latest,
earliest, days on, stable, continuous, change, highest daily total, result words, censored values) is
compiled alone and evaluated on one record with n events of each kind (best of 3); the table shows
milliseconds, the growth from one size to the next (10 = linear, 100 = quadratic) and microseconds per
event at the largest size.
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
from scaling import FORMS, SCREENING, TRIAL, only, record  # noqa: E402 - after the sys.path set-up above


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
    bound = {}
    print(f"binding records of {', '.join(f'{n:,}' for n in sizes)} events of each kind "
          "(medications, FVC, CRP, viral loads)")
    whole = compile_source(TRIAL)
    for n in sizes:
        rec = record(n)
        t = best(lambda rec=rec: whole.bind(rec), 1)
        bound[n] = whole.bind(rec)
        print(f"  bind {4 * n:>7,} events: {t * 1e3:8.1f} ms")
    print(f"\n| {'form':<15} | {'trace':<5} | " + " | ".join(f"{n:>7,} ev ms" for n in sizes)
          + " | " + " | ".join(f"x{sizes[i + 1] // sizes[i]} growth" for i in range(len(sizes) - 1))
          + f" | µs/event at {sizes[-1]:,} |")
    print("|" + "---|" * (3 + len(sizes) + len(sizes) - 1))
    worst = (0.0, "")
    for form in FORMS:
        trial = compile_source(only(form))
        anchors = trial.parse_anchors({"screening": SCREENING})
        for trace in ("off", "full"):
            ms = [best(lambda b=bound[n], t=trial, a=anchors, tr=trace: t.evaluate_bound(b, a, trace=tr)) * 1e3
                  for n in sizes]
            growth = [ms[i + 1] / ms[i] for i in range(len(ms) - 1)]
            worst = max(worst, (max(growth, default=0.0), f"{form} ({trace})"))
            print(f"| {form:<15} | {trace:<5} | " + " | ".join(f"{m:>10.2f}" for m in ms) + " | "
                  + " | ".join(f"{g:>9.1f}" for g in growth) + f" | {ms[-1] * 1e3 / sizes[-1]:>8.2f} |")
    if len(sizes) > 1:
        print(f"\nlargest growth per x10 events: {worst[0]:.1f} ({worst[1]}); linear is 10, quadratic 100")

if __name__ == "__main__":
    main()
