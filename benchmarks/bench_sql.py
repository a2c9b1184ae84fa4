"""Benchmark: screening a population with the SQL engines (DuckDB, Spark) and the Python backend.

    python benchmarks/bench_sql.py                                   # DuckDB 100k and 1M, Python 100k
    python benchmarks/bench_sql.py --sizes 100000 1000000 10000000 --spark 1000000 --work /tmp/bench
                                                                     # the issue's run (disk: ~0.2 GB per 1M)
    python benchmarks/bench_sql.py --sizes 2000 --python 500 --spark 0   # smoke run (CI)

The trial: trials/ssc_telitacicept.elig, all 20 criteria (were a construct not compiled by the SQL backend,
the script would print the located diagnostics and run *the trial restricted to the criteria it compiles* on
every engine, so the engines decide the same criteria, and say which were left out).  It also says how many
of the distinct records the compiled query leaves to the Python engine (DEFER, docs/event_tables.md).

The cohort: ``--base`` distinct records from the seeded generator of tests/cohort.py (the SSc base record with
0-3 per-criterion patches, random birth dates, 3% missing facts, 1% broken records, which the Python engine
reports as ERROR rows and which are left out of the tables), bound once and loaded into the event tables
(docs/event_tables.md), then replicated with fresh patient ids up to each size and written as Parquet.  Each
measurement runs in a fresh process: wall time from opening the tables to the attrition table (every row
decided, decoded into a result row and counted), patients per second, and the process's peak RSS.  DuckDB
runs with 2 threads; the Python backend reads the same records as NDJSON with ``--jobs 2``.  No assertions on
timings: the table is for people.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # the cohort generator the screening tests use
try:
    import eligibility_dsl.screening  # noqa: F401
except ImportError:  # not installed: use the checkout this file lives in
    sys.path.insert(0, str(REPO))
import cohort  # noqa: E402

from eligibility_dsl.api import compile_file, compile_source  # noqa: E402
from eligibility_dsl.backends.sql import SqlCompileError, compile_trial  # noqa: E402
from eligibility_dsl.language.loader import file_loader  # noqa: E402

TRIAL = REPO / "trials" / "ssc_telitacicept.elig"


def anchors(trial):
    return trial.parse_anchors(cohort.ANCHORS)


def sql_trial():
    """The SSc trial restricted to the criteria the SQL backend compiles, and the diagnostics for the rest."""
    full = compile_file(TRIAL)
    try:
        compile_trial(full.checked, anchors(full))
        return full, [], []
    except SqlCompileError as err:
        diagnostics = str(err).splitlines()
        dropped = sorted({m for d in err.diagnostics for m in re.findall(r"criterion `([^`]+)`", d.message)})
    text = TRIAL.read_text(encoding="utf-8")
    blocks = re.split(r"(?m)^(?=(?:include|exclude) )", text)
    kept = [b for b in blocks if not (m := re.match(r"(?:include|exclude) (\S+)", b)) or m.group(1) not in dropped]
    trial = compile_source("".join(kept), str(TRIAL), file_loader)
    return trial, dropped, diagnostics


def build_tables(trial, base: int, directory: Path, size: int, base_records: Path) -> None:
    """Bind ``base`` generated records, replicate them to ``size`` patients, write the event tables.  Written
    copy by copy (one Parquet row group each): memory holds the base tables and one copy, whatever the size."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from eligibility_dsl.backends.sql.schema import Tables
    from eligibility_dsl.records.binder import RecordError

    tables = Tables()
    k = 0
    with open(base_records, encoding="utf-8") as f:
        for line in f:
            try:
                bound = trial.bind(json.loads(line))
            except RecordError:
                continue
            tables.add(bound.id or f"p{k}", k, bound, trial.checked.facts)
            k += 1
    arrow = tables.arrow()
    copies = -(-size // k)
    partial = directory.with_name(directory.name + ".partial")
    partial.mkdir(parents=True, exist_ok=True)
    for name, table in arrow.items():
        with pq.ParquetWriter(partial / f"{name}.parquet", table.schema) as writer:
            for c in range(copies):
                t = table
                if name == "patients":
                    t = t.filter(pc.less(t["position"], size - c * k)) if (c + 1) * k > size else t
                    t = t.set_column(t.schema.get_field_index("position"), "position",
                                     pc.add(t["position"], pa.scalar(c * k, pa.int64())))
                t = t.set_column(t.schema.get_field_index("patient_id"), "patient_id",
                                 pc.binary_join_element_wise(t["patient_id"], pa.scalar(f"{c}"), "#"))
                writer.write_table(t)
    partial.rename(directory)  # complete tables only: an interrupted build is redone, never half-read


def deferred(trial, base_records: Path) -> tuple[int, int]:
    """(left to the Python engine, bound) among the distinct records: the patients the compiled query leaves to
    the Python engine inside the SQL engines (DEFER: docs/event_tables.md), a share the replicated sizes keep."""
    from eligibility_dsl.backends.sql import execute as X
    from eligibility_dsl.backends.sql.schema import Tables
    from eligibility_dsl.records.binder import RecordError

    tables, k = Tables(), 0
    with open(base_records, encoding="utf-8") as f:
        for line in f:
            try:
                bound = trial.bind(json.loads(line))
            except RecordError:
                continue
            k += tables.add(str(k), k, bound, trial.checked.facts)
    con = X.duckdb_connection(2)
    X.load_arrow_duckdb(con, tables.arrow())
    rows = X.run_duckdb(con, compile_trial(trial.checked, anchors(trial)))
    return sum("DEFER" in statuses for _, _, statuses, _ in rows), k


def child(engine: str, source: str, jobs: int) -> None:
    """One measurement, in this (fresh) process: print a JSON line."""
    from eligibility_dsl.screening.attrition import Attrition
    from eligibility_dsl.screening.engines import ENGINES, Plan
    from eligibility_dsl.screening.inputs import Input

    trial, _, _ = sql_trial()
    kind = "ndjson" if source.endswith(".ndjson") else "event-tables"
    plan = Plan(trial, anchors(trial), (Input(source, kind),), jobs=jobs, batch_size=4096)
    start = time.perf_counter()
    eng = ENGINES[engine]
    eng.check(plan)
    table = Attrition.for_trial(trial)
    n = 0
    for batch in eng.batches(plan, 0):
        table.add(batch.rows)
        n += len(batch.rows)
    seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, _live_children_peak_mib())
    peak = rss + kids if engine == "spark" else max(rss, kids)  # Spark: the Python driver and its JVM together
    print(json.dumps({"engine": engine, "patients": n, "seconds": seconds, "peak_mib": peak,
                      "eligible": table.to_dict()["steps"][-1] if table.to_dict().get("steps") else None},
                     default=str))


