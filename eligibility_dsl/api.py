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

from .backends.python.module import CompiledTrial, EvaluationError, evaluate_closed
from .check import check, check_expression, ir
from .diagnostics import CompileError, Diagnostic, Span
from .explain import Decision, Outcome, RecordFailure
from .explain.pending import pending_of, query_label
from .explain.quote import SourceText
from .language.loader import ImportLoader, read_criteria_file
from .language.syntax import EXPRESSION_NAME, parse, parse_expression
from .records.binder import BoundRecord, InputError, RecordBinder, RecordError, RecordIssue
from .records.fastbind import specialise
from .runtime.calendar import parse_date
from .runtime.datetimes import AnchorDates, DateTime, is_datetime_text, parse_datetime


class AnchorError(InputError):
    """Anchors (reference dates) missing, unknown to the trial, or malformed."""


_LEVELS = {True: "full", False: "off", "off": "off", "fails": "fails", "full": "full"}
_OUTCOMES = (Outcome.ELIGIBLE, Outcome.INDETERMINATE, Outcome.INELIGIBLE)


def trace_level(trace: bool | str | None, fast: bool = False) -> str:
    """``trace`` as a level: ``off`` (statuses only), ``fails`` (trace trees only for the criteria that
    made the patient ineligible or left the decision open: an inclusion NOT_MET or UNKNOWN, an exclusion
    MET or UNKNOWN), ``full`` (every criterion evaluated); ``True`` is ``full``, ``False`` is ``off``, and
    ``None`` (the default) is ``full``, or ``off`` for a ``fast`` evaluation, whose point is speed."""
    if trace is None:
        return "off" if fast else "full"
    try:
        return _LEVELS[trace]
    except (KeyError, TypeError):
        raise ValueError(f'trace must be "off", "fails", "full", True or False, not {trace!r}') from None


