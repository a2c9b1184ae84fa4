"""Record files read incrementally: a JSON array of records, or JSON Lines, one record at a time.

``elig eval`` decides the first record of a 10,000-record list before it has read the second: this module
cuts the file into records as it reads it, in chunks of ``CHUNK`` bytes, and decodes each record with the
strict reader (records/jsonread.py: duplicate keys, NaN and deep nesting refused). Memory holds one record
and one chunk, never the list.

What a file is, from its name and first bytes:

- ``*.jsonl`` / ``*.ndjson``, or a first line that is a whole JSON object with more text after it: JSON
  Lines, one record per non-blank line;
- a first character ``[``: a JSON array, cut into its elements by a bracket-and-string scanner;
- anything else: one record, read whole (as ``jsonread.load_file``).

A record that is not strict JSON is a :class:`ReadProblem` at its place (``path:line:col``) and reading goes
on with the next record. A break in the array's own structure (a missing comma, an unclosed bracket, text
after the closing ``]``) is a ReadProblem too, and the last item: what follows cannot be cut into records.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterator
from typing import Any, BinaryIO, NamedTuple

from . import jsonread

CHUNK = 1 << 16  # bytes read at a time
MAX_RECORD_BYTES = jsonread.MAX_BYTES  # one record (one array element, one line) larger than this is refused
MAX_DEPTH = 10_000  # brackets open at once inside one element (jsonread refuses far less; this bounds the scan)
LINE_SUFFIXES = (".jsonl", ".ndjson")

_OUTSIDE = re.compile(rb'["\[\]{},]')  # what changes the scanner's state outside a string
_INSIDE = re.compile(rb'["\\]')  # ... and inside one
_SPACE = b" \t\r\n"
_CLOSER = {ord("{"): ord("}"), ord("["): ord("]")}


class ReadProblem(NamedTuple):
    """An item of a record file that is not a record: the message names the place (``path:line:col``)."""

    message: str


class RecordFile(NamedTuple):
    is_list: bool  # an array or JSON Lines (records have positions), rather than one record
    items: Iterator[Any]  # each a decoded record or a ReadProblem


def open_binary(path: str | os.PathLike) -> BinaryIO:
    """The file, opened for reading bytes; only a regular file (never a device or a FIFO)."""
    try:
        f = open(path, "rb", opener=_nonblocking)  # closed by the reader's generator
    except OSError as err:
        raise jsonread.JSONProblem(f"cannot read `{path}`: {err.strerror or err}") from None
    if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
        f.close()
        raise jsonread.JSONProblem(f"`{path}` is not a regular file")
    return f


def _nonblocking(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def read_records(path: str | os.PathLike) -> RecordFile:
    """The records of one file, read lazily (see the module docstring).

    Raises :class:`jsonread.JSONProblem` when the file cannot be opened or is one record that is not strict
    JSON (as ``jsonread.load_file``); problems inside a list are items, not exceptions.
    """
    source = str(path)
    f = open_binary(path)
    try:
        head = f.read(CHUNK)
        start = len(head) - len(head.lstrip(_SPACE))
        if source.lower().endswith(LINE_SUFFIXES) or _first_line_is_a_record(f, head, start):
            f.seek(0)
            return RecordFile(True, _closing(f, _lines(f, source)))
        if head[start:start + 1] == b"[":
            return RecordFile(True, _closing(f, _ArrayScanner(f, source, head, start + 1).records()))
    except BaseException:
        f.close()
        raise
    f.close()
    return RecordFile(False, iter([jsonread.load_file(path)]))


def _closing(f: BinaryIO, items: Iterator[Any]) -> Iterator[Any]:
    with f:
        yield from items


def _first_line_is_a_record(f: BinaryIO, head: bytes, start: int) -> bool:
    """A first line that is a JSON object on its own, and more than blank text after it: JSON Lines."""
    if head[start:start + 1] != b"{":
        return False
    end = head.find(b"\n", start)
    if end < 0:
        return False  # one line, or a first line longer than a chunk: read as one document
    try:
        first = jsonread.decode(head[start:end])
    except (ValueError, RecursionError, UnicodeDecodeError):
        return False
    rest = head[end:].strip(_SPACE) or f.read(CHUNK).strip(_SPACE)
    return isinstance(first, dict) and bool(rest)


def _decode(text: bytes, source: str, line: int, col: int) -> Any:
    """One record's text, decoded strictly; a ReadProblem placed at ``line:col`` of the file."""
    try:
        return jsonread.decode(text)
    except json.JSONDecodeError as err:
        at_col = err.colno + (col - 1 if err.lineno == 1 else 0)
        return ReadProblem(f"{source}:{line + err.lineno - 1}:{at_col}: invalid JSON: {err.msg.lower()}")
    except jsonread.JSONProblem as err:
        return ReadProblem(f"{source}:{line}:{col}: invalid JSON: {err}")
    except RecursionError:
        return ReadProblem(f"{source}:{line}:{col}: invalid JSON: nested too deeply")
    except UnicodeDecodeError:
        return ReadProblem(f"{source}:{line}: not UTF-8 text")


