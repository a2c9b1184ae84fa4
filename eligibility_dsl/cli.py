"""The `elig` command: check criteria files and evaluate them against patient records.

    elig check FILE...                      diagnostics; exit 1 if any error
    elig eval FILE PATIENT.json... --anchor screening=2025-09-11 [--format text|json] [--explain full]
    elig schema [FILE]                      the JSON Schema of patient records (for FILE's facts)

Exit codes: 0 success, 1 the criteria file has errors, 2 the input (record,
anchor, file) does not fit.  A user's mistake is reported, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import __version__
from .api import Trial, check_source, compile_source, file_loader
from .diagnostics import CompileError
from .records import InputError, RecordError
from .report import render_json, render_text
from .schema import main as schema_main


class _InputProblem(Exception):
    pass


def _read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise _InputProblem(f"cannot read `{path}`: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise _InputProblem(f"`{path}` is not UTF-8 text") from None


def _read_json(path: str) -> Any:
    text = _read_text(path)
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as err:
        raise _InputProblem(f"{path}:{err.lineno}:{err.colno}: invalid JSON: {err.msg.lower()}") from None


def _parse_anchors(items: list[str]) -> dict[str, str]:
    anchors: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise _InputProblem(f"`--anchor {item}` should be NAME=YYYY-MM-DD, e.g. `--anchor screening=2025-09-11`")
        anchors[name.strip()] = value.strip()
    return anchors


def cmd_check(args: argparse.Namespace) -> int:
    all_diagnostics, sources, summaries = [], {}, []
    for path in args.files:
        text = _read_text(path)
        sources[path] = text
        trial, diagnostics = check_source(text, path, file_loader)
        sources.update(trial.sources)
        all_diagnostics.extend(diagnostics)
        if not diagnostics:
            what = (f"library, {len(trial.codesets)} code sets, {len(trial.tables)} tables" if trial.is_library
                    else f"{len(trial.criteria)} criteria")
            summaries.append(f"{path}: ok ({trial.registry_id}, {what})")
    if args.format == "json":
        print(render_json(all_diagnostics))
    else:
        if all_diagnostics:
            sys.stdout.write(render_text(all_diagnostics, sources))
        for line in summaries:
            print(line)
    return 1 if any(d.severity == "error" for d in all_diagnostics) else 0


def _records(path: str) -> list[Any]:
    data = _read_json(path)
    return data if isinstance(data, list) else [data]


def cmd_eval(args: argparse.Namespace) -> int:
    text = _read_text(args.file)
    trial: Trial = compile_source(text, args.file, file_loader)
    anchors = trial.parse_anchors(_parse_anchors(args.anchor))
    decisions = []
    for path in args.patients:
        for record in _records(path):
            try:
                facts = trial.bind(record)
            except RecordError as err:
                where = f"{path}" + (f" (record `{err.record_id}`)" if err.record_id else "")
                raise _InputProblem(f"{where} does not fit the patient model:\n" +
                                    "\n".join(f"  {issue}" for issue in err.issues)) from None
            decisions.append(trial.evaluate_bound(facts, anchors, trace=not args.fast, fast=args.fast))
    if args.format == "json":
        out = [d.to_dict() for d in decisions]
        print(json.dumps(out[0] if len(out) == 1 else out, indent=2, ensure_ascii=False))
    else:
        sys.stdout.write("\n".join(d.explain(args.explain) for d in decisions))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="elig", description="Check and evaluate clinical-trial eligibility criteria.")
    parser.add_argument("--version", action="version", version=f"eligibility_dsl {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="report every syntax, name, type and unit error in criteria files")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.set_defaults(run=cmd_check)

    ev = sub.add_parser("eval", help="evaluate a criteria file against patient records and explain the decision")
    ev.add_argument("file", metavar="FILE")
    ev.add_argument("patients", nargs="+", metavar="PATIENT.json", help="a record, or a JSON list of records")
    ev.add_argument("--anchor", action="append", default=[], metavar="NAME=DATE",
                    help="a reference date the trial declares, e.g. screening=2025-09-11 (repeatable)")
    ev.add_argument("--format", choices=("text", "json"), default="text")
    ev.add_argument("--explain", choices=("summary", "full"), default="summary",
                    help="summary: one reason per criterion; full: every sub-expression with its value")
    ev.add_argument("--fast", action="store_true", help="stop at the first decisive criterion (no trace)")
    ev.set_defaults(run=cmd_eval)

    schema = sub.add_parser("schema", help="print the JSON Schema of patient records (with FILE: for that trial)")
    schema.add_argument("file", nargs="?", metavar="FILE")
    schema.set_defaults(run=lambda args: schema_main([args.file] if args.file else []))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except CompileError as err:
        if getattr(args, "format", "text") == "json":
            print(render_json(err.diagnostics))
        else:
            sys.stdout.write(render_text(err.diagnostics, err.sources))
        return 1
    except (_InputProblem, InputError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `elig eval ... | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
