"""`elig screen TRIAL INPUT... --anchor NAME=DATE --out results.parquet`: screen a population.

One row per input record, whatever happens (see docs/screening.md for the columns); `--resume` finishes a run
that was interrupted, even by `kill -9`; `--attrition FORMAT FILE` writes the CONSORT table.
"""

from __future__ import annotations

import argparse
import sys

from ..screening import (
    ENGINES,
    KINDS,
    EngineUnavailable,
    InputUnavailable,
    OutputProblem,
    ScreenProblem,
    WorkerFailure,
    screen,
    screen_stream,
    write_attrition,
)
from ..screening.run import CHUNK_UNITS
from .common import InputProblem, parse_anchors
from .trialfile import add_lib_path, compile_trial


def add_parser(sub) -> None:
    sc = sub.add_parser("screen", help="screen many records: one result row each, progress, resumable",
                        description="Screen a population: one result row per input record (errors included), "
                                    "written in committed chunks so that --resume finishes an interrupted run.")
    sc.add_argument("trial", metavar="TRIAL", help="the criteria file")
    sc.add_argument("inputs", nargs="+", metavar="INPUT",
                    help="NDJSON of records, a JSON file (a record, a list, a FHIR Bundle), a directory of record "
                         "files, FHIR Bulk Data NDJSON, event tables, an OMOP database; `-` reads stdin")
    sc.add_argument("--anchor", action="append", default=[], metavar="NAME=DATE",
                    help="a reference date the trial declares, e.g. screening=2025-09-11 (repeatable)")
    sc.add_argument("--out", metavar="FILE",
                    help="results.parquet, results.ndjson or results.csv (default: NDJSON on stdout)")
    sc.add_argument("--format", choices=("parquet", "ndjson", "csv"), help="the output format, if not by --out's name")
    sc.add_argument("--engine", choices=tuple(ENGINES), default="python", help="what evaluates the trial")
    sc.add_argument("--jobs", type=int, default=1, metavar="N", help="worker processes (output order is kept)")
    sc.add_argument("--resume", action="store_true", help="finish an interrupted run into the same --out")
    sc.add_argument("--input-kind", choices=tuple(k for k in KINDS if k != "records"),
                    help="read every INPUT as this kind instead of detecting it")
    sc.add_argument("--attrition", nargs=2, action="append", default=[], metavar=("FORMAT", "FILE"),
                    help="write the attrition (CONSORT) table: FORMAT text, json or svg; FILE `-` for stdout "
                         "(repeatable)")
    sc.add_argument("--chunk-size", type=int, default=CHUNK_UNITS, metavar="N",
                    help=f"input units per committed chunk (default {CHUNK_UNITS})")
    sc.add_argument("--quiet", action="store_true", help="no progress bar and no summary line")
    add_lib_path(sc)
    sc.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    anchors = parse_anchors(args.anchor)
    for fmt, path in args.attrition:
        if fmt not in ("text", "json", "svg"):
            raise InputProblem(f"`--attrition {fmt}`: the format is text, json or svg")
        if path == "-" and not args.out:
            raise InputProblem("`--attrition ... -` needs --out: without it, stdout holds the result rows")
    if args.out is None and args.resume:
        raise InputProblem("--resume needs --out: a run into stdout cannot be resumed")
    trial = compile_trial(args.trial, args)
    progress = False if args.quiet else None
    try:
        if args.out is None:
            summary = screen_stream(trial, args.inputs, anchors, sys.stdout.buffer, engine=args.engine,
                                    jobs=args.jobs, input_kind=args.input_kind, show_progress=progress)
        else:
            summary = screen(trial, args.inputs, anchors, out=args.out, format=args.format,
                             engine=args.engine, jobs=args.jobs, resume=args.resume,
                             input_kind=args.input_kind, chunk_size=max(1, args.chunk_size),
                             show_progress=progress)
    except (ScreenProblem, EngineUnavailable, InputUnavailable, OutputProblem, WorkerFailure) as err:
        raise InputProblem(str(err)) from None
    except KeyboardInterrupt:
        if args.out:
            print(f"\ninterrupted: what was committed is kept; run the same command with --resume to finish "
                  f"`{args.out}`", file=sys.stderr)
        return 130
    for fmt, path in args.attrition:
        write_attrition(summary, trial, trial.parse_anchors(anchors), fmt, path)
    if not args.quiet:
        counts = " · ".join(f"{k} {v:,}" for k, v in summary.outcomes.items())
        resumed = f" ({summary.resumed_from:,} from the interrupted run)" if summary.resumed_from else ""
        where = f" → {summary.out}" if summary.out else ""
        print(f"screened {summary.records:,} records{resumed} in {summary.seconds:.1f} s "
              f"({summary.rate:,.0f} records/s): {counts}{where}", file=sys.stderr)
    return 0
