"""The editor features over an :class:`Analysis`: hover texts, completions, definitions, references,
document symbols and quick fixes, as plain data (the server turns them into protocol types).

Positions are (line, column) from 1, in characters, as the checker's spans are.
"""

from __future__ import annotations

import re

from ..language import ast as A
from ..language.syntax import DECLARATION_KEYWORDS, RESERVED_WORDS
from ..records.model import COLLECTIONS
from ..runtime.units import UnitError, dimension_name, parse_unit
from .index import Analysis, Symbol, Use, span_of_name

KEYWORDS = tuple(sorted(set(DECLARATION_KEYWORDS) | RESERVED_WORDS | {"boolean", "number", "quantity", "date",
                                                                       "text", "code", "category", "source"}))
UNITS = ("%", "mg", "g", "kg", "ug", "mL", "L", "dL", "mg/dL", "g/dL", "mmol/L", "umol/L", "mg/day", "mmHg",
         "kg/m2", "IU", "U/L", "days", "weeks", "months", "years", "h", "min")
_HELP_NAME = re.compile(r"did you mean `([^`]+)`\?")
_UNIT_AFTER_NUMBER = re.compile(r"[0-9](?:\.[0-9]+)?[ \t]+$")
_QUERY_WHERE = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)(?:[ \t\n]+in[ \t\n]+[A-Za-z_][A-Za-z0-9_]*)?[ \t\n]+where\b")
_AFTER_IN = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)[ \t]+(?:not[ \t]+)?in[ \t]+[A-Za-z_0-9]*$")
_ANCHOR_PLACE = re.compile(r"\b(?:before|after|at|from|to)[ \t]+[A-Za-z_0-9]*$")


def _codes(decl: A.CodesetDecl) -> list[str]:
    lines = []
    for entry in decl.entries:
        if isinstance(entry, A.CodeEntry):
            lines.append(f"- {entry.system} `{entry.code}`" + (f" {entry.display}" if entry.display else ""))
        else:
            lines.append(f"- the code set `{entry.name}`")
    return lines


def _type_words(analysis: Analysis, name: str) -> str | None:
    checked = analysis.checked
    spec = checked.facts.get(name) if checked is not None else None
    return spec.type.describe() if spec is not None else None


def describe(analysis: Analysis, symbol: Symbol) -> str:
    """The hover text (Markdown) of a declared name."""
    d = symbol.decl
    where = "" if symbol.file == analysis.file else f"\n\n(from `{symbol.file}`)"
    if isinstance(d, A.Criterion):
        return f"**{d.kind} {d.id}**\n\n{d.text}{where}"
    if isinstance(d, A.FactDecl):
        lines = [f"**fact {d.name}**: {d.type.kind}"]
        typ = _type_words(analysis, d.name)
        if typ:
            lines.append(f"type: {typ}")
        if d.type.unit:
            lines.append(f"unit: `{d.type.unit}`" + (f" ({_dimension(d.type.unit)})" if _dimension(d.type.unit)
                                                      else ""))
        if d.type.values:
            lines.append("values: " + ", ".join(f"`{v}`" for v in d.type.values))
        if d.range is not None:  # the declared scale, as written
            text = analysis.sources.get(symbol.file, "")
            low, high = (text[n.span.start:n.span.end] if n.span is not None else "?" for n in d.range)
            lines.append(f"scale: `{low}` to `{high}` (a record value outside is not used)")
        if d.description:
            lines.append(d.description)
        return "\n\n".join(lines) + where
    if isinstance(d, A.CodesetDecl):
        head = f"**codeset {d.name}**" + (f": {d.description}" if d.description else "")
        return head + "\n\n" + "\n".join(_codes(d)) + where
    if isinstance(d, A.AnchorDecl):
        return f"**anchor {d.name}**: a date supplied when evaluating" + (f"\n\n{d.description}" if d.description
                                                                           else "") + where
    if isinstance(d, A.FunctionDecl):  # formulas (lang11a)
        text = analysis.sources.get(symbol.file, "")
        head = text[d.span.start:d.expr.span.start].rstrip().rstrip(":") if d.span and d.expr.span else d.name
        return f"**function**\n\n```elig\n{' '.join(head.split())}\n```" + where
    if isinstance(d, A.DefineDecl):
        text = analysis.sources.get(symbol.file, "")
        body = text[d.expr.span.start:d.expr.span.end] if d.expr.span else ""
        return f"**define {d.name}**\n\n```elig\n{body}\n```" + where
    if isinstance(d, A.TableDecl | A.ScoreDecl):
        kind = "table" if isinstance(d, A.TableDecl) else "score"
        return f"**{kind} {d.name}**" + (f": {d.description}" if d.description else "") + where
    if isinstance(d, A.TrialDecl):
        return f"**trial {d.registry_id}**\n\n{d.title}"
    return f"**{symbol.kind} {symbol.name}**{where}"


def _dimension(unit: str) -> str | None:
    try:
        return dimension_name(parse_unit(unit.strip("'")).dims)
    except UnitError:
        return None


_TEXT_OR_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"?|#[^\n]*')


def code_only(text: str) -> str:
    """`text` with its texts and comments blanked out (same length, so positions hold)."""
    return _TEXT_OR_COMMENT.sub(lambda m: " " * len(m.group()), text)


def _line(analysis: Analysis, line: int) -> str:
    lines = analysis.text.splitlines()
    return code_only(lines[line - 1]) if 0 < line <= len(lines) else ""


