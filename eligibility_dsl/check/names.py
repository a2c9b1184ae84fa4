"""Help for unknown names: suggestions from the namespace the position expects, and spans on the name itself.

A mixin of the Checker.  Suggestions are case-insensitive (`eGFR` finds `egfr`) and bounded (see
:class:`~eligibility_dsl.diagnostics.Suggester`); each namespace's index is built once per check, so N
misspelt names against N declarations cost near-linear time.  Namespaces:

- ``value``: what a bare name in an expression can be (facts, definitions, anchors, scores, the patient
  model's fields);
- ``anchor``: the position after `before`/`after` in a window and after `age at` (anchors only: an
  undeclared `first_dose` is not "did you mean `birth_date`?");
- ``codeset``, ``table``: after `in` and before `[`.
"""

from __future__ import annotations

import re

from ..diagnostics import Span, Suggester
from ..language import ast as A
from ..language.syntax import EXPRESSION_NAME

_VALUE_KINDS = ("builtin", "fact", "define", "anchor", "score")


class NameHelp:
    """Relies on the Checker's ``symbols`` and ``sources``."""

    _suggesters: dict

    def suggester(self, namespace: str) -> Suggester:
        cache = self.__dict__.setdefault("_suggesters", {})
        key = (namespace, len(self.symbols))
        if key not in cache:
            kinds = _VALUE_KINDS if namespace == "value" else (namespace,)
            cache[key] = Suggester(k for k, s in self.symbols.items() if s.kind in kinds and k != EXPRESSION_NAME)
        return cache[key]

    def suggest_in(self, namespace: str, word: str) -> str | None:
        return self.suggester(namespace).help(word)

    def unknown_anchor_help(self, name: str) -> str:
        found = self.suggest_in("anchor", name)
        if found:
            return found
        anchors = [k for k, s in self.symbols.items() if s.kind == "anchor"]
        known = f" (declared: {', '.join(f'`{a}`' for a in anchors)})" if anchors else ""
        return f'declare it first: `anchor {name} "what this date is"`{known}'

    def in_anchor_position(self, node: A.Expr | None):
        """A context manager: while it is open, the name ``node`` stands where an anchor is expected (the
        flag is read and cleared by that name alone, so a definition it names is checked as usual)."""
        return _AnchorPosition(self, node)

    def name_span(self, span: Span | None, name: str, after: int | None = None) -> Span | None:
        """The span of the first whole-word ``name`` inside ``span`` (from offset ``after``), else ``span``."""
        if span is None:
            return None
        text = self.sources.get(span.file, "")
        if not text or span.end <= span.start:
            return span
        m = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])").search(
            text, max(span.start, after or 0), span.end)
        if m is None:
            return span
        line = span.line + text.count("\n", span.start, m.start())
        column = m.start() - text.rfind("\n", 0, m.start())
        return Span(span.file, line, column, line, column + len(name), m.start(), m.end())


class _AnchorPosition:
    def __init__(self, checker: NameHelp, node: A.Expr | None):
        self.checker, self.active = checker, isinstance(node, A.Name)

    def __enter__(self):
        if self.active:
            self.checker.__dict__["_anchor_position"] = True

    def __exit__(self, *exc):
        if self.active:
            self.checker.__dict__.pop("_anchor_position", None)
