"""Check: names, types and units, in one pass that collects every diagnostic.

``check(parse_result, source)`` returns the :class:`~eligibility_dsl.ir.CheckedTrial`
and the list of diagnostics.  Expressions are checked through a dispatch table
keyed by AST class; each returns the IR node (of type ``ERROR`` when wrong, so
one mistake is reported once and its parents stay quiet).
"""

from __future__ import annotations

from collections.abc import Callable

from ..diagnostics import Diagnostic, Span, sort_key, suggest
from ..language import ast as A
from ..language import types as T
from ..language.syntax import MAX_NESTING, RESERVED_WORDS, ParseResult, too_deep_diagnostic
from ..records.model import CODE_SYNONYMS
from ..runtime.calendar import parse_date
from ..runtime.quantity import MagnitudeError, Quantity, check_magnitude
from ..runtime.titre import Titre
from ..runtime.units import UnitError, dimension_name, parse_unit
from ..terminology import resolve as resolve_terminology
from . import ir
from .analytes import check_results, molar_bridge
from .arith import _ARITH_RULES, _static
from .datetimes import DATETIME_EXPR, DateTimeChecks
from .fact_range import fact_range
from .formulas import FORMULA_EXPR, FORMULA_FUNCTIONS, FormulaChecks, FunctionChecks
from .history import _KIND_WORDS, HISTORY_EXPR, HistoryChecks
from .items import ITEMS_EXPR
from .labs import LAB_EXPR, LabChecks
from .names import NameHelp

# Reads an imported file: (the path written, the importing file) -> (file name, text); raises OSError,
# or UnicodeDecodeError for a file that is not UTF-8 text.
Loader = Callable[[str, str], tuple[str, str]]

FUNCTIONS = {"max": "the largest of its arguments", "min": "the smallest of its arguments", **FORMULA_FUNCTIONS}
_PERIOD_UNIT = {"years": "years", "months": "months", "weeks": "weeks", "days": "days"}


class _TooDeep(Exception):
    """Definitions use one another in a chain longer than MAX_NESTING."""


class _Symbol:
    __slots__ = ("decl", "kind", "span", "type")

    def __init__(self, kind: str, type_: T.Type, span: Span | None, decl: A.Decl | None = None):
        self.kind, self.type, self.span, self.decl = kind, type_, span, decl


