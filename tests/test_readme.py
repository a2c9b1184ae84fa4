"""The README shows what the library does: its language tour compiles and its commands are the CI's."""

import re
from pathlib import Path

from eligibility_dsl import compile_source

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_language_tour_compiles():
    (tour,) = re.findall(r"```elig\n(.*?)```", README, re.DOTALL)
    trial = compile_source(tour, "README.md")
    assert [c.id for c in trial.criteria] == ["I2", "I3", "E6"]


def test_readme_opens_with_the_two_setup_commands_and_ci_runs_the_test_command():
    first_block = re.search(r"```sh\n(.*?)```", README, re.DOTALL).group(1).strip().splitlines()
    assert len(first_block) == 2
    assert first_block[0].startswith("pip install . && elig eval trials/ssc_telitacicept.elig")
    test_command = first_block[1]
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
