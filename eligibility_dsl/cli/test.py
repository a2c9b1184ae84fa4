"""`elig test [PATH...] [--format json] [--coverage] [--threshold N]`: run a trial's test files.

PATH is a trial (its tests are in `trials/tests/NAME/`), a tests folder, a `*.test.json` file or a folder
searched for them (default: `trials/`). Exit 0 when every case passes (and coverage reaches the
threshold), 1 otherwise; the report says which expectation failed, with the criterion's explanation.
"""

from __future__ import annotations

import argparse
import sys

from ..authoring import SuiteError, run_tests, run_to_json, run_to_text
from .common import InputProblem


def add_parser(sub) -> None:
    test = sub.add_parser("test", help="run the test files of trials (expected outcomes, statuses, evidence)")
    test.add_argument("paths", nargs="*", metavar="PATH", default=["trials"],
                      help="a trial, a tests folder, a *.test.json file, or a folder (default: trials/)")
    test.add_argument("--format", choices=("text", "json"), default="text")
    test.add_argument("--coverage", action="store_true",
                      help="report the outcomes, thresholds and window edges the tests reached")
    test.add_argument("--threshold", type=float, metavar="N",
                      help="fail when coverage (outcomes and boundaries together) is below N %%")
    test.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    coverage = args.coverage or args.threshold is not None
    try:
        result = run_tests(args.paths, coverage=coverage)
    except SuiteError as err:
        raise InputProblem(str(err)) from None
    if not result.suites:
        raise InputProblem("no test files (`*.test.json`) under " + ", ".join(f"`{p}`" for p in args.paths))
    render = run_to_json if args.format == "json" else run_to_text
    sys.stdout.write(render(result, coverage=coverage))
    status = 0 if result.passed else 1
    if args.threshold is not None:
        percent = result.coverage_percent() or 0.0
        if percent < args.threshold:
            if args.format == "text":
                print(f"coverage {percent:.1f} % is below the threshold of {args.threshold:g} %")
            status = 1
    return status
