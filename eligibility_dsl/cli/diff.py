"""`elig diff OLD NEW [--patients DIR] [--format json]`: what a protocol amendment changes."""

from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    diff = sub.add_parser("diff", help="compare two versions of a trial's criteria (a protocol amendment)")
    diff.add_argument("old", metavar="OLD")
    diff.add_argument("new", metavar="NEW")
    diff.add_argument("--patients", metavar="DIR", help="a folder of patient records to evaluate under both")
    diff.add_argument("--anchor", action="append", default=[], metavar="NAME=DATE",
                      help="anchor dates for --patients (e.g. screening=2025-09-11)")
    diff.add_argument("--format", choices=("text", "json"), default="text")
    diff.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..amendments.cli_support import run_diff
    return run_diff(args)