class Checker(HistoryChecks, LabChecks, FormulaChecks, FunctionChecks, DateTimeChecks, NameHelp):
    def __init__(self, parsed: ParseResult, source: str, loader: Loader | None = None, terminology=None):
        self.module = parsed.module
        self.terminology = resolve_terminology(terminology)  # None: the shipped table
        # The text as parsed (line endings normalised, offsets kept), so spans and snippets agree.
        source = parsed.text if parsed.text is not None and len(parsed.text) == len(source) else source
        self.source = source
        self.sources = {parsed.module.file: source}
        self.loader = loader
        self.broken = set(parsed.broken_names)
        self.diagnostics: list[Diagnostic] = list(parsed.diagnostics)
        self.scope: list = []  # collections whose fields are in scope (inside a query)
        self._tables: dict[str, ir.TableSpec] = {}
        self._scores: dict[str, ir.ScoreSpec] = {}
        self._scores_checking: set[str] = set()
        self.symbols: dict[str, _Symbol] = {
            name: _Symbol("builtin", typ, None) for name, (typ, _) in T.BUILTIN_FACTS.items()
        }
        self.definitions: dict[str, ir.Definition] = {}
        self._checking: list[str] = []  # definitions being checked, to report cycles
        self._nesting: dict[str, int] = {}  # definition or score -> how deeply it nests, through what it uses
        self.codeset_specs: dict[str, ir.CodesetSpec] = {}
        self.query_codesets: list[str | None] = []  # the code set of each query whose `where` is being checked

    # ------------------------------------------------------------ helpers

    def error(self, code: str, message: str, span: Span | None, help: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, span, help))

    def text_of(self, node: A.Node) -> str:
        s = node.span
        source = self.sources.get(s.file, "") if s is not None else ""
        if s is None or s.end <= s.start or not source:
            return "?"
        text = " ".join(source[s.start:s.end].split())
        return text if len(text) <= 40 else text[:37] + "..."

    # -------------------------------------------------------- declarations

    def run(self) -> ir.CheckedTrial:
        header: A.TrialDecl | None = None
        version: str | None = None
        anchors: dict[str, str | None] = {}
        facts: dict[str, ir.FactSpec] = {
            name: ir.FactSpec(name, typ, desc, builtin=True) for name, (typ, desc) in T.BUILTIN_FACTS.items()
        }
        library = next((d for d in self.module.decls if isinstance(d, A.LibraryDecl)), None)
        codeset_decls: list[A.CodesetDecl] = []
        for decl in self._with_imports(self.module, set()):
            if isinstance(decl, A.CodesetDecl | A.TableDecl | A.ScoreDecl | A.FunctionDecl):
                kind = {A.CodesetDecl: "codeset", A.TableDecl: "table", A.ScoreDecl: "score",
                        A.FunctionDecl: "function"}[type(decl)]
                if self._declare(decl.name, kind, T.NUMBER if kind == "score" else None, decl) and kind == "codeset":
                    codeset_decls.append(decl)
        for decl in self.module.decls:
            if library is not None and not isinstance(decl, A.LibraryDecl | A.ImportDecl | A.CodesetDecl
                                                      | A.TableDecl | A.ValueSetImportDecl | A.FunctionDecl):
                self.error("E0117", "a library may hold only code sets, tables, functions and imports", decl.span)
                continue
            if isinstance(decl, A.TrialDecl):
                if header is not None:
                    self.error("E0103", "the trial is already declared", decl.span,
                               f"first declared at line {header.span.line}")
                header = header or decl
            elif isinstance(decl, A.VersionDecl):
                version = decl.version
            elif isinstance(decl, A.AnchorDecl):
                if self._declare(decl.name, "anchor", T.DATE, decl):
                    anchors[decl.name] = decl.description
            elif isinstance(decl, A.FactDecl):
                typ = self._fact_type(decl.type)
                if self._declare(decl.name, "fact", typ, decl):
                    facts[decl.name] = ir.FactSpec(decl.name, typ, decl.description,
                                                   range=fact_range(self, decl, typ))
            elif isinstance(decl, A.DefineDecl):
                self._declare(decl.name, "define", None, decl)
        codesets = {d.name: self._codeset(d) for d in codeset_decls}
        self.codeset_specs = codesets  # for check/analytes.py: which analytes a query's results are
        self._codeset_cycles(codesets)
        for name, sym in self.symbols.items():
            if sym.kind == "table":
                self._guarded(sym.decl, lambda name=name: self.table_type(name))
            elif sym.kind == "score":
                self._guarded(sym.decl, lambda name=name: self._score_type(name))
        if header is None and library is None and not self.diagnostics:
            self.error("E0108", "missing trial declaration", Span(self.module.file, 1, 1, 1, 2, 0, 1),
                       'start the file with `trial NCT00000000 "title"`')

        for decl in self.module.decls:
            sym = self.symbols.get(decl.name) if isinstance(decl, A.DefineDecl) else None
            if sym is not None and sym.decl is decl:  # not when refused (a duplicate, in a library)
                self._guarded(decl, lambda name=decl.name: self._definition(name))

        for name, sym in self.symbols.items():  # formulas (lang11a): each function's body, checked once
            if sym.kind == "function":
                self._guarded(sym.decl, lambda name=name: self.check_function(name))

        criteria: list[ir.Criterion] = []
        seen: dict[str, A.Criterion] = {}
        for decl in self.module.decls:
            if not isinstance(decl, A.Criterion) or library is not None:  # a library's: refused above
                continue
            if decl.id in seen:
                self.error("E0102", f"duplicate criterion id `{decl.id}`", decl.name_span,
                           f"`{decl.id}` is first used at line {seen[decl.id].span.line}")
            else:
                seen[decl.id] = decl
            node = self._guarded(decl, lambda expr=decl.expr: self.expr(expr))
            if node is None:
                continue
            if _nesting(node, self._nesting) > MAX_NESTING:
                self.diagnostics.append(too_deep_diagnostic(decl.id, decl.name_span, "uses"))
            if node.type.kind not in ("boolean", "error"):
                self.error("E0203", f"the logic of `{decl.id}` must be a condition, found {node.type.describe()}",
                           decl.expr.span, "compare it with something, e.g. `... > 50 %`")
            criteria.append(ir.Criterion(decl.kind, decl.id, decl.text, node, span=decl.span))
        if header is not None and library is None and not seen and not any(
                d.severity == "error" for d in self.diagnostics):  # else everyone would be ELIGIBLE
            self.error("E0152", f"trial `{header.registry_id}` has no criteria", header.span,
                       'add `include I1 "protocol text": ...` or `exclude E1 ...`; a file of code sets is a `library`')

        return ir.CheckedTrial(
            registry_id=header.registry_id if header else library.name if library else "?",
            title=header.title if header else library.title if library else "",
            version=version,
            anchors=anchors,
            facts=facts,
            definitions=self.definitions,
            criteria=tuple(criteria),
            file=self.module.file,
            source=self.source,
            codesets=codesets,
            tables=self._tables,
            scores=self._scores,
            sources=self.sources,
            is_library=library is not None,
            terminology=self.terminology.release,
        )

    def _guarded(self, decl: A.Decl, check: Callable[[], ir.Node | T.Type]):
        """check(), or None when it went too deep (a chain of more than MAX_NESTING definitions, or
        anything reaching Python's recursion limit): E0005 on ``decl``, whose unfinished definitions become
        errors so that no later use checks them again."""
        checking, scope, scores = len(self._checking), list(self.scope), set(self._scores_checking)
        try:
            return check()
        except _TooDeep:
            why = "uses"
        except RecursionError:
            why = "stack"
        for name in self._checking[checking:]:
            self.definitions.setdefault(name, ir.Definition(name, ir.Const(T.ERROR, None)))
            self._nesting[name] = _REPORTED
        del self._checking[checking:]
        self.scope, self._scores_checking = scope, scores
        name = decl.id if isinstance(decl, A.Criterion) else decl.name
        self.diagnostics.append(too_deep_diagnostic(name, decl.name_span, why))
        return None

    def table_type(self, name: str) -> T.Type:
        if name not in self._tables:
            outer_scope, self.scope = self.scope, []
            self._tables[name] = self._table(self.symbols[name].decl)
            self.scope = outer_scope
        return self._tables[name].type

    def _score_type(self, name: str) -> T.Type:
        if name not in self._scores:
            if name in self._scores_checking:
                self.error("E0105", f"score `{name}` refers to itself", self.symbols[name].decl.name_span)
                return T.ERROR
            self._scores_checking.add(name)
            outer_scope, self.scope = self.scope, []
            self._scores[name] = self._score(self.symbols[name].decl)
            self.scope = outer_scope
            conditions = [c for _, items in self._scores[name].categories for _, c in items]
            self._record_nesting(name, self.symbols[name].decl.name_span, *conditions)
        return T.NUMBER

    def _record_nesting(self, name: str, span: Span | None, *nodes: ir.Node) -> None:
        """How deeply a definition or score nests, through what it uses (E0005 when more than MAX_NESTING)."""
        depths = [_nesting(n, self._nesting) for n in nodes]
        self._nesting[name] = _REPORTED if _REPORTED in depths else max(depths, default=0)
        if self._nesting[name] > MAX_NESTING:
            self.diagnostics.append(too_deep_diagnostic(name, span, "uses"))
            self._nesting[name] = _REPORTED

    def _declare(self, name: str, kind: str, typ: T.Type | None, decl: A.Decl) -> bool:
        if name in RESERVED_WORDS:
            self.error("E0109", f"`{name}` is a reserved word and cannot be used as a name", decl.name_span,
                       f"choose another name, such as `{name}_value`")
            return False
        existing = self.symbols.get(name)
        if existing is not None:
            where = ("it is built into the patient model" if existing.kind == "builtin"
                     else f"first declared at line {existing.span.line}")
            self.error("E0103", f"`{name}` is already declared", decl.name_span, where)
            return False
        self.symbols[name] = _Symbol(kind, typ, decl.name_span, decl)
        return True

    def _fact_type(self, t: A.TypeExpr) -> T.Type:
        if t.kind == "quantity":
            unit = self._unit(t.unit, t.unit_span or t.span)
            return T.quantity(unit) if unit is not None else T.ERROR
        if t.kind == "code":
            return T.code(t.values)
        return {"boolean": T.BOOLEAN, "number": T.NUMBER, "date": T.DATE, "text": T.TEXT}[t.kind]

    def _unit(self, text: str, span: Span | None):
        try:
            return parse_unit(text)
        except UnitError as err:
            self.error("E0104", err.message, span, err.help)
            return None

    def _definition(self, name: str) -> T.Type:
        done = self.definitions.get(name)
        if done is not None:
            return done.expr.type
        sym = self.symbols[name]
        if name in self._checking:
            cycle = " -> ".join(self._checking[self._checking.index(name):] + [name])
            self.error("E0105", f"definition `{name}` refers to itself: {cycle}", sym.decl.name_span)
            return T.ERROR
        if len(self._checking) >= MAX_NESTING:  # a chain of definitions, each using the next: too deep
            raise _TooDeep
        self._checking.append(name)
        outer_scope, self.scope = self.scope, []  # a definition sees globals only, wherever it is used
        node = self.expr(sym.decl.expr)
        self.scope = outer_scope
        self._checking.pop()
        if name in self.definitions:  # a cycle was reported while checking
            return self.definitions[name].expr.type
        self.definitions[name] = ir.Definition(name, node, span=sym.decl.span)
        self._record_nesting(name, sym.decl.name_span, node)
        sym.type = node.type
        return node.type

    # --------------------------------------------------------- expressions

    def expr(self, node: A.Expr) -> ir.Node:
        return _EXPR[type(node)](self, node)

    def condition(self, node: A.Expr, role: str) -> ir.Node:
        out = self.expr(node)
        if out.type.kind not in ("boolean", "error"):
            self.error("E0201", f"`{self.text_of(node)}` is {out.type.describe()}, not a condition", node.span,
                       f"{role} needs a condition such as a comparison")
        return out

    def _number(self, n: A.NumberLit):
        if not self._bounded(n):
            return ir.Const(T.ERROR, None, span=n.span)
        return ir.Const(T.NUMBER, n.value, span=n.span)

    def _bounded(self, n: A.NumberLit | A.QuantityLit) -> bool:
        try:
            check_magnitude(n.value)
            return True
        except MagnitudeError as err:
            self.error("E0153", err.message, n.span, "write the number with fewer digits, or in a larger unit")
            return False

    def _quantity(self, n: A.QuantityLit):
        unit = self._unit(n.unit, n.span)
        if unit is None or not self._bounded(n):
            return ir.Const(T.ERROR, None, span=n.span)
        return ir.Const(T.quantity(unit), Quantity(n.value, unit), span=n.span)

    def _date(self, n: A.DateLit):
        try:
            return ir.Const(T.DATE, parse_date(n.text), span=n.span)
        except ValueError:
            self.error("E0205", f"`{n.text}` is not a calendar date", n.span, "dates are written YYYY-MM-DD")
            return ir.Const(T.ERROR, None, span=n.span)

    def _text(self, n: A.TextLit):
        return ir.Const(T.TEXT, n.value, span=n.span)

    def _titre(self, n: A.TitreLit):
        if not n.dilution > 0:
            self.error("E0155", f"`titre 1:{n.dilution}` is no dilution", n.span, "a titre is 1:N with N above 0")
            return ir.Const(T.ERROR, None, span=n.span)
        return ir.Const(T.TITRE, Titre(n.dilution), span=n.span)

    def _bool(self, n: A.BoolLit):
        return ir.Const(T.BOOLEAN, n.value, span=n.span)

    def _name(self, n: A.Name):
        anchor_position = self.__dict__.pop("_anchor_position", False)  # for this name only, not what it uses
        if self.scope and n.id in self.scope[-1].fields:
            return ir.FieldRef(self.scope[-1].fields[n.id].type, n.id, span=n.span)
        bound = self.bound_parameter(n.id)  # a function's parameter (check/formulas.py)
        if bound is not None:
            return bound
        sym = self.symbols.get(n.id)
        if sym is None:
            if n.id not in self.broken:
                if anchor_position:
                    self.error("E0101", f"unknown name `{n.id}`", n.span, self.unknown_anchor_help(n.id))
                    return ir.Const(T.ERROR, None, span=n.span)
                help = self.suggest_in("value", n.id)
                if self.scope:  # inside a query, the likelier slip is a field name
                    fields = self.scope[-1].fields
                    help = suggest(n.id, fields) or help or f"{self.scope[-1].name} have: {', '.join(fields)}"
                self.error("E0101", f"unknown name `{n.id}`", n.span, help)
            return ir.Const(T.ERROR, None, span=n.span)
        if sym.kind == "anchor":
            return ir.Anchor(T.DATE, n.id, span=n.span)
        if sym.kind == "define":
            return ir.DefRef(self._definition(n.id), n.id, span=n.span)
        if sym.kind == "score":
            return ir.ScoreRef(self._score_type(n.id), n.id, span=n.span)
        if sym.kind == "function":
            decl = sym.decl
            self.error("E0201", f"`{n.id}` is a function, not a value", n.span,
                       f"call it: `{n.id}({', '.join(p.name for p in decl.params)})`")
            return ir.Const(T.ERROR, None, span=n.span)
        if sym.kind in ("codeset", "table"):
            use = "test membership with `code in " if sym.kind == "codeset" else "look a coding up with `"
            use += f"{n.id}`" if sym.kind == "codeset" else f"{n.id}[code]`"
            self.error("E0201", f"`{n.id}` is a {_KIND_WORDS[sym.kind]}, not a value", n.span, use)
            return ir.Const(T.ERROR, None, span=n.span)
        return ir.Fact(sym.type, n.id, span=n.span)

    def _call(self, n: A.Call):
        if n.func in FORMULA_FUNCTIONS:  # sqrt, ln, exp, round: check/formulas.py
            return self.formula_call(n)
        if n.func in self.symbols and self.symbols[n.func].kind == "function":
            return self.function_call(n)
        args = tuple(self.expr(a) for a in n.args)
        if n.func not in FUNCTIONS:
            self.error("E0106", f"unknown function `{n.func}`", n.span, suggest(n.func, FUNCTIONS))
            return ir.Const(T.ERROR, None, span=n.span)
        if len(args) < 2:
            self.error("E0204", f"`{n.func}` needs at least two arguments, found {len(args)}", n.span)
            return ir.Const(T.ERROR, None, span=n.span)
        first = args[0]
        for a_node, arg in zip(n.args[1:], args[1:], strict=False):
            if not T.ordered(first.type, arg.type):
                self._mismatch(f"`{n.func}` cannot choose between", n.args[0], first.type, a_node, arg.type, n.span,
                               "and")
                return ir.Const(T.ERROR, None, span=n.span)
        if first.type.kind not in ("number", "quantity", "date", "error"):
            self.error("E0201", f"`{n.func}` needs numbers, quantities or dates, found {first.type.describe()}",
                       n.span)
            return ir.Const(T.ERROR, None, span=n.span)
        typ = next((a.type for a in args if not a.type.is_error), T.ERROR)
        return ir.Extremum(typ, n.func, args, span=n.span)

    def _age(self, n: A.Age):
        with self.in_anchor_position(n.at):
            at = self.expr(n.at)
        if at.type.kind not in ("date", "error"):
            self.error("E0201", f"`age at` needs a date, found `{self.text_of(n.at)}` ({at.type.describe()})",
                       n.at.span, "name an anchor, e.g. `age at screening`")
            return ir.Const(T.ERROR, None, span=n.span)
        return ir.Age(T.YEARS, at, span=n.span)

    def _between_dates(self, n: A.DurationBetween):
        start, end = self.expr(n.start), self.expr(n.end)
        for sub, out in ((n.start, start), (n.end, end)):
            if out.type.kind not in ("date", "error"):
                self.error("E0201", f"`{n.unit} between` needs dates, found `{self.text_of(sub)}` "
                           f"({out.type.describe()})", sub.span)
                return ir.Const(T.ERROR, None, span=n.span)
        return ir.DurationBetween(T.quantity_of(_PERIOD_UNIT[n.unit]), n.unit, start, end, span=n.span)

    def _conditional(self, n: A.Conditional):
        cond = self.condition(n.cond, "`if`")
        then, otherwise = self.expr(n.then), self.expr(n.otherwise)
        if not T.comparable(then.type, otherwise.type) or {then.type.kind, otherwise.type.kind} == {"code", "text"}:
            self._mismatch("the branches of `if` differ:", n.then, then.type, n.otherwise, otherwise.type, n.span,
                           "and")
            return ir.Const(T.ERROR, None, span=n.span)
        typ = then.type if not then.type.is_error else otherwise.type
        return ir.Conditional(typ, cond, then, otherwise, span=n.span)

    def _neg(self, n: A.Neg):
        operand = self.expr(n.operand)
        if operand.type.kind not in ("number", "quantity", "error"):
            self.error("E0201", f"cannot negate `{self.text_of(n.operand)}` ({operand.type.describe()})", n.span)
            return ir.Const(T.ERROR, None, span=n.span)
        return ir.Neg(operand.type, operand, span=n.span)

    def _arith(self, n: A.Arith):
        left, right = self.expr(n.left), self.expr(n.right)
        lt, rt = _static(left.type), _static(right.type)
        if lt.is_error or rt.is_error:
            return ir.Const(T.ERROR, None, span=n.span)
        result = _ARITH_RULES.get((n.op, lt.kind, rt.kind))
        typ, kind = result(lt, rt) if result else (None, None)
        if typ is None:
            self._arith_error(n, lt, rt)
            return ir.Const(T.ERROR, None, span=n.span)
        return ir.Arith(typ, n.op, kind, left, right, span=n.span)

    def _arith_error(self, n: A.Arith, lt: T.Type, rt: T.Type) -> None:
        a, b = f"`{self.text_of(n.left)}`", f"`{self.text_of(n.right)}`"
        help = None
        if lt.kind == rt.kind == "date" and n.op == "-":
            help = "use `days between A and B` (or months, years) for the time between two dates"
        elif {lt.kind, rt.kind} == {"number", "quantity"}:
            help = "write the number with its unit, e.g. `28 days`"
        elif lt.kind == "date" or rt.kind == "date":
            help = "a date moves by a duration: `screening - 6 months`"
        units = lt.kind == rt.kind == "quantity"
        a += f" ({lt.describe()})"
        b += f" ({rt.describe()})"
        phrase = {"+": f"add {a} and {b}", "-": f"subtract {b} from {a}", "*": f"multiply {a} by {b}",
                  "/": f"divide {a} by {b}"}[n.op]
        self.error("E0202" if units else "E0201", f"cannot {phrase}", n.span, help)

    def _mismatch(self, lead: str, a: A.Expr, at: T.Type, b: A.Expr, bt: T.Type, span: Span | None,
                  joiner: str = "with") -> None:
        if at.kind == bt.kind == "quantity":
            help = None
            if {dimension_name(at.dims), dimension_name(bt.dims)} == {"time", "calendar duration"}:
                help = "months and years have no fixed length in days; compare dates instead"
            elif molar_bridge(at.dims, bt.dims):
                help = ("a mass and a molar amount convert only through an analyte's molar mass: compare a "
                        "laboratory result (`latest value of observations in SET`) whose LOINC code names the "
                        "analyte, or write both in the same kind of unit (docs/units.md)")
            self.error("E0202", f"{lead} `{self.text_of(a)}` ({at.describe()}) {joiner} "
                       f"`{self.text_of(b)}` ({bt.describe()})", span, help)
            return
        help = "write the number with its unit" if {at.kind, bt.kind} == {"number", "quantity"} else None
        if {at.kind, bt.kind} in ({"date", "number"}, {"date", "quantity"}):
            date = a if at.kind == "date" else b
            help = (f"for the time since a date, use `days between {self.text_of(date)} and screening` "
                    "(or `months`, `years`) and compare it with a duration, e.g. `>= 6 months`")
        self.error("E0201", f"{lead} `{self.text_of(a)}` ({at.describe()}) {joiner} `{self.text_of(b)}` "
                   f"({bt.describe()})", span, help)

    def _compare(self, n: A.Compare):
        left, right = self.expr(n.left), self.expr(n.right)
        ok = T.comparable(left.type, right.type) if n.op in ("=", "!=") else T.ordered(left.type, right.type)
        if not ok:
            self._mismatch("cannot compare", n.left, left.type, n.right, right.type, n.span)
            return ir.Const(T.ERROR, None, span=n.span)
        self._check_code_value(left, right, n.right)
        self._check_code_value(right, left, n.left)
        check_results(self, left, (right,), n.span)
        return ir.Compare(T.BOOLEAN, n.op, left, right, span=n.span)

    def _check_code_value(self, code_side: ir.Node, other: ir.Node, other_node: A.Expr) -> None:
        values = code_side.type.values if code_side.type.kind == "code" else None
        if values and isinstance(other, ir.Const) and other.type.kind == "text" and other.value not in values:
            allowed = ", ".join(f"`{v}`" for v in values)
            meant = CODE_SYNONYMS.get(other.value.lower())
            self.error("E0107", f"`{other.value}` is not one of the values of this code: {allowed}", other_node.span,
                       f"write `{meant}`" if meant in values else suggest(other.value, values))

    def _between(self, n: A.Between):
        operand, low, high = self.expr(n.operand), self.expr(n.low), self.expr(n.high)
        for sub, out in ((n.low, low), (n.high, high)):
            if not T.ordered(operand.type, out.type):
                self._mismatch("cannot compare", n.operand, operand.type, sub, out.type, n.span)
                return ir.Const(T.ERROR, None, span=n.span)
        check_results(self, operand, (low, high), n.span)
        return ir.Between(T.BOOLEAN, operand, low, high, n.negated, span=n.span)

    def _member(self, n: A.Member):
        operand = self.expr(n.operand)
        items = tuple(self.expr(i) for i in n.items)
        for sub, out in zip(n.items, items, strict=False):
            if not T.comparable(operand.type, out.type):
                self._mismatch("cannot compare", n.operand, operand.type, sub, out.type, sub.span)
                return ir.Const(T.ERROR, None, span=n.span)
            self._check_code_value(operand, out, sub)
        return ir.Member(T.BOOLEAN, operand, items, n.negated, span=n.span)

    def _not(self, n: A.Not):
        return ir.Not(T.BOOLEAN, self.condition(n.operand, "`not`"), span=n.span)

    def _and(self, n: A.And):
        return ir.And(T.BOOLEAN, tuple(self.condition(o, "`and`") for o in n.operands), span=n.span)

    def _or(self, n: A.Or):
        return ir.Or(T.BOOLEAN, tuple(self.condition(o, "`or`") for o in n.operands), span=n.span)

    def _implies(self, n: A.Implies):
        left, right = self.condition(n.left, "`implies`"), self.condition(n.right, "`implies`")
        return ir.Implies(T.BOOLEAN, left, right, span=n.span)


