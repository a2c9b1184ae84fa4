"""Before and after parsing: the text made fit to parse, and help for syntax errors in the author's words.

``prepare(text, file)`` runs at parse entry, in one linear pass:

- line endings outside quoted texts: ``\\r\\n`` becomes `` \\n`` (a space, then the line feed), and a lone
  ``\\r``, U+0085, U+2028 and U+2029 become ``\\n`` (inside a quoted text they are kept as written), so a
  file saved with old Mac (CR-only) or Windows line endings reads line by line like any other (a ``#``
  comment ends at its line), and every character keeps its offset (spans into the text stay true);
- invisible characters outside quoted texts (format characters such as right-to-left marks, zero-width
  spaces and joiners, bidirectional embeddings; unusual spaces such as the no-break space) are E0006,
  each with its location, and replaced by a space so the rest still parses.  They are allowed inside
  quoted texts (a protocol in Arabic or Hebrew needs them).  A byte order mark at the very start of the
  file is accepted silently (some editors write one).

``syntax_help(...)`` gives the help line for an unexpected token: a misspelled keyword (`inlcude`,
`exist`, `befor`), a name with `-` (`T2D-001`), an unquoted version, a window with no anchor.
"""

from __future__ import annotations

import re
import unicodedata

import attrs
from lark import Token, Tree

from ..diagnostics import Diagnostic, Span, suggest

_BREAKS = "\r\x85\u2028\u2029"
# Outside a quoted text (which keeps whatever it holds, line separators included) and a comment (which ends
# at any line break), every line break other than `\n` and every non-ASCII character is looked at.
_SCAN = re.compile(r'(?P<text>"(?:[^"\\\n]|\\.)*")|(?P<comment>#[^\n' + _BREAKS + r']*)|(?P<char>[^\x00-\x7f]|\r)')
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_WORD_BEFORE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)[ \t]*$")
_WORD_AT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _invisible(char: str) -> bool:
    category = unicodedata.category(char)
    return category == "Cf" or (category == "Zs" and char != " ")


def _char_name(char: str) -> str:
    return unicodedata.name(char, "unnamed character").lower()


def prepare(text: str, file: str) -> tuple[str, list[Diagnostic]]:
    """The text to parse (same length as ``text``, line breaks as ``\n``) and a diagnostic for each invisible
    character outside quoted texts."""
    if text.isascii() and "\r" not in text:
        return text, []
    chars: list[str] | None = None
    found: list[int] = []
    for m in _SCAN.finditer(text):
        if m.group("text") is not None:
            continue
        if m.group("comment") is not None:
            found.extend(m.start() + c.start() for c in _NON_ASCII.finditer(m.group()) if _invisible(c.group()))
            continue
        pos, char = m.start(), m.group()
        if char in _BREAKS:
            chars = chars if chars is not None else list(text)
            chars[pos] = " " if char == "\r" and text.startswith("\n", pos + 1) else "\n"
        elif _invisible(char) and not (pos == 0 and char == "\ufeff"):
            found.append(pos)
        elif pos == 0 and char == "\ufeff":  # a byte order mark: accepted
            chars = chars if chars is not None else list(text)
            chars[0] = " "
    if chars is None and not found:
        return text, []
    chars = chars if chars is not None else list(text)
    for pos in found:
        chars[pos] = " "
    prepared = "".join(chars)
    diagnostics = []
    line, last = 1, 0
    for pos in sorted(found):  # lines counted incrementally: linear in the text
        line += prepared.count("\n", last, pos)
        last = pos
        column = pos - prepared.rfind("\n", 0, pos)
        char = text[pos]
        span = Span(file, line, column, line, column + 1, pos, pos + 1)
        what = "unusual space" if unicodedata.category(char) == "Zs" else "invisible character"
        diagnostics.append(Diagnostic(
            "E0006", f"{what} U+{ord(char):04X} ({_char_name(char)}) outside a quoted text", span,
            "delete it (or retype the space): outside quoted texts it can make the criteria read differently "
            "from what runs"))
    return prepared, diagnostics


# ---------------------------------------------------------------- help for syntax errors

CHARACTER_HELP = {
    "&": "write `and` to combine conditions",
    "|": "write `or` for alternatives",
    "!": "write `not` to negate, or `!=` for 'is not equal to'",
    "'": "units with symbols are quoted like `'10*9/L'`; texts use double quotes",
}


def expected_keywords(expected, spellings) -> tuple[str, ...]:
    """The keywords among the expected terminals (`before`, `during`, ...), as written."""
    return tuple(sorted(n.lower() for n in expected if n.isalpha() and n.isupper() and n.lower() in spellings))



# Words that start an expression or a part of a query, for misspellings such as `exist medications`.
EXPRESSION_KEYWORDS = ("exists", "count", "all", "latest", "earliest", "stable", "continuous", "change", "not",
                       "age", "if", "days", "between")
QUERY_KEYWORDS = ("where", "during", "before", "after", "in", "allowing", "have", "of", "from", "to")


def word_before(text: str, pos: int) -> tuple[str, int] | None:
    """The name that ends just before ``pos`` (on the same line), and where it starts."""
    line_start = text.rfind("\n", 0, pos) + 1
    m = _WORD_BEFORE.search(text, line_start, pos)
    return (m.group(1), m.start(1)) if m else None


