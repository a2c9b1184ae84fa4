"""Screening runs: a plan through an engine into rows, rows into a committed, resumable output.

The manifest (``results.X.partial/manifest.json``, replaced atomically and fsynced at each commit) holds the
run's fingerprint (trial sources, anchors, inputs with their sizes and modification times, engine, output
format, columns), how many units of input and rows are committed, the sink's committed state (bytes or parts)
and the attrition counts so far.  Everything after the last commit is discarded by ``resume``, and the engine
is asked again from the first uncommitted unit: nothing lost, nothing twice, and the same bytes as a run that
was never interrupted.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

try:
    import fcntl
except ImportError:  # not POSIX: no lock (one run per output is then the user's care)
    fcntl = None  # type: ignore[assignment]

from ..api import Trial, compile_file
from ..runtime.datetimes import anchor_texts
from .attrition import Attrition
from .engines import Plan, get_engine
from .inputs import KINDS, STDIN, Input, resolve
from .output import ParquetSink, TextSink, fsync_dir, output_format, remove_state, write_atomically
from .progress import NoProgress
from .progress import progress as make_progress
from .rows import SCHEMA_VERSION, Row, RowSchema

MANIFEST = "manifest.json"
LOCK = ".lock"
MANIFEST_KIND = "eligibility_dsl screening run"
CHUNK_UNITS = 2000  # units per commit (about a second or two of work for a real trial)


class ScreenProblem(Exception):
    """A run that cannot start or resume as asked (reported before any output is touched)."""


@attrs.frozen
class Summary:
    """What a finished run did: records by outcome, the attrition counts, where the rows went."""

    out: str | None
    records: int
    outcomes: dict[str, int]
    attrition: Attrition = attrs.field(eq=False)
    seconds: float
    resumed_from: int = 0  # rows already committed by an earlier, interrupted run

    @property
    def rate(self) -> float:
        done = self.records - self.resumed_from
        return done / self.seconds if self.seconds > 0 else 0.0


InputLike = Input | str | os.PathLike


def _trial(trial: Trial | str | os.PathLike) -> Trial:
    return trial if isinstance(trial, Trial) else compile_file(trial)


def plan(trial: Trial | str | os.PathLike, inputs: Iterable[InputLike], anchors: Mapping[str, Any], *,
         jobs: int = 1, input_kind: str | None = None, batch_size: int = 64) -> Plan:
    compiled = _trial(trial)
    if jobs < 1:
        raise ScreenProblem(f"--jobs must be at least 1, not {jobs}")
    return Plan(compiled, compiled.parse_anchors(anchors), tuple(resolve(inputs, input_kind)), jobs, batch_size)


def screen_rows(trial: Trial | str | os.PathLike, inputs: Iterable[InputLike], anchors: Mapping[str, Any], *,
                engine: str = "python", jobs: int = 1, input_kind: str | None = None) -> Iterator[Row]:
    """The rows of a screening, one per record, in input order, nothing written (the iterator form).  The
    trial, anchors, engine and inputs are checked at the call, before the first row is asked for."""
    p = plan(trial, inputs, anchors, jobs=jobs, input_kind=input_kind)
    eng = get_engine(engine)
    eng.check(p)
    return (row for batch in eng.batches(p, 0) for row in batch.rows)


# ------------------------------------------------------------------ fingerprints


def _stat(path: Path) -> list:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def _input_fingerprint(inp: Input) -> dict[str, Any]:
    entry: dict[str, Any] = {"path": inp.path, "kind": inp.kind}
    p = Path(inp.path)
    try:
        if p.is_dir():
            entry["files"] = {f.relative_to(p).as_posix(): _stat(f) for f in sorted(p.rglob("*")) if f.is_file()}
        else:
            entry["file"] = _stat(p)
    except OSError:
        entry["file"] = None  # unreadable: its ERROR row is part of the run, and must stay so
    return entry


def fingerprint(p: Plan, engine_name: str, fmt: str, schema: RowSchema) -> dict[str, Any]:
    sources = hashlib.sha256()
    for name in sorted(p.trial.checked.sources):
        for part in (name, p.trial.checked.sources[name]):
            data = part.encode("utf-8")
            sources.update(len(data).to_bytes(8, "big") + data)
    return {"trial": {"file": p.trial.checked.file, "sha256": sources.hexdigest()},
            "anchors": anchor_texts(p.anchors),  # date-time anchors as given (issue 11)
            "inputs": [_input_fingerprint(i) for i in p.inputs],
            "engine": engine_name, "format": fmt, "columns": schema.columns, "schema": SCHEMA_VERSION}


def _difference(old: dict[str, Any], new: dict[str, Any]) -> str:
    names = {"trial": "the criteria (or a library they import)", "anchors": "the anchors",
             "inputs": "the inputs (names, sizes or modification times)", "engine": "the engine",
             "format": "the output format", "columns": "the output columns", "schema": "the row schema version"}
    changed = [names.get(k, k) for k in names if old.get(k) != new.get(k)] or ["the run's settings"]
    return ", ".join(changed[:-1]) + " and " + changed[-1] if len(changed) > 1 else changed[0]


# ------------------------------------------------------------------ the run


class _Run:
    def __init__(self, out: Path, fmt: str, schema: RowSchema, fp: dict, meta: dict[str, str]):
        self.out, self.fp = out, fp
        self.state = out.with_name(out.name + ".partial")
        self.sink = (ParquetSink(schema, self.state, meta) if fmt == "parquet"
                     else TextSink(fmt, schema, self.state))

    def manifest(self) -> dict | None:
        try:
            return json.loads((self.state / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def save(self, units: int, rows: int, committed: dict, attrition: Attrition, finished: bool = False) -> None:
        manifest = {"kind": MANIFEST_KIND, "version": 1, "fingerprint": self.fp, "units": units, "rows": rows,
                    "committed": committed, "attrition": attrition.state(), "finished": finished}
        write_atomically(self.state / MANIFEST, json.dumps(manifest, indent=1).encode("utf-8"))


def screen(trial: Trial | str | os.PathLike, inputs: Iterable[InputLike], anchors: Mapping[str, Any], *,
           out: str | os.PathLike, format: str | None = None, engine: str = "python", jobs: int = 1,
           resume: bool = False, input_kind: str | None = None, chunk_size: int = CHUNK_UNITS,
           batch_size: int = 64, show_progress: bool | None = None) -> Summary:
    """Screen every record of ``inputs`` into ``out`` (`.parquet`, `.ndjson` or `.csv`), committing every
    ``chunk_size`` units of input (``batch_size``: units per batch, the engine's unit of work).  With
    ``resume``, an interrupted run into the same ``out`` is finished (a run with nothing to resume simply
    starts); without it, an unfinished run in the way is an error."""
    started = time.perf_counter()
    p = plan(trial, inputs, anchors, jobs=jobs, input_kind=input_kind, batch_size=batch_size)
    eng = get_engine(engine)
    eng.check(p)
    out_path = Path(out)
    fmt = output_format(str(out_path), format)
    if not out_path.parent.is_dir():
        raise ScreenProblem(f"cannot write `{out_path}`: no directory `{out_path.parent}`")
    schema = RowSchema([c.id for c in p.trial.criteria])
    fp = fingerprint(p, engine, fmt, schema)
    meta = {"eligibility_dsl.screening": json.dumps(
        {"schema": SCHEMA_VERSION, "trial": p.trial.id, "trial_version": p.trial.version,
         "anchors": fp["anchors"]}, sort_keys=True)}
    if resume:
        for inp in p.inputs:
            if not KINDS[inp.kind].resumable or inp.path == STDIN:
                what = "stdin" if inp.path == STDIN else f"`{inp.path}`"
                raise ScreenProblem(f"cannot resume a run that reads {what}: save the input to a file and "
                                    "screen that")
    run = _Run(out_path, fmt, schema, fp, meta)
    attrition = Attrition.for_trial(p.trial)
    with _locked(run):
        manifest = _prior(run, resume)
        units = rows = 0
        committed: dict | None = None
        if manifest is not None:
            units, rows, committed = manifest["units"], manifest["rows"], manifest["committed"]
            attrition.restore(manifest["attrition"])
        resumed_from = rows
        if manifest is None or not manifest["finished"]:
            units, rows, committed = _execute(run, p, eng, attrition, units, rows, committed, chunk_size,
                                              show_progress)
        run.sink.finish(out_path, committed)
        remove_state(run.state)
    return Summary(str(out_path), rows, dict(attrition.outcomes), attrition, time.perf_counter() - started,
                   resumed_from)


def _prior(run: _Run, resume: bool) -> dict | None:
    """The manifest of the interrupted run to finish, or None to start afresh (clearing any state)."""
    manifest = run.manifest()
    if manifest is None or manifest.get("kind") != MANIFEST_KIND:
        # nothing committed (a new run, or one killed before its first commit): nothing is lost by starting
        for child in run.state.iterdir():
            if child.name != LOCK:
                child.unlink()
        return None
    if not resume:
        raise ScreenProblem(f"`{run.state}` holds an unfinished run ({manifest['rows']:,} records committed): "
                            "add `--resume` to finish it, or delete it to start again")
    if manifest["fingerprint"] != run.fp:
        raise ScreenProblem(f"cannot resume `{run.out}`: {_difference(manifest['fingerprint'], run.fp)} changed "
                            f"since the interrupted run; delete `{run.state}` to start again")
    return manifest


@contextlib.contextmanager
def _locked(run: _Run) -> Iterator[None]:
    """One run at a time into one output: an exclusive lock on ``state/.lock``, which the system releases
    when the process ends however it ends (so a `kill -9` never leaves a stale lock)."""
    run.state.mkdir(exist_ok=True)
    fsync_dir(run.state.parent)
    with open(run.state / LOCK, "a+b") as handle:
        if fcntl is not None:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ScreenProblem(f"another `elig screen` is writing `{run.out}` right now (it holds "
                                    f"`{run.state / LOCK}`)") from None
        yield


def _execute(run: _Run, p: Plan, eng, attrition: Attrition, units: int, rows: int, committed: dict | None,
             chunk_size: int, show_progress: bool | None) -> tuple[int, int, dict]:
    run.sink.open(committed)
    if committed is None:
        committed = run.sink.commit()
        run.save(0, 0, committed, attrition)
    bar = make_progress(show_progress)
    bar.start(None if isinstance(bar, NoProgress) else eng.total(p), units)  # counting costs a read: only for a bar
    since_commit = 0
    try:
        for batch in eng.batches(p, units):
            run.sink.write(batch.rows)
            attrition.add(batch.rows)
            units += batch.units
            rows += len(batch.rows)
            since_commit += batch.units
            if since_commit >= chunk_size:
                run.save(units, rows, run.sink.commit(), attrition)
                since_commit = 0
            bar.advance(batch.units, len(batch.rows))
        committed = run.sink.commit()
        run.save(units, rows, committed, attrition, finished=True)
    finally:
        bar.stop()
        run.sink.close()
    return units, rows, committed


def screen_stream(trial: Trial | str | os.PathLike, inputs: Iterable[InputLike], anchors: Mapping[str, Any],
                  stream, *, engine: str = "python", jobs: int = 1, input_kind: str | None = None,
                  show_progress: bool | None = None) -> Summary:
    """Screen into a binary stream as NDJSON (``elig screen`` without ``--out``: stdout), nothing resumable."""
    started = time.perf_counter()
    p = plan(trial, inputs, anchors, jobs=jobs, input_kind=input_kind)
    eng = get_engine(engine)
    eng.check(p)
    schema = RowSchema([c.id for c in p.trial.criteria])
    attrition = Attrition.for_trial(p.trial)
    bar = make_progress(show_progress)
    bar.start(None if isinstance(bar, NoProgress) else eng.total(p))
    try:
        for batch in eng.batches(p, 0):
            stream.write(schema.ndjson(batch.rows))
            stream.flush()
            attrition.add(batch.rows)
            bar.advance(batch.units, len(batch.rows))
    finally:
        bar.stop()
    return Summary(None, attrition.records, dict(attrition.outcomes), attrition, time.perf_counter() - started)


def write_attrition(summary: Summary, trial: Trial, anchors: Mapping[str, datetime.date], fmt: str,
                    path: str) -> None:
    """Write the attrition table as ``text``, ``json`` or ``svg`` to ``path`` (``-``: stdout)."""
    from .flow_svg import flow_svg

    meta = {"trial_id": trial.id, "trial_version": trial.version, "anchors": dict(anchors)}
    renderers = {"text": lambda a: a.to_text(**meta), "json": lambda a: a.to_json(**meta),
                 "svg": lambda a: flow_svg(a.to_dict(**meta))}
    text = renderers[fmt](summary.attrition)
    if path == "-":
        sys.stdout.write(text)
    else:
        Path(path).write_text(text, encoding="utf-8")
