"""Syntax: the Lark grammar, the parser, the parse tree to AST transform, and syntax errors in words.

``parse(text, file)`` returns a :class:`ParseResult` holding the module (every
declaration that parsed) and the syntax diagnostics.  It never raises on bad
input: a user's mistake is data.

Recovery: every declaration starts with a reserved word at the start of a line.
When the whole file does not parse, each declaration is parsed on its own (the
positions then shifted to where it stands in the file), so one mistake does not
hide the next, and the checker still sees every declaration that is sound.  Each
character is parsed at most twice (once whole, once in its declaration): one
error among N declarations costs linear time.

Before parsing, :func:`hints.prepare` normalises line endings (keeping offsets)
and reports invisible characters outside quoted texts.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal
from importlib import resources
from pathlib import Path

import attrs
from lark import Lark, Token, Transformer_NonRecursive, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from ..diagnostics import Diagnostic, Span
from . import ast as A
from . import hints
from .syntax_formulas import FormulaSyntax
from .syntax_history import HistorySyntax

GRAMMAR_FILE = "elig.lark"
DECLARATION_KEYWORDS = ("trial", "library", "import", "version", "anchor", "fact", "codeset", "table", "score",
                        "define", "include", "exclude", "function")
# Words that are keywords inside expressions, so they cannot name a fact or definition.
# Declaration keywords (`fact`, `score`, `code`, ...) are keywords only where a declaration
# or type may start, so they remain usable as names (`latest score of assessments`).
RESERVED_WORDS = frozenset((
    "and", "or", "not", "implies", "between", "in", "if", "then", "else", "true", "false", "unknown",
    "age", "at", "years", "months", "weeks", "days", "exists", "count", "all", "have", "latest", "earliest",
    "on", "stable", "continuous", "change", "where", "during", "before", "after", "from", "to", "allowing",
    "gaps", "of",
    "highest",  # `highest daily total of ... over ...` (`is`, `daily`, `total`, `over` stay usable as names)
    "titre",  # a titre literal, `titre 1:160`
))
# Recovery splits a broken file at declarations that start in column 1 (the layout the
# formatter writes): indented continuation lines never start a declaration.
_DECL_START = re.compile(r"^(" + "|".join(DECLARATION_KEYWORDS) + r")\b", re.MULTILINE)
_DECLARED_NAME = re.compile(r"^(?:fact|define|function|anchor|codeset|table|score)[ \t]+([A-Za-z_][A-Za-z0-9_-]*)")
_LINE_WORD = re.compile(r"^([A-Za-z]{4,9})[ \t]", re.MULTILINE)
# How deeply one expression may nest (`1 + 1 + ...` nests one level per `+`), here and, through the
# definitions it uses, in the checker: every later stage (check, compile, evaluate, explain) walks
# expressions recursively, and this bound keeps them far from Python's recursion limit.
MAX_NESTING = 100
# The name under which a lone expression (`evaluate_expression`, `parse_expression`) is parsed.
EXPRESSION_NAME = "__expression__"


def grammar_text() -> str:
    """The grammar, from the installed package or, in a source checkout, the top-level grammars/."""
    packaged = resources.files("eligibility_dsl").joinpath("grammars").joinpath(GRAMMAR_FILE)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    source_tree = Path(__file__).resolve().parents[2] / "grammars" / GRAMMAR_FILE
    return source_tree.read_text(encoding="utf-8")


@functools.cache
def parser() -> Lark:
    # Lark keeps the analysed grammar in a file in the temporary directory, named by a hash of the
    # grammar, the options and Lark's version, so a new process loads the parser instead of building
    # it (about three times faster); a missing or unreadable cache file is simply rebuilt.
    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=True,
        cache=True,
    )


@attrs.frozen
class ParseResult:
    module: A.Module
    diagnostics: tuple[Diagnostic, ...] = ()
    # Names declared by declarations that failed to parse: the checker treats
    # them as known (of unknown type) so one syntax error does not cascade.
    broken_names: frozenset[str] = frozenset()
    # The text as parsed (line endings normalised, same length as the original): what spans point into.
    text: str | None = None


def _parse(text: str) -> Tree:
    """The one place text reaches the parser (the scaling test counts the characters passed here)."""
    return parser().parse(text)


def parse(text: str, file: str = "<input>") -> ParseResult:
    text, diagnostics = hints.prepare(text, file)
    try:
        tree = _parse(text)
    except UnexpectedInput:
        return _parse_with_recovery(text, file, diagnostics)
    broken: set[str] = set()
    decls = _to_ast(tree, file, diagnostics, broken)
    return ParseResult(A.Module(file, tuple(decls), span=_file_span(file, text)), tuple(diagnostics),
                       frozenset(broken), text)


def parse_expression(text: str, file: str = "<expression>") -> A.Expr | Diagnostic:
    """Parse one expression (used by the API's `evaluate_expression` and the tests)."""
    source = f"define {EXPRESSION_NAME}: " + text
    result = parse(source, file)
    if result.diagnostics:
        return result.diagnostics[0]
    (decl,) = result.module.decls
    return decl.expr


def _file_span(file: str, text: str) -> Span:
    lines = text.split("\n")
    return Span(file, 1, 1, len(lines), len(lines[-1]) + 1, 0, len(text))


def _parse_with_recovery(text: str, file: str, diagnostics: list[Diagnostic]) -> ParseResult:
    # A line that starts with a misspelt declaration keyword (`inlcude`) starts a declaration too, so
    # that its error does not hide behind the previous declaration's.
    starts = sorted({m.start() for m in _DECL_START.finditer(text)}
                    | {m.start() for m in _LINE_WORD.finditer(text)
                       if hints.keyword_typo(m.group(1), DECLARATION_KEYWORDS)})
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    invisible = {d.span.start for d in diagnostics if d.code == "E0006"}
    bounds = list(zip(starts, starts[1:] + [len(text)], strict=False))
    decls: list[A.Decl] = []
    broken: set[str] = set()
    line0, counted = 0, 0  # line0: the newlines before ``lo`` (counted up to offset ``counted``)
    for lo, hi in bounds:
        last = hi == len(text)
        chunk = text[lo:hi]
        line0 += text.count("\n", counted, lo)
        counted = lo
        if not chunk.strip() or all(line.strip().startswith("#") or not line.strip() for line in chunk.split("\n")):
            continue
        try:
            tree = _parse(chunk)
        except UnexpectedInput as err:
            d = syntax_diagnostic(err, chunk, file, last)
            d = attrs.evolve(d, span=hints.shifted(d.span, lo, line0)) if d.span else d
            if d.span is None or not {d.span.start, d.span.start - 1} & invisible:  # not a cascade of E0006
                diagnostics.append(d)
            m = _DECLARED_NAME.match(chunk)
            if m:
                broken.update((m.group(1), m.group(1).replace("-", "_")))
            continue
        if lo:
            hints.shift_tree(tree, lo, line0)
        decls.extend(_to_ast(tree, file, diagnostics, broken))
    return ParseResult(A.Module(file, tuple(decls), span=_file_span(file, text)), tuple(diagnostics),
                       frozenset(broken), text)


def _to_ast(tree: Tree, file: str, diagnostics: list[Diagnostic], broken: set[str]) -> list[A.Decl]:
    """The declarations of a parse tree as AST; one nested too deeply is reported and left out (its
    name joins ``broken``, so that its uses do not cascade into "unknown name" errors)."""
    kept = []
    for decl in tree.children:
        if not _nesting_exceeds(decl, MAX_NESTING):
            kept.append(decl)
            continue
        name = decl.children[0]  # every declaration starts with its name (a token)
        span = Span(file, name.line, name.column, name.end_line, name.end_column, name.start_pos, name.end_pos)
        diagnostics.append(too_deep_diagnostic(str(name), span))
        if decl.data in ("define_decl", "table_decl", "score_decl", "function_decl"):
            broken.add(str(name))
    try:
        return ToAst(file).transform(Tree(tree.data, kept, tree.meta))
    except VisitError as err:  # a bug in a transform method: surface the original
        raise err.orig_exc from err


def _nesting_exceeds(tree: Tree, limit: int) -> bool:
    """Whether any subtree of ``tree`` lies more than ``limit`` levels below it (without recursion)."""
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((c, depth + 1) for c in node.children if isinstance(c, Tree))
    return False


_TOO_DEEP = {  # why: (how the message ends, help)
    "own": (f"(more than {MAX_NESTING} levels)", "split it into definitions (`define part: ...`) and combine those"),
    "uses": (f"through the definitions and scores it uses (more than {MAX_NESTING} levels)",
             "a name nests as deeply as what it stands for: use definitions side by side (`a + b`) rather than "
             "one inside another"),
    "stack": ("for Python's recursion limit", "split it into definitions, or check it from a shallower call stack"),
}


def too_deep_diagnostic(name: str, span: Span, why: str = "own") -> Diagnostic:
    """E0005: the expression of a declaration nests more than MAX_NESTING levels, in its own text ("own") or
    counting the definitions and scores it uses ("uses"), or reached the recursion limit anyway ("stack")."""
    end, help = _TOO_DEEP[why]
    what = "the expression" if name == EXPRESSION_NAME else f"the expression of `{name}`"
    return Diagnostic("E0005", f"{what} is nested too deeply {end}", span, help)


# -------------------------------------------------------------- syntax errors

_TERMINAL_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": 'a quoted text (`"..."`)',
    "DATE": "a date (`YYYY-MM-DD`)",
    "UNIT": "a unit",
    "QUOTED_UNIT": "a unit",
    "COMP_OP": "a comparison (`=`, `!=`, `<`, `<=`, `>`, `>=`)",
    "$END": "the end of the file",
}
_OPERATOR_TERMINALS = {"COMP_OP", "AND", "OR", "PLUS", "MINUS", "STAR", "SLASH", "IMPLIES", "BETWEEN", "IN",
                       "CIRCUMFLEX"}  # `^`: formulas (lang11a)