def _lines(f: BinaryIO, source: str) -> Iterator[Any]:
    line_no = 0
    while True:
        line = f.readline(MAX_RECORD_BYTES + 1)
        if not line:
            return
        line_no += 1
        if len(line) > MAX_RECORD_BYTES:
            yield ReadProblem(f"{source}:{line_no}: a line longer than {MAX_RECORD_BYTES} bytes")
            return
        if line.strip(_SPACE):
            yield _decode(line, source, line_no, 1)


class _ArrayScanner:
    """Cuts a JSON array into its elements' texts, holding at most one element and one chunk."""

    def __init__(self, f: BinaryIO, source: str, head: bytes, pos: int) -> None:
        self.f, self.source = f, source
        self.buf = bytearray(head)
        self.pos = pos  # next byte to look at, in buf
        self.base_line = 1  # line of buf[0]
        self.line_start = 0  # offset in buf of the start of the line holding pos (may be negative)
        self.eof = False

    # -- reading
    def _more(self) -> bool:
        if self.eof:
            return False
        data = self.f.read(CHUNK)
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def _drop(self, upto: int) -> None:
        """Forget ``buf[:upto]`` (already read), keeping the line count."""
        self.base_line += self.buf.count(b"\n", 0, upto)
        newline = self.buf.rfind(b"\n", 0, upto)
        self.line_start = (newline + 1 if newline >= 0 else self.line_start) - upto
        del self.buf[:upto]
        self.pos -= upto

    def _where(self, offset: int) -> tuple[int, int]:
        """(line, column) of ``buf[offset]``, both from 1."""
        newline = self.buf.rfind(b"\n", 0, offset)
        line = self.base_line + self.buf.count(b"\n", 0, offset)
        col = offset - (newline + 1 if newline >= 0 else self.line_start) + 1
        return line, col

    def _problem(self, offset: int, message: str) -> ReadProblem:
        line, col = self._where(offset)
        return ReadProblem(f"{self.source}:{line}:{col}: invalid JSON: {message}")

    def _skip_space(self) -> int | None:
        """The next byte that is not white space (pos moved to it), or None at the end of the file."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _SPACE:
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return None

    # -- cutting
    def records(self) -> Iterator[Any]:
        index = 0
        first = self._skip_space()
        if first == ord("]"):
            self.pos += 1
            yield from self._after_end()
            return
        while True:
            self._drop(self.pos)
            start = self.pos
            if self.buf[start:start + 1] in (b",", b"]"):
                yield self._problem(start, f"expected a record as element {index} of the list")
                return
            end = yield from self._element()
            if end is None:
                return
            line, col = self._where(start)
            yield _decode(bytes(self.buf[start:end]), self.source, line, col)
            index += 1
            self.pos = end
            after = self._skip_space()
            if after == ord(","):
                self.pos += 1
                if self._skip_space() is None:
                    yield self._problem(self.pos, "the list ends without its closing `]`")
                    return
                continue
            if after == ord("]"):
                self.pos += 1
                yield from self._after_end()
                return
            if after is None:
                yield self._problem(self.pos, "the list ends without its closing `]`")
            else:
                yield self._problem(self.pos, f"expected `,` or `]` after element {index - 1} of the list")
            return

    def _element(self) -> Iterator[ReadProblem]:
        """Scan one element from ``pos``; return its end offset (exclusive), or None after yielding why not."""
        start, stack, i = self.pos, [], self.pos
        while True:
            if i - start > MAX_RECORD_BYTES:
                yield self._problem(start, f"a record longer than {MAX_RECORD_BYTES} bytes")
                return None
            match = _OUTSIDE.search(self.buf, i)
            if match is None:
                i = len(self.buf)
                if not self._more():
                    break
                continue
            i, char = match.start(), self.buf[match.start()]
            if char == ord('"'):
                end = yield from self._string(i + 1)
                if end is None:
                    return None
                i = end
                if not stack:
                    return i
            elif char in _CLOSER:
                if len(stack) >= MAX_DEPTH:
                    yield self._problem(start, "nested too deeply")
                    return None
                stack.append(_CLOSER[char])
                i += 1
            elif char in (ord("]"), ord("}")):
                if not stack:
                    return i  # the list's own `]` (or a stray `}`, found when it is read)
                if stack.pop() != char:
                    yield self._problem(i, f"`{chr(char)}` does not close the bracket opened before it")
                    return None
                i += 1
                if not stack:
                    return i
            else:  # a comma
                if not stack:
                    return i
                i += 1
        yield self._problem(len(self.buf), "the list ends without its closing `]`")
        return None

    def _string(self, i: int) -> Iterator[ReadProblem]:
        """The offset after the string's closing quote (``i`` is just after its opening one)."""
        while True:
            match = _INSIDE.search(self.buf, i)
            if match is None or (match.group() == b"\\" and match.start() + 1 >= len(self.buf)):
                i = len(self.buf) if match is None else match.start()
                if not self._more():
                    yield self._problem(len(self.buf), "the file ends inside a text")
                    return None
                continue
            if match.group() == b"\\":
                i = match.start() + 2
                continue
            return match.start() + 1

    def _after_end(self) -> Iterator[ReadProblem]:
        if self._skip_space() is not None:
            yield self._problem(self.pos, "text after the end of the list")
