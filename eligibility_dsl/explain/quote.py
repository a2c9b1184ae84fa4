"""Quoting criteria source text for a trace node, from the file the node was written in.

Criteria come from the trial file and from the libraries it imports, so a node's span names its file and
the quote is taken from that file's text (``Decision.sources``), never from the trial's own text.
"""

from __future__ import annotations

import os

from ..check import ir
from .values import text_value


class SourceText:
    """The text of every criteria file, by the name spans use; ``of(node)`` quotes a node's source."""

    def __init__(self, text: str = "", sources: dict[str, str] | None = None):
        self.text, self.sources = text, sources or {}
        self._names: dict[str, str] | None = None

    @property
    def names(self) -> dict[str, str]:
        """Display names of the files (see ``display_names``); the trial file is the first source."""
        if self._names is None:
            self._names = display_names(self.sources, next(iter(self.sources))) if self.sources else {}
        return self._names

    def location(self, span) -> str:
        return location(span, self.names)

    @classmethod
    def of_decision(cls, decision) -> SourceText:
        return cls(decision.source, getattr(decision, "sources", None) or {})

    def _text_for(self, file: str | None) -> str:
        if file is not None and file in self.sources:
            return self.sources[file]
        return self.text

    def of(self, node: ir.Node) -> str:
        s = node.span
        text = self._text_for(s.file if s is not None else None)
        if s is None or s.end <= s.start or not text:
            if isinstance(node, ir.Const):
                return text_value(node.value)
            return getattr(node, "name", type(node).__name__)
        return " ".join(text[s.start:s.end].split())

    def span_text(self, span) -> str | None:
        if span is None or span.end <= span.start:
            return None
        text = self._text_for(span.file)
        return " ".join(text[span.start:span.end].split()) or None


def display_names(files, main: str) -> dict[str, str]:
    """Short, stable names for criteria files: the trial file by its base name, every other file relative
    to the trial's folder (``lib/ssc_valuesets.elig``), with `/` separators.  Records and traces use these
    names, so that they do not depend on the folder the command was run from."""
    base = os.path.dirname(main)
    out = {}
    for name in files:
        if name == main:
            out[name] = os.path.basename(main) or main
        elif name.startswith("<"):  # <string>, <expression>: not files
            out[name] = name
        else:
            out[name] = os.path.relpath(name, base or ".").replace(os.sep, "/")
    return out


def location(span, names: dict[str, str] | None = None) -> str:
    """``ssc_telitacicept.elig:148`` for a span (the file named as in ``display_names``)."""
    name = (names or {}).get(span.file) or os.path.basename(span.file) or span.file
    return f"{name}:{span.line}"