class Trial:
    """A compiled trial: evaluate it as often as you like; it holds no per-patient state."""

    def __init__(self, checked: ir.CheckedTrial):
        self.checked = checked
        self._compiled = _compiled(checked)
        self._binder = RecordBinder(checked.facts)
        self._bind = specialise(self._binder)  # the same answers, faster for well-formed records
        self._specs = tuple((c.id, c.kind, c.text) for c in checked.criteria)
        self._excludes = tuple(c.kind == "exclude" for c in checked.criteria)
        self._last_anchors: tuple[tuple, dict[str, datetime.date]] | None = None
        self._last_batch: tuple[dict, tuple, tuple] | None = None  # (anchors, their items, batch constants)

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

    @property
    def python_source(self) -> str:
        """The generated Python module that evaluates this trial (comments name each criterion)."""
        return self._compiled.source

    # evaluation
    def bind(self, record: Any) -> BoundRecord:
        """Validate a JSON record and return its typed facts and events (raises RecordError)."""
        return self._bind(record)

    def parse_anchors(self, anchors: Mapping[str, datetime.date | str]) -> dict[str, datetime.date]:
        # Screening tools evaluate many records against the same dates: remember the last answer.
        key = anchors.key() if isinstance(anchors, AnchorDates) else tuple(anchors.items())
        if self._last_anchors is not None and self._last_anchors[0] == key:
            return self._last_anchors[1]
        parsed = self._parse_anchors(anchors)
        self._last_anchors = (key, parsed)
        return parsed

    def _parse_anchors(self, anchors: Mapping[str, datetime.date | str]) -> dict[str, datetime.date]:
        out = AnchorDates()
        problems: list[str] = []
        given_times = getattr(anchors, "times", {})  # parsed anchors again: keep their date-times
        for name, value in anchors.items():
            value = given_times.get(name, value)
            if name not in self.checked.anchors:
                known = ", ".join(f"`{a}`" for a in self.checked.anchors) or "none"
                problems.append(f"unknown anchor `{name}` (this trial declares: {known})")
                continue
            if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
                out[name] = value
                continue
            if isinstance(value, DateTime) or is_datetime_text(value):  # a date-time anchor (issue 11)
                try:
                    when = value if isinstance(value, DateTime) else parse_datetime(value)
                except ValueError as err:
                    problems.append(f"anchor `{name}`: {err}")
                    continue
                out[name], out.times[name] = when.date, when
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

    def _batch(self, anchors: dict[str, datetime.date]) -> tuple:
        """The batch constants (anchors, windows) for these anchors, computed once per batch."""
        last = self._last_batch
        key = anchors.key() if isinstance(anchors, AnchorDates) else tuple(anchors.items())
        if last is not None and (last[0] is anchors or last[1] == key):
            return last[2]
        batch = self._compiled.batch(anchors)
        self._last_batch = (anchors, key, batch)
        return batch

    def evaluate(self, record: Any, anchors: Mapping[str, datetime.date | str], *,
                 trace: bool | str | None = None, fast: bool = False) -> Decision:
        """Decide one record. ``trace``: ``"full"`` (or True), ``"fails"`` or ``"off"`` (or False); by
        default full, or off when ``fast``. ``fast`` stops at the first decisive criterion (the rest are
        NOT_EVALUATED); a trace asked for with it covers the criteria evaluated."""
        bound = self._bind(record)
        return self.evaluate_bound(bound, self.parse_anchors(anchors), trace=trace, fast=fast)

    def evaluate_many(self, records: Iterable[Any], anchors: Mapping[str, datetime.date | str], *,
                      trace: bool | str = False, fast: bool = False,
                      errors: str = "raise") -> Iterator[Decision | RecordFailure]:
        """Decide many records against the same anchors (traces off by default: batch use).

        ``errors="raise"`` (the default) raises RecordError at the first record that does not fit;
        ``errors="return"`` yields a :class:`RecordFailure` for it instead and goes on, so one bad
        record is one row of the results, never a stopped batch."""
        if errors not in ("raise", "return"):
            raise ValueError(f'errors must be "raise" or "return", not {errors!r}')
        parsed = self.parse_anchors(anchors)
        level = trace_level(trace)
        for position, record in enumerate(records):
            try:
                bound = self._bind(record)
            except RecordError as err:
                if errors == "raise":
                    raise
                yield RecordFailure(err.record_id, position, tuple(err.issues))
                continue
            try:
                yield self.evaluate_bound(bound, parsed, trace=level, fast=fast)
            except EvaluationError as err:
                if errors == "raise":
                    raise
                yield RecordFailure(bound.id, position, (RecordIssue("$", str(err)),))

    def evaluate_bound(self, bound: BoundRecord, anchors: dict[str, datetime.date], *,
                       trace: bool | str | None = None, fast: bool = False) -> Decision:
        """Decide a record already bound with :meth:`bind` (anchors from :meth:`parse_anchors`)."""
        level = trace_level(trace, fast)
        compiled = self._compiled
        batch = self._batch(anchors)
        facts, events, coverage = bound.facts, bound.events, bound.coverage
        values, extras, code = compiled.evaluate(facts, events, coverage, batch, fast)
        traces = None
        if level != "off":
            excludes = self._excludes
            which = range(len(values)) if level == "full" else [
                i for i, v in enumerate(values) if v is None or v is excludes[i]]
            traces = compiled.traces(which, facts, events, coverage, batch)
        checked = self.checked
        pending = None
        if bound.as_of is not None and code == 1 and not fast:  # a record taken before the last anchor
            pending = self._pending(bound, anchors, batch, values)
        return Decision.of_run(checked.registry_id, checked.version, bound.id, anchors, _OUTCOMES[code],
                               self._specs, values, extras, traces, "fast" if fast else "full", checked.source,
                               checked.sources, level, pending)

    def _pending(self, bound: BoundRecord, anchors: dict, batch: tuple, values: tuple):
        """What the record's as-of date leaves pending (explain/pending.py), or None."""
        compiled, facts, events = self._compiled, bound.facts, bound.events
        src = SourceText(self.checked.source, self.checked.sources)
        return pending_of(bound.as_of, anchors, bound.coverage, self._specs, values,
                          lambda cov: compiled.evaluate(facts, events, cov, batch, False)[0],
                          lambda which, cov: compiled.traces(which, facts, events, cov, batch),
                          lambda t: query_label(t.node, src))


