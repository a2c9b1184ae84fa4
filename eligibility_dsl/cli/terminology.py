"""`--terminology PATH`, shared by the commands that compile a trial (docs/terminology.md)."""

from __future__ import annotations

import argparse

from ..terminology import TerminologyError, load
from .common import InputProblem


def add_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--terminology", metavar="PATH",
                        help="expand code sets with this terminology instead of the shipped RxNorm table: a table "
                             "file, a FHIR ValueSet expansion, or a directory of them; `none` for no expansion")


def from_args(args: argparse.Namespace):
    """The terminology the command was given (None: the shipped table); a file that cannot be read is an
    input problem (exit 2), never a traceback."""
    path = getattr(args, "terminology", None)
    if path is None:
        return None
    if path == "none":
        return False
    try:
        return load(path)
    except TerminologyError as err:
        raise InputProblem(str(err)) from None
