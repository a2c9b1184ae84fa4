"""Tools for the people who write criteria: test files next to a trial, their runner, outcome coverage.

    from eligibility_dsl.authoring import run_tests
    run = run_tests(["trials/ssc_telitacicept.elig"], coverage=True)
    run.passed, run.counts, run.coverage_percent()

``suite`` (the test file format, strict reading, discovery), ``runner`` (evaluating cases, comparing
expectations), ``coverage`` (outcomes, thresholds and window edges reached), ``report`` (text and JSON).
The format is documented in docs/authoring.md. (`elig fmt` lives with the language: language/format.py.)
"""

from .coverage import Coverage, Point
from .report import coverage_to_text, run_to_json, run_to_text
from .runner import CaseResult, Mismatch, SuiteResult, TestRun, run_case, run_tests
from .suite import Case, Expectation, Suite, SuiteError, discover, load_suite, merge_patch, tests_folder

__all__ = [
    "Case", "CaseResult", "Coverage", "Expectation", "Mismatch", "Point", "Suite", "SuiteError", "SuiteResult",
    "TestRun", "coverage_to_text", "discover", "load_suite", "merge_patch", "run_case", "run_tests", "run_to_json",
    "run_to_text", "tests_folder",
]