def _compiled(checked: ir.CheckedTrial) -> CompiledTrial:
    """The trial's generated module. The checker bounds how deeply expressions nest and the generator calls
    deep parts out into functions of their own, so compiling stays far from Python's limits; should it still
    reach one (called from deep in a program, say), that is a CompileError (E0005), never a RecursionError."""
    try:
        return CompiledTrial(checked)
    except (RecursionError, MemoryError, SyntaxError):
        start = Span(checked.file, 1, 1, 1, 2, 0, 1)
        too_deep = Diagnostic("E0005", "the trial is nested too deeply to compile", start,
                              "split long expressions into definitions, and shorten chains of code sets")
        raise CompileError([too_deep], checked.sources) from None


def _raise_if_errors(diagnostics: list[Diagnostic], sources: dict[str, str]) -> None:
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors:
        raise CompileError(errors, sources)


def check_source(text: str, file: str = "<string>", loader=None, *,
                 lib_path: Iterable[str | Path] | None = None,
                 terminology=None) -> tuple[ir.CheckedTrial, list[Diagnostic]]:
    """Parse and check without raising: the trial (possibly partial) and every diagnostic.
    ``loader`` reads imported libraries (see :class:`ImportLoader`); without one, imports are errors,
    unless ``lib_path`` names library folders: then imports are read from those folders only.
    ``terminology`` expands code sets naming an ingredient or an ATC class to the products that contain it
    (docs/terminology.md): None for the shipped table, a path (a site's table, a FHIR ValueSet expansion
    or a directory of them), a :class:`~eligibility_dsl.terminology.Terminology`, or False for none."""
    if loader is None and lib_path is not None:
        loader = ImportLoader(None, lib_path)
    return check(parse(text, file), text, loader, terminology)


def compile_source(text: str, file: str = "<string>", loader=None, *,
                   lib_path: Iterable[str | Path] | None = None, terminology=None) -> Trial:
    checked, diagnostics = check_source(text, file, loader, lib_path=lib_path, terminology=terminology)
    _raise_if_errors(diagnostics, checked.sources)
    return Trial(checked)


def _read_criteria(path: Path) -> str:
    """The file's text; raises OSError (missing, not a regular file, over the size limit) or CompileError
    (E0154: not UTF-8 text, located at the first bad byte), never UnicodeDecodeError."""
    try:
        return read_criteria_file(path)
    except UnicodeDecodeError as err:
        file, data = str(path), err.object
        shown = data.decode("utf-8", errors="replace")
        line = data[:err.start].count(b"\n") + 1
        line_start = data.rfind(b"\n", 0, err.start) + 1
        column = len(data[line_start:err.start].decode("utf-8", errors="replace")) + 1
        offset = len(data[:err.start].decode("utf-8", errors="replace"))
        span = Span(file, line, column, line, column + 1, offset, offset + 1)
        raise CompileError([Diagnostic("E0154", f"`{file}` is not UTF-8 text", span,
                                       f"the byte `\\x{data[err.start]:02x}` cannot start a UTF-8 character; "
                                       "save the file as UTF-8")], {file: shown}) from None


def check_file(path: str | Path, *, lib_path: Iterable[str | Path] = (),
               terminology=None) -> tuple[ir.CheckedTrial, list[Diagnostic]]:
    """Check a criteria file; its imports stay inside its folder tree or the ``lib_path`` folders."""
    path = Path(path)
    return check_source(_read_criteria(path), str(path), ImportLoader(path, lib_path), terminology=terminology)


def compile_file(path: str | Path, *, lib_path: Iterable[str | Path] = (), terminology=None) -> Trial:
    """Compile a criteria file; its imports stay inside its folder tree or the ``lib_path`` folders
    (README, "Security and limits"). Raises CompileError, or OSError when the file cannot be read."""
    path = Path(path)
    return compile_source(_read_criteria(path), str(path), ImportLoader(path, lib_path),
                          terminology=terminology)


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
    return evaluate_closed(node)
