"""Resuming: after `kill -9` at any moment, `elig screen --resume` finishes the run with nothing lost and
nothing twice, byte-identical to a run that was never interrupted (and with the same attrition table).

The SIGKILL test runs real `elig screen` processes (with --jobs 1 and 2, so worker processes die too) on a
seeded SSc cohort and kills each one, by process group, at seeded random moments: during start-up, once a
random number of rows is committed plus a random delay (which lands anywhere: mid-batch, mid-write,
mid-fsync, mid-rename), and while finishing.  The other tests interrupt runs in-process, deterministically."""

import fcntl
import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cohort
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eligibility_dsl import compile_file
from eligibility_dsl.screening import ENGINES, ScreenProblem, WorkerFailure, screen, write_attrition

ROOT = Path(__file__).parent.parent
SMALL = ROOT / "tests" / "fixtures" / "screening"
SSC = ROOT / "trials" / "ssc_telitacicept.elig"
N = 900
CHUNK = 50
ELIG = "import sys; from eligibility_dsl.cli import main; sys.exit(main())"
ANCHOR_ARGS = [f"--anchor={k}={v}" for k, v in cohort.ANCHORS.items()]


@pytest.fixture(scope="module")
def trial():
    return compile_file(SSC)


@pytest.fixture(scope="module")
def workload(tmp_path_factory, trial):
    """The cohort file and, per format, the bytes and attrition JSON of an uninterrupted run."""
    base = tmp_path_factory.mktemp("resume")
    source = cohort.write_ndjson(base / "cohort.ndjson", cohort.ssc_cohort(N, seed=11))
    reference = {}
    for fmt in ("ndjson", "csv", "parquet"):
        out = base / f"reference.{fmt}"
        summary = screen(trial, [source], cohort.ANCHORS, out=out, chunk_size=CHUNK, show_progress=False)
        write_attrition(summary, trial, trial.parse_anchors(cohort.ANCHORS), "json", str(base / f"{fmt}.json"))
        reference[fmt] = (out.read_bytes(), (base / f"{fmt}.json").read_text(encoding="utf-8"))
    return source, reference


def _manifest(out: Path) -> dict | None:
    try:
        return json.loads((out.parent / (out.name + ".partial") / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):  # not there yet, or being replaced this very moment
        return None


def _start(source: Path, out: Path, jobs: int, *extra: str) -> subprocess.Popen:
    args = [sys.executable, "-c", ELIG, "screen", str(SSC), str(source), *ANCHOR_ARGS, "--out", str(out),
            "--jobs", str(jobs), "--chunk-size", str(CHUNK), "--resume", "--quiet", *extra]
    return subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)  # its own process group: the kill takes its workers too


def _kill_when(proc: subprocess.Popen, out: Path, ready, delay: float) -> tuple[bool, dict | None]:
    """SIGKILL the run's process group once ``ready(manifest)`` holds (polled every 2 ms) and ``delay`` more
    seconds have passed: (killed, the manifest left behind, None if there is none yet)."""
    deadline = time.monotonic() + 120
    while proc.poll() is None and not ready(_manifest(out)):
        assert time.monotonic() < deadline, "the run never reached its kill point"
        time.sleep(0.002)
    time.sleep(delay)
    if proc.poll() is not None:
        assert proc.returncode == 0, proc.stderr.read().decode()
        proc.stderr.close()
        return False, None
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    return True, _manifest(out)


def _rows_at_least(target: int):
    return lambda manifest: manifest is not None and manifest["rows"] >= target


