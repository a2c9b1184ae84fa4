"""What the language server knows about one document: its diagnostics, declarations and name uses.

Pure functions over text (no protocol types), so the editor features are testable without a client:
the checker gives the diagnostics (the same codes and spans as `elig check`), the syntax tree gives
the declarations (with the libraries the document imports), and a small tokeniser finds every use
of a declared name, outside comments and texts, even in a file that does not parse.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import attrs

from ..api import check_source
from ..check import ir
from ..diagnostics import Diagnostic, Span
from ..language import ast as A
from ..language.syntax import parse

# A loader that reads the editor's unsaved text before the disk: (path written, importer) -> (file, text).
Loader = Callable[[str, str], tuple[str, str]]

# Tokens of a line that are not names: texts, quoted units and comments (skipped), then names.
_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"?|\'[^\'\n]*\'?|#[^\n]*|(?P<name>[A-Za-z_][A-Za-z0-9_]*)')
_KIND_OF = {A.AnchorDecl: "anchor", A.FactDecl: "fact", A.DefineDecl: "define", A.FunctionDecl: "function",
            A.CodesetDecl: "codeset",
            A.TableDecl: "table", A.ScoreDecl: "score", A.Criterion: "criterion", A.TrialDecl: "trial",
            A.LibraryDecl: "library"}


@attrs.frozen
class Symbol:
    name: str
    kind: str  # anchor | fact | define | codeset | table | score | criterion | trial | library
    decl: A.Decl
    file: str  # the file that declares it (the document or an imported library)


@attrs.frozen
class Use:
    name: str
    file: str
    line: int  # from 1
    column: int  # from 1, in characters
    end_column: int


@attrs.frozen
class Analysis:
    file: str
    text: str
    diagnostics: tuple[Diagnostic, ...]
    checked: ir.CheckedTrial | None
    symbols: dict[str, Symbol]
    sources: dict[str, str]  # every file read: the document and its imports

    def uses(self, name: str) -> Iterator[Use]:
        """Every occurrence of `name` as a word in the document and the libraries it imports."""
        for file, text in self.sources.items():
            for use in name_tokens(text, file):
                if use.name == name:
                    yield use

    def word_at(self, line: int, column: int) -> Use | None:
        """The name under the cursor (line and column from 1), if any."""
        for use in name_tokens(self.text.splitlines()[line - 1] if line <= len(self.text.splitlines()) else "",
                               self.file, line):
            if use.column <= column <= use.end_column:
                return use
        return None


def name_tokens(text: str, file: str, first_line: int = 1) -> Iterator[Use]:
    """The words of `text` that may be names, with their positions; texts and comments are skipped
    (a text may not span lines, so each line is read alone)."""
    for number, line in enumerate(text.splitlines(), first_line):
        for m in _TOKEN.finditer(line):
            if m.group("name"):
                yield Use(m.group("name"), file, number, m.start() + 1, m.end() + 1)


def _declarations(module: A.Module, file: str, into: dict[str, Symbol]) -> None:
    for decl in module.decls:
        kind = _KIND_OF.get(type(decl))
        if kind is None:
            continue
        name = (decl.id if isinstance(decl, A.Criterion) else
                decl.registry_id if isinstance(decl, A.TrialDecl) else decl.name)
        into.setdefault(name, Symbol(name, kind, decl, file))


def analyse(text: str, file: str, loader: Loader | None) -> Analysis:
    """Check the document as `elig check` does and index what it declares and imports.  A loader that
    fails (a missing library) is the checker's diagnostic, never an exception here."""
    try:
        checked, diagnostics = check_source(text, file, loader)
    except RecursionError:  # the checker bounds nesting; this only guards the editor's process
        checked, diagnostics = None, []
    sources = dict(checked.sources) if checked is not None else {file: text}
    sources[file] = text
    symbols: dict[str, Symbol] = {}
    _declarations(parse(text, file).module, file, symbols)
    for other, other_text in sources.items():
        if other != file:
            _declarations(parse(other_text, other).module, other, symbols)
    return Analysis(file, text, tuple(diagnostics), checked, symbols, sources)


def span_of_name(symbol: Symbol) -> Span | None:
    return symbol.decl.name_span or symbol.decl.span
