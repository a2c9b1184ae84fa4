"""Building the source of a generated module: lines, indentation, fresh names, constants, the span map.

No user text becomes code. Every identifier the generator writes is one it made (`v12`, `c3`, `q4`), and
every value from the criteria file (a fact name, a text, a code, a number, an IR node) is a *constant*: it
is stored in a table and the source refers to it by a generated name, bound in the module's namespace
before the code runs. Comments may quote a criterion's id and location, and pass through
:func:`comment_text`, which keeps them on one line and printable.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

from ...diagnostics import Span

# Python ends a line at \n, \r and \r\n; anything unprintable is shown escaped, so a comment is always
# one line of plain text whatever the criteria file held. Lone surrogates (which a ``str`` given to
# ``compile_source`` can hold, though no UTF-8 file can) are escaped too: ``compile()`` encodes the source.
_UNSAFE = re.compile(r"[^\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufffd]")


def comment_text(text: str, limit: int = 100) -> str:
    """``text`` made safe to follow a ``#``: one line, printable, at most ``limit`` characters."""
    safe = _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else
                       f"\\u{ord(m.group()):04x}", text)
    return safe if len(safe) <= limit else safe[: limit - 3] + "..."


class Module:
    """What the functions of one generated module share: the constant table, fresh names, finished code."""

    def __init__(self) -> None:
        self.constants: dict[str, Any] = {}
        self._by_identity: dict[int, str] = {}
        self._keep: list[Any] = []  # keeps constants alive while their id() is a key
        self._names = 0
        self.functions: list[Emitter] = []

    def name(self, prefix: str = "v") -> str:
        self._names += 1
        return f"{prefix}{self._names}"

    def const(self, value: Any) -> str:
        """A generated name bound to ``value`` in the module namespace (one name per distinct object)."""
        if value is None or value is True or value is False:
            return repr(value)
        key = id(value)
        found = self._by_identity.get(key)
        if found is None:
            found = self._by_identity[key] = f"c{len(self.constants)}"
            self.constants[found] = value
            self._keep.append(value)
        return found

    def source(self, header: list[str]) -> tuple[str, list[tuple[str | None, Span | None]]]:
        """The module's text and, per line (0-based), the criterion and span it was generated for."""
        lines = list(header)
        spans: list[tuple[str | None, Span | None]] = [(None, None)] * len(lines)
        for f in self.functions:
            lines.append("")
            spans.append((None, None))
            lines.extend(f.lines)
            spans.extend(f.line_spans)
        return "\n".join(lines) + "\n", spans


class Emitter:
    """The lines of one generated function. ``span`` is the source span of what is being emitted now:
    each line records it, so an exception raised at a generated line maps back to the criteria file."""

    def __init__(self, module: Module, criterion: str | None = None, span: Span | None = None) -> None:
        self.module = module
        self.lines: list[str] = []
        self.line_spans: list[tuple[str | None, Span | None]] = []
        self.depth = 0
        self.criterion = criterion
        self.span = span

    def name(self, prefix: str = "v") -> str:
        return self.module.name(prefix)

    def const(self, value: Any) -> str:
        return self.module.const(value)

    def line(self, text: str) -> None:
        self.lines.append("    " * self.depth + text)
        self.line_spans.append((self.criterion, self.span))

    def comment(self, text: str) -> None:
        self.line("# " + comment_text(text))

    @contextlib.contextmanager
    def block(self, header: str) -> Iterator[None]:
        self.line(header)
        self.depth += 1
        mark = len(self.lines)
        try:
            yield
        finally:
            if len(self.lines) == mark:
                self.line("pass")
            self.depth -= 1

    @contextlib.contextmanager
    def at(self, span: Span | None) -> Iterator[None]:
        outer = self.span
        if span is not None:
            self.span = span
        try:
            yield
        finally:
            self.span = outer
