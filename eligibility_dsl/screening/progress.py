"""The progress bar (rich): records done, records per second, time left.  Shown on a terminal only (stderr), so
logs and pipes stay clean; without rich installed, or when asked for quiet, nothing is shown."""

from __future__ import annotations

import sys


class NoProgress:
    def start(self, total: int | None, done: int = 0) -> None:
        pass

    def advance(self, units: int, rows: int) -> None:
        pass

    def stop(self) -> None:
        pass


class RichProgress:
    def __init__(self, console=None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class Rate(ProgressColumn):
            """Records (rows) per second: rows, not units, since a JSON list file is one unit of many records."""

            def render(self, task) -> Text:
                elapsed = task.elapsed or 0
                rows = task.fields.get("rows", 0) - task.fields.get("rows_before", 0)
                rate = rows / elapsed if elapsed > 0 else 0
                return Text(f"{rate:,.0f} records/s", style="progress.data.speed")

        columns = (TextColumn("screening"), BarColumn(), MofNCompleteColumn(), Rate(), TimeElapsedColumn(),
                   TextColumn("elapsed,"), TimeRemainingColumn(), TextColumn("left"))
        self._progress = Progress(*columns, console=console or Console(stderr=True), transient=False)
        self._task = None
        self._rows = 0

    def start(self, total: int | None, done: int = 0) -> None:
        self._progress.start()
        self._rows = done
        self._task = self._progress.add_task("screening", total=total, completed=done, rows=done, rows_before=done)

    def advance(self, units: int, rows: int) -> None:
        self._rows += rows
        self._progress.update(self._task, advance=units, rows=self._rows)

    def stop(self) -> None:
        self._progress.stop()


def progress(enabled: bool | None = None) -> NoProgress | RichProgress:
    """``enabled``: True, False, or None (on a terminal only)."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return NoProgress()
    try:
        return RichProgress()
    except ImportError:
        return NoProgress()
