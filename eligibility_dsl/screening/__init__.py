"""Population screening: a trial over many records, one result row per record whatever happens, resumable.

    from eligibility_dsl.screening import screen, screen_rows
    summary = screen("trials/ssc_telitacicept.elig", ["patients.ndjson"],
                     {"screening": "2025-09-11", "first_dose": "2025-09-25"}, out="results.parquet", jobs=2)
    summary.outcomes, summary.attrition.to_text()
    for row in screen_rows(trial, ["patients.ndjson"], anchors): ...      # the iterator form, nothing written

Stages: ``inputs`` (input kinds, detection, units of work), ``engines`` (the engine interface; the Python
engine, in-process or in worker processes), ``rows`` (the result row and its column schema, per format),
``output`` (committed chunks, atomic finish), ``run`` (the manifest and resuming), ``attrition`` and
``flow_svg`` (the CONSORT table and diagram), ``progress``.  See docs/screening.md.
"""

from .attrition import Attrition
from .engines import ENGINES, Batch, Engine, EngineUnavailable, Plan, PythonEngine, UnavailableEngine, WorkerFailure
from .flow_svg import flow_svg
from .inputs import KINDS, Input, InputKind, InputUnavailable, ReadProblem, Unit, detect
from .output import OutputProblem
from .rows import Row, RowSchema, columns
from .run import ScreenProblem, Summary, plan, screen, screen_rows, screen_stream, write_attrition

__all__ = [
    "ENGINES", "KINDS", "Attrition", "Batch", "Engine", "EngineUnavailable", "Input", "InputKind",
    "InputUnavailable", "OutputProblem", "Plan", "PythonEngine", "ReadProblem", "Row", "RowSchema",
    "ScreenProblem", "Summary", "UnavailableEngine", "Unit", "WorkerFailure", "columns", "detect", "flow_svg",
    "plan", "screen", "screen_rows", "screen_stream", "write_attrition",
]
