"""The SQL engines (DuckDB, Spark): the trial compiled once to one SELECT (``backends/sql``), run over event
tables.

Inputs: the event tables as Parquet (``event-tables``: a directory, one unit per patient, in the order of
``patients.position``), and every record kind the Python engine reads (NDJSON, JSON, record directories,
FHIR): those records are bound exactly as the Python engine binds them and loaded into the event tables
batch by batch, so every engine sees the same data.  A record that does not bind is an ERROR row at its
place; the trial is refused before anything is read when a construct does not compile (E0401, located).
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

try:  # sqlglot comes with the `duckdb` and `spark` extras: without it the engines say so when asked for
    from ..backends.sql import SqlCompileError, compile_trial
    from ..backends.sql import execute as X
    from ..backends.sql.schema import Tables
except ImportError as missing:
    _SQL_MISSING: ImportError | None = missing
    SqlCompileError = compile_trial = X = Tables = None  # type: ignore[assignment,misc]
else:
    _SQL_MISSING = None
from ..records.binder import RecordError
from ..runtime.datetimes import anchor_texts
from . import table_records
from .decide import Evaluator
from .inputs import DECODERS, KINDS, InputUnavailable, ReadProblem
from .omop import export_parquet, open_omop
from .plan import Batch, EngineUnavailable
from .rows import ERROR, Row

RECORD_BATCH = 20_000  # units loaded into the tables per query
DEFER = "DEFER"  # a status the query gives where the Python engine must decide the patient (backends/sql)
TABLE_KINDS = ("event-tables", "omop")  # inputs that are tables already (read natively)


def _plan_key(plan: Any) -> tuple:
    """The trial and its anchors (date-times kept, issue 11): what a compiled query or evaluator is for.  The
    trial is known by its id, so the caches below keep the trial itself beside what they hold and check it:
    an id is reused once its object is gone, and another trial must never get this one's query."""
    return id(plan.trial), tuple(sorted(anchor_texts(plan.anchors).items()))


_CACHED = 16  # trials whose compiled query (and evaluator) an engine keeps


def _cached(cache: dict, plan: Any, make: Any) -> Any:
    key = _plan_key(plan)
    found = cache.get(key)
    if found is None or found[0] is not plan.trial:
        if len(cache) >= _CACHED:
            cache.clear()
        found = cache[key] = (plan.trial, make())
    return found[1]


def _unavailable(message: str) -> Exception:
    return EngineUnavailable(message)