def _live_children_peak_mib() -> float:
    """The largest peak resident memory (VmHWM) of this process's running children: Spark's JVM, which
    RUSAGE_CHILDREN does not count until it exits (0 where /proc is not there)."""
    import os

    peak = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            if ppid != os.getpid():
                continue
            for line in (stat.parent / "status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024)
        except (OSError, ValueError, IndexError):
            continue
    return peak


def measure(engine: str, source: Path, jobs: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", engine, str(source), str(jobs)],
                         capture_output=True, text=True, check=False)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        text = (out.stderr or out.stdout).strip().splitlines()
        errors = [ln for ln in text if "Error" in ln or "error" in ln][-1:] or text[-1:]  # the message, not a URL
        return {"engine": engine, "error": errors}
    return json.loads(lines[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000], help="DuckDB cohort sizes")
    ap.add_argument("--python", type=int, default=100_000, help="Python backend cohort size (0: skip)")
    ap.add_argument("--spark", type=int, default=0, help="Spark cohort size (0: skip; the issue's run: 1000000)")
    ap.add_argument("--base", type=int, default=10_000, help="distinct generated records")
    ap.add_argument("--work", type=Path, help="keep the generated tables here (reused by later runs)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return
    trial, dropped, diagnostics = sql_trial()
    print(f"trial: {TRIAL.name}, {len(trial.criteria)} criteria on every engine", flush=True)
    if dropped:
        print(f"left out (the SQL backend does not compile them yet): {', '.join(dropped)}")
        for d in diagnostics:
            print(f"  {d}")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        base = min(args.base, max([*args.sizes, args.python, args.spark]))
        base_records = work / f"base-{base}.ndjson"
        if not base_records.exists():
            cohort.write_ndjson(base_records, cohort.ssc_cohort(base, seed=0))
        left, bound = deferred(trial, base_records)
        print(f"left to the Python engine inside the SQL engines: {left:,} of {bound:,} distinct records "
              f"({100 * left / max(bound, 1):.2f}%)", flush=True)
        runs = [("duckdb", n) for n in args.sizes] + ([("spark", args.spark)] if args.spark else [])
        for engine, n in runs:
            directory = work / f"tables-{base}-{n}"
            if not directory.exists():
                build_tables(trial, base, directory, n, base_records)
            results.append({"size": n, **measure(engine, directory, 2)})
            print(_line(results[-1]), flush=True)
        if args.python:
            records = work / f"python-{args.python}.ndjson"
            if not records.exists():
                cohort.write_ndjson(records, cohort.ssc_cohort(args.python, seed=0))
            results.append({"size": args.python, **measure("python", records, 2)})
            print(_line(results[-1]), flush=True)
    print()
    print(_table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str) + "\n", encoding="utf-8")


_ENGINES = {"duckdb": "DuckDB, 2 threads", "spark": "Spark `local[2]`", "python": "Python, `--jobs 2`"}


def _table(results: list[dict]) -> str:
    """The results as one Markdown table (the README's)."""
    lines = ["| engine | patients | time to the attrition table | patients/s | peak memory |",
             "| --- | --- | --- | --- | --- |"]
    for r in results:
        name = _ENGINES.get(r["engine"], r["engine"])
        if "error" in r:
            lines.append(f"| {name} | {r['size']:,} | failed: {' '.join(r['error'])} | | |")
            continue
        rate = r["patients"] / r["seconds"] if r["seconds"] else float("inf")
        peak = f"{r['peak_mib']:,.0f} MiB" + (" (Python and the JVM)" if r["engine"] == "spark" else "")
        lines.append(f"| {name} | {r['patients']:,} | {r['seconds']:,.1f} s | {rate:,.0f} | {peak} |")
    return "\n".join(lines)


def _line(r: dict) -> str:
    if "error" in r:
        return f"{r['engine']:>7} {r['size']:>10,} patients: failed: {r['error']}"
    rate = r["patients"] / r["seconds"] if r["seconds"] else float("inf")
    return (f"{r['engine']:>7} {r['patients']:>10,} patients {r['seconds']:>8.1f} s {rate:>10,.0f} patients/s "
            f"peak {r['peak_mib']:>7,.0f} MiB")


if __name__ == "__main__":
    main()