_EXPR: dict[type, Callable[[Checker, A.Expr], ir.Node]] = {
    A.NumberLit: Checker._number,
    A.QuantityLit: Checker._quantity,
    A.DateLit: Checker._date,
    A.TextLit: Checker._text,
    A.TitreLit: Checker._titre,
    A.BoolLit: Checker._bool,
    A.Name: Checker._name,
    A.Call: Checker._call,
    A.Age: Checker._age,
    **DATETIME_EXPR,
    A.DurationBetween: Checker._between_dates,
    A.Conditional: Checker._conditional,
    A.Neg: Checker._neg,
    A.Arith: Checker._arith,
    A.Compare: Checker._compare,
    A.Between: Checker._between,
    A.Member: Checker._member,
    A.Not: Checker._not,
    A.And: Checker._and,
    A.Or: Checker._or,
    A.Implies: Checker._implies,
    **HISTORY_EXPR,
    **LAB_EXPR,
    **FORMULA_EXPR,
    **ITEMS_EXPR,  # counting over items (lang11b)
}


# The nesting of a definition reported too deep, and of whatever uses it: one mistake, one report.
_REPORTED = -1


def _nesting(node: ir.Node, definitions: dict[str, int]) -> int:
    """How deeply ``node`` nests, a reference counting as deep as the definition it names (iteratively)."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        n, depth = stack.pop()
        if isinstance(n, ir.DefRef | ir.ScoreRef):
            if definitions.get(n.name) == _REPORTED:
                return _REPORTED
            depth += definitions.get(n.name, 0)
        deepest = max(deepest, depth)
        stack.extend((c, depth + 1) for c in n.children())
    return deepest


def check(parsed: ParseResult, source: str, loader: Loader | None = None,
          terminology=None) -> tuple[ir.CheckedTrial, list[Diagnostic]]:
    checker = Checker(parsed, source, loader, terminology)
    trial = checker.run()
    return trial, sorted(checker.diagnostics, key=sort_key)


def check_expression(expr: A.Expr, source: str, file: str = "<expression>") -> tuple[ir.Node, list[Diagnostic]]:
    """Check a lone expression with no declarations in scope (dates, quantities and literals only)."""
    checker = Checker(ParseResult(A.Module(file, ())), source)
    node = checker.expr(expr)
    return node, checker.diagnostics