_DECLARATION_TERMINALS = {k.upper() for k in DECLARATION_KEYWORDS}


def _describe_terminal(name: str) -> str:
    if name in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[name]
    for term in parser().terminals:
        if term.name == name and term.pattern.type == "str":
            return f"`{term.pattern.value}`"
    return name.lower()


# Tokens that can only continue a construct the parser is inside of; after a complete
# expression they clutter the message, which names operators and declarations instead.
_CLOSERS = {"RPAR", "LPAR", "COMMA", "RSQB", "LSQB", "ELSE", "THEN", "STRING", "COLON", "AFTER", "BEFORE",
            "DURING", "WHERE", "HAVE", "TO", "ALLOWING", "NUMBER", "CATEGORY", "SOURCE", "STARTING", "OF"}


def _describe_expected(expected: set[str]) -> str:
    """The expected terminals in words, most specific first; LALR look-ahead sets are broad."""
    expected = set(expected)
    if "COLON" in expected:
        return "`:`"
    words: list[str] = []
    if {"NAME", "NUMBER", "LPAR"} <= expected:
        words.append("an expression")
        expected -= {"NAME", "NUMBER", "LPAR", "DATE", "STRING", "MINUS", "TRUE", "FALSE", "UNKNOWN",
                     "AGE", "IF", "YEARS", "MONTHS", "WEEKS", "DAYS", "NOT", "EXISTS", "COUNT", "ALL",
                     "LATEST", "EARLIEST", "STABLE", "CONTINUOUS", "CHANGE", "HIGHEST", "LOWEST"}
    if len(expected & _OPERATOR_TERMINALS) > 2:
        words.append("an operator")
        expected -= _OPERATOR_TERMINALS | _CLOSERS | {"MUL", "NOT", "UNIT", "QUOTED_UNIT", "IS", "OVER"}
    if len(expected & (_DECLARATION_TERMINALS | {"$END"})) > 3:
        words.append("a new declaration")
        expected -= _DECLARATION_TERMINALS | {"$END"} | _CLOSERS
    words.extend(sorted({_describe_terminal(t) for t in expected if not t.startswith("__")}))
    if not words:
        return "something else"
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _token_span(file: str, text: str, line: int, column: int, pos: int, length: int) -> Span:
    length = max(1, length)
    return Span(file, line, column, line, column + length, pos, pos + length)