def _unit_at(analysis: Analysis, line: int, column: int) -> tuple[str, int, int] | None:
    """The unit written after a number (or after `quantity in`) under the cursor."""
    text = _line(analysis, line)
    for m in re.finditer(r"(?:[0-9](?:\.[0-9]+)?|\bquantity[ \t]+in)[ \t]+('[^'\n]+'|[%A-Za-zµ\[{][^\s,)\]]*)", text):
        if m.start(1) + 1 <= column <= m.end(1) + 1:
            return m.group(1), m.start(1) + 1, m.end(1) + 1
    return None


def hover(analysis: Analysis, line: int, column: int) -> tuple[str, tuple[int, int, int]] | None:
    """(Markdown, (line, column, end column)) for what is under the cursor."""
    unit = _unit_at(analysis, line, column)
    if unit is not None:
        dimension = _dimension(unit[0])
        if dimension:
            return f"unit `{unit[0].strip(chr(39))}`: {dimension}", (line, unit[1], unit[2])
    word = analysis.word_at(line, column)
    if word is None:
        return None
    symbol = analysis.symbols.get(word.name)
    if symbol is not None:
        return describe(analysis, symbol), (line, word.column, word.end_column)
    collection = _collection_in_scope(analysis, line, word.column)
    if collection is not None and word.name in collection.fields:
        f = collection.fields[word.name]
        return (f"**{collection.name}.{f.name}**: {f.type.describe()}\n\n{f.description}",
                (line, word.column, word.end_column))
    if word.name in COLLECTIONS:
        c = COLLECTIONS[word.name]
        return (f"**{c.name}**: {c.description}\n\nfields: " + ", ".join(f"`{f}`" for f in c.fields),
                (line, word.column, word.end_column))
    return None


def _offset(analysis: Analysis, line: int, column: int) -> int:
    lines = analysis.text.splitlines(keepends=True)
    return sum(len(x) for x in lines[:line - 1]) + column - 1


def _declaration_before(analysis: Analysis, line: int, column: int) -> str:
    """The text from the start of the declaration holding the cursor up to the cursor."""
    before = code_only(analysis.text[:_offset(analysis, line, column)])
    starts = [m.start() for m in re.finditer(r"^(?:" + "|".join(DECLARATION_KEYWORDS) + r")\b", before, re.M)]
    return before[starts[-1]:] if starts else before


def _collection_in_scope(analysis: Analysis, line: int, column: int):
    """The collection whose `where` filter the cursor is in (the last `where` of the declaration, if the
    query has not reached its `during`)."""
    before = _declaration_before(analysis, line, column)
    found = list(_QUERY_WHERE.finditer(before))
    if not found or "during" in before[found[-1].end():]:
        return None
    return COLLECTIONS.get(found[-1].group(1))


def completions(analysis: Analysis, line: int, column: int) -> list[tuple[str, str, str]]:
    """(label, kind, detail) candidates at the cursor: units after a number, code sets after `in`,
    anchors after `before`/`after`/`at`, event fields inside `where`, else names in scope and keywords."""
    before_cursor = _line(analysis, line)[:column - 1]
    by_kind = {}
    for s in analysis.symbols.values():
        by_kind.setdefault(s.kind, []).append(s.name)
    if _UNIT_AFTER_NUMBER.search(before_cursor):
        return [(u, "unit", _dimension(u) or "") for u in UNITS]
    after_in = _AFTER_IN.search(before_cursor)
    if after_in and (after_in.group(1) in COLLECTIONS or after_in.group(1) == "code"):
        return [(n, "codeset", "code set") for n in sorted(by_kind.get("codeset", []))]
    if _ANCHOR_PLACE.search(before_cursor):
        anchors = [(n, "anchor", "anchor") for n in sorted(by_kind.get("anchor", []))]
        return anchors + [(n, "define", "definition") for n in sorted(by_kind.get("define", []))]
    out: list[tuple[str, str, str]] = []
    collection = _collection_in_scope(analysis, line, column)
    if collection is not None:
        out += [(f.name, "field", f"{collection.name}: {f.type.describe()}") for f in collection.fields.values()]
    for kind in ("fact", "define", "anchor", "score", "table", "codeset"):
        out += [(n, kind, kind) for n in sorted(by_kind.get(kind, []))]
    out += [(n, "fact", "built-in fact") for n in ("birth_date", "sex") if n not in analysis.symbols]
    out += [(n, "collection", COLLECTIONS[n].description) for n in COLLECTIONS]
    out += [(k, "keyword", "keyword") for k in KEYWORDS]
    return out


def definition(analysis: Analysis, line: int, column: int):
    """(file, span of the declared name) for the name under the cursor."""
    word = analysis.word_at(line, column)
    symbol = analysis.symbols.get(word.name) if word else None
    if symbol is None:
        return None
    return symbol.file, span_of_name(symbol)


def references(analysis: Analysis, line: int, column: int, include_declaration: bool = True) -> list[Use]:
    word = analysis.word_at(line, column)
    if word is None or word.name not in analysis.symbols:
        return []
    symbol = analysis.symbols[word.name]
    decl_at = span_of_name(symbol)
    uses = list(analysis.uses(word.name))
    if not include_declaration and decl_at is not None:
        uses = [u for u in uses if not (u.file == symbol.file and u.line == decl_at.line
                                        and u.column == decl_at.column)]
    return uses


def document_symbols(analysis: Analysis) -> list[Symbol]:
    """The document's own declarations, in order (not those of the libraries it imports)."""
    own = [s for s in analysis.symbols.values() if s.file == analysis.file and s.decl.span is not None]
    return sorted(own, key=lambda s: (s.decl.span.line, s.decl.span.column))


def quick_fix(help_text: str | None) -> str | None:
    """The replacement a diagnostic's help proposes ("did you mean `x`?"), if any."""
    m = _HELP_NAME.search(help_text or "")
    return m.group(1) if m else None
