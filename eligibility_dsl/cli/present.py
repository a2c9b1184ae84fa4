"""Text for people on a terminal: wrapped to its width, coloured when it is a terminal, `NO_COLOR` respected.

``rich`` decides what the output is: colours only on a terminal (or with ``FORCE_COLOR``), never with
``NO_COLOR`` set (https://no-color.org); the width is the terminal's, else ``COLUMNS``, else 100.
The text itself is wrapped by the renderers (``explain/render.py``), so piped output reads the same as the
terminal's, only without colour.
"""

from __future__ import annotations

import os
import sys

from rich.console import Console
from rich.highlighter import RegexHighlighter
from rich.theme import Theme

PIPE_WIDTH = 100  # lines written to a file or a pipe, unless COLUMNS says otherwise

_THEME = Theme({
    "elig.eligible": "bold green", "elig.ineligible": "bold red", "elig.indeterminate": "bold yellow",
    "elig.met": "green", "elig.not_met": "red", "elig.unknown": "yellow", "elig.not_evaluated": "dim",
    "elig.yes": "green", "elig.no": "red", "elig.maybe": "yellow", "elig.where": "cyan",
    "elig.confirmed": "bold green", "elig.differs": "bold red",
})


class DecisionHighlighter(RegexHighlighter):
    """Colours outcomes, statuses and trace marks (word boundaries keep MET out of NOT_MET)."""

    base_style = "elig."
    highlights = [  # noqa: RUF012 (rich reads the class attribute)
        r"\b(?P<ineligible>INELIGIBLE)\b", r"\b(?P<eligible>ELIGIBLE)\b", r"\b(?P<indeterminate>INDETERMINATE)\b",
        r"\b(?P<not_met>NOT_MET)\b", r"\b(?P<met>MET)\b", r"\b(?P<unknown>UNKNOWN)\b",
        r"\b(?P<not_evaluated>NOT_EVALUATED)\b",
        r"(?P<yes>✓)", r"(?P<no>✗)", r"(?<= )(?P<maybe>\?)(?= )", r"(?P<where>\[[^\]\s]+\.elig:\d+\])",
        r"^(?P<confirmed>confirmed)\b", r"^(?P<differs>(differs|broken|torn))\b",
    ]


def console(file=None) -> Console:
    return Console(file=file or sys.stdout, highlighter=DecisionHighlighter(), theme=_THEME, soft_wrap=True,
                   emoji=False, markup=False)


def width(con: Console) -> int:
    if con.is_terminal:
        return con.width
    try:
        return max(int(os.environ["COLUMNS"]), 20)
    except (KeyError, ValueError):
        return PIPE_WIDTH


def write(con: Console, text: str) -> None:
    """Print rendered text (already wrapped) through rich, highlighted."""
    con.print(text, end="" if text.endswith("\n") else "\n", markup=False, highlight=True)
