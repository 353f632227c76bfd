"""The batch coordinator: what to render, retries, failures, resume, and the final COCO file.

Guarantees (with the atomic writers of :mod:`fileio.atomic`):

* a frame's files are complete before its ``ok`` manifest line is appended, so after any crash
  (even SIGKILL of the whole batch) the manifest only lists whole frames;
* rerunning the same command skips frames whose latest manifest line is ``ok`` (their files
  present), deletes stray temporary files, and renders the rest under the same names, so nothing
  is duplicated;
* a frame whose worker died or that raised is retried ``max_retries`` times, then recorded as
  ``failed`` with the error, and the batch goes on;
* errors no retry can fix (disk full, read-only folder) stop the batch with a message; finished
  frames stay.
"""
from __future__ import annotations

import collections
import dataclasses
import logging
import time
from pathlib import Path
from typing import Optional, Protocol

from renderer.batch.config import BatchConfig, claim_output_folder, frame_name, frame_seed
from renderer.batch.pools import Event, InProcessPool, ProcessPool
from renderer.batch.session import FrameResult

logger = logging.getLogger(__name__)
POLL_SECONDS = 0.2


@dataclasses.dataclass
class BatchSummary:
    """Outcome of one ``run_batch`` call (this run only, plus what was already there)."""
    out: Path
    requested: int
    already_done: int = 0
    done: int = 0
    failed: dict = dataclasses.field(default_factory=dict)  # frame name -> error
    retried: int = 0
    seconds: float = 0.0
    stopped: Optional[str] = None  # why the batch stopped early, if it did
    rss_bytes: list = dataclasses.field(default_factory=list)  # per finished frame
    coco: Optional[Path] = None

    @property
    def frames_per_second(self) -> float:
        return self.done / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict:
        return {"out": str(self.out), "requested": self.requested,
                "already_done": self.already_done, "done": self.done,
                "failed": self.failed, "retried": self.retried,
                "seconds": round(self.seconds, 3),
                "frames_per_second": round(self.frames_per_second, 4),
                "stopped": self.stopped, "coco": str(self.coco) if self.coco else None}


class Reporter(Protocol):
    """Receives progress; see :mod:`renderer.batch.progress`."""
    def start(self, total: int, already_done: int) -> None: ...
    def frame_done(self, result: FrameResult) -> None: ...
    def frame_failed(self, name: str, error: str, final: bool) -> None: ...
    def finish(self, summary: BatchSummary) -> None: ...


class SilentReporter:
    def start(self, total: int, already_done: int) -> None: ...
    def frame_done(self, result: FrameResult) -> None: ...
    def frame_failed(self, name: str, error: str, final: bool) -> None: ...
    def finish(self, summary: BatchSummary) -> None: ...


def remove_stray_temporaries(out: Path) -> int:
    """Delete temporary files an interrupted run left (``.<name>.tmp-*``); return how many."""
    removed = 0
    for path in out.rglob(".*.tmp-*"):
        if path.is_file() and ".scratch" not in path.parts:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def check_recipe(config: BatchConfig) -> None:
    """Fail before any rendering when the recipe or its parameters are wrong."""
    from scenes.recipe_api import load_recipe  # pylint: disable=import-outside-toplevel
    indices = config.frame_indices()
    load_recipe(config.recipe).sample(frame_seed(config.seed, indices[0] if indices else 0),
                                      config.overrides_dict)


def make_pool(config: BatchConfig, pool_size: int):
    """The pool that runs frames for ``config``."""
    if config.workers == 0:
        return InProcessPool(config)
    return ProcessPool(config, min(config.workers, max(pool_size, 1)))


def run_batch(config: BatchConfig, reporter: Optional[Reporter] = None,
              pool=None) -> BatchSummary:
    """Render the frames of ``config`` that are not finished yet; see the module docstring."""
    from labels.native import finished_frames  # pylint: disable=import-outside-toplevel
    reporter = reporter or SilentReporter()
    out = Path(config.out)
    check_recipe(config)
    claim_output_folder(config)
    removed = remove_stray_temporaries(out)
    if removed:
        logger.info("removed %d temporary files left by an interrupted run", removed)
    finished = set(finished_frames(out))
    indices = config.frame_indices()
    todo = collections.deque(i for i in indices if frame_name(i) not in finished)
    summary = BatchSummary(out=out, requested=len(indices),
                           already_done=len(indices) - len(todo))
    reporter.start(len(indices), summary.already_done)
    started = time.perf_counter()
    if todo:
        pool = pool or make_pool(config, len(todo))
        try:
            _render_all(config, pool, todo, summary, reporter)
        except KeyboardInterrupt:
            summary.stopped = "interrupted"
            pool.close(kill=True)
        else:
            pool.close(kill=summary.stopped is not None)
    summary.seconds = time.perf_counter() - started
    summary.coco = _write_coco(out)
    reporter.finish(summary)
    return summary


def _render_all(config: BatchConfig, pool, todo: collections.deque,
                summary: BatchSummary, reporter: Reporter) -> None:
    attempts: collections.Counter = collections.Counter()
    solo: set[int] = set()  # frames under suspicion: rendered with nothing else in flight
    in_flight: set[int] = set()
    while (todo or in_flight) and summary.stopped is None:
        while todo and pool.free_slots(todo[0] in solo) > 0:
            index = todo.popleft()
            in_flight.add(index)
            pool.submit(index, index in solo)
        for event in pool.poll(POLL_SECONDS):
            in_flight.discard(event.index)
            _handle_event(config, event, attempts, solo, todo, summary, reporter)


def _handle_event(config: BatchConfig, event: Event, attempts: collections.Counter,
                  solo: set, todo: collections.deque, summary: BatchSummary,
                  reporter: Reporter) -> None:
    from labels.native import record_failure  # pylint: disable=import-outside-toplevel
    name = frame_name(event.index)
    if event.kind == "returned" or (event.kind == "crashed" and not event.attributable):
        if event.kind == "crashed":
            solo.add(event.index)  # find out which frame crashed: render it alone
            reporter.frame_failed(name, f"{event.error}; retrying it alone", final=False)
        todo.appendleft(event.index)
        return
    if event.kind == "done":
        summary.done += 1
        summary.rss_bytes.append(event.result.rss_bytes)
        reporter.frame_done(event.result)
        return
    if event.fatal:
        summary.stopped = f"frame {name}: {event.error}"
        reporter.frame_failed(name, event.error, final=True)
        return
    attempts[event.index] += 1
    if attempts[event.index] <= config.max_retries:
        summary.retried += 1
        reporter.frame_failed(name, event.error, final=False)
        todo.appendleft(event.index)
        return
    error = f"{event.error} (after {attempts[event.index]} attempts)"
    record_failure(config.out, name, error, {"index": event.index,
                                             "seed": frame_seed(config.seed, event.index)})
    summary.failed[name] = error
    reporter.frame_failed(name, error, final=True)


def _write_coco(out: Path) -> Optional[Path]:
    """COCO instances file for every finished frame of the folder (None if there are none)."""
    from labels.coco import write_coco  # pylint: disable=import-outside-toplevel
    from labels.native import finished_frames  # pylint: disable=import-outside-toplevel
    if not finished_frames(out):
        return None
    path = out / "coco.json"
    write_coco([out], path)
    return path
