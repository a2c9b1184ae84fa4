"""Rendering diagnostics: caret snippets for people, JSON for tools.

Kept apart from the diagnostics themselves (``diagnostics.py``) and from the
exception that carries them: the API raises data, the CLI chooses the form.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from .diagnostics import Diagnostic, sort_key


def render_diagnostic(d: Diagnostic, sources: dict[str, str]) -> str:
    """Rust-style: header, location, the source line with carets under the span, help."""
    lines = [f"{d.severity}[{d.code}]: {d.message}"]
    s = d.span
    if s is not None:
        gutter = " " * len(str(s.line))
        lines.append(f"{gutter}--> {s.file}:{s.line}:{s.column}")
        text = sources.get(s.file)
        if text is not None:
            source_lines = text.split("\n")
            if 1 <= s.line <= len(source_lines):
                src = source_lines[s.line - 1].rstrip()
                end = s.end_column if s.end_line == s.line else len(src) + 1
                width = max(1, end - s.column)
                lines.append(f"{gutter} |")
                lines.append(f"{s.line} | {src}")
                lines.append(f"{gutter} | {' ' * (s.column - 1)}{'^' * width}")
    if d.help:
        lines.append(f"{gutter if s else ''} = help: {d.help}")
    return "\n".join(lines)


def render_text(diagnostics: Iterable[Diagnostic], sources: dict[str, str]) -> str:
    ds = sorted(diagnostics, key=sort_key)
    body = "\n\n".join(render_diagnostic(d, sources) for d in ds)
    errors = sum(d.severity == "error" for d in ds)
    warnings = len(ds) - errors
    summary = f"{errors} error{'s' if errors != 1 else ''}" if errors else "no errors"
    if warnings:
        summary += f", {warnings} warning{'s' if warnings != 1 else ''}"
    return (body + "\n\n" if body else "") + summary + "\n"


def render_json(diagnostics: Iterable[Diagnostic]) -> str:
    return json.dumps([d.to_dict() for d in sorted(diagnostics, key=sort_key)], indent=2, ensure_ascii=False)
