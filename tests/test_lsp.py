"""The language server end to end: a real `elig lsp` process driven over stdio by pytest-lsp.

Each test opens a fixture trial (tests/fixtures/lsp/, which imports a library) the way an editor
does and asks what an editor asks: diagnostics as the text changes, hover, completion, go to
definition and references across the import, document symbols, quick fixes and formatting.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as L
from pytest_lsp import ClientServerConfig, LanguageClient

from eligibility_dsl.api import check_source
from eligibility_dsl.language.loader import file_loader

FIXTURES = Path(__file__).parent / "fixtures" / "lsp"
TRIAL = FIXTURES / "trial.elig"
LIBRARY = FIXTURES / "lib" / "codes.elig"
ELIG = str(Path(sys.executable).parent / "elig")

pytestmark = pytest.mark.asyncio


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[ELIG, "lsp"]))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(L.InitializeParams(
        capabilities=L.ClientCapabilities(), root_uri=FIXTURES.as_uri()))
    yield
    await lsp_client.shutdown_session()


async def _open(client: LanguageClient, text: str, path: Path = TRIAL) -> str:
    uri = path.as_uri()
    client.text_document_did_open(L.DidOpenTextDocumentParams(
        text_document=L.TextDocumentItem(uri=uri, language_id="elig", version=1, text=text)))
    await client.wait_for_notification(L.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return uri


def _at(text: str, needle: str, nth: int = 0, offset: int = 1) -> L.Position:
    """The position `offset` characters into the `nth` occurrence of `needle` in `text`."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    line = text.count("\n", 0, start)
    return L.Position(line=line, character=start - (text.rfind("\n", 0, start) + 1) + offset)


async def test_diagnostics_as_you_type_match_elig_check(client: LanguageClient):
    text = TRIAL.read_text(encoding="utf-8")
    uri = await _open(client, text)
    assert list(client.diagnostics[uri]) == []
    broken = text.replace("hba1c > 7 %", "hbac1 > 7 %")
    client.text_document_did_change(L.DidChangeTextDocumentParams(
        text_document=L.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[L.TextDocumentContentChangeWholeDocument(text=broken)]))
    await client.wait_for_notification(L.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    published = client.diagnostics[uri]
    _, expected = check_source(broken, str(TRIAL), file_loader)
    assert [(d.code, d.message) for d in published] == [(d.code, d.message) for d in expected]
    [d] = published
    assert d.code == "E0101" and d.severity == L.DiagnosticSeverity.Error
    span = expected[0].span
    assert (d.range.start.line, d.range.start.character) == (span.line - 1, span.column - 1)
    assert (d.range.end.line, d.range.end.character) == (span.end_line - 1, span.end_column - 1)

    # the help ("did you mean `hba1c`?") is offered as a quick fix that rewrites the name
    actions = await client.text_document_code_action_async(L.CodeActionParams(
        text_document=L.TextDocumentIdentifier(uri=uri), range=d.range,
        context=L.CodeActionContext(diagnostics=[d])))
    [fix] = actions
    assert fix.kind == L.CodeActionKind.QuickFix
    [edit] = fix.edit.changes[uri]
    assert edit.new_text == "hba1c" and edit.range == d.range


async def test_hover_explains_criteria_facts_code_sets_and_units(client: LanguageClient):
    text = TRIAL.read_text(encoding="utf-8")
    uri = await _open(client, text)

    async def hover(position: L.Position) -> str:
        result = await client.text_document_hover_async(L.HoverParams(
            text_document=L.TextDocumentIdentifier(uri=uri), position=position))
        return result.contents.value

    assert "HbA1c above 7 %" in await hover(_at(text, "I2"))  # the criterion's protocol text
    fact = await hover(_at(text, "hba1c >"))
    assert "a percentage such as %" in fact and "the latest HbA1c, NGSP" in fact and "`%`" in fact
    codes = await hover(_at(text, "in metformin", offset=4))  # a code set from the imported library
    assert "A10BA02" in codes and "6809" in codes and "lib/codes.elig" in codes
    assert "mass" not in (unit := await hover(_at(text, "> 7 %", offset=4))) and "percent" in unit
    assert "calendar duration" in await hover(_at(text, "18 years", offset=4))


async def test_completion_offers_what_fits_the_place(client: LanguageClient):
    text = TRIAL.read_text(encoding="utf-8")
    uri = await _open(client, text)

    async def labels(position: L.Position) -> set[str]:
        result = await client.text_document_completion_async(L.CompletionParams(
            text_document=L.TextDocumentIdentifier(uri=uri), position=position))
        return {item.label for item in result.items}

    inside_where = await labels(_at(text, 'status = "active"', offset=0))
    assert {"status", "daily_dose", "start"} <= inside_where  # medication fields
    assert {"hba1c", "screening", "exists", "and"} <= inside_where  # names in scope and keywords
    assert "metformin" in await labels(_at(text, "in metformin", offset=3))  # code sets after `in`
    assert "screening" in await labels(_at(text, "during 8 weeks before ", offset=22))  # anchors
    assert {"mg", "%", "years"} <= await labels(_at(text, "> 7 %", offset=4))  # units after a number


async def test_definition_and_references_cross_imports(client: LanguageClient):
    text = TRIAL.read_text(encoding="utf-8")
    uri = await _open(client, text)
    doc = L.TextDocumentIdentifier(uri=uri)
    where = await client.text_document_definition_async(L.DefinitionParams(
        text_document=doc, position=_at(text, "in metformin", offset=5)))
    assert where.uri == LIBRARY.as_uri()
    assert where.range.start == L.Position(line=2, character=8)  # `codeset metformin` in the library

    refs = await client.text_document_references_async(L.ReferenceParams(
        text_document=doc, position=_at(text, "in metformin", offset=5),
        context=L.ReferenceContext(include_declaration=True)))
    assert sorted((r.uri, r.range.start.line) for r in refs) == sorted([
        (LIBRARY.as_uri(), 2), (uri, _at(text, "in metformin").line)])

    refs = await client.text_document_references_async(L.ReferenceParams(
        text_document=doc, position=_at(text, "anchor screening", offset=8),
        context=L.ReferenceContext(include_declaration=False)))
    # `age at screening` and `before screening`: not the declaration, nor the word in texts
    assert sorted(r.range.start.line for r in refs) == [_at(text, "age at").line, _at(text, "during 8 weeks").line]
    assert all(r.uri == uri for r in refs)


async def test_document_symbols_list_declarations_in_order(client: LanguageClient):
    text = TRIAL.read_text(encoding="utf-8")
    uri = await _open(client, text)
    symbols = await client.text_document_document_symbol_async(L.DocumentSymbolParams(
        text_document=L.TextDocumentIdentifier(uri=uri)))
    assert [s.name for s in symbols] == ["LSP-TEST-1", "screening", "hba1c", "I1", "I2", "E1"]
    assert symbols[3].selection_range.start == _at(text, "I1", offset=0)


async def test_formatting_goes_through_the_formatter(client: LanguageClient):
    from eligibility_dsl.language import format as fmt
    text = TRIAL.read_text(encoding="utf-8").replace("hba1c > 7 %", "hba1c   >   7 %")
    uri = await _open(client, text)
    edits = await client.text_document_formatting_async(L.DocumentFormattingParams(
        text_document=L.TextDocumentIdentifier(uri=uri), options=L.FormattingOptions(tab_size=4, insert_spaces=True)))
    [edit] = edits
    assert edit.new_text == fmt.format_source(text, str(TRIAL))
