"""`elig check FILE...`: every syntax, name, type and unit error; exit 1 if any."""

from __future__ import annotations

import argparse
import sys

from ..check.unused import with_unused
from ..diagnostics import CompileError
from ..report import render_json, render_text
from .trialfile import add_lib_path, check_trial


def add_parser(sub) -> None:
    check = sub.add_parser("check", help="report every syntax, name, type and unit error in criteria files")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument("--format", choices=("text", "json"), default="text")
    add_lib_path(check)
    check.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    all_diagnostics, sources, summaries = [], {}, []
    for path in args.files:
        try:
            trial, diagnostics = check_trial(path, args)
        except CompileError as err:  # not UTF-8 text
            sources.update(err.sources)
            all_diagnostics.extend(err.diagnostics)
            continue
        diagnostics = with_unused(trial, diagnostics)
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
