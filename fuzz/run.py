"""The fuzz loop: inputs run in a worker process (memory bounded) each under a time bound; findings saved."""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import random
import signal
import time
import traceback
from decimal import Decimal
from pathlib import Path

from .mutate import mutate_criteria, mutate_record

ROOT = Path(__file__).resolve().parent.parent
FINDINGS = Path(__file__).resolve().parent / "findings"
TRIAL = ROOT / "trials" / "ssc_telitacicept.elig"
PATIENTS = ROOT / "trials" / "patients"
ANCHORS = {"screening": "2025-09-11", "first_dose": "2025-09-20"}
MEMORY_BYTES = 2 * 1024**3
SECONDS_PER_KB = 0.5  # the time bound: linear in the input's size
MIN_SECONDS = 5.0


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


def _library_errors():
    from eligibility_dsl.diagnostics import CompileError
    from eligibility_dsl.records.binder import InputError
    from eligibility_dsl.records.jsonread import JSONProblem
    return (CompileError, InputError, JSONProblem)


def _criteria_corpus() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted((ROOT / "trials").rglob("*.elig"))]


def _check_criteria(text: str) -> None:
    from eligibility_dsl import compile_source
    compile_source(text, "fuzz.elig")


_TRIAL = None


def _check_record(text: str) -> None:
    """A record the strict reader or the binder refuses is never evaluated; an accepted one is decided."""
    global _TRIAL
    from eligibility_dsl import compile_source
    from eligibility_dsl.language.loader import file_loader
    from eligibility_dsl.records import jsonread
    from eligibility_dsl.records.binder import RecordError
    if _TRIAL is None:
        _TRIAL = compile_source(TRIAL.read_text(encoding="utf-8"), str(TRIAL), file_loader)
    _check_stream(text)
    try:
        raw = jsonread.loads(text)
    except jsonread.JSONProblem:
        return
    try:
        bound = _TRIAL.bind(raw)
    except RecordError:
        return
    decision = _TRIAL.evaluate_bound(bound, _TRIAL.parse_anchors(ANCHORS), trace="full")
    from eligibility_dsl.explain.render import render_text
    render_text(decision, "full", 100, _TRIAL.checked)


def _check_stream(text: str) -> None:
    """The incremental list reader (records/jsonstream.py) agrees with the strict reader on a list holding
    the input twice: the same records when the list is strict JSON, else at least one problem item."""
    import os
    import tempfile

    from eligibility_dsl.records import jsonread, jsonstream
    listed = "[" + text + ",\n" + text + "]"
    try:
        expected = jsonread.loads(listed)
    except jsonread.JSONProblem:
        expected = None
    fd, path = tempfile.mkstemp(suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogatepass") as f:
            f.write(listed)
        try:
            items = list(jsonstream.read_records(path).items)
        except jsonread.JSONProblem:  # e.g. not UTF-8 (a lone surrogate): refused whole, as the strict reader
            items = None
    finally:
        os.unlink(path)
    if expected is not None and items != expected:
        raise AssertionError(f"jsonstream read {items!r:.200} where the strict reader read {expected!r:.200}")
    if expected is None and items is not None and not any(isinstance(i, jsonstream.ReadProblem) for i in items):
        raise AssertionError(f"jsonstream read {items!r:.200} from a list the strict reader refuses")


def _worker(target: str, jobs, results) -> None:
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    signal.signal(signal.SIGALRM, _alarm)
    check = _check_criteria if target == "criteria" else _check_record
    library = _library_errors()
    while (text := jobs.get()) is not None:
        bound = max(MIN_SECONDS, SECONDS_PER_KB * len(text) / 1024)
        signal.setitimer(signal.ITIMER_REAL, bound)
        try:
            check(text)
            verdict = None
        except library:
            verdict = None
        except Hang:
            verdict = f"hang: no answer within {bound:.1f} s"
        except MemoryError:
            verdict = "memory: over the worker's memory bound"
        except BaseException:  # the point: anything that is not the library's own error
            verdict = "crash:\n" + traceback.format_exc(limit=8)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        results.put(verdict)


def _save(target: str, text: str, verdict: str, findings: Path) -> Path:
    findings.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    path = findings / f"{target}-{digest}.{'elig' if target == 'criteria' else 'json'}"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    path.with_suffix(path.suffix + ".txt").write_text(verdict, encoding="utf-8")
    return path


def fuzz(target: str, seconds: float, seed: int, findings: Path = FINDINGS, max_inputs: int | None = None) -> dict:
    """Fuzz ``target`` ("criteria" or "records") for ``seconds`` (or ``max_inputs``); returns statistics."""
    rng = random.Random(seed)
    if target == "criteria":
        corpus = _criteria_corpus()
        def make() -> str:
            return mutate_criteria(rng.choice(corpus), corpus, rng)
    else:
        seeds = [json.loads(p.read_text(encoding="utf-8"), parse_float=Decimal)
                 for p in sorted(PATIENTS.glob("*.json"))]
        def make() -> str:
            return mutate_record(rng.choice(seeds), rng)
    ctx = mp.get_context("fork")
    jobs, results = ctx.Queue(), ctx.Queue()
    worker = ctx.Process(target=_worker, args=(target, jobs, results), daemon=True)
    worker.start()
    start, count, saved = time.monotonic(), 0, []
    try:
        while time.monotonic() - start < seconds and (max_inputs is None or count < max_inputs):
            text = make()
            jobs.put(text)
            try:
                verdict = results.get(timeout=max(MIN_SECONDS, SECONDS_PER_KB * len(text) / 1024) + 30)
            except Exception:  # the worker died (memory, a signal): a finding; restart it
                verdict = f"worker died (exit code {worker.exitcode})"
                worker.kill()
                worker = ctx.Process(target=_worker, args=(target, jobs, results), daemon=True)
                worker.start()
            count += 1
            if verdict is not None:
                saved.append(str(_save(target, text, verdict, findings)))
    finally:
        jobs.put(None)
        worker.join(5)
        if worker.is_alive():
            worker.kill()
    elapsed = time.monotonic() - start
    return {"target": target, "seed": seed, "inputs": count, "seconds": round(elapsed, 1),
            "inputs_per_second": round(count / elapsed, 2) if elapsed else 0.0, "findings": saved}
