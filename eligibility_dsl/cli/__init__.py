"""The `elig` command: check criteria files and evaluate them against patient records.

    elig check FILE...                      diagnostics; exit 1 if any error
    elig eval FILE PATIENT.json... --anchor screening=2025-09-11 [--format text|json|markdown|html]
              [--explain summary|fails|full|worklist] [--fast] [--exit-code] [--log FILE] [--output-dir DIR]
    elig verify DECISION.json --trial FILE --patient FILE   replay a decision record and confirm it
    elig verify --log FILE                  check a decision log's hash chain
    elig compile FILE --emit python         the generated Python module that evaluates FILE
    elig schema [FILE]                      the JSON Schema of patient records (for FILE's facts)
    elig schema decision                    the JSON Schema of decision records
    elig screen FILE INPUT... --anchor ... --out results.parquet   one result row per record, resumable
    elig lsp                                the language server for editors (stdio)
    elig diff OLD NEW [--patients DIR]      what a protocol amendment changes, criterion by criterion
    elig doc FILE [--format markdown|html] [-o OUT]   the trial in plain language
    elig fmt [FILE...] [--check] [--diff]   rewrite criteria files in the canonical layout
    elig test [PATH...] [--format json] [--coverage] [--threshold N]   run a trial's test files

Every command that compiles a criteria file takes ``--lib-path DIR`` (repeatable): a library folder that
``import`` may read besides the trial's own folder tree (README, "Security and limits").
One module per command (``cli/check.py``, ``cli/eval.py``, ...), each with ``add_parser`` and ``run``.
Exit codes: 0 success, 1 the criteria file has errors, 2 the input (record, anchor, file) does not fit;
with ``eval --exit-code``, 3 INELIGIBLE and 4 INDETERMINATE (0 ELIGIBLE); 5 ``verify`` found a difference
(or a broken or torn log). A user's mistake is reported, never a traceback.
"""

from __future__ import annotations

import argparse
import sys

from ..diagnostics import CompileError
from ..records.binder import InputError
from ..report import render_json, render_text
from ..version import __version__
from . import check, compile, diff, doc, eval, fmt, lsp, schema, screen, test, verify
from .common import InputProblem

COMMANDS = (check, eval, verify, compile, schema, screen, doc, fmt, test, lsp, diff)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="elig", description="Check and evaluate clinical-trial eligibility criteria.")
    parser.add_argument("--version", action="version", version=f"eligibility_dsl {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
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
    except (InputProblem, InputError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `elig eval ... | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
