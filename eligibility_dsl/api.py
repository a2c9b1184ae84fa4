"""The public API: compile a criteria file once, evaluate it against many records.

    trial = compile_file("trials/ssc_telitacicept.elig")
    decision = trial.evaluate(record, {"screening": "2025-09-11"})
    decision.outcome, decision.missing, decision.explain()

Compiling raises :class:`CompileError` once, with every diagnostic.  Evaluating
raises :class:`RecordError` or :class:`AnchorError` (both :class:`InputError`)
when the input does not fit; it never reads the clock.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .backends.python.closures import Compiler, Ctx
from .check import check, check_expression, ir
from .diagnostics import CompileError, Diagnostic, Span
from .explain import CriterionResult, Decision, RecordFailure, Status, decide
from .language.loader import file_loader
from .language.syntax import EXPRESSION_NAME, parse, parse_expression, too_deep_diagnostic
from .records.binder import BoundRecord, InputError, RecordBinder, RecordError
from .runtime.calendar import parse_date

_STATUS = {True: Status.MET, False: Status.NOT_MET, None: Status.UNKNOWN}


class AnchorError(InputError):
    """Anchors (reference dates) missing, unknown to the trial, or malformed."""


class Trial:
    """A compiled trial: evaluate it as often as you like; it holds no per-patient state."""

    def __init__(self, checked: ir.CheckedTrial):
        self.checked = checked
        self._criteria = _compiled(checked)
        self._binder = RecordBinder(checked.facts)
        self._last_anchors: tuple[tuple, dict[str, datetime.date]] | None = None

    # what the trial is
    @property
    def id(self) -> str:
        return self.checked.registry_id

    @property
    def title(self) -> str:
        return self.checked.title

    @property
    def version(self) -> str | None:
        return self.checked.version

    @property
    def anchors(self) -> tuple[str, ...]:
        return tuple(self.checked.anchors)

    @property
    def facts(self) -> dict[str, ir.FactSpec]:
        return dict(self.checked.facts)

    @property
    def criteria(self) -> tuple[ir.Criterion, ...]:
        return self.checked.criteria

    # evaluation
    def bind(self, record: Any) -> BoundRecord:
        """Validate a JSON record and return its typed facts and events (raises RecordError)."""
        return self._binder.bind(record)

    def parse_anchors(self, anchors: Mapping[str, datetime.date | str]) -> dict[str, datetime.date]:
        # Screening tools evaluate many records against the same dates: remember the last answer.
        key = tuple(anchors.items())
        if self._last_anchors is not None and self._last_anchors[0] == key:
            return self._last_anchors[1]
        parsed = self._parse_anchors(anchors)
        self._last_anchors = (key, parsed)
        return parsed

    def _parse_anchors(self, anchors: Mapping[str, datetime.date | str]) -> dict[str, datetime.date]:
        out: dict[str, datetime.date] = {}
        problems: list[str] = []
        for name, value in anchors.items():
            if name not in self.checked.anchors:
                known = ", ".join(f"`{a}`" for a in self.checked.anchors) or "none"
                problems.append(f"unknown anchor `{name}` (this trial declares: {known})")
                continue
            if isinstance(value, datetime.date):
                out[name] = value
                continue
            try:
                out[name] = parse_date(str(value))
            except ValueError:
                problems.append(f"anchor `{name}`: `{value}` is not a valid date (expected YYYY-MM-DD)")
        for name in self.checked.anchors:
            if name not in anchors:
                problems.append(f"missing anchor `{name}`: supply it as {name}=YYYY-MM-DD")
        if problems:
            raise AnchorError("; ".join(problems))
        return out

    def evaluate(self, record: Any, anchors: Mapping[str, datetime.date | str], *,
                 trace: bool = True, fast: bool = False) -> Decision:
        """Decide one record.  ``fast`` stops at the first decisive criterion (and implies no trace)."""
        bound = self._binder.bind(record)
        return self.evaluate_bound(bound, self.parse_anchors(anchors), trace=trace and not fast, fast=fast)

    def evaluate_many(self, records: Iterable[Any], anchors: Mapping[str, datetime.date | str], *,
                      trace: bool = False, fast: bool = False,
                      errors: str = "raise") -> Iterator[Decision | RecordFailure]:
        """Decide many records against the same anchors (traces off by default: batch use).

        ``errors="raise"`` (the default) raises RecordError at the first record that does not fit;
        ``errors="return"`` yields a :class:`RecordFailure` for it instead and goes on, so one bad
        record is one row of the results, never a stopped batch."""
        if errors not in ("raise", "return"):
            raise ValueError(f'errors must be "raise" or "return", not {errors!r}')
        parsed = self.parse_anchors(anchors)
        for position, record in enumerate(records):
            try:
                bound = self._binder.bind(record)
            except RecordError as err:
                if errors == "raise":
                    raise
                yield RecordFailure(err.record_id, position, tuple(err.issues))
                continue
            yield self.evaluate_bound(bound, parsed, trace=trace and not fast, fast=fast)

    def evaluate_bound(self, bound: BoundRecord, anchors: dict[str, datetime.date], *,
                       trace: bool = True, fast: bool = False) -> Decision:
        """Decide a record already bound with :meth:`bind` (anchors from :meth:`parse_anchors`)."""
        ctx = Ctx(bound.facts, anchors, bound.events, bound.coverage)
        results: list[CriterionResult] = []
        stopped = False
        for crit, run_fast, run_traced, not_evaluated in self._criteria:
            if stopped:
                results.append(not_evaluated)
                continue
            if ctx.missing:  # fresh sets only when the last criterion used them
                ctx.missing = set()
            if ctx.problems:
                ctx.problems = set()
            tnode = run_traced(ctx) if trace else None
            value = tnode.value if tnode is not None else run_fast(ctx)
            status = _STATUS[value]
            missing = tuple(sorted(ctx.missing)) if status is Status.UNKNOWN and ctx.missing else ()
            problems = tuple(sorted(ctx.problems)) if ctx.problems else ()
            result = CriterionResult(crit.id, crit.kind, crit.text, status, missing, tnode, problems)
            results.append(result)
            stopped = fast and result.decisive
        outcome, missing = decide([r for r in results if r.status is not Status.NOT_EVALUATED])
        return Decision(self.id, self.version, bound.id, dict(anchors), outcome, tuple(results), missing,
                        mode="fast" if fast else "full", source=self.checked.source,
                        sources=self.checked.sources)


def _compiled(checked: ir.CheckedTrial) -> list[tuple]:
    """Each criterion with its fast and traced closures.  The checker bounds how deeply expressions nest,
    so the compiler's recursion stays shallow; should it still reach Python's recursion limit (called from
    deep in a program, say), that is a CompileError (E0005) too, never a RecursionError."""
    try:
        compiler = Compiler(checked)
    except RecursionError:
        start = Span(checked.file, 1, 1, 1, 2, 0, 1)
        too_deep = Diagnostic("E0005", "the trial is nested too deeply to compile", start,
                              "shorten the chains of code sets that include one another")
        raise CompileError([too_deep], checked.sources) from None
    out, too_deep = [], []
    for c in checked.criteria:
        try:
            out.append((c, compiler.fast(c.expr), compiler.traced(c.expr),
                        CriterionResult(c.id, c.kind, c.text, Status.NOT_EVALUATED)))
        except RecursionError:
            too_deep.append(too_deep_diagnostic(c.id, c.span, "stack"))
    if too_deep:
        raise CompileError(too_deep, checked.sources)
    return out


def _raise_if_errors(diagnostics: list[Diagnostic], sources: dict[str, str]) -> None:
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors:
        raise CompileError(errors, sources)


def check_source(text: str, file: str = "<string>", loader=None) -> tuple[ir.CheckedTrial, list[Diagnostic]]:
    """Parse and check without raising: the trial (possibly partial) and every diagnostic.
    ``loader`` reads imported libraries (see :func:`file_loader`); without one, imports are errors."""
    return check(parse(text, file), text, loader)


def compile_source(text: str, file: str = "<string>", loader=None) -> Trial:
    checked, diagnostics = check_source(text, file, loader)
    _raise_if_errors(diagnostics, checked.sources)
    return Trial(checked)


def check_file(path: str | Path) -> tuple[ir.CheckedTrial, list[Diagnostic]]:
    path = Path(path)
    return check_source(path.read_text(encoding="utf-8"), str(path), file_loader)


def compile_file(path: str | Path) -> Trial:
    path = Path(path)
    return compile_source(path.read_text(encoding="utf-8"), str(path), file_loader)


def evaluate_expression(text: str) -> Any:
    """Evaluate a closed expression (literals, dates, quantities; no names): used for conformance tests
    and handy in a REPL.  Raises CompileError for a bad expression."""
    file = "<expression>"
    parsed = parse_expression(text, file)
    source = f"define {EXPRESSION_NAME}: " + text
    if isinstance(parsed, Diagnostic):
        raise CompileError([parsed], {file: source})
    node, diagnostics = check_expression(parsed, source, file)
    _raise_if_errors(diagnostics, {file: source})
    empty = ir.CheckedTrial("", "", None, {}, {}, {}, (), file, source)
    return Compiler(empty).fast(node)(Ctx({}, {}))
