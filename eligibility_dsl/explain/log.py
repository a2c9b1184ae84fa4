"""The decision log: append-only JSON Lines, each entry carrying the hash of the one before (a hash chain).

Each line is one entry in canonical JSON (RFC 8785)::

    {"seq": 1, "prev": "000…0", "decision": {...a decision record...}}

``prev`` is the sha256 of the previous line's bytes (64 zeros for the first), so changing, removing or
reordering any entry breaks the chain at the entry after it, and each decision record carries its own id and
seal, so altering the last one shows too.  What a hash chain cannot show is a log cut short after its last
entry: keep the head (``elig verify --log`` prints it) somewhere else to check that.

Writers take an exclusive lock on the log file (``fcntl.flock``; the kernel releases it if a writer dies),
read the last entry, and write the new line in one ``write`` on a file opened for appending, then fsync.
A writer that dies mid-line leaves a torn last line.  It is never dropped silently: ``verify`` reports
it, and the next ``append`` seals it first with an entry that names its length and hash, so the damage
stays visible in the chain for good::

    {"seq": 8, "prev": "<hash of entry 7>", "torn": {"after_seq": 7, "bytes": 311, "sha256": "…"}}
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import attrs

from .canonical import canonical_json, load_strict, sha256_hex
from .record import integrity_problems

try:  # POSIX; on other systems writers are not serialised (documented)
    import fcntl
except ImportError:  # pragma: no cover - exercised only on Windows
    fcntl = None

GENESIS = "0" * 64
_BLOCK = 1 << 16

__all__ = ["GENESIS", "DecisionLog", "LogReport", "verify_log"]


class LogError(Exception):
    """A log that cannot be appended to (not a decision log, or a broken last entry)."""


@attrs.frozen
class LogReport:
    """The result of checking a log: ``ok`` when every entry verifies; ``broken`` names the first entry
    that does not (its line and why); ``torn`` a last line a writer left unfinished; ``warnings`` torn
    lines that a later entry sealed."""

    entries: int
    head: str | None  # sha256 of the last complete entry line
    broken: tuple[int, str] | None = None  # (line, what is wrong)
    torn: tuple[int, int] | None = None  # (line, bytes)
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.broken is None and self.torn is None


class DecisionLog:
    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)

    @contextlib.contextmanager
    def locked(self) -> Iterator[Any]:
        """The log file, opened for appending and reading, under an exclusive lock."""
        with open(self.path, "a+b") as f:
            if fcntl is not None:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            try:
                yield f
            finally:
                if fcntl is not None:
                    fcntl.flock(f.fileno(), fcntl.LOCK_UN)

    def append(self, decision: dict) -> dict:
        """Append one decision record; returns the entry written. Seals a torn last line first."""
        with self.locked() as f:
            seq, prev, torn = _tail(f)
            if torn:
                seal = {"seq": seq + 1, "prev": prev,
                        "torn": {"after_seq": seq, "bytes": len(torn), "sha256": sha256_hex(torn)}}
                line = canonical_json(seal)
                _write(f, b"\n" + line + b"\n")
                seq, prev = seq + 1, sha256_hex(line)
            entry = {"seq": seq + 1, "prev": prev, "decision": decision}
            _write(f, canonical_json(entry) + b"\n")
            return entry


def _write(f, data: bytes) -> None:
    fd = f.fileno()
    view = memoryview(data)
    while view:  # O_APPEND: every write goes to the end, whatever others did
        written = os.write(fd, view)
        view = view[written:]
    os.fsync(fd)


def _tail(f) -> tuple[int, str, bytes]:
    """(seq of the last complete entry, its line's hash, the torn bytes after it) of the open log."""
    f.seek(0, os.SEEK_END)
    size = f.tell()
    if size == 0:
        return 0, GENESIS, b""
    # Read backwards until the last complete line (and what follows it) is in hand.
    data, pos = b"", size
    while True:
        step = min(_BLOCK, pos)
        pos -= step
        f.seek(pos)
        data = f.read(step) + data
        body_end = data.rfind(b"\n")
        if body_end >= 0 and (data.rfind(b"\n", 0, body_end) >= 0 or pos == 0):
            break
        if pos == 0:
            return 0, GENESIS, data  # no complete line: everything is torn
    torn = data[body_end + 1:]
    start = data.rfind(b"\n", 0, body_end) + 1
    line = data[start:body_end]
    try:
        entry = load_strict(line.decode("utf-8"))
        seq = entry["seq"]
        if not isinstance(seq, int):
            raise TypeError
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise LogError(f"`{f.name}` does not end with a decision log entry: run `elig verify --log` on it") from None
    return seq, sha256_hex(line), torn


def _lines(path: str) -> Iterator[tuple[int, bytes, bool]]:
    """(line number, bytes, complete) for each line, streaming."""
    with open(path, "rb") as f:
        number, rest = 0, b""
        for block in iter(lambda: f.read(_BLOCK), b""):
            rest += block
            *complete, rest = rest.split(b"\n")
            for line in complete:
                number += 1
                yield number, line, True
        if rest:
            yield number + 1, rest, False


def _entry(line: bytes) -> tuple[dict | None, str | None]:
    try:
        entry = load_strict(line.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        return None, f"not a JSON entry ({err})"
    if not isinstance(entry, dict):
        return None, "not a JSON object"
    if canonical_json(entry) != line:
        return None, "not in canonical form: it was edited after it was written"
    return entry, None


def verify_log(path: str | os.PathLike) -> LogReport:
    """Check the whole chain: every line canonical JSON, ``seq`` counting up from 1, ``prev`` the hash of
    the line before, every decision record intact. Names the first entry that fails."""
    path = os.fspath(path)
    prev, seq, count, warnings = GENESIS, 0, 0, []
    pending: tuple[int, bytes] | None = None  # an unreadable line, until the next entry seals it (or not)
    for number, line, complete in _lines(path):
        if not complete:
            return LogReport(count, prev if count else None, torn=(number, len(line)), warnings=tuple(warnings))
        entry, problem = _entry(line)
        if pending is not None:
            torn = (entry or {}).get("torn")
            if not (isinstance(torn, dict) and torn.get("after_seq") == seq
                    and torn.get("sha256") == sha256_hex(pending[1]) and torn.get("bytes") == len(pending[1])):
                return LogReport(count, prev, broken=(pending[0], "not a JSON entry, and no later entry seals it "
                                                                  "as a torn line"), warnings=tuple(warnings))
            warnings.append(f"line {pending[0]}: a torn entry ({len(pending[1])} bytes; a writer stopped "
                            f"mid-line), sealed by line {number}")
            pending = None
        if entry is None:
            if problem.startswith("not a JSON"):  # perhaps a torn line: the next entry may seal it
                pending = (number, line)
                continue
            return LogReport(count, prev, broken=(number, problem), warnings=tuple(warnings))
        if entry.get("seq") != seq + 1:
            return LogReport(count, prev, broken=(number, f"`seq` is {entry.get('seq')!r}, expected {seq + 1}: an "
                                                          "entry was removed, repeated or reordered"),
                             warnings=tuple(warnings))
        if entry.get("prev") != prev:
            where = "the start of the log" if seq == 0 else f"line {number - 1}"
            return LogReport(count, prev, broken=(number - 1 if seq else number,
                             f"line {number} records `prev` {entry.get('prev')}, but {where} hashes to {prev}: "
                             f"{'that entry' if seq else 'the first entry'} was altered or replaced"),
                             warnings=tuple(warnings))
        if "torn" not in entry:
            if set(entry) != {"seq", "prev", "decision"}:
                return LogReport(count, prev, broken=(number, "an entry holds `seq`, `prev` and `decision` only"),
                                 warnings=tuple(warnings))
            problems = integrity_problems(entry["decision"])
            if problems:
                return LogReport(count, prev, broken=(number, "; ".join(problems)), warnings=tuple(warnings))
        prev, seq, count = sha256_hex(line), entry["seq"], count + 1
    if pending is not None:
        return LogReport(count, prev, broken=(pending[0], "not a JSON entry"), warnings=tuple(warnings))
    return LogReport(count, prev if count else None, warnings=tuple(warnings))