_KEYWORD_SPELLINGS = frozenset(RESERVED_WORDS | set(DECLARATION_KEYWORDS) | {"category", "source", "code", "text"})


def syntax_diagnostic(err: UnexpectedInput, text: str, file: str, last: bool = True) -> Diagnostic:
    """One syntax error as a diagnostic; ``last`` is False when another declaration follows."""
    if (isinstance(err, UnexpectedToken) and err.token.type == "$END") or isinstance(err, UnexpectedEOF):
        body = re.sub(r"#[^\n]*", "", text).rstrip()
        lines = body.split("\n")
        line, col = len(lines), len(lines[-1]) + 1
        expected = _describe_expected(set(err.expected))
        where = "the end of the file" if last else "the end of the declaration"
        _, help, _ = hints.syntax_help("", "$END", set(err.expected), body, len(body), col, DECLARATION_KEYWORDS,
                                       ())
        return Diagnostic("E0002", f"expected {expected}, found {where}",
                          _token_span(file, text, line, col, len(body), 1), help)
    if isinstance(err, UnexpectedCharacters):
        char = text[err.pos_in_stream]
        span = _token_span(file, text, err.line, err.column, err.pos_in_stream, 1)
        if char == '"':
            return Diagnostic("E0004", "unterminated text", span, 'close the text with `"` on the same line')
        return Diagnostic("E0003", f"unexpected character `{char}`", span, hints.CHARACTER_HELP.get(char))
    assert isinstance(err, UnexpectedToken)
    tok: Token = err.token
    span = _token_span(file, text, tok.line, tok.column, tok.start_pos, len(str(tok)))
    value = str(tok)
    if tok.type.upper() == value.upper() and value in RESERVED_WORDS and "NAME" in err.expected:
        return Diagnostic("E0109", f"`{value}` is a reserved word and cannot be used as a name", span,
                          f"choose another name, such as `{value}_value`")
    shown = value if len(value) <= 30 else value[:27] + "..."
    keywords = hints.expected_keywords(err.expected, _KEYWORD_SPELLINGS)
    message, help, start = hints.syntax_help(value, tok.type, set(err.expected), text, tok.start_pos, tok.column,
                                             DECLARATION_KEYWORDS, keywords)
    if start is not None:  # the misspelt word is the one before the token: underline it
        before = text[:start]
        line = before.count("\n") + 1
        column = start - before.rfind("\n")
        word = hints.word_before(text, tok.start_pos)[0]
        span = _token_span(file, text, line, column, start, len(word))
        message = message or f"unexpected `{word}`"
    if help is not None:
        pass
    elif value == "=" and tok.start_pos > 0 and text[tok.start_pos - 1] in "=!<>":
        help = "compare with a single `=`"
    elif value == ":" and "NAME" not in err.expected and "STRING" in err.expected:
        help = 'a criterion needs its protocol text: `include I1 "verbatim text": ...`'
    elif tok.type in ("NAME", "NUMBER", "STRING", "UNIT") and len(err.expected & _OPERATOR_TERMINALS) > 2:
        help = "join conditions with `and` or `or`"
    message = message or f"expected {_describe_expected(set(err.expected))}, found `{shown}`"
    return Diagnostic("E0001", message, span, help)