@pytest.mark.parametrize("fmt", ["ndjson", "csv", "parquet"])
def test_sigkill_at_random_moments_then_resume_gives_the_same_bytes(tmp_path, workload, fmt):
    source, reference = workload
    rng = random.Random(f"sigkill-{fmt}")
    out = tmp_path / f"results.{fmt}"
    kills = [  # (when the kill may come, extra delay, --jobs)
        (lambda m: True, rng.uniform(0.0, 0.8), 1),  # start-up: compiling, spawning, the first manifest
        (_rows_at_least(rng.randrange(CHUNK, N // 2)), rng.uniform(0, 0.05), 2),
        (_rows_at_least(rng.randrange(N // 2, N - 4 * CHUNK)), rng.uniform(0, 0.05), 1),
        (lambda m: m is not None and m["finished"], 0.0, 1),  # while finishing, when the poll is quick enough
    ]
    interrupted_mid_run = 0
    for ready, delay, jobs in kills:
        killed, seen = _kill_when(_start(source, out, jobs), out, ready, delay)
        print(f"--jobs {jobs}:", "finished before the kill" if not killed else "killed before its first commit"
              if seen is None else f"killed with {seen['rows']} rows committed, finished={seen['finished']}")
        if killed and seen is not None and 0 < seen["rows"] < N:
            interrupted_mid_run += 1
    assert interrupted_mid_run >= 2  # the two mid-run kills did interrupt runs with work committed
    final = _start(source, out, 1, "--attrition", "json", str(tmp_path / "attrition.json"))
    assert final.wait(timeout=300) == 0, final.stderr.read().decode()
    final.stderr.close()
    data, attrition = reference[fmt]
    assert out.read_bytes() == data
    assert (tmp_path / "attrition.json").read_text(encoding="utf-8") == attrition
    assert not (tmp_path / f"results.{fmt}.partial").exists()


class _Interrupting:
    """The Python engine, stopped (KeyboardInterrupt) after ``after`` batches: an in-process crash."""

    def __init__(self, after: int):
        self.inner, self.after = ENGINES["python"], after
        self.name = "python"

    def check(self, plan):
        self.inner.check(plan)

    def total(self, plan):
        return self.inner.total(plan)

    def batches(self, plan, skip):
        for i, batch in enumerate(self.inner.batches(plan, skip)):
            if i == self.after:
                raise KeyboardInterrupt
            yield batch


class _KillingAWorker(_Interrupting):
    """The Python engine with --jobs 2, one of whose worker processes is SIGKILLed after ``after`` batches."""

    def batches(self, plan, skip):
        for i, batch in enumerate(self.inner.batches(plan, skip)):
            yield batch
            if i == self.after:
                os.kill(multiprocessing.active_children()[0].pid, signal.SIGKILL)


def test_a_worker_that_dies_stops_the_run_with_a_message_and_resume_finishes_it(tmp_path, workload, trial,
                                                                                  monkeypatch):
    source, reference = workload
    out = tmp_path / "r.ndjson"
    monkeypatch.setitem(ENGINES, "python", _KillingAWorker(1))
    with pytest.raises(WorkerFailure, match="a worker process stopped unexpectedly"):
        screen(trial, [source], cohort.ANCHORS, out=out, jobs=2, chunk_size=CHUNK, show_progress=False)
    monkeypatch.undo()
    assert _manifest(out)["rows"] > 0
    screen(trial, [source], cohort.ANCHORS, out=out, jobs=2, chunk_size=CHUNK, resume=True, show_progress=False)
    assert out.read_bytes() == reference["ndjson"][0]


@pytest.mark.parametrize("fmt", ["ndjson", "csv", "parquet"])
def test_interrupted_then_resumed_with_a_torn_tail_gives_the_same_bytes(tmp_path, workload, trial, monkeypatch,
                                                                        fmt):
    """Bytes a killed run wrote after its last commit (here: garbage appended, a stray part) are discarded."""
    source, reference = workload
    out = tmp_path / f"r.{fmt}"
    for after in (3, 9):  # interrupted twice, at different places
        monkeypatch.setitem(ENGINES, "python", _Interrupting(after))
        with pytest.raises(KeyboardInterrupt):
            screen(trial, [source], cohort.ANCHORS, out=out, chunk_size=CHUNK, resume=True, show_progress=False)
        state = tmp_path / f"r.{fmt}.partial"
        if fmt == "parquet":
            (state / "part-000999.parquet").write_bytes(b"half a part")
        else:
            with open(state / "data", "ab") as f:
                f.write(b'{"source": "torn')
    monkeypatch.undo()
    summary = screen(trial, [source], cohort.ANCHORS, out=out, chunk_size=CHUNK, resume=True, show_progress=False)
    assert summary.records == N and 0 < summary.resumed_from < N
    assert out.read_bytes() == reference[fmt][0]


def test_an_unfinished_run_is_never_overwritten_or_resumed_against_other_inputs(tmp_path, workload, trial,
                                                                              monkeypatch):
    source, _ = workload
    copy = tmp_path / "cohort.ndjson"
    copy.write_bytes(source.read_bytes())
    out = tmp_path / "r.csv"
    monkeypatch.setitem(ENGINES, "python", _Interrupting(2))
    with pytest.raises(KeyboardInterrupt):
        screen(trial, [copy], cohort.ANCHORS, out=out, chunk_size=CHUNK, show_progress=False)
    monkeypatch.undo()
    with pytest.raises(ScreenProblem, match=r"holds an unfinished run \(.* records committed\): add `--resume`"):
        screen(trial, [copy], cohort.ANCHORS, out=out, chunk_size=CHUNK, show_progress=False)
    with pytest.raises(ScreenProblem, match="the anchors changed"):
        screen(trial, [copy], {"screening": "2025-09-12", "first_dose": "2025-09-25"}, out=out, resume=True)
    with open(copy, "a", encoding="utf-8") as f:
        f.write('{"id": "one more"}\n')
    with pytest.raises(ScreenProblem, match=r"the inputs .* changed since the interrupted run"):
        screen(trial, [copy], cohort.ANCHORS, out=out, resume=True, show_progress=False)
    assert not out.exists()


def test_resume_with_nothing_to_resume_just_runs_and_stdin_cannot_be_resumed(tmp_path, workload, trial):
    source, reference = workload
    out = tmp_path / "r.ndjson"
    screen(trial, [source], cohort.ANCHORS, out=out, chunk_size=CHUNK, resume=True, show_progress=False)
    assert out.read_bytes() == reference["ndjson"][0]
    (tmp_path / "s.ndjson.partial").mkdir()  # a run killed before its first manifest
    with pytest.raises(ScreenProblem, match="cannot resume a run that reads stdin"):
        screen(trial, ["-"], cohort.ANCHORS, out=tmp_path / "s.ndjson", resume=True)
    screen(trial, [source], cohort.ANCHORS, out=tmp_path / "s.ndjson", chunk_size=CHUNK, resume=True,
           show_progress=False)
    assert (tmp_path / "s.ndjson").read_bytes() == reference["ndjson"][0]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The attrition fixture's records and record files, and an uninterrupted run's bytes per format."""
    base = tmp_path_factory.mktemp("small")
    trial = compile_file(SMALL / "attrition.elig")
    inputs = [SMALL / "attrition.ndjson", SMALL / "records_dir", SMALL / "attrition.ndjson"]
    reference = {}
    for fmt in ("ndjson", "csv", "parquet"):
        screen(trial, inputs, {"screening": "2025-01-01"}, out=base / f"r.{fmt}", show_progress=False)
        reference[fmt] = (base / f"r.{fmt}").read_bytes()
    return trial, inputs, reference


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fmt=st.sampled_from(["ndjson", "csv", "parquet"]), chunk=st.integers(1, 12), batch=st.integers(1, 9),
       stops=st.lists(st.integers(0, 6), max_size=3))
def test_output_bytes_do_not_depend_on_chunks_batches_or_interruptions(small, monkeypatch, fmt, chunk, batch,
                                                                       stops):
    """Law: for any commit size, batch size and sequence of interruptions (each after some number of batches
    of its run), resuming until done gives the bytes of one uninterrupted run."""
    trial, inputs, reference = small
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"r.{fmt}"
        for after in stops:
            monkeypatch.setitem(ENGINES, "python", _Interrupting(after))
            try:
                screen(trial, inputs, {"screening": "2025-01-01"}, out=out, chunk_size=chunk, batch_size=batch,
                       resume=True, show_progress=False)
            except KeyboardInterrupt:
                pass
            monkeypatch.undo()
        screen(trial, inputs, {"screening": "2025-01-01"}, out=out, chunk_size=chunk, batch_size=batch,
               resume=True, show_progress=False)
        assert out.read_bytes() == reference[fmt]


def test_two_runs_into_one_output_cannot_overlap(tmp_path, workload, trial):
    """A second run (a retry loop's `--resume`, say) while one is writing is refused; the lock is the
    system's (flock), so a killed run never leaves it behind."""
    source, reference = workload
    out = tmp_path / "r.ndjson"
    state = tmp_path / "r.ndjson.partial"
    state.mkdir()
    with open(state / ".lock", "a+b") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        with pytest.raises(ScreenProblem, match="another `elig screen` is writing"):
            screen(trial, [source], cohort.ANCHORS, out=out, resume=True, show_progress=False)
    screen(trial, [source], cohort.ANCHORS, out=out, resume=True, show_progress=False)
    assert out.read_bytes() == reference["ndjson"][0] and not state.exists()
