"""FHIR R4 adapter throughput on the 20 Synthea bundles (tests/fixtures/fhir/synthea/).

Reports bundles per second and resources per second for: parsing and converting (read_bundle), and
converting plus binding (the record binder's validation), each the best of several rounds.  Figures only:
nothing here asserts a time.  Run: `python benchmarks/bench_fhir.py [rounds]`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from eligibility_dsl import compile_source
from eligibility_dsl.records.fhir import CoveragePolicy, read_bundle
from eligibility_dsl.records.fhir.source import bundle_resources, load_json

ROOT = Path(__file__).parent.parent
BUNDLES = sorted((ROOT / "tests" / "fixtures" / "fhir" / "synthea").glob("*_*.json"))


def best(rounds: int, work) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main(rounds: int = 5) -> None:
    resources = sum(len(bundle_resources(load_json(p), str(p))) for p in BUNDLES)
    size = sum(p.stat().st_size for p in BUNDLES) / 1e6
    policy = CoveragePolicy.period(None, "2021-01-15")
    trial = compile_source('trial NCT1 "t"\ninclude I1 "x": true\n')
    convert = best(rounds, lambda: [read_bundle(p, coverage=policy) for p in BUNDLES])
    bind = best(rounds, lambda: [trial.bind(read_bundle(p, coverage=policy)[0]) for p in BUNDLES])
    print(f"{len(BUNDLES)} Synthea bundles, {resources} resources, {size:.1f} MB (best of {rounds})")
    for label, seconds in (("parse + convert", convert), ("parse + convert + bind", bind)):
        print(f"  {label:24s} {len(BUNDLES) / seconds:8.1f} bundles/s  {resources / seconds:10.0f} resources/s"
              f"  {size / seconds:6.1f} MB/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