# ------------------------------------------------------------ tree to AST


def _unquote(token: str) -> str:
    return re.sub(r"\\(.)", r"\1", token[1:-1])


_COMPARE_OPS = {"≥": ">=", "≤": "<=", "≠": "!="}


@v_args(meta=True)
class ToAst(FormulaSyntax, HistorySyntax, Transformer_NonRecursive):
    """Lark parse tree to :mod:`eligibility_dsl.ast`; one method per grammar rule (a dispatch table).
    Non-recursive: a long expression (`1 + 1 + ...`) is a deep tree."""

    def __init__(self, file: str):
        super().__init__()
        self.file = file

    def _span(self, meta) -> Span:
        return Span(self.file, meta.line, meta.column, meta.end_line, meta.end_column, meta.start_pos, meta.end_pos)

    def _tok_span(self, tok: Token) -> Span:
        return Span(self.file, tok.line, tok.column, tok.end_line, tok.end_column, tok.start_pos, tok.end_pos)

    # declarations
    def start(self, meta, children):
        return list(children)

    def trial_decl(self, meta, c):
        ident = _unquote(c[0]) if c[0].type == "STRING" else str(c[0])
        return A.TrialDecl(ident, c[1], span=self._span(meta), name_span=self._tok_span(c[0]))

    def version_decl(self, meta, c):
        return A.VersionDecl(_unquote(c[0]), span=self._span(meta), name_span=self._tok_span(c[0]))

    def anchor_decl(self, meta, c):
        return A.AnchorDecl(str(c[0]), c[1], span=self._span(meta), name_span=self._tok_span(c[0]))

    def fact_decl(self, meta, c):
        return A.FactDecl(str(c[0]), c[1], c[4], None if c[2] is None else (c[2], c[3]), span=self._span(meta),
                          name_span=self._tok_span(c[0]))

    def define_decl(self, meta, c):
        return A.DefineDecl(str(c[0]), c[1], span=self._span(meta), name_span=self._tok_span(c[0]))

    def include_decl(self, meta, c):
        return A.Criterion("include", str(c[0]), c[1], c[2], span=self._span(meta), name_span=self._tok_span(c[0]))

    def exclude_decl(self, meta, c):
        return A.Criterion("exclude", str(c[0]), c[1], c[2], span=self._span(meta), name_span=self._tok_span(c[0]))

    def library_decl(self, meta, c):
        return A.LibraryDecl(str(c[0]), c[1], span=self._span(meta), name_span=self._tok_span(c[0]))

    def import_decl(self, meta, c):
        return A.ImportDecl(_unquote(c[0]), span=self._span(meta), name_span=self._tok_span(c[0]))

    def valueset_import_decl(self, meta, c):
        return A.ValueSetImportDecl(_unquote(c[0]), str(c[1]), span=self._span(meta), name_span=self._tok_span(c[1]),
                                    path_span=self._tok_span(c[0]))

    def codeset_decl(self, meta, c):
        return A.CodesetDecl(str(c[0]), c[1], tuple(c[3:]), no_analyte=c[2] is not None, span=self._span(meta),
                             name_span=self._tok_span(c[0]))

    def no_analyte(self, meta, c):
        return True

    def code_item(self, meta, c):
        display = _unquote(c[2]) if c[2] is not None else None
        return A.CodeEntry(str(c[0]), _unquote(c[1]), display, span=self._span(meta))

    def codeset_item(self, meta, c):
        return A.CodesetRef(str(c[0]), span=self._span(meta))

    def table_decl(self, meta, c):
        return A.TableDecl(str(c[0]), c[1], c[2], tuple(c[3:]), span=self._span(meta),
                           name_span=self._tok_span(c[0]))

    def table_entry(self, meta, c):
        return A.TableEntry(str(c[0]), c[1], span=self._span(meta))

    def score_decl(self, meta, c):
        return A.ScoreDecl(str(c[0]), c[1], tuple(c[2:]), span=self._span(meta), name_span=self._tok_span(c[0]))

    def score_category(self, meta, c):
        return A.ScoreCategory(_unquote(c[0]), tuple(c[1:]), span=self._span(meta))

    def score_item(self, meta, c):
        return A.ScoreItem(Decimal(str(c[0])), c[1], span=self._span(meta))

    def text(self, meta, c):
        return "".join(_unquote(s) for s in c)

    # types
    def boolean_type(self, meta, c):
        return A.TypeExpr("boolean", span=self._span(meta))

    def number_type(self, meta, c):
        return A.TypeExpr("number", span=self._span(meta))

    def quantity_type(self, meta, c):
        text, span = c[0]
        return A.TypeExpr("quantity", unit=text, span=self._span(meta), unit_span=span)

    def date_type(self, meta, c):
        return A.TypeExpr("date", span=self._span(meta))

    def text_type(self, meta, c):
        return A.TypeExpr("text", span=self._span(meta))

    def code_type(self, meta, c):
        values = tuple(_unquote(s) for s in c if s is not None)
        return A.TypeExpr("code", values=values or None, span=self._span(meta))

    def unit(self, meta, c):
        tok = str(c[0])
        return (tok[1:-1] if tok.startswith("'") else tok), self._tok_span(c[0])

    def period(self, meta, c):
        return str(c[0])

    def list(self, meta, c):
        return tuple(c)

    # literals and names
    def number(self, meta, c):
        return A.NumberLit(Decimal(str(c[0])), span=self._span(meta))

    def quantity(self, meta, c):
        return A.QuantityLit(Decimal(str(c[0])), c[1][0], span=self._span(meta))

    def date(self, meta, c):
        return A.DateLit(str(c[0]), span=self._span(meta))

    def titre(self, meta, c):
        return A.TitreLit(Decimal(str(c[0]).split(":")[1]), span=self._span(meta))

    def string(self, meta, c):
        return A.TextLit(_unquote(c[0]), span=self._span(meta))

    def true(self, meta, c):
        return A.BoolLit(True, span=self._span(meta))

    def false(self, meta, c):
        return A.BoolLit(False, span=self._span(meta))

    def unknown(self, meta, c):
        return A.BoolLit(None, span=self._span(meta))

    def name(self, meta, c):
        return A.Name(str(c[0]), span=self._span(meta))

    def call(self, meta, c):
        return A.Call(str(c[0]), tuple(c[1:]), span=self._span(meta))

    def age(self, meta, c):
        return A.Age(c[0], span=self._span(meta))

    def age_in(self, meta, c):
        return A.AgeIn(str(c[0]), c[1], span=self._span(meta))

    def duration_between(self, meta, c):
        return A.DurationBetween(c[0], c[1], c[2], span=self._span(meta))

    def conditional(self, meta, c):
        return A.Conditional(c[0], c[1], c[2], span=self._span(meta))

    # operators
    def neg(self, meta, c):
        return A.Neg(c[0], span=self._span(meta))

    def _arith(op):
        def method(self, meta, c):
            return A.Arith(op, c[0], c[1], span=self._span(meta))
        return method

    add, sub, mul, div = _arith("+"), _arith("-"), _arith("*"), _arith("/")

    def compare(self, meta, c):
        op = str(c[1])
        return A.Compare(_COMPARE_OPS.get(op, op), c[0], c[2], span=self._span(meta))

    def between(self, meta, c):
        return A.Between(c[0], c[1], c[2], span=self._span(meta))

    def not_between(self, meta, c):
        return A.Between(c[0], c[1], c[2], negated=True, span=self._span(meta))

    def member(self, meta, c):
        return A.Member(c[0], c[1], span=self._span(meta))

    def not_member(self, meta, c):
        return A.Member(c[0], c[1], negated=True, span=self._span(meta))

    def not_(self, meta, c):
        return A.Not(c[0], span=self._span(meta))

    def and_(self, meta, c):
        return A.And(tuple(c), span=self._span(meta))

    def or_(self, meta, c):
        return A.Or(tuple(c), span=self._span(meta))

    def implies(self, meta, c):
        return A.Implies(c[0], c[1], span=self._span(meta))
