"""Checks for the history constructs: code sets, tables, scores, imports, and queries over event collections.

A mixin of :class:`eligibility_dsl.check.Checker` (kept apart so each module
reads at one sitting).  Queries open a scope: inside `where`, `have` and the
field of `latest ... of`, bare names are the fields of the collection's events.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import attrs

from ..diagnostics import Diagnostic, Span, suggest
from ..language import ast as A
from ..language import types as T
from ..language.loader import VALUESET_EXTENSIONS, ImportRefused
from ..language.syntax import MAX_NESTING, parse
from ..records.model import COLLECTIONS, Collection
from ..runtime.code_formats import code_problem, prefix_problem
from ..runtime.codes import PREFIX_SYSTEMS, SYSTEMS, normalize_code, normalize_system, parse_entry
from ..runtime.units import dimension_name
from ..terminology.valueset import ValueSetError, read_valueset
from . import ir
from .analytes import no_analyte_conflicts

_NUMERIC = ("number", "quantity")
_HIER = ", ".join(sorted(PREFIX_SYSTEMS))


class HistoryChecks:
    """Methods used by the Checker; they rely on its ``error``, ``expr``, ``condition``,
    ``symbols``, ``scope``, ``text_of`` and (for imports) ``loader``, ``sources`` and ``broken``."""

    # ------------------------------------------------------- declarations

    def _codeset(self, decl: A.CodesetDecl) -> ir.CodesetSpec:
        codes, includes = [], []
        for entry in decl.entries:
            if isinstance(entry, A.CodesetRef):
                sym = self.symbols.get(entry.name)
                if sym is None or sym.kind != "codeset":
                    self._not_a_codeset(entry.name, sym, entry.span)
                else:
                    includes.append(entry.name)
                continue
            system = normalize_system(entry.system)
            if system is None:
                self.error("E0114", f"unknown code system `{entry.system}`", entry.span,
                           suggest(entry.system, SYSTEMS) or f"known systems: {', '.join(SYSTEMS)}")
                continue
            if entry.code.strip().endswith("*") and system not in PREFIX_SYSTEMS:
                self.error("E0115", f"a class prefix (`*`) is only meaningful in hierarchical systems ({_HIER}), "
                           f"not in `{system}`",
                           entry.span, "list the codes one by one")
                continue
            try:  # the runtime's own reading of the entry: what it refuses, the checker refuses
                parse_entry(system, entry.code)
            except ValueError as err:
                self.error("E0125", str(err), entry.span, "correct the code, or remove it from the code set")
                continue
            problem = (prefix_problem(system, entry.code.strip()[:-1]) if entry.code.strip().endswith("*")
                       else code_problem(system, entry.code))
            if problem is not None:
                # A malformed code matches nothing: left in a code set, it is a silent "no".
                self.error("E0125", problem, entry.span, "correct the code, or remove it from the code set")
                continue
            codes.append((system, entry.code, entry.display))
        conflicts = no_analyte_conflicts(codes) if decl.no_analyte else []
        if conflicts:
            self.error("E0221", f"code set `{decl.name}` is declared `analyte none`, but {', '.join(conflicts)} "
                       "names an analyte whose results convert between mass and amount", decl.span,
                       "remove `analyte none`, or move those codes to a code set of their own")
        _, excluded = self.__dict__.get("_valueset_excluded", {}).get(id(decl), (None, ()))
        derived = self._derive(codes, excluded)
        codes.extend((system, code, display) for system, code, display, _ in derived)
        return ir.CodesetSpec(decl.name, decl.description, tuple(codes), tuple(includes), span=decl.span,
                              derived=derived, no_analyte=decl.no_analyte)

    def _derive(self, codes: list, excluded=()) -> tuple[tuple[str, str, str | None, str], ...]:
        """The concepts that contain a code of the set (an RxNorm ingredient's clinical and branded drugs,
        packs and biosimilars; an ATC substance's or class's RxNorm ingredients and products), as the
        terminology gives them, each with what it was derived from; none that the set already holds or
        excludes (a ValueSet's compose.exclude)."""
        have = {(system, normalize_code(system, code)) for system, code, _ in codes}
        have.update((normalize_system(s) or s, normalize_code(normalize_system(s) or "LOCAL", c)) for s, c in excluded)
        out: dict[tuple[str, str], tuple[str, str, str | None, str]] = {}
        for system, code, display in sorted(codes, key=lambda c: c[0] != "RxNorm"):  # via an ingredient first
            if system not in ("RxNorm", "ATC"):
                continue
            text = code.strip()
            prefix = text.endswith("*")
            body = normalize_code(system, text[:-1] if prefix else text)
            via = f"{system} {text}" + (f" ({display})" if display else "")
            for s, c, d in self.terminology.expand(system, body, prefix):
                key = (s, normalize_code(s, c))
                if key not in have and key not in out:
                    out[key] = (s, c, d, via)
        return tuple(out.values())

    def _codeset_cycles(self, specs: dict[str, ir.CodesetSpec]) -> None:
        """E0105 on each code set that includes itself (naming its shortest cycle); E0005 where a chain of
        inclusions first nests more than MAX_NESTING deep.  Without recursion (a long chain must not reach
        Python's limit) and without walking every path (a ladder of diamonds has exponentially many)."""
        graph = {name: tuple(i for i in spec.includes if i in specs) for name, spec in specs.items()}
        cyclic, depth = _cycles_and_depths(graph)
        for name in specs:
            if name in cyclic:
                cycle = " -> ".join(_shortest_cycle(graph, name))
                self.error("E0105", f"code set `{name}` includes itself: {cycle}", specs[name].span)
            elif depth[name] == MAX_NESTING + 1:
                self.error("E0005", f"code set `{name}` includes code sets nested too deeply (more than "
                           f"{MAX_NESTING} levels)", specs[name].span, "list some of the included codes directly")

    def _with_imports(self, module: A.Module, seen: set[str], stack: tuple[str, ...] | None = None):
        """The module's declarations preceded by those of the libraries it imports (recursively).
        ``seen``: the resolved files already read (a library imported twice is read once);
        ``stack``: those being read (the trial first), to report an import cycle."""
        stack = (_identity(module.file),) if stack is None else stack
        for decl in module.decls:
            if isinstance(decl, A.ImportDecl):
                yield from self._import(decl, module.file, seen, stack)
            elif isinstance(decl, A.ValueSetImportDecl):
                yield from self._valueset(decl, module.file)
        yield from module.decls

    def _valueset(self, decl: A.ValueSetImportDecl, importer: str):
        """The code set a FHIR ValueSet file holds (read by the same loader as `import`), or E0116 / E0131."""
        at = decl.path_span or decl.span
        if self.loader is None:
            self.error("E0116", f"cannot import `{decl.path}` here", decl.span,
                       "imports are resolved when compiling a file (`compile_file`, `elig check`)")
            return
        try:
            if getattr(self.loader, "takes_extensions", False):
                file, text = self.loader(decl.path, importer, extensions=VALUESET_EXTENSIONS)
            else:  # a caller's own loader (tests, editors): it decides what it reads
                file, text = self.loader(decl.path, importer)
        except ImportRefused as err:  # says why, and never quotes the file
            self.error("E0150", f"import of `{_shown(decl.path)}` refused: {err.reason}", at,
                       "import ValueSet `.json` files inside the trial's folder, or name a library folder "
                       "(`--lib-path DIR`, `lib_path=`)")
            return
        except OSError as err:
            self.error("E0116", f"cannot import `{_shown(decl.path)}`: {err.strerror or err}", at)
            return
        except UnicodeDecodeError:
            self.error("E0116", f"cannot import `{decl.path}`: it is not UTF-8 text", at)
            return
        try:
            content = read_valueset(json.loads(text), f"`{decl.path}`")
        except json.JSONDecodeError as err:
            self.error("E0131", f"`{decl.path}` is not JSON: {err.msg} at line {err.lineno}, column {err.colno}", at)
            return
        except RecursionError:
            self.error("E0131", f"`{decl.path}` nests too deeply to read", at)
            return
        except ValueSetError as err:
            self.error("E0131", str(err), at, "a ValueSet lists its concepts in `compose.include[].concept` or "
                       "holds an `expansion`")
            return
        entries, bad = [], False
        for system, code, display, where in content.codes:
            if normalize_system(system) is None:
                self.error("E0131", f"`{decl.path}`: `{where}.system` is an unknown code system `{system}`", at,
                           suggest(system, SYSTEMS) or f"known systems: {', '.join(SYSTEMS)}")
                bad = True
                continue
            if "*" in code:
                self.error("E0131", f"`{decl.path}`: `{where}.code` `{code}` holds a `*`, which a ValueSet "
                           "does not use for classes", at)
                bad = True
                continue
            entries.append(A.CodeEntry(system, code, display, span=at))
        if bad:
            return
        excluded = tuple((s, c) for s, c, _, _ in content.excluded)
        entries = [e for e in entries if (normalize_system(e.system), _norm(e.system, e.code)) not in
                   {(normalize_system(s), _norm(s, c)) for s, c in excluded}]
        self.sources.setdefault(file, text)
        codeset = A.CodesetDecl(decl.name, content.title, tuple(entries), span=decl.span, name_span=decl.name_span)
        # The ValueSet's compose.exclude, kept out of the terminology's expansion too (see _codeset).
        self.__dict__.setdefault("_valueset_excluded", {})[id(codeset)] = (codeset, excluded)
        yield codeset

    def _import(self, decl: A.ImportDecl, importer: str, seen: set[str], stack: tuple[str, ...]):
        if self.loader is None:
            self.error("E0116", f"cannot import `{decl.path}` here", decl.span,
                       "imports are resolved when compiling a file (`compile_file`, `elig check`)")
            return
        try:
            file, text = self.loader(decl.path, importer)
        except ImportRefused as err:  # says why, and never quotes the file
            self.error("E0150", f"import of `{_shown(decl.path)}` refused: {err.reason}", decl.name_span,
                       "import `.elig` files inside the trial's folder, or name a library folder "
                       "(`--lib-path DIR`, `lib_path=`)")
            return
        except OSError as err:
            self.error("E0116", f"cannot import `{_shown(decl.path)}`: {err.strerror or err}", decl.name_span)
            return
        except UnicodeDecodeError as err:
            line = err.object[:err.start].count(b"\n") + 1
            self.error("E0116", f"cannot import `{decl.path}`: it is not UTF-8 text", decl.name_span,
                       f"its line {line} holds the byte `\\x{err.object[err.start]:02x}`; save the file as UTF-8")
            return
        key = _identity(file)
        if key in stack:
            chain = " -> ".join(Path(k).name for k in (*stack[stack.index(key):], key))
            self.error("E0151", f"`{_shown(decl.path)}` imports itself: {chain}", decl.name_span,
                       "remove the import that closes the cycle")
            return
        if key in seen:
            return
        seen.add(key)
        if not file.endswith(".elig"):  # a custom loader's odd file: never quote what is not criteria
            self.error("E0117", f"`{_shown(decl.path)}` is not a library", decl.name_span)
            return
        parsed = parse(text, file)
        self.sources[file] = parsed.text if parsed.text is not None else text
        self.diagnostics.extend(parsed.diagnostics)
        self.broken |= parsed.broken_names
        if not any(isinstance(d, A.LibraryDecl) for d in parsed.module.decls):
            self.error("E0117", f"`{decl.path}` is not a library (it should start with `library NAME \"title\"`)",
                       decl.name_span)
            return
        for inner in self._with_imports(parsed.module, seen, (*stack, key)):
            if isinstance(inner, A.CodesetDecl | A.TableDecl | A.FunctionDecl):  # functions: formulas (lang11a)
                yield inner
            elif not isinstance(inner, A.LibraryDecl | A.ImportDecl | A.ValueSetImportDecl):
                self.error("E0117", "a library may hold only code sets, tables, functions and imports", inner.span)

    def _table(self, decl: A.TableDecl) -> ir.TableSpec:
        entries, typ = [], None
        for entry in decl.entries:
            sym = self.symbols.get(entry.key)
            if sym is None or sym.kind != "codeset":
                self._not_a_codeset(entry.key, sym, entry.span)
                continue
            value = self.expr(entry.value)
            if not isinstance(value, ir.Const) or value.type.kind not in _NUMERIC:
                if not value.type.is_error:
                    self.error("E0201", "a table value must be a number or a quantity written out, "
                               f"found `{self.text_of(entry.value)}`", entry.value.span)
                continue
            if typ is not None and typ != value.type:
                self.error("E0202", f"table `{decl.name}` mixes {typ.describe()} and {value.type.describe()}",
                           entry.value.span, "write every value in the same kind of unit")
                continue
            typ = typ or value.type
            entries.append((entry.key, value.value))
        return ir.TableSpec(decl.name, decl.description, decl.source, tuple(entries), typ or T.NUMBER,
                            span=decl.span)

    def _score(self, decl: A.ScoreDecl) -> ir.ScoreSpec:
        categories = []
        for cat in decl.categories:
            items = tuple((item.weight, self.condition(item.condition, "a score item")) for item in cat.items)
            categories.append((cat.title, items))
        return ir.ScoreSpec(decl.name, decl.description, tuple(categories), span=decl.span)

    def _not_a_codeset(self, name: str, sym, span: Span | None, after: int | None = None) -> None:
        span = self.name_span(span, name, after)
        if sym is None:
            self.error("E0101", f"unknown code set `{name}`", span, self.suggest_in("codeset", name))
        else:
            self.error("E0201", f"`{name}` is a {_KIND_WORDS.get(sym.kind, sym.kind)}, not a code set", span)

    # -------------------------------------------------------- expressions

    def _in_codeset(self, n: A.InCodeset):
        operand = self.expr(n.operand)
        sym = self.symbols.get(n.codeset)
        if sym is None or sym.kind != "codeset":
            self._not_a_codeset(n.codeset, sym, n.span, n.operand.span.end if n.operand.span else None)
            return ir.Const(T.ERROR, None, span=n.span)
        if operand.type.kind not in ("coding", "any", "error"):
            self.error("E0201", f"`{self.text_of(n.operand)}` is {operand.type.describe()}, not a coding",
                       n.operand.span, "code sets hold codings, such as the `code` of an event")
            return ir.Const(T.ERROR, None, span=n.span)
        return ir.InCodeset(T.BOOLEAN, operand, n.codeset, n.negated, span=n.span)

    def _lookup(self, n: A.Lookup):
        key = self.expr(n.key)
        sym = self.symbols.get(n.table)
        if sym is None or sym.kind != "table":
            self.error("E0101", f"unknown table `{n.table}`", self.name_span(n.span, n.table),
                       self.suggest_in("table", n.table))
            return ir.Const(T.ERROR, None, span=n.span)
        if key.type.kind not in ("coding", "error"):
            self.error("E0201", f"a table is looked up by a coding, found `{self.text_of(n.key)}` "
                       f"({key.type.describe()})", n.key.span)
            return ir.Const(T.ERROR, None, span=n.span)
        return ir.Lookup(self.table_type(n.table), n.table, key, span=n.span)

    def _collection(self, name: str, span: Span | None) -> Collection | None:
        found = COLLECTIONS.get(name)
        if found is None:
            self.error("E0110", f"unknown event collection `{name}`", span,
                       suggest(name, COLLECTIONS) or f"the record holds: {', '.join(COLLECTIONS)}")
        return found

    def query(self, q: A.Query) -> tuple[ir.Query | None, Collection | None]:
        collection = self._collection(q.collection, q.collection_span or q.span)
        codeset = None
        if q.codeset is not None:
            sym = self.symbols.get(q.codeset)
            if sym is None or sym.kind != "codeset":
                after = q.collection_span.end if q.collection_span else None
                self._not_a_codeset(q.codeset, sym, q.span, after)
            else:
                codeset = q.codeset
        window = self.window(q.window) if q.window is not None else None
        if window is not None and q.starting:  # `starting during` (lang11b)
            window = attrs.evolve(window, starts_only=True)
        filter_ = None
        if collection is not None and q.filter is not None:
            self.scope.append(collection)
            self.query_codesets.append(codeset)
            filter_ = self.condition(q.filter, "`where`")
            self.query_codesets.pop()
            self.scope.pop()
        if collection is None:
            return None, None
        return ir.Query(q.collection, codeset, filter_, window, span=q.span), collection

    def window(self, w: A.Window) -> ir.Window:
        def date(node: A.Expr | None, role: str):
            if node is None:
                return None
            with self.in_anchor_position(node):
                out = self.expr(node)
            if out.type.kind not in ("date", "error"):
                self.error("E0201", f"{role} must be a date, found `{self.text_of(node)}` ({out.type.describe()})",
                           node.span, "name an anchor or a date, e.g. `screening`")
            return out

        if w.kind in ("before", "after"):
            anchor = date(w.anchor, "the end of a window" if w.kind == "before" else "the start of a window")
            length = self.expr(w.length)
            if length.type.kind != "error" and not (length.type.kind == "quantity" and length.type.dims is not None
                                                   and dimension_name(length.type.dims) in
                                                   ("time", "calendar duration")):
                self.error("E0201", f"a window's length must be a duration, found `{self.text_of(w.length)}` "
                           f"({length.type.describe()})", w.length.span, "e.g. `28 days` or `1 year`")
            self._not_negative(length, w.length, "a window's length")
            kind = "-" if w.kind == "before" else "+"
            shifted = ir.Arith(T.DATE, kind, "date_shift", anchor, length, span=w.span)
            low, high = (shifted, anchor) if w.kind == "before" else (anchor, shifted)
            return self.exact_spec(ir.Window(low, high, span=w.span))
        if w.kind == "ever_before":
            return ir.Window(None, date(w.anchor, "a window's end"), span=w.span)
        if w.kind == "ever_after":
            return ir.Window(date(w.anchor, "a window's start"), None, span=w.span)
        return self.exact_spec(ir.Window(date(w.low, "a window's start"), date(w.high, "a window's end"),
                                         w.low_closed, w.high_closed, span=w.span))

    def _warn_unbounded(self, q: ir.Query, span: Span | None) -> None:
        if q.window is None or q.window.high is None:
            self.diagnostics.append(Diagnostic(
                "W0101", f"no record can be complete over an unbounded window, so an absence of "
                f"{q.collection} here is always unknown", span,
                "bound the window, e.g. `during before screening` for the whole history up to screening",
                severity="warning"))

    def _not_negative(self, node: ir.Node, written: A.Expr, role: str) -> None:
        """A length written as a negative constant turns a window around: refuse it here."""
        value = node.value if isinstance(node, ir.Const) else None
        if isinstance(node, ir.Neg) and isinstance(node.operand, ir.Const) and node.operand.value is not None:
            value = -node.operand.value
        if value is not None and value < value * 0:
            self.error("E0118", f"{role} must not be negative, found `{self.text_of(written)}`", written.span)

    def _aggregate(self, n: A.Aggregate):
        q, _ = self.query(n.query)
        if q is None:
            return ir.Const(T.ERROR, None, span=n.span)
        if n.kind != "days_on":
            self._warn_unbounded(q, n.query.span)
        if n.kind == "days_on" and (q.window is None or q.window.high is None):
            self.error("E0113", "`days on` needs a window with an end", n.query.span,
                       "add `during ... before screening` so ongoing records can be counted")
            return ir.Const(T.ERROR, None, span=n.span)
        typ = {"exists": T.BOOLEAN, "count": T.NUMBER, "days_on": T.quantity_of("days")}[n.kind]
        return ir.Aggregate(typ, n.kind, q, span=n.span)

    def _all(self, n: A.All):
        q, collection = self.query(n.query)
        if q is None:
            return ir.Const(T.ERROR, None, span=n.span)
        self._warn_unbounded(q, n.query.span)
        self.scope.append(collection)
        condition = self.condition(n.condition, "`have`")
        self.scope.pop()
        return ir.All(T.BOOLEAN, q, condition, span=n.span)

    def _field(self, collection: Collection, name: str, span: Span | None, numeric: bool = False):
        field = collection.fields.get(name)
        if field is None:
            self.error("E0112", f"{collection.name} have no field `{name}`", self.name_span(span, name),
                       suggest(name, collection.fields) or f"fields: {', '.join(collection.fields)}")
            return None
        if numeric and field.type.kind not in (*_NUMERIC, "any"):  # an observation's value: checked at run time
            self.error("E0201", f"`{name}` is {field.type.describe()}, not a number or quantity", span)
            return None
        return field

    def _pick(self, n: A.Pick):
        q, collection = self.query(n.query)
        field = self._field(collection, n.field, n.span) if collection else None
        if q is None or field is None:
            return ir.Const(T.ERROR, None, span=n.span)
        return ir.Pick(field.type, n.which, n.field, q, span=n.span)

    def _change(self, n: A.Change):
        q, collection = self.query(n.query)
        field = self._field(collection, n.field, n.span, numeric=True) if collection else None
        if q is None or field is None:
            return ir.Const(T.ERROR, None, span=n.span)
        return ir.Change(field.type, n.field, q, span=n.span)

    def _stable(self, n: A.Stable):
        q, collection = self.query(n.query)
        field = self._field(collection, n.field, n.span) if collection and n.field else None
        gap = self.expr(n.gap) if n.gap is not None else None
        if gap is not None and not gap.type.is_error and not (
                gap.type.kind == "quantity" and gap.type.dims is not None and dimension_name(gap.type.dims) == "time"):
            self.error("E0201", f"a gap must be a number of days, found `{self.text_of(n.gap)}`", n.gap.span,
                       "e.g. `allowing gaps of 7 days`")
            gap = None
        if gap is not None:
            self._not_negative(gap, n.gap, "a gap")
        word = "stable" if n.field else "continuous"
        if q is not None and (q.window is None or q.window.low is None or q.window.high is None):
            self.error("E0113", f"`{word}` needs a window with a start and an end", n.query.span,
                       "say over which period, e.g. `during 6 months before first_dose`")
            return ir.Const(T.ERROR, None, span=n.span)
        if q is None or (n.field and field is None):
            return ir.Const(T.ERROR, None, span=n.span)
        return ir.Stable(T.BOOLEAN, n.field, q, gap, span=n.span)


def _norm(system: str, code: str) -> str:
    name = normalize_system(system)
    return normalize_code(name, code) if name else code


_KIND_WORDS = {"codeset": "code set", "table": "table", "score": "score", "anchor": "anchor", "fact": "fact",
               "define": "definition", "builtin": "field of the patient model"}

HISTORY_EXPR: dict[type, Callable] = {
    A.InCodeset: HistoryChecks._in_codeset,
    A.Lookup: HistoryChecks._lookup,
    A.Aggregate: HistoryChecks._aggregate,
    A.All: HistoryChecks._all,
    A.Pick: HistoryChecks._pick,
    A.Change: HistoryChecks._change,
    A.Stable: HistoryChecks._stable,
}


def _cycles_and_depths(graph: dict[str, tuple[str, ...]]) -> tuple[set[str], dict[str, int]]:
    """The nodes on a cycle, and how deeply each other node nests (1: it includes nothing): Tarjan's
    strongly connected components, found with an explicit stack, sinks first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cyclic: set[str] = set()
    depth: dict[str, int] = {}
    for root in graph:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        work = [(root, iter(graph[root]))]
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    work.append((nxt, iter(graph[nxt])))
                    break
                if nxt not in depth and nxt not in cyclic:  # still on the stack
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = [stack.pop()]
                    while component[-1] != node:
                        component.append(stack.pop())
                    if len(component) > 1 or node in graph[node]:
                        cyclic.update(component)
                    else:
                        inner = [depth[i] for i in graph[node] if i in depth]
                        depth[node] = 1 + max(inner, default=0)
    return cyclic, depth


def _shortest_cycle(graph: dict[str, tuple[str, ...]], start: str) -> list[str]:
    """The shortest path from ``start`` back to itself, both ends included (breadth first)."""
    came_from: dict[str, str] = {}
    queue, i = [start], 0
    while i < len(queue):
        node = queue[i]
        i += 1
        for nxt in graph[node]:
            if nxt == start:
                path = [node]  # back to start
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if nxt not in came_from:
                came_from[nxt] = node
                queue.append(nxt)
    return [start]


def _identity(file: str) -> str:
    """The file an import names, whatever the spelling (`../lib/x.elig`, a symlink): its real path."""
    try:
        return os.path.realpath(file)
    except (ValueError, OSError):
        return file


def _shown(path: str) -> str:
    """An import path as quoted in a message: bounded, control characters escaped."""
    text = path if len(path) <= 80 else path[:77] + "..."
    return "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in text)
