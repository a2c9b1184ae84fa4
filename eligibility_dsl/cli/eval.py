"""`elig eval FILE PATIENT.json... --anchor NAME=DATE`: decide records and explain the decisions."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..api import compile_source
from ..language.loader import file_loader
from ..records.binder import RecordError
from .common import InputProblem, parse_anchors, read_json, read_text


def add_parser(sub) -> None:
    ev = sub.add_parser("eval", help="evaluate a criteria file against patient records and explain the decision")
    ev.add_argument("file", metavar="FILE")
    ev.add_argument("patients", nargs="+", metavar="PATIENT.json", help="a record, or a JSON list of records")
    ev.add_argument("--anchor", action="append", default=[], metavar="NAME=DATE",
                    help="a reference date the trial declares, e.g. screening=2025-09-11 (repeatable)")
    ev.add_argument("--format", choices=("text", "json"), default="text")
    ev.add_argument("--explain", choices=("summary", "full"), default="summary",
                    help="summary: one reason per criterion; full: every sub-expression with its value")
    ev.add_argument("--fast", action="store_true", help="stop at the first decisive criterion (no trace)")
    ev.set_defaults(run=run)


def _records(path: str) -> list[Any]:
    data = read_json(path)
    return data if isinstance(data, list) else [data]


def run(args: argparse.Namespace) -> int:
    trial = compile_source(read_text(args.file), args.file, file_loader)
    anchors = trial.parse_anchors(parse_anchors(args.anchor))
    decisions = []
    for path in args.patients:
        for record in _records(path):
            try:
                facts = trial.bind(record)
            except RecordError as err:
                where = f"{path}" + (f" (record `{err.record_id}`)" if err.record_id else "")
                raise InputProblem(f"{where} does not fit the patient model:\n" +
                                   "\n".join(f"  {issue}" for issue in err.issues)) from None
            decisions.append(trial.evaluate_bound(facts, anchors, trace=not args.fast, fast=args.fast))
    if args.format == "json":
        out = [d.to_dict() for d in decisions]
        print(json.dumps(out[0] if len(out) == 1 else out, indent=2, ensure_ascii=False))
    else:
        sys.stdout.write("\n".join(d.explain(args.explain) for d in decisions))
    return 0
