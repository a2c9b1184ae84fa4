"""Where rows go: NDJSON, CSV or Parquet, written in committed chunks that survive `kill -9`.

A run that writes ``results.X`` keeps its work in ``results.X.partial/`` until it is complete:

- NDJSON, CSV: ``data``, the output's bytes as they grow (the CSV header first).  A commit flushes and fsyncs
  it; the manifest records its committed length, and a resumed run truncates it back to that length.
- Parquet: ``part-NNNNNN.parquet``, one file per commit (written to a temporary name, fsynced, renamed).  The
  finished file is assembled from the parts with row groups of a fixed size (:data:`ROW_GROUP_ROWS`), so its
  bytes depend only on the rows, never on where commits fell.

Finishing moves the complete file to ``results.X`` with one atomic rename: a reader never sees half a result.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from .rows import Row, RowSchema

ROW_GROUP_ROWS = 65_536
FORMATS = {".parquet": "parquet", ".pq": "parquet", ".ndjson": "ndjson", ".jsonl": "ndjson", ".csv": "csv"}


class OutputProblem(Exception):
    """The output cannot be written as asked (format, missing pyarrow, an unwritable place)."""


def output_format(path: str, explicit: str | None = None) -> str:
    if explicit:
        if explicit not in FORMATS.values():
            raise OutputProblem(f"unknown output format `{explicit}` (known: ndjson, csv, parquet)")
        return explicit
    for suffix, fmt in FORMATS.items():
        if path.lower().endswith(suffix):
            return fmt
    raise OutputProblem(f"cannot tell the output format of `{path}`: name it `.parquet`, `.ndjson` or `.csv`, "
                        "or pass `--format`")


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in ``path`` durable (POSIX needs the directory itself synced)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on directories; nothing more can be done there
        pass
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


class TextSink:
    """NDJSON or CSV: rows appended to ``state/data``; committed by length."""

    def __init__(self, fmt: str, schema: RowSchema, state: Path):
        self.encode = schema.ndjson if fmt == "ndjson" else schema.csv
        self.header = schema.csv_header() if fmt == "csv" else b""
        self.data = state / "data"
        self.file = None

    def open(self, committed: dict | None) -> None:
        if committed is None:
            self.file = open(self.data, "wb")
            self.file.write(self.header)
        else:
            self.file = open(self.data, "r+b")
            self.file.truncate(committed["bytes"])  # what a killed run wrote after its last commit goes
            self.file.seek(committed["bytes"])

    def write(self, rows: list[Row]) -> None:
        self.file.write(self.encode(rows))

    def commit(self) -> dict:
        self.file.flush()
        os.fsync(self.file.fileno())
        return {"bytes": self.file.tell()}

    def finish(self, out: Path, committed: dict) -> None:
        self.close()
        if self.data.exists():  # absent when an earlier run already moved it and was killed just after
            os.replace(self.data, out)
            fsync_dir(out.parent)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


class ParquetSink:
    """Parquet: each commit a part file; the result assembled from the parts with fixed-size row groups."""

    def __init__(self, schema: RowSchema, state: Path, metadata: dict[str, str]):
        try:
            import pyarrow.parquet  # noqa: F401
        except ImportError:
            raise OutputProblem("Parquet output needs pyarrow: `pip install 'eligibility_dsl[parquet]'`, "
                                "or write `.ndjson` or `.csv`") from None
        self.schema = schema
        self.arrow_schema = schema.arrow_schema(metadata)
        self.state = state
        self.parts = 0
        self.buffer: list[Row] = []

    def _part(self, i: int) -> Path:
        return self.state / f"part-{i:06d}.parquet"

    def open(self, committed: dict | None) -> None:
        self.parts = committed["parts"] if committed else 0
        for stale in self.state.glob("part-*.parquet*"):  # written after the last commit: not part of the run
            if stale.suffix == ".tmp" or int(stale.stem.split("-")[1]) >= self.parts:
                stale.unlink()

    def write(self, rows: list[Row]) -> None:
        self.buffer += rows

    def commit(self) -> dict:
        if self.buffer:
            import pyarrow.parquet as pq

            path = self._part(self.parts)
            tmp = path.with_name(path.name + ".tmp")
            with open(tmp, "wb") as f:
                pq.write_table(self.schema.arrow_table(self.buffer, self.arrow_schema), f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
            fsync_dir(self.state)
            self.parts += 1
            self.buffer = []
        return {"parts": self.parts}

    def finish(self, out: Path, committed: dict) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        assembled = self.state / "assembled.parquet"
        pending: list = []
        rows = 0
        with open(assembled, "wb") as f:
            writer = pq.ParquetWriter(f, self.arrow_schema)
            for i in range(committed["parts"]):
                table = pq.read_table(self._part(i), schema=self.arrow_schema)
                pending.append(table)
                rows += table.num_rows
                while rows >= ROW_GROUP_ROWS:
                    whole = pa.concat_tables(pending)
                    writer.write_table(whole.slice(0, ROW_GROUP_ROWS), row_group_size=ROW_GROUP_ROWS)
                    rest = whole.slice(ROW_GROUP_ROWS)
                    pending, rows = [rest], rest.num_rows
            if rows or not committed["parts"]:
                whole = pa.concat_tables(pending) if pending else self.arrow_schema.empty_table()
                writer.write_table(whole, row_group_size=ROW_GROUP_ROWS)
            writer.close()
            f.flush()
            os.fsync(f.fileno())
        os.replace(assembled, out)
        fsync_dir(out.parent)

    def close(self) -> None:
        self.buffer = []


def remove_state(state: Path) -> None:
    """Delete a finished run's state: the manifest first (so a half-deleted state reads as 'nothing to resume')."""
    with contextlib.suppress(FileNotFoundError):
        (state / "manifest.json").unlink()
    fsync_dir(state)
    for child in state.iterdir():
        child.unlink()
    state.rmdir()
