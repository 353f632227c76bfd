"""Progress reporting for batches: a live rich bar, a plain quiet mode, and JSON lines.

The bar shows frames done / total, failures, frames per second and the ETA. ``JsonLog`` writes
one JSON object per event (``start``, ``frame``, ``failed``, ``retry``, ``summary``) to a file, for
machines.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Optional, TextIO

from renderer.batch.runner import BatchSummary, SilentReporter
from renderer.batch.session import FrameResult


class RichReporter:
    """Live progress bar on stderr (rich)."""

    def __init__(self, description: str = "rendering"):
        from rich.console import Console  # pylint: disable=import-outside-toplevel
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,  # pylint: disable=import-outside-toplevel
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = Console(stderr=True)
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("failed {task.fields[failed]}"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )
        self.description = description
        self.task = None
        self.failed = 0
        self.started = 0.0
        self.done_here = 0

    def start(self, total: int, already_done: int) -> None:
        self.started = time.perf_counter()
        self.progress.start()
        self.task = self.progress.add_task(
            self.description, total=total, completed=already_done, failed=0, rate=""
        )

    def frame_done(self, result: FrameResult) -> None:
        self.done_here += 1
        rate = self.done_here / max(time.perf_counter() - self.started, 1e-9)
        self.progress.update(self.task, advance=1, rate=f"{rate:.2f} frames/s")

    def frame_failed(self, name: str, error: str, final: bool) -> None:
        if final:
            self.failed += 1
            self.progress.update(self.task, advance=1, failed=self.failed)
        word = "failed" if final else "retrying"
        self.console.print(f"frame {name} {word}: {error}", style="yellow", markup=False)

    def finish(self, summary: BatchSummary) -> None:
        self.progress.stop()
        print_summary(summary, self.console.file)


class QuietReporter(SilentReporter):
    """No bar; only the final summary."""

    def __init__(self, stream: Optional[TextIO] = None):
        self.stream = stream

    def finish(self, summary: BatchSummary) -> None:
        import sys  # pylint: disable=import-outside-toplevel

        print_summary(summary, self.stream or sys.stderr)


class JsonLog:
    """Appends one JSON object per event to ``path``; wraps another reporter."""

    def __init__(self, path: Path, inner):
        from renderer.errors import UserError  # pylint: disable=import-outside-toplevel

        try:
            self.handle = open(path, "a", encoding="utf-8")  # pylint: disable=consider-using-with
        except OSError as error:
            raise UserError(
                f"--log-json {str(path)!r} cannot be written ({error.strerror}); "
                "give a file path in a writable folder"
            ) from None
        self.inner = inner

    def _write(self, **event) -> None:
        self.handle.write(json.dumps({"time": round(time.time(), 3), **event}) + "\n")
        self.handle.flush()

    def start(self, total: int, already_done: int) -> None:
        self._write(event="start", total=total, already_done=already_done)
        self.inner.start(total, already_done)

    def frame_done(self, result: FrameResult) -> None:
        self._write(
            event="frame",
            frame=result.name,
            instances=result.instances,
            seconds=round(result.seconds, 4),
            rss_bytes=result.rss_bytes,
        )
        self.inner.frame_done(result)

    def frame_failed(self, name: str, error: str, final: bool) -> None:
        self._write(event="failed" if final else "retry", frame=name, error=error)
        self.inner.frame_failed(name, error, final)

    def finish(self, summary: BatchSummary) -> None:
        self._write(event="summary", **summary.to_json())
        self.handle.close()
        self.inner.finish(summary)


def print_summary(summary: BatchSummary, stream: TextIO) -> None:
    """The human summary printed at the end of every batch."""
    lines = [
        f"{summary.done} frames rendered in {summary.seconds:.1f} s "
        f"({summary.frames_per_second:.2f} frames/s), {summary.already_done} already "
        f"done, {len(summary.failed)} failed, {summary.retried} retried; "
        f"{summary.done + summary.already_done}/{summary.requested} finished in "
        f"{summary.out}"
    ]
    lines += [f"  failed {name}: {error}" for name, error in sorted(summary.failed.items())]
    if summary.coco:
        lines.append(f"  COCO: {summary.coco}")
    if summary.stopped:
        why = summary.stopped
        if summary.signal:
            import signal  # pylint: disable=import-outside-toplevel

            why = f"{why} by {signal.Signals(summary.signal).name}"
        lines.append(
            f"  stopped early: {why}. Finished frames are kept; rerun the same command to continue."
        )
    stream.write("\n".join(lines) + "\n")
