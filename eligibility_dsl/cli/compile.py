"""`elig compile FILE --emit python`: print what a trial compiles to (the generated Python module)."""

from __future__ import annotations

import argparse
import sys

from .trialfile import add_lib_path, compile_trial


def add_parser(sub) -> None:
    cmd = sub.add_parser("compile", help="print what a criteria file compiles to (the generated Python module)")
    cmd.add_argument("file", metavar="FILE")
    cmd.add_argument("--emit", choices=("python",), default="python",
                     help="python: the generated module that evaluates the trial (readable; comments name each "
                          "criterion and its source line)")
    add_lib_path(cmd)
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    trial = compile_trial(args.file, args)
    sys.stdout.write(trial.python_source)
    return 0
