"""The proof that the boundary checks bite: every threshold and window length of the flagship trial, moved by
one step either way, must make at least one check of ``tests/boundaries.py`` fail.

The numbers are found by parsing ``trials/ssc_telitacicept.elig`` (tests/mutation.py, shared with the
example trials' check in tests/test_mutation_examples.py): every number or quantity literal inside a criterion
or a ``define`` body (not score weights, code strings, texts or the version). A mutant is the source text with
that one literal's number moved by one unit of its last written digit (``50`` -> 49 and 51, ``1.25`` -> 1.24
and 1.26); it is compiled with ``compile_source`` and every boundary check is run on it.
A mutant that does not compile counts as killed by the compiler and is listed apart.

Run with ``-s`` (or ``-rP``) to see the table of mutants.
"""

from __future__ import annotations

import time

import pytest
from boundaries import CHECKS, TRIAL_FILE, failures
from mutation import Literal, Mutant, mutants, neighbours, trial_literals

from eligibility_dsl import CompileError, compile_source
from eligibility_dsl.language import ast as A
from eligibility_dsl.language.loader import file_loader
from eligibility_dsl.language.syntax import parse


def test_neighbours_move_the_last_written_digit():
    assert neighbours("50") == ("49", "51")
    assert neighbours("1.25") == ("1.24", "1.26")
    assert neighbours("0") == ("-1", "1")
    assert neighbours("5.6") == ("5.5", "5.7")
    assert neighbours("10.0") == ("9.9", "10.1")


def test_the_literals_found_are_the_trials_thresholds_and_windows():
    text = TRIAL_FILE.read_text(encoding="utf-8")
    found = [(lit.owner, lit.text) for lit in trial_literals(text, str(TRIAL_FILE))]
    # Spot checks that the walk reaches every kind of place a number sits in (a window, a gap, a filter, a
    # comparison, a function argument, a definition), and nothing outside the bodies (weights, version).
    for expected in [("on_cyclophosphamide", "35 days"), ("conventional_treatment_for_6_months", "35 days"),
                     ("I1", "9"), ("I2", "18 years"), ("I3", "50 %"), ("I5", "0"), ("I6", "10 mg/day"),
                     ("E6", "28 days"), ("E6", "5"), ("E10", "100 mg/day"), ("E10", "14 days"), ("E13", "3")]:
        assert expected in found, expected
    assert len(found) >= 28
    # ... and nothing from the score's weights (`9: skin_thickening...`), the version or the texts.
    literals = trial_literals(text, str(TRIAL_FILE))
    (score,) = [d for d in parse(text, str(TRIAL_FILE)).module.decls if isinstance(d, A.ScoreDecl)]
    assert not [lit for lit in literals if score.span.start <= lit.start < score.span.end]
    assert all(text[lit.start - 1] != '"' for lit in literals)


def run_mutants():
    """Each mutant with its outcome (`killed`, `compiler` or `SURVIVED`), the checks that failed on it, and
    those of them that raised instead of deciding (a crash kills a mutant too, but is reported)."""
    text = TRIAL_FILE.read_text(encoding="utf-8")
    rows = []
    for mutant in mutants(trial_literals(text, str(TRIAL_FILE))):
        try:
            trial = compile_source(mutant.source(text), str(TRIAL_FILE), file_loader)
        except CompileError as err:
            rows.append((mutant, "compiler", [str(err).splitlines()[0]], []))
            continue
        failed = failures(trial)
        killers = [check.name for check, _ in failed]
        crashes = [f"{check.name}: {message}" for check, message in failed if message.startswith("raised ")]
        rows.append((mutant, "killed" if killers else "SURVIVED", killers, crashes))
    return rows


def render(rows, seconds: float) -> str:
    lines = [f"{len(rows)} mutants of {TRIAL_FILE.name} against {len(CHECKS)} boundary checks ({seconds:.1f} s)",
             "",
             f"{'line:col':>8}  {'in':<36} {'original':<11} {'mutant':<11} {'outcome':<9} {'#':>3}  "
             "first killing check (# = how many checks fail)"]
    for mutant, outcome, killers, _ in rows:
        lit = mutant.literal
        lines.append(f"{mutant.where:>8}  {lit.owner:<36} {lit.text:<11} {mutant.mutated:<11} {outcome:<9} "
                     f"{len(killers):>3}  {killers[0] if killers else '-'}")
    compiler = [r for r in rows if r[1] == "compiler"]
    survivors = [r for r in rows if r[1] == "SURVIVED"]
    crashes = [(m, c) for m, _, _, cs in rows for c in cs]
    lines += ["", f"killed by the compiler: {len(compiler)}"]
    lines += [f"  {m.where} {m.literal.text} -> {m.number}: {k[0]}" for m, _, k, _ in compiler]
    lines += [f"checks that raised instead of deciding: {len(crashes)}"]
    lines += [f"  {m.where} {m.literal.text} -> {m.number}: {c}" for m, c in crashes]
    lines += [f"survivors: {len(survivors)}"]
    lines += [f"  {m.where} ({m.literal.owner}) {m.literal.text} -> {m.number}" for m, _, _, _ in survivors]
    return "\n".join(lines)


def test_every_threshold_and_window_mutant_is_killed():
    start = time.perf_counter()
    rows = run_mutants()
    table = render(rows, time.perf_counter() - start)
    print("\n" + table)
    assert rows, "no mutants: the literal walk found nothing"
    survivors = [r for r in rows if r[1] == "SURVIVED"]
    assert not survivors, "mutants no boundary check detects:\n" + table


@pytest.mark.parametrize("number", ["0", "7", "12.5"])
def test_a_mutant_changes_exactly_one_number(number):
    text = f"define x: 1 + {number} + 2"
    lit = Literal("x", 1, 15, 14, 14 + len(number), number, number)
    for n in neighbours(number):
        assert Mutant(lit, n).source(text) == f"define x: 1 + {n} + 2"


def test_a_mutant_that_no_check_covers_survives():
    # The machinery itself: E13's `3 * reference_high` moved to 4 is caught by the ALT checks and by nothing else.
    text = TRIAL_FILE.read_text(encoding="utf-8")
    (literal,) = [lit for lit in trial_literals(text, str(TRIAL_FILE)) if lit.owner == "E13" and lit.number == "3"]
    trial = compile_source(Mutant(literal, "4").source(text), str(TRIAL_FILE), file_loader)
    alt = [c for c in CHECKS if c.source == "alt_E13.json"]
    others = [c for c in CHECKS if c.source != "alt_E13.json"]
    assert failures(trial, alt)
    assert not failures(trial, others)
