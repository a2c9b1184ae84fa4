"""`elig eval FILE PATIENT.json... --anchor NAME=DATE`: decide records and explain the decisions.

Output, one decision per patient as it is decided (a batch streams):

- ``--format text`` (the default): the chosen view (``--explain summary|fails|full|worklist``), wrapped to
  the terminal's width and coloured on a terminal (``NO_COLOR`` respected);
- ``--format json``: the decision record of each patient (``elig schema decision``), one per line (JSON
  Lines), with the trace at the chosen view: ``summary`` and ``worklist`` keep each criterion's summary,
  evidence and windows, ``fails`` adds the trace trees of the criteria that failed, ``full`` every tree;
- ``--format markdown`` / ``--format html``: the report (HTML is self-contained: no network resources).

``--output-dir DIR`` writes one file per patient instead (``<record id>.json|md|html``), ``--log FILE``
appends every decision record to a hash-chained decision log, and ``--exit-code`` makes the exit status
say the outcome (0 ELIGIBLE, 3 INELIGIBLE, 4 INDETERMINATE; for several patients the highest).
``--fast`` stops at the first decisive criterion; the criteria after it are NOT_EVALUATED, and every view
(``full`` included) shows the criteria that were evaluated, with their traces.

Input streams too: a PATIENT file that is a JSON array of records, or JSON Lines (``*.jsonl``, ``*.ndjson``, or
a first line that is a whole record), is read one record at a time (records/jsonstream.py), so the first
decision is written before the last record is read. A record that is not strict JSON or does not fit the
patient model is an ``error:`` line on standard error naming its place; the next record is still decided,
and the exit status is then 2.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import os
import re
import sys
from collections.abc import Iterator
from typing import Any

from ..explain.canonical import CanonicalError
from ..explain.html import record_html
from ..explain.log import DecisionLog, LogError
from ..explain.markdown import record_markdown
from ..explain.record import RecordBuilder
from ..explain.render import render_text
from ..explain.views import VIEWS
from ..records import jsonread, jsonstream
from ..records.binder import RecordError
from . import present
from .common import InputProblem, parse_anchors
from .trialfile import add_lib_path, compile_trial

# --exit-code: distinct from 1 (the criteria have errors) and 2 (the input does not fit).
EXIT_CODES = {"ELIGIBLE": 0, "INELIGIBLE": 3, "INDETERMINATE": 4}
_SUFFIX = {"json": "json", "markdown": "md", "html": "html", "text": "txt"}


def add_parser(sub) -> None:
    ev = sub.add_parser("eval", help="evaluate a criteria file against patient records and explain the decision")
    ev.add_argument("file", metavar="FILE")
    ev.add_argument("patients", nargs="+", metavar="PATIENT.json", help="a record, or a JSON list of records")
    ev.add_argument("--anchor", action="append", default=[], metavar="NAME=DATE",
                    help="a reference date the trial declares, e.g. screening=2025-09-11 (repeatable)")
    ev.add_argument("--format", choices=("text", "json", "markdown", "html"), default="text",
                    help="text (the default), json (the decision record, one per line), markdown, html (a "
                         "self-contained report)")
    ev.add_argument("--explain", choices=VIEWS, default="summary",
                    help="summary: one sentence per criterion; fails: only what made the patient ineligible or "
                         "undecided, with its trace; full: every sub-expression with its value; worklist: what "
                         "to find to decide an INDETERMINATE patient")
    ev.add_argument("--fast", action="store_true",
                    help="stop at the first decisive criterion (the rest are NOT_EVALUATED; views show the "
                         "criteria evaluated)")
    ev.add_argument("--exit-code", action="store_true",
                    help="exit 0 if ELIGIBLE, 3 if INELIGIBLE, 4 if INDETERMINATE (several patients: the highest)")
    ev.add_argument("--output-dir", metavar="DIR", help="write one file per patient into DIR instead of printing")
    ev.add_argument("--log", metavar="FILE", help="append each decision record to this decision log (JSON Lines, "
                                                  "hash-chained; check it with `elig verify --log FILE`)")
    ev.add_argument("--evaluated-at", metavar="TIME",
                    help="the evaluation time kept in each record's metadata (ISO 8601; default: now, UTC)")
    fhir = ev.add_argument_group("FHIR R4 input (docs/fhir.md)")
    fhir.add_argument("--fhir", action="store_true",
                      help="each PATIENT is a FHIR Bundle (.json) or a Bulk Data directory of .ndjson files")
    fhir.add_argument("--complete-from", metavar="DATE", help="the export is complete from DATE (default: since "
                      "birth, when --complete-to is given)")
    fhir.add_argument("--complete-to", metavar="DATE", help="the export is complete up to DATE (e.g. its date)")
    fhir.add_argument("--coverage-policy", choices=("none", "stated", "first-encounter"), default=None,
                      help="none: absence is unknown (the default without --complete-to); stated: the period of "
                      "--complete-from/--complete-to; first-encounter: from the first encounter to --complete-to "
                      "(or the bundle's timestamp)")
    fhir.add_argument("--complete", action="append", default=[], metavar="COLLECTION",
                      help="state coverage for this collection only (repeatable; default: every collection "
                      "the adapter fills)")
    add_lib_path(ev)
    ev.set_defaults(run=run)


def _records(path: str, args: argparse.Namespace | None = None) -> tuple[Iterator[Any], bool]:
    """The file's records, read one at a time (records/jsonstream.py): a list is never held whole; a record
    that is not strict JSON is a ReadProblem item at its place."""
    if args is not None and args.fhir:
        return iter(_fhir_records(path, args)), True
    try:
        found = jsonstream.read_records(path)
    except jsonread.JSONProblem as err:
        raise InputProblem(str(err)) from None
    return found.items, found.is_list


def _file_name(record: dict, path: str, position: int | None, suffix: str, taken: set[str]) -> str:
    rid = record["content"]["record"]["id"]
    stem = rid or os.path.splitext(os.path.basename(path))[0] + (f"-{position}" if position is not None else "")
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "record"
    name, n = f"{stem}.{suffix}", 1
    while name in taken:
        n += 1
        name = f"{stem}-{n}.{suffix}"
    taken.add(name)
    return name


def _fhir_records(path: str, args: argparse.Namespace) -> list[Any]:
    from pathlib import Path

    from ..records.fhir import CoveragePolicy, read_bulk, read_bundle

    policy_name = args.coverage_policy or ("stated" if args.complete_to else "none")
    collections = args.complete or None
    try:
        if policy_name == "stated":
            if not args.complete_to:
                raise InputProblem("`--coverage-policy stated` needs `--complete-to DATE`")
            policy = CoveragePolicy.period(args.complete_from, args.complete_to, collections)
        elif policy_name == "first-encounter":
            policy = CoveragePolicy.first_encounter(args.complete_to, collections)
        else:
            policy = CoveragePolicy.none()
    except ValueError as err:
        raise InputProblem(str(err)) from None
    records = read_bulk(path, coverage=policy) if Path(path).is_dir() else read_bundle(path, coverage=policy)
    for record in records:
        for problem in record.get("problems", ()):
            if not problem.get("fatal"):
                print(f"note: {record['id']}: {problem['path']}: {problem['message']}", file=sys.stderr)
    return records


def run(args: argparse.Namespace) -> int:
    trial = compile_trial(args.file, args)
    batch = _Batch(args, trial, trial.parse_anchors(parse_anchors(args.anchor)))
    _escape_unencodable(sys.stdout)
    if args.output_dir:
        os.makedirs(args.output_dir, exist_ok=True)
    if args.format == "html" and not args.output_dir and len(args.patients) > 1:
        raise InputProblem(_ONE_HTML)
    bad = 0
    for path in args.patients:
        records, is_list = _records(path, args)
        if args.format == "html" and not args.output_dir:
            records = _at_most_one(records)
        for index, raw in enumerate(records):
            problem = batch.decide(path, index if is_list else None, raw)
            if problem is not None:  # this record, not the run: said at its place, and the next one is decided
                bad += 1
                sys.stdout.flush()
                print(f"error: {problem}", file=sys.stderr)
    if bad:
        return 2
    return batch.status if args.exit_code else 0


_ONE_HTML = "an HTML report holds one patient: give one record, or `--output-dir DIR`"


def _at_most_one(records: Iterator[Any]) -> Iterator[Any]:
    first = list(itertools.islice(records, 2))
    if len(first) > 1:
        raise InputProblem(_ONE_HTML)
    return iter(first)


class _Batch:
    """One `elig eval` run: decides records one at a time and writes each one's output as it is decided."""

    def __init__(self, args: argparse.Namespace, trial, anchors) -> None:
        self.args, self.trial, self.anchors = args, trial, anchors
        needs_record = args.format != "text" or args.output_dir or args.log
        self.builder = RecordBuilder(trial.checked) if needs_record else None
        self.log = DecisionLog(args.log) if args.log else None
        self.evaluated_at = args.evaluated_at or datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        self.con = present.console()
        self.taken: set[str] = set()
        self.printed = 0
        self.status = 0  # the highest exit code of the outcomes so far (--exit-code)

    def decide(self, path: str, position: int | None, raw: Any) -> str | None:
        """Decide one record and write its output; the problem that stopped it, if any (a record error)."""
        args = self.args
        where = path if position is None else f"{path} item {position}"
        if isinstance(raw, jsonstream.ReadProblem):
            return raw.message
        try:
            bound = self.trial.bind(raw)
        except RecordError as err:
            where += f" (record `{err.record_id}`)" if err.record_id else ""
            return f"{where} does not fit the patient model:\n" + "\n".join(f"  {issue}" for issue in err.issues)
        decision = self.trial.evaluate_bound(bound, self.anchors, trace="full", fast=args.fast)
        record = None
        if self.builder is not None:
            try:
                record = self.builder.build(decision, raw, view=args.explain, input_file=path, position=position,
                                            metadata={"evaluated_at": self.evaluated_at, "criteria_path": args.file,
                                                      "record_path": path})
            except CanonicalError as err:  # e.g. a lone surrogate: the record has no canonical hash
                return f"{where}: cannot hash the record for its decision record: {err}"
        if self.log is not None:
            try:
                self.log.append(record)
            except (LogError, OSError) as err:
                raise InputProblem(f"cannot append to the decision log `{args.log}`: {err}") from None
        self.status = max(self.status, EXIT_CODES[str(decision.outcome)])
        text = _render(args, decision, record, self.trial, present.width(self.con))
        if args.output_dir:
            name = _file_name(record or {"content": {"record": {"id": decision.record_id}}}, path, position,
                              _SUFFIX[args.format], self.taken)
            with open(os.path.join(args.output_dir, name), "w", encoding="utf-8", errors="backslashreplace") as f:
                f.write(text)
            return None
        if args.format == "text":
            present.write(self.con, ("\n" if self.printed else "") + text)
        else:
            sys.stdout.write(text if args.format == "json" else ("\n---\n\n" if self.printed else "") + text)
        self.printed += 1
        return None


def _escape_unencodable(stream) -> None:
    """A lone surrogate in a record (an id, a text) is printed escaped (``\\udc80``, which JSON reads back as the
    same text), never a UnicodeEncodeError half-way through a batch."""
    if hasattr(stream, "reconfigure"):
        stream.reconfigure(errors="backslashreplace")


def _render(args, decision, record, trial, width: int) -> str:
    if args.format == "text":
        return render_text(decision, args.explain, width, trial.checked)
    if args.format == "json":
        # One record per line when printed (JSON Lines); a file of its own is indented for people.
        if args.output_dir:
            return json.dumps(record, indent=2, ensure_ascii=False) + "\n"
        return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
    if args.format == "markdown":
        return record_markdown(record)
    return record_html(record)
