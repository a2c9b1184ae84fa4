"""`elig schema [FILE]`: the JSON Schema of patient records (for FILE's facts when given);
`elig schema decision`: the JSON Schema of decision records."""

from __future__ import annotations

import argparse
import json

from ..explain.record import decision_schema
from ..records.schema import record_schema
from .trialfile import add_lib_path, compile_trial


def add_parser(sub) -> None:
    schema = sub.add_parser("schema", help="print the JSON Schema of patient records (with FILE: for that trial)")
    schema.add_argument("file", nargs="?", metavar="FILE|decision",
                        help="a criteria file: list exactly the facts it declares; `decision`: the schema of "
                             "decision records (`elig eval --format json`)")
    add_lib_path(schema)
    schema.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.file == "decision":
        schema = decision_schema()
    elif args.file:
        # The one loader: a broken file is a CompileError, rendered by main.
        trial = compile_trial(args.file, args)
        schema = record_schema(trial.facts, trial.id)
    else:
        schema = record_schema()
    print(json.dumps(schema, indent=2, ensure_ascii=False))
    return 0
