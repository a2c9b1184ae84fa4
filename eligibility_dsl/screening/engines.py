"""Engines: what turns a screening plan into result rows.  One small interface, so that the SQL engines
(DuckDB, Spark; `backends/sql`) plug in beside the Python one:

    class Engine(Protocol):
        name: str
        def check(self, plan: Plan) -> None              # raise EngineUnavailable before anything is written
        def total(self, plan: Plan) -> int | None        # units of input, for the progress bar (None: unknown)
        def batches(self, plan: Plan, skip: int) -> Iterator[Batch]   # rows in input order, from unit `skip` on

A :class:`Batch` is the rows of some whole units of input (a unit is an NDJSON line, a JSON file, a patient:
see ``inputs.py``), and the count of units it consumed; the runner commits batches and, on ``--resume``, asks
again from the first unit it has not committed.  So an engine must number units the same way on every run over
the same inputs, and emit exactly one :class:`~.rows.Row` per record, ERROR rows included, in input order.
"""

from __future__ import annotations

import datetime
import itertools
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Protocol

import attrs

from ..api import Trial, compile_source
from .decide import Evaluator
from .inputs import KINDS, InputUnavailable, Unit
from .plan import Batch, EngineUnavailable, Plan, WorkerFailure
from .rows import Row


class Engine(Protocol):
    name: str

    def check(self, plan: Plan) -> None: ...

    def total(self, plan: Plan) -> int | None: ...

    def batches(self, plan: Plan, skip: int) -> Iterator[Batch]: ...


# ------------------------------------------------------------------ the Python engine


def _trial_spec(trial: Trial) -> tuple[str, dict[str, str]]:
    """What a worker needs to compile the same trial: the main file's name and every source text, imports
    included (so workers never read the disk, and see exactly what the parent compiled)."""
    return trial.checked.file, dict(trial.checked.sources)


def _compile_spec(file: str, sources: dict[str, str]) -> Trial:
    def loader(path: str, importer: str) -> tuple[str, str]:
        target = str(Path(importer).parent / path)
        return target, sources[target]

    return compile_source(sources[file], file, loader)


_worker: Evaluator | None = None


def _init_worker(spec: tuple[str, dict[str, str]], anchors: dict[str, datetime.date], parent: int) -> None:
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the pool
    _worker = Evaluator(_compile_spec(*spec), anchors)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """A worker whose parent was killed (`kill -9`) has nobody to answer: it leaves instead of lingering."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def _work(units: list[Unit]) -> list[Row]:
    assert _worker is not None
    return _worker(units)


def _grouped(units: Iterable[Unit], size: int) -> Iterator[list[Unit]]:
    it = iter(units)
    while group := list(itertools.islice(it, size)):
        yield group


class PythonEngine:
    """The compiled trial in this process (``jobs=1``) or in N worker processes, output order kept."""

    name = "python"

    def check(self, plan: Plan) -> None:
        for inp in plan.inputs:
            try:
                KINDS[inp.kind].available()
                KINDS[inp.kind].probe(inp)
            except InputUnavailable as err:
                raise EngineUnavailable(f"`{inp.path}`: {err}") from None
            if KINDS[inp.kind].units is None and KINDS[inp.kind].reader is None:
                raise EngineUnavailable(
                    f"`{inp.path}` is {KINDS[inp.kind].description}; the python engine does not read "
                    f"`{inp.kind}` inputs: use `--engine duckdb`")

    def total(self, plan: Plan) -> int | None:
        counts = [KINDS[inp.kind].count(inp) for inp in plan.inputs]
        return None if any(c is None for c in counts) else sum(counts)  # type: ignore[misc]

    def units(self, plan: Plan) -> Iterator[Unit]:
        for inp in plan.inputs:
            kind = KINDS[inp.kind]
            if kind.reader is not None:
                yield from kind.reader(inp, plan.anchors)
            else:
                yield from kind.units(inp)  # type: ignore[misc]

    def batches(self, plan: Plan, skip: int) -> Iterator[Batch]:
        groups = _grouped(itertools.islice(self.units(plan), skip, None), plan.batch_size)
        if plan.jobs <= 1:
            evaluate = Evaluator(plan.trial, plan.anchors)
            for group in groups:
                yield Batch(len(group), evaluate(group))
            return
        yield from self._parallel(plan, groups)

    def _parallel(self, plan: Plan, groups: Iterator[list[Unit]]) -> Iterator[Batch]:
        # spawn, not fork: the parent may run a progress thread, and forking a threaded process can deadlock.
        # At most 4 tasks per worker in flight: memory stays bounded whatever the input's size.  A worker that
        # dies breaks the pool (BrokenProcessPool), which stops the run; `--resume` finishes it.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(plan.jobs, mp_context=context, initializer=_init_worker,
                                 initargs=(_trial_spec(plan.trial), plan.anchors, os.getpid())) as pool:
            pending: deque = deque()
            try:
                for group in groups:
                    pending.append((len(group), pool.submit(_work, group)))
                    if len(pending) >= 4 * plan.jobs:
                        n, future = pending.popleft()
                        yield Batch(n, future.result())
                while pending:
                    n, future = pending.popleft()
                    yield Batch(n, future.result())
            except BrokenProcessPool:
                raise WorkerFailure(
                    "a worker process stopped unexpectedly (killed, out of memory, or it could not start: a Python "
                    "script that screens with jobs > 1 must guard its entry point with "
                    "`if __name__ == \"__main__\":`); what was committed is kept, and `--resume` finishes the run"
                ) from None
            finally:
                for _, future in pending:
                    future.cancel()


# ------------------------------------------------------------------ the registry


@attrs.frozen
class UnavailableEngine:
    """An engine this build names but does not include: it fails before anything is read or written."""

    name: str
    reason: str

    def _refuse(self) -> EngineUnavailable:
        return EngineUnavailable(f"the `{self.name}` engine is not available in this build: {self.reason}; "
                                 "use `--engine python`")

    def check(self, plan: Plan) -> None:
        raise self._refuse()

    def total(self, plan: Plan) -> int | None:
        raise self._refuse()

    def batches(self, plan: Plan, skip: int) -> Iterator[Batch]:
        raise self._refuse()


from .sql_engines import SqlEngine  # noqa: E402

ENGINES: dict[str, Engine] = {
    "python": PythonEngine(),
    "duckdb": SqlEngine("duckdb"),
    "spark": SqlEngine("spark"),
}


def get_engine(name: str) -> Engine:
    try:
        return ENGINES[name]
    except KeyError:
        raise EngineUnavailable(f"unknown engine `{name}` (known: {', '.join(ENGINES)})") from None