def outcome_of(criteria, statuses: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """``explain.outcome.decide``: (outcome, reasons)."""
    reasons = tuple(c.id for c, s in zip(criteria, statuses, strict=True)
                    if (c.kind == "include" and s == "NOT_MET") or (c.kind == "exclude" and s == "MET"))
    if reasons:
        return "INELIGIBLE", reasons
    if all((c.kind == "include" and s == "MET") or (c.kind == "exclude" and s == "NOT_MET")
           for c, s in zip(criteria, statuses, strict=True)):
        return "ELIGIBLE", ()
    return "INDETERMINATE", ()


class SqlEngine:
    def __init__(self, name: str):
        self.name = name
        self._compiled: dict[Any, Any] = {}
        self._evaluators: dict[Any, Evaluator] = {}

    # ------------------------------------------------------------ checks

    def _available(self) -> None:
        if _SQL_MISSING is not None:
            raise _unavailable(f"the `{self.name}` engine needs the `{self.name}` extra "
                               f"(`{_SQL_MISSING.name}` is not installed): pip install 'eligibility_dsl[{self.name}]'")
        try:
            if self.name == "duckdb":
                import duckdb  # noqa: F401
            else:
                import pyspark  # noqa: F401
        except ImportError:
            raise _unavailable(f"the `{self.name}` engine needs the `{self.name}` extra: "
                               f"pip install 'eligibility_dsl[{self.name}]'") from None
        if self.name == "spark" and shutil.which("java") is None:
            raise _unavailable("the `spark` engine needs a Java runtime (`java` is not on PATH)")

    def compiled(self, plan: Any) -> Any:
        def make() -> Any:
            try:
                return compile_trial(plan.trial.checked, plan.anchors, self.name)
            except SqlCompileError as err:
                raise _unavailable(f"the `{self.name}` engine cannot run this trial (use `--engine python`):\n"
                                   + "\n".join(f"  {line}" for line in str(err).splitlines())) from None
        return _cached(self._compiled, plan, make)

    def check(self, plan: Any) -> None:
        self._available()
        for inp in plan.inputs:
            kind = KINDS[inp.kind]
            try:
                kind.probe(inp)
            except InputUnavailable as err:
                raise _unavailable(f"`{inp.path}`: {err}") from None
            if inp.kind not in TABLE_KINDS and kind.units is None:
                raise _unavailable(f"`{inp.path}`: the `{self.name}` engine does not read `{inp.kind}` inputs")
        self.compiled(plan)

    def total(self, plan: Any) -> int | None:
        counts = []
        for inp in plan.inputs:
            if inp.kind in TABLE_KINDS:
                counts.append(None)
            else:
                counts.append(KINDS[inp.kind].count(inp))
        return None if any(c is None for c in counts) else sum(counts)  # type: ignore[misc]

    # ------------------------------------------------------------ running

    def batches(self, plan: Any, skip: int) -> Iterator[Any]:
        compiled = self.compiled(plan)
        done = 0
        for inp in plan.inputs:
            if inp.kind in TABLE_KINDS:  # one unit per patient, streamed in position order
                rows = self._table_rows(plan, compiled, inp)
                part: list[Row] = []
                for row in rows:
                    done += 1
                    if done <= skip:
                        continue
                    part.append(row)
                    if len(part) >= plan.batch_size:
                        yield Batch(len(part), part)
                        part = []
                if part:
                    yield Batch(len(part), part)
                continue
            units = KINDS[inp.kind].units(inp)  # type: ignore[misc]
            if done < skip:
                units = itertools.islice(units, skip - done, None)
            while group := list(itertools.islice(units, RECORD_BATCH)):
                done += len(group)
                per_unit = self._record_rows(plan, compiled, group)
                for i in range(0, len(group), plan.batch_size):
                    part = per_unit[i:i + plan.batch_size]
                    yield Batch(len(part), [row for rows in part for row in rows])

    def _run(self, compiled: Any, arrow: dict[str, Any] | None, directory: str | None = None,
             threads: int | None = None, omop: dict | None = None) -> Iterator[tuple]:
        """Rows of the compiled query over Arrow tables, a Parquet directory, or (``omop``: the anchors) the
        OMOP views of the database at ``directory``."""
        if self.name == "duckdb":
            if omop is not None:
                con = open_omop(directory, omop, threads)  # type: ignore[arg-type]
            else:
                con = X.duckdb_connection(threads)
            _tune(con)
            try:
                if arrow is not None:
                    X.load_arrow_duckdb(con, arrow)
                elif omop is None and directory is not None:
                    yield from _parquet_parts(con, compiled, directory)
                    return
                yield from X.run_duckdb(con, compiled)
            finally:
                con.close()
        elif omop is not None:  # Spark reads the OMOP views exported to Parquet by DuckDB
            with tempfile.TemporaryDirectory(prefix="elig-omop-") as tables:
                export_parquet(directory, omop, tables)  # type: ignore[arg-type]
                yield from self._run(compiled, None, tables, threads)
        else:
            spark = X.spark_session()
            if arrow is None:
                X.load_parquet_spark(spark, directory)  # type: ignore[arg-type]
            else:
                X.load_arrow_spark(spark, arrow)
            yield from X.run_spark(spark, compiled)

    def _table_rows(self, plan: Any, compiled: Any, inp: Any) -> Iterator[Row]:
        """The rows of a table input, in order; the patients a criterion leaves to the Python engine (DEFER)
        are read back from the tables as records (``table_records``), a chunk of rows at a time."""
        n = len(compiled.criteria)
        omop = plan.anchors if inp.kind == "omop" else None
        results = self._run(compiled, None, inp.path, _threads(plan), omop)
        while chunk := list(itertools.islice(results, RECORD_BATCH)):
            deferred = [position for _pid, position, statuses, _ in chunk if DEFER in statuses]
            records = dict(table_records.read(inp.kind, inp.path, plan.anchors, deferred)) if deferred else {}
            for pid, position, statuses, missing in chunk:
                if DEFER in statuses:
                    yield self._python(plan).row(inp.path, position, records[position])
                else:
                    yield _decision_row(inp.path, position, pid, compiled, statuses, missing, n)

    def _python(self, plan: Any) -> Evaluator:
        return _cached(self._evaluators, plan, lambda: Evaluator(plan.trial, plan.anchors))

    def _record_rows(self, plan: Any, compiled: Any, units: list) -> list[list[Row]]:
        """The rows of each unit, in order.  A record with a number that DECIMAL(38, 12) cannot hold exactly (a
        value of 10^28, or with more than 12 decimals) is decided by the Python engine, which is the reference:
        in the tables it would be NULL, which reads as missing data (docs/event_tables.md)."""
        n = len(compiled.criteria)
        trial = plan.trial
        tables = Tables()
        placed: list[tuple[str, int, Any]] = []
        sizes: list[int] = []
        for unit in units:
            items = DECODERS[unit.decoder](unit.payload)
            sizes.append(len(items))
            placed += [(unit.source, unit.position + i, item) for i, item in enumerate(items)]
        out: list[Row | None] = [None] * len(placed)
        ids: dict[int, str | None] = {}
        for k, (source, position, item) in enumerate(placed):
            if isinstance(item, ReadProblem):
                out[k] = Row(source, position, None, ERROR, (None,) * n, errors=(item.message,))
                continue
            try:
                bound = trial.bind(item)
            except RecordError as err:
                out[k] = Row(source, position, err.record_id, ERROR, (None,) * n,
                             errors=tuple(map(str, err.issues)))
                continue
            if not tables.add(str(k), k, bound, trial.checked.facts):  # a number the tables cannot hold exactly
                out[k] = self._python(plan).row(source, position, item)
                continue
            ids[k] = bound.id
        if ids:
            for _pid, k, statuses, missing in self._run(compiled, tables.arrow(), None, _threads(plan)):
                source, position, item = placed[k]
                if DEFER in statuses:  # a criterion the query leaves to the Python engine (backends/sql/totals.py)
                    out[k] = self._python(plan).row(source, position, item)
                else:
                    out[k] = _decision_row(source, position, ids[k], compiled, statuses, missing, n)
        grouped, i = [], 0
        for size in sizes:
            grouped.append(out[i:i + size])
            i += size
        return grouped  # type: ignore[return-value]


def _tune(con: Any) -> None:
    """DuckDB settings for a screening query: the query orders its rows itself (``ORDER BY position``), so
    insertion order need not be kept (less memory); ``ELIG_DUCKDB_MEMORY_LIMIT`` (e.g. ``3GB``) caps DuckDB's
    memory, spilling to a temporary directory beyond it (DuckDB's default: 80% of the machine's memory)."""
    con.execute("SET preserve_insertion_order = false")
    limit = os.environ.get("ELIG_DUCKDB_MEMORY_LIMIT")
    if limit:
        con.execute("SET memory_limit = ?", [limit])
        con.execute("SET temp_directory = ?", [os.path.join(tempfile.gettempdir(), f"elig-duckdb-{os.getpid()}")])


PARTITION = 250_000  # patients per DuckDB query over Parquet event tables (ELIG_DUCKDB_PARTITION; 0: one query)


def _parquet_parts(con: Any, compiled: Any, directory: str) -> Iterator[tuple]:
    """Rows of the query over Parquet event tables, in position order.  More than ``ELIG_DUCKDB_PARTITION``
    patients: the tables are first split into parts of that many patients (one pass, into a temporary
    directory) and each part is screened by itself: over 10 million patients at once the query's hash joins
    and aggregations exhaust memory; by parts, memory is that of one part."""
    def screen(tables: str, part: int | None = None) -> Iterator[tuple]:
        ids = X.load_parquet_duckdb(con, tables, part)  # integer keys in the query, the tables' ids in the rows
        for pid, *rest in X.run_duckdb(con, compiled):
            yield (ids[pid], *rest)

    size = int(os.environ.get("ELIG_DUCKDB_PARTITION", PARTITION))
    if size <= 0 or X.parquet_patients(con, directory) <= size:
        yield from screen(directory)
        return
    with tempfile.TemporaryDirectory(prefix="elig-parts-") as parts_dir:
        for part in range(X.split_parquet_duckdb(con, directory, size, parts_dir)):
            yield from screen(parts_dir, part)


def _threads(plan: Any) -> int | None:
    """`--jobs N` is DuckDB's thread count (by default DuckDB uses every core)."""
    return plan.jobs if plan.jobs > 1 else None


# (the criteria (kind, id), statuses) -> (outcome, reasons): keyed by what the outcome depends on, not an id
_OUTCOMES: dict[tuple, tuple[str, tuple[str, ...]]] = {}
_KINDS_OF: dict[int, tuple[Any, tuple[tuple[str, str], ...]]] = {}


def _decision_row(source: str, position: int, record_id: Any, compiled: Any, statuses: tuple[str, ...],
                  missing: tuple[str, ...], n: int) -> Row:
    kinds = _KINDS_OF.get(id(compiled))
    if kinds is None or kinds[0] is not compiled:
        if len(_KINDS_OF) >= _CACHED:
            _KINDS_OF.clear()
        kinds = _KINDS_OF[id(compiled)] = (compiled, tuple((c.kind, c.id) for c in compiled.criteria))
    key = (kinds[1], statuses)
    found = _OUTCOMES.get(key)
    if found is None:
        found = outcome_of(compiled.criteria, statuses)
        if len(_OUTCOMES) > 100_000:
            _OUTCOMES.clear()
        _OUTCOMES[key] = found
    outcome, reasons = found
    return Row(source, position, record_id, outcome, statuses, reasons,
               missing if outcome == "INDETERMINATE" else ())
