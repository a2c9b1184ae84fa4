"""The result row: one per input record, whatever happened to it, with a column schema that depends only on the
trial (never on how many inputs were given or which engine ran).

Columns, in this order (documented in docs/screening.md):

    source       the input the record came from (a file path, `-` for stdin, `<records>` from the API)
    position     the record's 0-based place in that source (NDJSON: its line among the non-blank lines;
                 a JSON list: its index; a lone record: 0)
    record_id    the record's `id` (null when it has none or it could not be read)
    outcome      ELIGIBLE | INELIGIBLE | INDETERMINATE | ERROR
    status_<ID>  one per criterion in protocol order: MET | NOT_MET | UNKNOWN (null on an ERROR row)
    reasons      the criteria that made the record INELIGIBLE
    missing      the data that would settle an INDETERMINATE record
    problems     data that could not be compared, as `ID: problem`
    errors       why an ERROR row could not be decided (`path: message`)
    provisional  for an INDETERMINATE record taken before the last anchor (its `as_of` date): the outcome if
                 nothing changes until then (`ELIGIBLE` reads "eligible pending confirmation"), else null
    pending      what to confirm for that provisional outcome to hold (docs/screening_time.md)

The last four are lists: JSON arrays in NDJSON, list<string> in Parquet, a JSON array in a CSV cell (items may
themselves contain commas).  Criterion ids are prefixed (`status_I1`) so that no id can collide with the fixed
columns.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any, NamedTuple

SCHEMA_VERSION = "1"
ERROR = "ERROR"
FIXED_HEAD = ("source", "position", "record_id", "outcome")
FIXED_TAIL = ("reasons", "missing", "problems", "errors", "provisional", "pending")
_LISTS = ("reasons", "missing", "problems", "errors", "pending")


class Row(NamedTuple):
    """One record's result.  A plain tuple so that rows cross process boundaries cheaply; every engine produces
    exactly these fields (``statuses`` in the trial's protocol order, all None on an ERROR row)."""

    source: str
    position: int
    record_id: str | None
    outcome: str
    statuses: tuple[str | None, ...]
    reasons: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    provisional: str | None = None
    pending: tuple[str, ...] = ()

    def values(self) -> list[Any]:
        """The row's cells in column order."""
        return [self.source, self.position, self.record_id, self.outcome, *self.statuses,
                list(self.reasons), list(self.missing), list(self.problems), list(self.errors), self.provisional,
                list(self.pending)]


def error_row(source: str, position: int, errors: tuple[str, ...], n_criteria: int,
              record_id: str | None = None) -> Row:
    return Row(source, position, record_id, ERROR, (None,) * n_criteria, errors=errors)


def columns(criterion_ids: tuple[str, ...] | list[str]) -> list[str]:
    return [*FIXED_HEAD, *(f"status_{c}" for c in criterion_ids), *FIXED_TAIL]


class RowSchema:
    """The columns for one trial and the encoders of each output format (text formats return bytes)."""

    def __init__(self, criterion_ids: tuple[str, ...] | list[str]):
        self.criterion_ids = tuple(criterion_ids)
        self.columns = columns(self.criterion_ids)

    # NDJSON: one compact JSON object per line, keys in column order.
    def ndjson(self, rows: list[Row]) -> bytes:
        cols = self.columns
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        return "".join(dumps(dict(zip(cols, r.values(), strict=True))) + "\n" for r in rows).encode("utf-8")

    # CSV: RFC 4180 quoting, `\n` line ends; null is an empty cell, a list a JSON array.
    def csv_header(self) -> bytes:
        return self._csv([self.columns])

    def csv(self, rows: list[Row]) -> bytes:
        return self._csv([[_csv_cell(v) for v in r.values()] for r in rows])

    @staticmethod
    def _csv(lines: list[list]) -> bytes:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(lines)
        return buf.getvalue().encode("utf-8")

    # Parquet (through Arrow): strings, int64 position, list<string> for the lists.
    def arrow_schema(self, metadata: dict[str, str] | None = None):
        import pyarrow as pa

        fields = [pa.field("source", pa.string(), nullable=False), pa.field("position", pa.int64(), nullable=False),
                  pa.field("record_id", pa.string()), pa.field("outcome", pa.string(), nullable=False)]
        fields += [pa.field(f"status_{c}", pa.string()) for c in self.criterion_ids]
        fields += [pa.field(name, pa.list_(pa.string()), nullable=False) if name in _LISTS
                   else pa.field(name, pa.string()) for name in FIXED_TAIL]
        return pa.schema(fields, metadata=metadata)

    def arrow_table(self, rows: list[Row], schema):
        import pyarrow as pa

        n = len(self.criterion_ids)
        data = [[r.source for r in rows], [r.position for r in rows], [r.record_id for r in rows],
                [r.outcome for r in rows]]
        data += [[r.statuses[i] for r in rows] for i in range(n)]
        data += [[list(r.reasons) for r in rows], [list(r.missing) for r in rows],
                 [list(r.problems) for r in rows], [list(r.errors) for r in rows], [r.provisional for r in rows],
                 [list(r.pending) for r in rows]]
        return pa.Table.from_arrays([pa.array(col, type=f.type) for col, f in zip(data, schema, strict=True)],
                                    schema=schema)

    def to_dict(self, row: Row) -> dict[str, Any]:
        return dict(zip(self.columns, row.values(), strict=True))


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return value
