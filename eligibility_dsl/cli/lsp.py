"""`elig lsp`: the language server for editors, over stdio (needs the `lsp` extra)."""

from __future__ import annotations

import argparse

from .common import InputProblem


def add_parser(sub) -> None:
    lsp = sub.add_parser("lsp", help="run the language server for editors (over stdio)")
    lsp.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default and only transport)")
    lsp.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        from ..lsp.server import serve
    except ImportError as err:
        raise InputProblem(f"the language server needs the `lsp` extra ({err.name} is missing): "
                           "pip install 'eligibility_dsl[lsp]'") from None
    serve()
    return 0
