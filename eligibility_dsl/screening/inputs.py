"""What `elig screen` reads: input kinds, how each is detected, and the units of work it yields.

An input kind is one row of :data:`KINDS`: a name (`--input-kind`), what it is, and for kinds the Python
engine can read, ``units(input)``: the input cut into :class:`Unit` s, each decoded into one or more records by a
decoder named in the unit (:data:`DECODERS`).  Units are what resuming counts: they are produced in the same
order every time, so a resumed run skips exactly the units an earlier run committed.  Decoding (JSON parsing,
FHIR mapping) happens where the records are evaluated, in the worker processes with ``--jobs N``.

A file that cannot be read, a line that is not JSON, a bundle the FHIR adapter refuses: each is an item of type
:class:`ReadProblem`, which becomes an ERROR row at its place; it never stops the batch.

Table kinds (the event tables as Parquet, an OMOP CDM database) have no ``units`` but a ``reader``: the SQL
engines read their tables natively, and the Python engine reads records built from the same tables
(``table_records.py``), one unit per patient; a reader needs the anchors (OMOP coverage is the observation
period of the anchors).  ``probe(input)`` raises InputUnavailable before a run when the input cannot be read.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import attrs

from ..records import jsonread

STDIN = "-"
OMOP_SCHEME = "omop:"  # `omop:PATH` names an OMOP CDM database whatever its file name
RECORD_SUFFIXES = (".json",)
LINE_SUFFIXES = (".ndjson", ".jsonl")
_SNIFF_BYTES = 1 << 16


class InputUnavailable(Exception):
    """An input this build or engine cannot read at all (a setup problem, reported before the run starts)."""


class Unit(NamedTuple):
    source: str  # what the rows name as their source
    position: int  # the position, in its source, of the unit's first record
    decoder: str  # key of DECODERS
    payload: Any


class ReadProblem(NamedTuple):
    """An item that is not a record: what went wrong reading it (becomes an ERROR row)."""

    message: str


@attrs.frozen
class Input:
    """One input: a path (``-`` for stdin) and its kind (None: detect), or records given from Python."""

    path: str
    kind: str | None = None
    records: Iterable[Any] | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class InputKind:
    name: str
    description: str
    units: Callable[[Input], Iterator[Unit]] | None = None  # None: the Python engine cannot read it (yet)
    count: Callable[[Input], int | None] = lambda _input: None  # units in the input, when cheap to know
    resumable: bool = True  # whether the same input can be read again (stdin cannot)
    available: Callable[[], Any] = lambda: None  # raises InputUnavailable when this build cannot read the kind
    reader: Callable[[Input, dict], Iterator[Unit]] | None = None  # table kinds: (input, anchors) -> units
    probe: Callable[[Input], None] = lambda _input: None  # raises InputUnavailable when this input is unreadable


# ------------------------------------------------------------------ decoding (runs in the workers)


def _loads(text: str) -> Any:
    return jsonread.decode(text)  # strict: duplicate keys, NaN and Infinity are refused


def _json_error(err: json.JSONDecodeError, line: int | None = None) -> str:
    where = f"line {line}, column {err.colno}" if line is not None else f"line {err.lineno}, column {err.colno}"
    return f"invalid JSON at {where}: {err.msg.lower()}"


def _decode_line(payload: tuple[int, bytes]) -> list[Any]:
    line_no, raw = payload
    try:
        return [_loads(raw.decode("utf-8"))]
    except UnicodeDecodeError:
        return [ReadProblem(f"line {line_no} is not UTF-8 text")]
    except json.JSONDecodeError as err:
        return [ReadProblem(_json_error(err, line_no))]
    except jsonread.JSONProblem as err:
        return [ReadProblem(f"line {line_no}: invalid JSON: {err}")]
    except RecursionError:
        return [ReadProblem(f"line {line_no}: JSON nested too deeply to read")]


def _parse_document(payload: bytes) -> Any:
    try:
        return _loads(payload.decode("utf-8"))
    except UnicodeDecodeError:
        return ReadProblem("not UTF-8 text")
    except json.JSONDecodeError as err:
        return ReadProblem(_json_error(err))
    except jsonread.JSONProblem as err:
        return ReadProblem(f"invalid JSON: {err}")
    except RecursionError:
        return ReadProblem("JSON nested too deeply to read")


def _is_bundle(data: Any) -> bool:
    return isinstance(data, dict) and data.get("resourceType") == "Bundle"


def _decode_document(payload: bytes) -> list[Any]:
    """A JSON file: one record, a list of records, or a FHIR Bundle (recognised by its `resourceType`)."""
    data = _parse_document(payload)
    if _is_bundle(data):
        return _from_bundle(data)
    return data if isinstance(data, list) else [data]


def _decode_bundle(payload: bytes) -> list[Any]:
    """A file read as a FHIR Bundle (`--input-kind fhir-bundle`)."""
    data = _parse_document(payload)
    if isinstance(data, ReadProblem):
        return [data]
    if not _is_bundle(data):
        return [ReadProblem("expected a FHIR Bundle (`resourceType` `Bundle`)")]
    return _from_bundle(data)


def _from_bundle(bundle: dict) -> list[Any]:
    try:
        fhir = _fhir_adapter()
    except InputUnavailable as err:  # a Bundle among record files, in a build without the adapter: its row
        return [ReadProblem(str(err))]
    try:
        return [fhir.read_bundle(bundle)]
    except (ValueError, TypeError, KeyError) as err:  # the adapter's refusal of this bundle: a row, not a crash
        return [ReadProblem(f"FHIR bundle not readable: {err}")]


def _decode_record(payload: Any) -> list[Any]:
    return [payload]


def _decode_problem(payload: str) -> list[Any]:
    return [ReadProblem(payload)]


DECODERS: dict[str, Callable[[Any], list[Any]]] = {
    "line": _decode_line,
    "document": _decode_document,
    "bundle": _decode_bundle,
    "record": _decode_record,
    "problem": _decode_problem,
}


def _fhir_adapter():
    """The FHIR R4 adapter (records/fhir: ``read_bundle(bundle) -> record``, ``read_bulk(path) -> records``)."""
    try:
        from ..records import fhir
    except ImportError:
        raise InputUnavailable("FHIR input needs the FHIR adapter (`eligibility_dsl.records.fhir`), "
                               "which this build does not include yet") from None
    return fhir


# ------------------------------------------------------------------ reading (runs in the main process)


def _cannot_read(path: str, err: OSError) -> Unit:
    return Unit(path, 0, "problem", f"cannot read `{path}`: {(err.strerror or str(err)).lower()}")


def _line_units(source: str, lines: Iterable[bytes], first_line: int = 1, position: int = 0) -> Iterator[Unit]:
    for line_no, line in enumerate(lines, first_line):
        if line.strip():
            yield Unit(source, position, "line", (line_no, line.rstrip(b"\r\n")))
            position += 1


def _ndjson_units(inp: Input) -> Iterator[Unit]:
    try:
        f = open(inp.path, "rb")
    except OSError as err:
        yield _cannot_read(inp.path, err)
        return
    with f:
        try:
            yield from _line_units(inp.path, f)
        except OSError as err:
            yield _cannot_read(inp.path, err)


def _document_units(inp: Input, decoder: str = "document") -> Iterator[Unit]:
    try:
        yield Unit(inp.path, 0, decoder, Path(inp.path).read_bytes())
    except OSError as err:
        yield _cannot_read(inp.path, err)


def _bundle_units(inp: Input) -> Iterator[Unit]:
    if inp.path == STDIN:
        yield Unit(STDIN, 0, "bundle", sys.stdin.buffer.read())
        return
    yield from _document_units(inp, "bundle")


def _record_files(directory: Path) -> list[Path]:
    """Record files under a directory, in a stable order (sorted relative paths; hidden files skipped)."""
    found = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [Path(root) / f for f in files
                  if not f.startswith(".") and f.endswith(RECORD_SUFFIXES + LINE_SUFFIXES)]
    return sorted(found, key=lambda p: p.relative_to(directory).as_posix())


def _directory_units(inp: Input) -> Iterator[Unit]:
    try:
        files = _record_files(Path(inp.path))
    except OSError as err:
        yield _cannot_read(inp.path, err)
        return
    if not files:
        yield Unit(inp.path, 0, "problem", f"`{inp.path}` holds no record files (`*.json`, `*.ndjson`, `*.jsonl`)")
    for file in files:
        sub = Input(str(file))
        yield from (_ndjson_units(sub) if file.name.endswith(LINE_SUFFIXES) else _document_units(sub))


def _sniffed_units(source: str, stream) -> Iterator[Unit]:
    """Content decides (stdin, or a file with an unfamiliar name): a first line that is a JSON object on its own
    means NDJSON; anything else is one JSON document (a record, a list of records or a Bundle)."""
    first_lines = []
    for line in stream:
        first_lines.append(line)
        if line.strip():
            break
    head = b"".join(first_lines)
    try:
        is_ndjson = isinstance(json.loads(first_lines[-1]), dict) if first_lines else False
    except (ValueError, UnicodeDecodeError, RecursionError):
        is_ndjson = False
    if is_ndjson:
        yield from _line_units(source, first_lines)
        yield from _line_units(source, stream, first_line=len(first_lines) + 1, position=1)
    elif head.strip():  # an empty input holds no records
        yield Unit(source, 0, "document", head + stream.read())


def _auto_units(inp: Input) -> Iterator[Unit]:
    if inp.path == STDIN:
        yield from _sniffed_units(STDIN, sys.stdin.buffer)
        return
    try:
        f = open(inp.path, "rb")
    except OSError as err:
        yield _cannot_read(inp.path, err)
        return
    with f:
        yield from _sniffed_units(inp.path, f)


def _stdin_aware(units: Callable[[Input], Iterator[Unit]]) -> Callable[[Input], Iterator[Unit]]:
    def read(inp: Input) -> Iterator[Unit]:
        if inp.path == STDIN:
            yield from _sniffed_units(STDIN, sys.stdin.buffer)
        else:
            yield from units(inp)
    return read


def _bulk_units(inp: Input) -> Iterator[Unit]:
    fhir = _fhir_adapter()
    try:
        for position, record in enumerate(fhir.read_bulk(inp.path)):
            yield Unit(inp.path, position, "record", record)
    except (OSError, ValueError) as err:
        yield Unit(inp.path, 0, "problem", f"FHIR Bulk Data export `{inp.path}` not readable: {err}")


def _memory_units(inp: Input) -> Iterator[Unit]:
    for position, record in enumerate(inp.records or ()):
        yield Unit(inp.path, position, "record", record)


def _table_units(inp: Input, anchors: dict) -> Iterator[Unit]:
    from .table_records import read

    for position, record in read(inp.kind or "event-tables", inp.path, anchors):
        yield Unit(inp.path, position, "record", record)


def _duckdb_available() -> None:
    try:
        import duckdb  # noqa: F401
    except ImportError:
        raise InputUnavailable("reading event tables or OMOP needs DuckDB: pip install 'eligibility_dsl[duckdb]'"
                               ) from None


def _probe_omop(inp: Input) -> None:
    from .omop import OmopProblem, open_omop

    _duckdb_available()
    try:
        open_omop(inp.path, None).close()
    except OmopProblem as err:
        raise InputUnavailable(str(err)) from None


def _probe_tables(inp: Input) -> None:
    from .table_records import probe

    _duckdb_available()
    problem = probe(inp.path)
    if problem is not None:
        raise InputUnavailable(problem)


# ------------------------------------------------------------------ counting (for the progress bar only)


def _count_lines(inp: Input) -> int | None:
    if inp.path == STDIN:
        return None
    try:
        with open(inp.path, "rb") as f:
            return sum(1 for line in f if line.strip())
    except OSError:
        return 1


def _count_directory(inp: Input) -> int | None:
    try:
        files = _record_files(Path(inp.path))
    except OSError:
        return 1
    return sum(_count_lines(Input(str(p))) or 0 if p.name.endswith(LINE_SUFFIXES) else 1 for p in files) or 1


def _count_memory(inp: Input) -> int | None:
    return len(inp.records) if hasattr(inp.records, "__len__") else None  # type: ignore[arg-type]


KINDS: dict[str, InputKind] = {kind.name: kind for kind in (
    InputKind("ndjson", "records, one JSON object per line", _stdin_aware(_ndjson_units), _count_lines),
    InputKind("json", "a JSON file: one record, a list of records, or a FHIR Bundle",
              _stdin_aware(_document_units), lambda inp: None if inp.path == STDIN else 1),
    InputKind("records-dir", "a directory of record files (`*.json`: a record or a list; `*.ndjson`)",
              _directory_units, _count_directory),
    InputKind("fhir-bundle", "a FHIR R4 Bundle (one patient)", _bundle_units,
              lambda inp: None if inp.path == STDIN else 1, available=lambda: _fhir_adapter()),
    InputKind("fhir-bulk", "FHIR Bulk Data NDJSON (a directory of Patient.ndjson, Condition.ndjson, ...)",
              _bulk_units, available=lambda: _fhir_adapter()),
    InputKind("event-tables", "the event tables as Parquet (docs/event_tables.md)", reader=_table_units,
              available=_duckdb_available, probe=_probe_tables),
    InputKind("omop", "an OMOP CDM v5.4 database (a DuckDB file or a directory of Parquet tables; docs/omop.md)",
              reader=_table_units, available=_duckdb_available, probe=_probe_omop),
    InputKind("auto", "stdin or an unfamiliar file name: NDJSON or one JSON document, by content", _auto_units),
    InputKind("records", "records given from Python (the API)", _memory_units, _count_memory, resumable=False),
)}


def _is_fhir_line(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            for line in f:
                if line.strip():
                    first = json.loads(line)
                    return isinstance(first, dict) and "resourceType" in first
    except (OSError, ValueError, UnicodeDecodeError, RecursionError):
        return False
    return False


def detect(path: str) -> str:
    """The kind of an input, from its name and, where the name does not settle it, its first bytes."""
    if path == STDIN:
        return "auto"
    if path.startswith(OMOP_SCHEME):
        return "omop"
    p = Path(path)
    if p.is_dir():
        names = {f.name for f in p.iterdir()}
        if "person.parquet" in names or (p / "person").is_dir():
            return "omop"
        if any(n.endswith(".parquet") for n in names):
            return "event-tables"
        if "Patient.ndjson" in names or any(_is_fhir_line(p / n) for n in sorted(names) if n.endswith(".ndjson")):
            return "fhir-bulk"
        return "records-dir"
    name = p.name.lower()
    if name.endswith(LINE_SUFFIXES):
        return "fhir-bulk" if _is_fhir_line(p) else "ndjson"
    if name.endswith(".json"):
        return "json"
    if name.endswith(".parquet"):
        return "event-tables"
    if name.endswith((".duckdb", ".ddb")):
        return "omop"
    return "auto"  # a missing file, too: reading it gives its one ERROR row


def resolve(inputs: Iterable[Input | str | os.PathLike], kind: str | None = None) -> list[Input]:
    """Inputs with their kinds settled: an explicit kind (``--input-kind``) wins over detection."""
    if kind is not None and kind not in KINDS:
        raise InputUnavailable(f"unknown input kind `{kind}` (known: {', '.join(k for k in KINDS if k != 'records')})")
    out = []
    for item in inputs:
        inp = item if isinstance(item, Input) else Input(os.fspath(item))
        if inp.records is not None:
            out.append(attrs.evolve(inp, kind="records"))
        else:
            found = inp.kind or kind or detect(inp.path)
            path = inp.path[len(OMOP_SCHEME):] if inp.path.startswith(OMOP_SCHEME) else inp.path
            out.append(attrs.evolve(inp, path=path, kind=found))
    if sum(1 for i in out if i.path == STDIN and i.records is None) > 1:
        raise InputUnavailable("stdin (`-`) can be given only once")
    return out