def keyword_typo(word: str, keywords) -> str | None:
    """The keyword ``word`` is a misspelling of (case-insensitive), if any; never the word itself."""
    low = word.lower()
    if low in keywords:
        return f"did you mean `{low}`?" if low != word else None
    return suggest(low, keywords, cutoff=0.7)


def syntax_help(value: str, tok_type: str, expected: set[str], text: str, pos: int, column: int,
                declaration_keywords, expected_words) -> tuple[str | None, str | None, int | None]:
    """(message or None to keep the generic one, help, start offset of the word to underline or None) for
    the unexpected token ``value`` at ``pos``; ``expected_words`` are the keywords the parser would take."""
    word = _WORD_AT.match(value)
    is_word = word is not None and word.end() == len(value)
    if value == "during":
        hint = _filter_hint(text, pos)
        if hint:
            return None, hint, None
    if is_word and column == 1 and value not in declaration_keywords:
        typo = suggest(value, declaration_keywords, cutoff=0.6)
        if typo:
            return f"`{value}` is not a declaration keyword", typo, None
    if is_word and expected_words:
        typo = keyword_typo(value, expected_words)
        if typo:
            return None, typo, None
    if value == "-" and expected & {"STRING", "COLON"}:
        before, after = word_before(text, pos), _WORD_AT.match(text, pos + 1) or re.compile(r"[0-9]+").match(
            text, pos + 1)
        if before and after:
            whole = text[before[1]:after.end()]
            if "STRING" in expected and text[:before[1]].rstrip().endswith("trial"):
                return None, f'quote an id with `-` in it: `trial "{whole}" "title"`', None
            return None, f"names are written with `_`, not `-`: `{whole.replace('-', '_')}`", None
    if tok_type == "NUMBER" and expected == {"STRING"} and text[:pos].rstrip().endswith("version"):
        return None, f'quote the version: `version "{value}"`', None
    if tok_type in ("NAME", "UNIT", "NUMBER", "STRING"):
        prior = word_before(text, pos)
        # Only a plain word (`exist`, `lates`): `latest_fvc 50` is a missing operator, not a typo of `latest`.
        if prior is not None and prior[0].isalpha() and prior[0] not in EXPRESSION_KEYWORDS + QUERY_KEYWORDS:
            typo = suggest(prior[0].lower(), EXPRESSION_KEYWORDS + QUERY_KEYWORDS, cutoff=0.8)
            if typo:
                return None, typo, prior[1]
    if expected >= {"BEFORE", "AFTER"} and expected <= _AFTER_A_LENGTH:
        return None, "a window ends at an anchor: `during 6 months before screening` (or `after`)", None
    return None, None, None


_WHERE = re.compile(r"\bwhere\b")
_JUNCTION = re.compile(r"\b(and|or)\b")
_DECLARATION_START = re.compile(r"\n(?=[A-Za-z])")


def _filter_hint(text: str, pos: int) -> str | None:
    """`where A and B during ...`: a filter is one condition, so `and B` ended the query and `during` found
    nothing to attach to; the help shows the filter in parentheses."""
    starts = list(_DECLARATION_START.finditer(text, 0, pos))
    begin = starts[-1].end() if starts else 0
    wheres = list(_WHERE.finditer(text, begin, pos))
    if not wheres:
        return None
    condition = " ".join(text[wheres[-1].end():pos].split())
    if not _JUNCTION.search(condition):
        return None
    if condition.startswith("(") and condition.endswith(")") and condition.count("(") == 1:
        condition = condition[1:-1]
    return (f"a `where` filter is one condition; one with `and`/`or` goes in parentheses: "
            f"`where ({condition}) during ...`")


# What the parser expects after a window's length (`during 6 months`): the length goes on, or the window's end.
_AFTER_A_LENGTH = frozenset(("BEFORE", "AFTER", "PLUS", "MINUS", "STAR", "SLASH", "MUL", "UNIT", "QUOTED_UNIT"))


# ---------------------------------------------------------------- positions of a declaration parsed alone

def shifted(span: Span, offset: int, lines: int) -> Span:
    """A span in a chunk that starts at a line start (``offset`` in the file, after ``lines`` newlines)."""
    return attrs.evolve(span, line=span.line + lines, end_line=span.end_line + lines, start=span.start + offset,
                        end=span.end + offset)


_POSITIONS = ("line", "end_line", "start_pos", "end_pos")


def shift_tree(tree: Tree, offset: int, lines: int) -> None:
    """Move every token and node of a chunk's parse tree to its place in the file (columns are unchanged:
    a chunk starts at the start of a line).  Iterative; each node and token is visited once."""
    stack: list = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Tree):
            meta = node.meta
            if not getattr(meta, "empty", True):
                meta.line += lines
                meta.end_line += lines
                meta.start_pos += offset
                meta.end_pos += offset
            stack.extend(node.children)
        elif isinstance(node, Token) and node.line is not None:
            node.line += lines
            node.end_line += lines
            node.start_pos += offset
            node.end_pos += offset
