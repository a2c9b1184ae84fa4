"""Source spans and diagnostics: the data every stage reports errors with.

A diagnostic is data (code, message, span, help), never a formatted string: the
renderers in ``eligibility_dsl.render`` turn a list of them into caret snippets
or JSON.  The message style follows Cedar's guide: lowercase, user input in
backticks, no trailing period, advice in ``help``.

This module is the bottom of the package: it imports nothing from it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import attrs


@attrs.frozen(order=True)
class Span:
    """A region of a source file; lines and columns count from 1, ``end_column`` is exclusive.

    ``start``/``end`` are character offsets into the file's text, used to quote the
    source of a sub-expression in a trace.
    """

    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    start: int = 0
    end: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
        }


# Stable codes. A code, once published, keeps its meaning; retired codes are not reused.
CODES: dict[str, str] = {
    "E0001": "syntax-error",
    "E0002": "unexpected-end",
    "E0003": "invalid-character",
    "E0004": "unterminated-text",
    "E0005": "nested-too-deeply",
    "E0101": "unknown-name",
    "E0102": "duplicate-criterion-id",
    "E0103": "duplicate-declaration",
    "E0104": "unknown-unit",
    "E0105": "cyclic-definition",
    "E0106": "unknown-function",
    "E0107": "value-not-allowed",
    "E0108": "missing-trial-header",
    "E0109": "reserved-name",
    "E0201": "type-mismatch",
    "E0202": "unit-mismatch",
    "E0203": "criterion-not-boolean",
    "E0204": "wrong-argument-count",
    "E0205": "invalid-date",
    "E0110": "unknown-collection",
    "E0112": "unknown-field",
    "E0113": "window-required",
    "E0114": "unknown-code-system",
    "E0115": "prefix-not-hierarchical",
    "E0116": "import-failed",
    "E0117": "not-allowed-in-library",
    "E0118": "negative-length",
    "E0125": "malformed-code",
    "E0131": "malformed-valueset",
    "E0140": "unknown-result-word",
    "E0141": "result-word-outside-observations",
    "E0142": "daily-total-needs-dose-records",
    "E0174": "items-need-assessments",  # counting over items (lang11b)
    "E0150": "import-refused",
    "E0151": "import-cycle",
    "E0152": "no-criteria",
    "E0153": "number-too-large",
    "E0154": "not-utf8-text",
    "E0155": "titre-not-a-dilution",
    "E0172": "fact-range-not-a-number",
    "E0173": "empty-fact-range",
    "W0101": "absence-never-counts",
    "E0401": "not-compiled-to-sql",  # a construct the SQL backend (--engine duckdb|spark) does not compile yet
    "E0006": "invisible-character",
    "W0102": "unused-declaration",
    "E0220": "analytes-of-different-molar-mass",  # check/analytes.py: a result could convert the wrong way
    "E0221": "no-analyte-conflict",  # check/history.py: `analyte none` on a set whose LOINC codes name one
    "W0120": "result-without-analyte",  # a threshold in mass or molar units for codes that name no analyte
    # formulas (lang11a)
    "E0170": "formula-needs-plain-number",
    "E0171": "formula-needs-whole-constant",
    # date-times (issue 11)
    "E0190": "age-unit-not-hours-or-minutes",
    # never / always met (check/intervals.py)
    "W0122": "condition-never-true",
    "W0123": "condition-always-true",
}


@attrs.frozen
class Diagnostic:
    code: str
    message: str
    span: Span | None
    help: str | None = None
    severity: str = "error"

    @property
    def name(self) -> str:
        return CODES.get(self.code, "error")

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "message": self.message,
            "span": self.span.to_dict() if self.span else None,
            "help": self.help,
        }


def sort_key(d: Diagnostic) -> tuple:
    s = d.span
    return (s.file, s.line, s.column) if s else ("", 0, 0)


class CompileError(Exception):
    """Raised once, with every diagnostic a file produced.

    ``sources`` maps file names to their text so that a renderer can quote them.
    """

    def __init__(self, diagnostics: Iterable[Diagnostic], sources: dict[str, str] | None = None):
        self.diagnostics: list[Diagnostic] = sorted(diagnostics, key=sort_key)
        self.sources: dict[str, str] = dict(sources or {})
        first = self.diagnostics[0] if self.diagnostics else None
        summary = f"{first.span}: {first.message}" if first and first.span else "compile error"
        more = len(self.diagnostics) - 1
        super().__init__(summary + (f" (and {more} more)" if more > 0 else ""))


# Suggestions look at a bounded number of candidates, nearest in length first: N unknown names against N
# declarations costs N x SUGGEST_CAP comparisons, not N x N.
SUGGEST_CAP = 24


class Suggester:
    """Close matches for misspelt names among fixed ``candidates``, case-insensitive, indexed by length once."""

    def __init__(self, candidates: Iterable[str]):
        self.by_fold: dict[str, str] = {}
        for c in sorted(set(candidates)):
            self.by_fold.setdefault(c.casefold(), c)
        self.by_length: dict[int, list[str]] = {}
        for fold in self.by_fold:
            self.by_length.setdefault(len(fold), []).append(fold)

    def candidates(self, word: str) -> list[str]:
        """At most SUGGEST_CAP case-folded candidates, those of ``word``'s length first, then one longer or
        shorter, and so on (only lengths that can reach a similarity of 0.6: between 3/7 and 7/3 of its own);
        those sharing its first letter first."""
        fold, n = word.casefold(), len(word)
        reach = max(n - (3 * n + 6) // 7, (7 * n) // 3 - n)
        near: list[str] = []
        others: list[str] = []
        for diff in range(reach + 1):
            for length in {n - diff, n + diff}:
                for c in self.by_length.get(length, ()):
                    (near if c[:1] == fold[:1] else others).append(c)
                    if len(near) >= SUGGEST_CAP:
                        return near
        return (near + others)[:SUGGEST_CAP]

    def closest(self, word: str, cutoff: float = 0.6) -> str | None:
        fold = word.casefold()
        exact = self.by_fold.get(fold)
        if exact is not None:
            return exact if exact != word else None
        close = difflib.get_close_matches(fold, self.candidates(word), n=1, cutoff=cutoff)
        return self.by_fold[close[0]] if close else None

    def help(self, word: str, cutoff: float = 0.6) -> str | None:
        found = self.closest(word, cutoff)
        return f"did you mean `{found}`?" if found else None


def suggest(word: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """A help text naming the closest candidate (case-insensitive, among a bounded number of candidates),
    or None when nothing is close."""
    return Suggester(candidates).help(word, cutoff)
