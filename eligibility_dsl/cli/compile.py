"""`elig compile FILE --emit python`: print what a trial compiles to (the generated Python module)."""

from __future__ import annotations

import argparse
import sys

from ..api import compile_source
from ..language.loader import file_loader
from .common import read_text
from .terminology import add_option as add_terminology_option
from .terminology import from_args as terminology_from_args


def add_parser(sub) -> None:
    cmd = sub.add_parser("compile", help="print what a criteria file compiles to (the generated Python module)")
    cmd.add_argument("file", metavar="FILE")
    cmd.add_argument("--emit", choices=("python",), default="python",
                     help="python: the generated module that evaluates the trial (readable; comments name each "
                          "criterion and its source line)")
    add_terminology_option(cmd)
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    trial = compile_source(read_text(args.file), args.file, file_loader, terminology=terminology_from_args(args))
    sys.stdout.write(trial.python_source)
    return 0
