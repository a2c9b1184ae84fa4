"""`elig doc FILE [--format markdown|html] [-o OUT]`: the trial in plain language (for an ethics committee
or a patient leaflet): each criterion's protocol text beside its computable reading, the value sets with
their codes, and the reading rules."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..api import check_source
from ..diagnostics import CompileError
from ..explain.trial_doc import to_html, to_markdown, trial_document
from ..language.loader import file_loader
from .common import InputProblem, read_text


def add_parser(sub) -> None:
    doc = sub.add_parser("doc", help="the trial in plain language (Markdown or HTML)")
    doc.add_argument("file", metavar="FILE")
    doc.add_argument("--format", choices=("markdown", "html"), default="markdown")
    doc.add_argument("-o", "--output", metavar="OUT", help="write here instead of to standard output")
    doc.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    text = read_text(args.file)
    trial, diagnostics = check_source(text, args.file, file_loader)
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors:
        raise CompileError(errors, {args.file: text, **trial.sources})
    doc = trial_document(trial)
    out = to_html(doc) if args.format == "html" else to_markdown(doc)
    if args.output:
        try:
            Path(args.output).write_text(out, encoding="utf-8")
        except OSError as err:
            raise InputProblem(f"cannot write `{args.output}`: {err.strerror or err}") from None
    else:
        sys.stdout.write(out)
    return 0
