"""Every example trial with a test folder (trials/examples/tests/NAME/*.test.json) passes `elig test`,
with at least four example patients checked by hand against the protocol text."""

from pathlib import Path

import pytest

from eligibility_dsl.authoring import run_tests

EXAMPLES = Path(__file__).parent.parent / "trials" / "examples"
TRIALS = sorted(p for p in EXAMPLES.glob("*.elig") if (EXAMPLES / "tests" / p.stem).is_dir())


@pytest.mark.parametrize("trial", TRIALS, ids=lambda p: p.stem)
def test_the_example_trial_passes_its_tests(trial):
    run = run_tests([trial])
    failures = [f"{s.path}: {list(s.errors)} {[c.name for c in s.cases if not c.passed]}"
                for s in run.suites if not s.passed]
    assert run.passed, "\n".join(failures)
    assert sum(len(s.cases) for s in run.suites) >= 4
