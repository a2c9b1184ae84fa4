"""Time two diagnostic workloads of issue 8 (not run in CI; the tests count work instead of timing it).

    python benchmarks/bench_diagnostics.py [N ...]

- ``syntax``: one syntax error among N criteria (recovery parses each declaration once: linear);
- ``suggest``: N misspelt names against N definitions (each suggestion looks at a bounded number of
  candidates: near-linear).

Figures on the shared 2-core machine (before -> after this change): syntax 2,000: 5.6 s -> 2.8 s;
10,000: over 60 s -> 11.5 s. suggest 2,000: over 200 s -> 9.9 s; 4,000: 19.7 s.
"""

from __future__ import annotations

import sys
import time

from eligibility_dsl.api import check_source


def one_syntax_error(n: int) -> str:
    lines = ['trial NCT1 "t"', "fact a: boolean"] + [f'include I{i} "c": a' for i in range(n)]
    lines[n // 2 + 2] = 'include IX "broken": a a'
    return "\n".join(lines) + "\n"


def misspelt_names(n: int) -> str:
    lines = ['trial NCT1 "t"', "fact a: boolean"] + [f"define value_number_{i}: a" for i in range(n)]
    lines += [f'include I{i} "c": valeu_number_{i}' for i in range(n)]
    return "\n".join(lines) + "\n"


def main(sizes: list[int]) -> None:
    for name, make in (("syntax", one_syntax_error), ("suggest", misspelt_names)):
        for n in sizes:
            text = make(n)
            start = time.perf_counter()
            _, diagnostics = check_source(text, "bench.elig")
            print(f"{name:8} N={n:>6}: {time.perf_counter() - start:7.2f} s, {len(diagnostics)} diagnostics")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [2000, 10000])
