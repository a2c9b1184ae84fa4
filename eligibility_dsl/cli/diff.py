"""`elig diff OLD NEW [--patients DIR --anchor NAME=DATE] [--format json]`: what a protocol amendment
changes (needs the `diff` extra, z3-solver)."""

from __future__ import annotations

import argparse
import json

from .common import InputProblem


def add_parser(sub) -> None:
    diff = sub.add_parser("diff", help="compare two versions of a trial's criteria (a protocol amendment)")
    diff.add_argument("old", metavar="OLD")
    diff.add_argument("new", metavar="NEW")
    diff.add_argument("--patients", metavar="DIR", help="a folder of patient records (*.json) to evaluate under both")
    diff.add_argument("--anchor", action="append", default=[], metavar="NAME=DATE",
                      help="anchor dates for --patients (e.g. screening=2025-09-11)")
    diff.add_argument("--format", choices=("text", "json"), default="text")
    diff.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        from ..amendments.report import diff, render_text
    except ImportError as err:
        raise InputProblem(f"`elig diff` needs the `diff` extra ({err.name} is missing): "
                           "pip install 'eligibility_dsl[diff]'") from None
    anchors = {}
    for item in args.anchor:
        name, _, value = item.partition("=")
        if not value:
            raise InputProblem(f"--anchor `{item}` should be NAME=YYYY-MM-DD")
        anchors[name] = value
    result = diff(args.old, args.new, args.patients, anchors)
    print(json.dumps(result, indent=2, default=str) if args.format == "json" else render_text(result))
    return 0
