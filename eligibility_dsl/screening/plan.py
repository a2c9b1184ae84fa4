"""What an engine is given and gives back: the plan of a screening run, its batches of rows, and the errors
that stop a run before or while it runs (shared by ``engines.py`` and ``sql_engines.py``)."""

from __future__ import annotations

import datetime
from typing import NamedTuple

import attrs

from ..api import Trial
from .inputs import Input
from .rows import Row


class EngineUnavailable(Exception):
    """The engine cannot run this plan (not in this build, or an input kind it does not read)."""


class WorkerFailure(Exception):
    """A worker process died mid-run (killed, out of memory, or unable to start); committed work is kept."""


@attrs.frozen
class Plan:
    """Everything an engine needs: the compiled trial, the parsed anchors, the inputs (kinds settled)."""

    trial: Trial
    anchors: dict[str, datetime.date]
    inputs: tuple[Input, ...]
    jobs: int = 1
    batch_size: int = 64  # units per batch (and per task sent to a worker process)


class Batch(NamedTuple):
    units: int
    rows: list[Row]
