"""The proof that the example trials' suites bite: every threshold and window length of an example trial with
a test folder (trials/examples/tests/<stem>/), moved by one step either way, must make at least one of the
trial's example patients fail, as `elig test` runs them (eligibility_dsl/authoring).

The literals are those of the trial file itself (tests/mutation.py): criteria, definitions, function bodies
and score conditions; never score weights, code strings, texts, nor the bodies of the libraries it imports
from trials/lib. A mutant that no longer compiles is killed by the compiler. Two data files under
tests/fixtures/mutation/ name the mutants that may stay alive, each with its reason:

- ``equivalent.json``: mutants whose one-step move cannot change any decision; such a mutant must survive
  (a listed mutant that a case kills is not equivalent, and the entry is wrong);
- ``pending.json``: survivors in trials whose suites are being edited elsewhere, awaiting a boundary patient;
  an entry whose mutant is killed must be removed.

Run with ``-s`` (or ``-rP``) to see the table of mutants.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from unittest import mock

import attrs
from mutation import Mutant, mutants, trial_literals

from eligibility_dsl import CompileError, compile_source
from eligibility_dsl.authoring import load_suite, run_case
from eligibility_dsl.authoring.suite import tests_folder as suite_folder
from eligibility_dsl.check import history
from eligibility_dsl.language.loader import ImportLoader

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "trials" / "examples"
LIB = ROOT / "trials" / "lib"
TRIALS = sorted(p for p in EXAMPLES.glob("*.elig") if suite_folder(p).is_dir())
DATA = Path(__file__).parent / "fixtures" / "mutation"
KEY = ("trial", "owner", "code", "literal", "mutant", "occurrence")


@attrs.frozen
class Row:
    mutant: Mutant
    code: str  # the source line the literal is on, stripped: how the data files name a place
    occurrence: int  # 1 for the first mutant of the trial with this owner, code, literal and mutant, 2 ...
    outcome: str  # `compiler`, `killed`, `equivalent`, `pending` or `SURVIVED`
    killers: tuple[str, ...]  # the first failing case found (or the compiler's first line)
    crashes: tuple[str, ...] = ()  # cases that raised instead of deciding (they kill, but are reported)


def listed(name: str) -> dict[tuple[str, ...], str]:
    """(trial stem, owner, source line, literal, mutant, occurrence) -> why, from a data file of mutants allowed
    to survive. The source line rather than its number, so that edits elsewhere in the file do not stale an
    entry; ``occurrence`` (default 1) tells apart the same literal on lines written alike."""
    entries = json.loads((DATA / name).read_text(encoding="utf-8"))["mutants"]
    out = {}
    for entry in entries:
        key = tuple(entry.get(k, 1) if k == "occurrence" else entry[k] for k in KEY)
        assert key not in out, f"{name}: listed twice: {key}"
        assert entry["why"].strip(), f"{name}: no reason for {key}"
        out[key] = entry["why"]
    return out


def key_of(trial: Path, row: Row) -> tuple:
    return (trial.stem, row.mutant.literal.owner, row.code, row.mutant.literal.text, row.mutant.mutated,
            row.occurrence)


@contextmanager
def imports_parsed_once():
    """Parse each imported library once for all the mutants (a parse result is immutable): the mutants differ
    only in the trial's own text, and the libraries' parses were most of the compile time."""
    with mock.patch.object(history, "parse", lru_cache(maxsize=None)(history.parse)):
        yield


def entry(trial: Path, row: Row, why: str = "") -> dict:
    """The data-file entry that names a mutant."""
    out = dict(zip(KEY, key_of(trial, row), strict=True))
    if out["occurrence"] == 1:
        del out["occurrence"]
    return {**out, "why": why or "..."}


def run_trial(trial: Path, equivalent=frozenset(), pending=frozenset()) -> list[Row]:
    """Each mutant of the trial with its outcome against the trial's suites (compiled with the shipped
    libraries, as `elig test` compiles it)."""
    text = trial.read_text(encoding="utf-8")
    loader = ImportLoader(trial, [LIB])
    original = compile_source(text, str(trial), loader)
    ids = [c.id for c in original.criteria]
    cases = [(s.path, c) for p in sorted(suite_folder(trial).glob("*.test.json")) for s in [load_suite(p, ids)]
             for c in s.cases]
    assert all(run_case(original, c).passed for _, c in cases), f"{trial.name}: the suite fails unmutated"
    lines = text.splitlines()
    rows, seen = [], Counter()
    for mutant in mutants(trial_literals(text, str(trial), scores=True)):
        code = lines[mutant.literal.line - 1].strip()
        place = (trial.stem, mutant.literal.owner, code, mutant.literal.text, mutant.mutated)
        seen[place] += 1
        key = (*place, seen[place])
        try:
            compiled = compile_source(mutant.source(text), str(trial), loader)
        except CompileError as err:
            rows.append(Row(mutant, code, seen[place], "compiler", (str(err).splitlines()[0],)))
            continue
        killers, crashes = [], []
        # One failing case is enough: the cases that killed earlier mutants are tried first (the mutants of a
        # literal and of its neighbours often share a killer), and the first failure ends the search.
        for n, (path, case) in enumerate(cases):
            try:
                passed = run_case(compiled, case).passed
            except Exception as err:  # a crash kills the mutant, and is reported
                passed = False
                crashes.append(f"{case.name}: raised {type(err).__name__}: {err}")
            if not passed:
                killers.append(f"{Path(path).name}: {case.name}")
                cases.insert(0, cases.pop(n))
                break
        outcome = ("killed" if killers else "equivalent" if key in equivalent else "pending" if key in pending
                   else "SURVIVED")
        rows.append(Row(mutant, code, seen[place], outcome, tuple(killers), tuple(crashes)))
    return rows


def render_trial(trial: Path, rows: list[Row]) -> str:
    lines = [f"{trial.name}: {len(rows)} mutants", "",
             f"{'line:col':>8}  {'in':<34} {'original':<13} {'mutant':<13} {'outcome':<10}  killing case"]
    for row in rows:
        m = row.mutant
        lines.append(f"{m.where:>8}  {m.literal.owner:<34} {m.literal.text:<13} {m.mutated:<13} {row.outcome:<10} "
                     f" {row.killers[0] if row.killers else '-'}")
    lines += [f"  raised: {m.where} {m.literal.text} -> {m.number}: {c}" for m, c in
              ((r.mutant, c) for r in rows for c in r.crashes)]
    return "\n".join(lines)


COLUMNS = ("literals", "mutants", "compiler", "killed", "equivalent", "pending", "SURVIVED")


def summary(results: dict[Path, list[Row]], seconds: float, cpu: float) -> str:
    head = f"{'trial':<36}" + "".join(f"{c:>11}" for c in COLUMNS)
    lines = [f"mutants of {len(results)} example trials against their suites ({seconds:.1f} s, {cpu:.1f} s of CPU)",
             "", head]
    totals = [0] * len(COLUMNS)
    for trial, rows in results.items():
        counts = [len({r.mutant.literal for r in rows}), len(rows),
                  *(sum(r.outcome == o for r in rows) for o in COLUMNS[2:])]
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        lines.append(f"{trial.stem:<36}" + "".join(f"{n:>11}" for n in counts))
    lines.append(f"{'total':<36}" + "".join(f"{n:>11}" for n in totals))
    return "\n".join(lines)


def test_the_literals_found_are_the_trials_own_thresholds():
    ra = EXAMPLES / "nct03863405_ra_metformin.elig"
    text = ra.read_text(encoding="utf-8")
    found = [(lit.owner, lit.text) for lit in trial_literals(text, str(ra), scores=True)]
    # A criterion, a definition's window, a score condition; never a score weight (`5:`), nor the
    # DAS28 coefficients of trials/lib/formulas.elig (`0.56`, `0.28`).
    for expected in [("das28", "28 days"), ("acr_eular_2010", "6 weeks"), ("acr_eular_2010", "3")]:
        assert expected in found, expected
    literals = trial_literals(text, str(ra), scores=True)
    assert all(text[lit.end:lit.end + 1] != ":" for lit in literals)
    assert not [t for _, t in found if t in ("0.56", "0.28", "0.70", "0.014")]
    # Without `scores` (the flagship trial's check), the score's conditions are not walked.
    assert ("acr_eular_2010", "6 weeks") not in [(lit.owner, lit.text) for lit in trial_literals(text, str(ra))]


def test_every_example_trial_threshold_mutant_is_killed():
    equivalent, pending = listed("equivalent.json"), listed("pending.json")
    assert not set(equivalent) & set(pending)
    start, cpu = time.perf_counter(), time.process_time()
    with imports_parsed_once():
        results = {trial: run_trial(trial, equivalent, pending) for trial in TRIALS}
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print("\n" + "\n\n".join(render_trial(t, rows) for t, rows in results.items()))
    print("\n" + summary(results, seconds, cpu))
    assert sum(len(rows) for rows in results.values()) > 100, "the literal walk found too little"
    keys = {key_of(t, r): r for t, rows in results.items() for r in rows}
    stale = [k for k in [*equivalent, *pending] if k not in keys]
    assert not stale, f"listed mutants the trials no longer have: {stale}"
    wrong = [(k, keys[k].killers[0]) for k in equivalent if keys[k].outcome != "equivalent"]
    assert not wrong, f"listed as equivalent, but a case kills it (remove it from equivalent.json): {wrong}"
    done = [k for k in pending if keys[k].outcome != "pending"]
    assert not done, f"killed now: remove from pending.json: {done}"
    survivors = [f"{t.name} {r.mutant.where} ({r.mutant.literal.owner}) {r.mutant.literal.text} -> {r.mutant.mutated}"
                 f"\n    {json.dumps(entry(t, r), ensure_ascii=False)}"
                 for t, rows in results.items() for r in rows if r.outcome == "SURVIVED"]
    assert not survivors, ("mutants no example patient detects (add a boundary patient to the trial's suite; the "
                           "entry, with its reason, is for a truly equivalent mutant):\n" + "\n".join(survivors))


def test_a_boundary_patient_is_what_kills_its_mutant():
    # The machinery itself: NCT03860428 I4 `> 1.5 mm` moved to 1.4 passes every whole example patient and
    # fails on the boundary patient with a PDA of exactly 1.5 mm, and on nothing else.
    trial = EXAMPLES / "nct03860428_preterm_pda.elig"
    text = trial.read_text(encoding="utf-8")
    (literal,) = [lit for lit in trial_literals(text, str(trial), scores=True) if lit.text == "1.5 mm"]
    compiled = compile_source(Mutant(literal, "1.4").source(text), str(trial), ImportLoader(trial, [LIB]))
    ids = [c.id for c in compiled.criteria]
    failed = {(p.name, c.name) for p in sorted(suite_folder(trial).glob("*.test.json"))
              for c in load_suite(p, ids).cases if not run_case(compiled, c).passed}
    assert failed == {("boundaries.test.json", "pda_exactly_1_5_mm")}
