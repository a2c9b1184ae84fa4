"""Reading the criteria file a command is given: `--lib-path`, and the one loader (imports stay inside the
trial's folder tree or the named library folders; README, "Security and limits")."""

from __future__ import annotations

import argparse

from ..api import Trial, check_file, compile_file
from .common import InputProblem
from .terminology import add_option as add_terminology_option
from .terminology import from_args as terminology_from_args


def add_lib_path(parser: argparse.ArgumentParser, terminology: bool = True) -> None:
    """`--lib-path DIR` and (unless ``terminology`` is false) `--terminology PATH`."""
    parser.add_argument("--lib-path", action="append", default=[], metavar="DIR",
                        help="a folder of libraries that `import` may read besides the trial's own folder "
                             "tree (repeatable)")
    if terminology:
        add_terminology_option(parser)


def compile_trial(path: str, args: argparse.Namespace) -> Trial:
    """The compiled trial (a CompileError for a broken one, rendered by main); InputProblem if unreadable."""
    try:
        return compile_file(path, lib_path=getattr(args, "lib_path", None) or (),
                            terminology=terminology_from_args(args))
    except OSError as err:
        raise InputProblem(f"cannot read `{path}`: {err.strerror or err}") from None


def check_trial(path: str, args: argparse.Namespace):
    """(checked trial, diagnostics) of one file; InputProblem if it cannot be read."""
    try:
        return check_file(path, lib_path=getattr(args, "lib_path", None) or (),
                          terminology=terminology_from_args(args))
    except OSError as err:
        raise InputProblem(f"cannot read `{path}`: {err.strerror or err}") from None
