"""`elig lsp`: the language server (pygls 2, lsprotocol) over :mod:`.index` and :mod:`.features`.

Each change to a document re-checks it (checking a trial takes milliseconds) and publishes the
checker's diagnostics, with the codes and spans `elig check` reports.  Imports are read from the
editor's open documents first, then from disk, so a library being edited counts as typed.
Positions: the checker counts characters; the protocol counts UTF-16 code units by default, so every
column is converted through the line's text.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from lsprotocol import types as L
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path

from ..diagnostics import Span
from ..language.loader import file_loader
from ..version import __version__
from . import features
from .index import Analysis, analyse

_SEVERITY = {"error": L.DiagnosticSeverity.Error, "warning": L.DiagnosticSeverity.Warning}
_SYMBOL_KIND = {"anchor": L.SymbolKind.Constant, "fact": L.SymbolKind.Field, "define": L.SymbolKind.Function,
                "codeset": L.SymbolKind.Enum, "table": L.SymbolKind.Struct, "score": L.SymbolKind.Function,
                "criterion": L.SymbolKind.Boolean, "trial": L.SymbolKind.Module, "library": L.SymbolKind.Module,
                "function": L.SymbolKind.Function}
_COMPLETION_KIND = {"unit": L.CompletionItemKind.Unit, "codeset": L.CompletionItemKind.Enum,
                    "anchor": L.CompletionItemKind.Constant, "define": L.CompletionItemKind.Function,
                    "field": L.CompletionItemKind.Field, "fact": L.CompletionItemKind.Variable,
                    "score": L.CompletionItemKind.Function, "table": L.CompletionItemKind.Struct,
                    "collection": L.CompletionItemKind.Module, "keyword": L.CompletionItemKind.Keyword}


def path_of(uri: str) -> str:
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else uri


def _utf16(line_text: str, column: int) -> int:
    """A column from 1 in characters -> a protocol character offset (UTF-16 code units, from 0)."""
    prefix = line_text[:max(column - 1, 0)]
    return len(prefix.encode("utf-16-le")) // 2


def _chars(line_text: str, character: int) -> int:
    """A protocol character offset -> a column from 1 in characters."""
    units = 0
    for i, ch in enumerate(line_text):
        if units >= character:
            return i + 1
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(line_text) + 1


class EligServer(LanguageServer):
    def __init__(self):
        super().__init__("elig-lsp", __version__)
        self.analyses: dict[str, Analysis] = {}

    def text_of(self, path: str) -> str | None:
        for doc in list(self.workspace.text_documents.values()):
            if path_of(doc.uri) == path:
                return doc.source
        return None

    def loader(self, path: str, importer: str) -> tuple[str, str]:
        target = str(Path(importer).parent / path)
        text = self.text_of(target)
        return (target, text) if text is not None else file_loader(path, importer)

    def analysis(self, uri: str) -> Analysis:
        doc = self.workspace.get_text_document(uri)
        cached = self.analyses.get(uri)
        if cached is None or cached.text != doc.source:
            cached = self.analyses[uri] = analyse(doc.source, path_of(uri), self.loader)
        return cached

    # positions
    def lines(self, file: str) -> list[str]:
        analysis = next((a for a in self.analyses.values() if file in a.sources), None)
        text = analysis.sources[file] if analysis else (self.text_of(file) or "")
        return text.splitlines()

    def position(self, file: str, line: int, column: int) -> L.Position:
        lines = self.lines(file)
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        return L.Position(line=max(line - 1, 0), character=_utf16(text, column))

    def range(self, span: Span) -> L.Range:
        return L.Range(start=self.position(span.file, span.line, span.column),
                       end=self.position(span.file, span.end_line, span.end_column))

    def cursor(self, analysis: Analysis, position: L.Position) -> tuple[int, int]:
        lines = analysis.text.splitlines()
        text = lines[position.line] if position.line < len(lines) else ""
        return position.line + 1, _chars(text, position.character)

    def location(self, file: str, line: int, column: int, end_column: int) -> L.Location:
        return L.Location(uri=from_fs_path(file) or file,
                          range=L.Range(start=self.position(file, line, column),
                                        end=self.position(file, line, end_column)))


server = EligServer()


def _publish(ls: EligServer, uri: str) -> None:
    analysis = ls.analysis(uri)
    out = []
    for d in analysis.diagnostics:
        if d.span is None or d.span.file != analysis.file:
            continue
        out.append(L.Diagnostic(range=ls.range(d.span), message=d.message, code=d.code, source="elig",
                                severity=_SEVERITY.get(d.severity, L.DiagnosticSeverity.Error),
                                data={"help": d.help} if d.help else None))
    ls.text_document_publish_diagnostics(L.PublishDiagnosticsParams(uri=uri, diagnostics=out))


@server.feature(L.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: EligServer, params: L.DidOpenTextDocumentParams) -> None:
    _publish(ls, params.text_document.uri)


@server.feature(L.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: EligServer, params: L.DidChangeTextDocumentParams) -> None:
    _publish(ls, params.text_document.uri)


@server.feature(L.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: EligServer, params: L.DidSaveTextDocumentParams) -> None:
    _publish(ls, params.text_document.uri)


@server.feature(L.TEXT_DOCUMENT_HOVER)
def hover(ls: EligServer, params: L.HoverParams) -> L.Hover | None:
    analysis = ls.analysis(params.text_document.uri)
    line, column = ls.cursor(analysis, params.position)
    found = features.hover(analysis, line, column)
    if found is None:
        return None
    text, (ln, start, end) = found
    return L.Hover(contents=L.MarkupContent(kind=L.MarkupKind.Markdown, value=text),
                   range=L.Range(start=ls.position(analysis.file, ln, start), end=ls.position(analysis.file, ln, end)))


@server.feature(L.TEXT_DOCUMENT_COMPLETION, L.CompletionOptions(trigger_characters=[" "]))
def completion(ls: EligServer, params: L.CompletionParams) -> L.CompletionList:
    analysis = ls.analysis(params.text_document.uri)
    line, column = ls.cursor(analysis, params.position)
    items = [L.CompletionItem(label=label, kind=_COMPLETION_KIND.get(kind), detail=detail)
             for label, kind, detail in features.completions(analysis, line, column)]
    return L.CompletionList(is_incomplete=False, items=items)


@server.feature(L.TEXT_DOCUMENT_DEFINITION)
def definition(ls: EligServer, params: L.DefinitionParams) -> L.Location | None:
    analysis = ls.analysis(params.text_document.uri)
    found = features.definition(analysis, *ls.cursor(analysis, params.position))
    if found is None or found[1] is None:
        return None
    file, span = found
    return L.Location(uri=from_fs_path(file) or file, range=ls.range(span))


@server.feature(L.TEXT_DOCUMENT_REFERENCES)
def references(ls: EligServer, params: L.ReferenceParams) -> list[L.Location]:
    analysis = ls.analysis(params.text_document.uri)
    uses = features.references(analysis, *ls.cursor(analysis, params.position),
                               include_declaration=params.context.include_declaration)
    return [ls.location(u.file, u.line, u.column, u.end_column) for u in uses]


@server.feature(L.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def document_symbols(ls: EligServer, params: L.DocumentSymbolParams) -> list[L.DocumentSymbol]:
    analysis = ls.analysis(params.text_document.uri)
    out = []
    for s in features.document_symbols(analysis):
        name_span = s.decl.name_span or s.decl.span
        out.append(L.DocumentSymbol(name=s.name, kind=_SYMBOL_KIND[s.kind], detail=s.kind,
                                    range=ls.range(s.decl.span), selection_range=ls.range(name_span)))
    return out


@server.feature(L.TEXT_DOCUMENT_FORMATTING)
def formatting(ls: EligServer, params: L.DocumentFormattingParams) -> list[L.TextEdit] | None:
    doc = ls.workspace.get_text_document(params.text_document.uri)
    try:
        from ..language.format import format_source  # written on the `authoring` branch
    except ImportError:
        ls.window_show_message(L.ShowMessageParams(type=L.MessageType.Warning,
                                                   message="formatting needs eligibility_dsl.language.format"))
        return None
    try:
        formatted = format_source(doc.source, path_of(doc.uri))
    except Exception:  # a file that does not parse is left alone; its diagnostics say why
        return None
    if formatted == doc.source:
        return []
    lines = doc.source.splitlines()
    end = L.Position(line=len(lines), character=0)
    return [L.TextEdit(range=L.Range(start=L.Position(line=0, character=0), end=end), new_text=formatted)]


@server.feature(L.TEXT_DOCUMENT_CODE_ACTION,
                L.CodeActionOptions(code_action_kinds=[L.CodeActionKind.QuickFix]))
def code_actions(ls: EligServer, params: L.CodeActionParams) -> list[L.CodeAction]:
    out = []
    for diagnostic in params.context.diagnostics:
        help_text = diagnostic.data.get("help") if isinstance(diagnostic.data, dict) else None
        replacement = features.quick_fix(help_text)
        if replacement is None:
            continue
        edit = L.WorkspaceEdit(changes={params.text_document.uri: [L.TextEdit(range=diagnostic.range,
                                                                              new_text=replacement)]})
        out.append(L.CodeAction(title=f"replace with `{replacement}`", kind=L.CodeActionKind.QuickFix,
                                diagnostics=[diagnostic], edit=edit, is_preferred=True))
    return out


def serve() -> None:
    server.start_io()
