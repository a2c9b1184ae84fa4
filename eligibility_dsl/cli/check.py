"""`elig check FILE...`: every syntax, name, type and unit error; exit 1 if any."""

from __future__ import annotations

import argparse
import sys

from ..api import check_source
from ..check.unused import with_unused
from ..language.loader import file_loader
from ..report import render_json, render_text
from .common import read_text


def add_parser(sub) -> None:
    check = sub.add_parser("check", help="report every syntax, name, type and unit error in criteria files")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    all_diagnostics, sources, summaries = [], {}, []
    for path in args.files:
        text = sources[path] = read_text(path)
        trial, diagnostics = check_source(text, path, file_loader)
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
