"""The batch coordinator: what to render, retries, failures, resume, and the final COCO file.

Guarantees (with the atomic writers of :mod:`fileio.atomic`):

* a frame's files are complete before its ``ok`` manifest line is appended, so after any crash
  (even SIGKILL of the whole batch) the manifest only lists whole frames;
* one writer per folder: the coordinator holds an exclusive lock on it (see
  :mod:`renderer.batch.folder`); a folder holding files the tool did not write is refused
  unless ``force``, and the user's files (a ``coco.json`` of theirs included) are never touched;
* every finished frame carries the batch identity; a rerun with other content arguments is
  refused, and frames of another batch are re-rendered only by ``repair``;
* rerunning the same command skips only frames whose latest manifest line is ``ok``, carries
  this batch's identity and whose files match their sha256 (read in full: ~0.5 ms per 256x256
  frame, 0.59 MB of files, against ~670 ms to render one with the raster engine), deletes our
  stray temporary files, and renders the rest under the same names, so nothing is duplicated;
* a frame that takes longer than the time limit is stopped and counts as a failed attempt;
* SIGTERM stops the batch like Ctrl-C; workers die with the coordinator (parent-death signal);
* a frame whose worker died or that raised is retried ``max_retries`` times, then recorded as
  ``failed`` with the error, and the batch goes on;
* errors no retry can fix (disk full, read-only folder) stop the batch with a message; finished
  frames stay.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import logging
import os
import signal
import threading
import time
from pathlib import Path
from typing import Iterable, Iterator, Optional, Protocol

from renderer.batch.config import (
    IDENTITY_KEY,
    BatchConfig,
    claim_output_folder,
    frame_name,
    frame_seed,
    recipe_overrides,
    spec_resolution,
)
from renderer.batch.folder import is_our_coco, remove_our_temporaries
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
    signal: Optional[int] = None  # the signal that interrupted it (SIGINT, SIGTERM)
    rss_bytes: list = dataclasses.field(default_factory=list)  # per finished frame
    coco: Optional[Path] = None

    @property
    def frames_per_second(self) -> float:
        return self.done / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict:
        return {
            "out": str(self.out),
            "requested": self.requested,
            "already_done": self.already_done,
            "done": self.done,
            "failed": self.failed,
            "retried": self.retried,
            "seconds": round(self.seconds, 3),
            "frames_per_second": round(self.frames_per_second, 4),
            "stopped": self.stopped,
            "coco": str(self.coco) if self.coco else None,
        }


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


class BatchInterrupted(KeyboardInterrupt):
    """The coordinator was asked to stop (Ctrl-C or SIGTERM); ``signal_number`` says which."""

    def __init__(self, signal_number: int):
        super().__init__(signal.Signals(signal_number).name)
        self.signal_number = signal_number


@contextlib.contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """SIGTERM raises :class:`BatchInterrupted` in the main thread, so it stops the batch the
    way Ctrl-C does (workers stopped, summary printed, COCO written, "rerun to resume")."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signal_number, _frame):
        raise BatchInterrupted(signal_number)

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def check_recipe(config: BatchConfig) -> None:
    """Fail before any rendering when the recipe, its parameters or the resolution are wrong."""
    from scenes.recipe_api import load_recipe  # pylint: disable=import-outside-toplevel

    indices = config.frame_indices()
    recipe = load_recipe(config.recipe)
    spec_resolution(recipe, config)
    recipe.sample(
        frame_seed(config.seed, indices[0] if indices else 0), recipe_overrides(recipe, config)
    )


def verified_finished_frames(config: BatchConfig) -> set[str]:
    """Frames that need no rendering: latest manifest line ``ok``, this batch's identity, every
    file present with its recorded sha256 (a truncated or edited file, or a line lacking
    fields, gets the frame rendered again)."""
    from labels.native import latest_records, verify_frame  # pylint: disable=import-outside-toplevel

    out, identity = Path(config.out), config.identity()
    finished = set()
    for name, record in latest_records(out).items():
        if record.get("status") != "ok" or record.get(IDENTITY_KEY) != identity:
            continue
        if len(record.get("sha256", {})) == 3 and not verify_frame(out, record):
            finished.add(name)
    return finished


def pool_size(config: BatchConfig, pending: int) -> int:
    """Workers to start: ``config.workers`` capped (with a warning) at the pending frames and
    the CPU cores (each worker renders with every core: more only compete for them)."""
    cores = os.cpu_count() or 1
    size = min(config.workers, pending, cores)
    if size < config.workers:
        logger.warning(
            "--workers %d capped at %d: %d frames to render, %d CPU cores",
            config.workers,
            size,
            pending,
            cores,
        )
    return max(size, 1)


def make_pool(config: BatchConfig, pending: int):
    """The pool that runs frames for ``config``."""
    if config.workers == 0:
        return InProcessPool(config)
    return ProcessPool(config, pool_size(config, pending))


def run_batch(
    config: BatchConfig,
    reporter: Optional[Reporter] = None,
    pool=None,
    rerender: Iterable[int] = (),
) -> BatchSummary:
    """Render the frames of ``config`` that are not finished yet; see the module docstring.
    ``rerender``: frame indices rendered again even if they look finished (``repair``); with
    it, finished frames of another batch in the folder are allowed (they are re-rendered)."""
    reporter = reporter or SilentReporter()
    rerender = set(rerender)
    check_recipe(config)
    lock = claim_output_folder(config, repair=bool(rerender))
    try:
        with stop_on_sigterm():
            return _run_claimed(config, reporter, pool, rerender)
    finally:
        lock.release()


def _run_claimed(config: BatchConfig, reporter: Reporter, pool, rerender: set) -> BatchSummary:
    out = Path(config.out)
    removed = remove_our_temporaries(out)
    if removed:
        logger.info("removed %d temporary files left by an interrupted run", removed)
    finished = verified_finished_frames(config)
    indices = config.frame_indices()
    todo = collections.deque(i for i in indices if frame_name(i) not in finished or i in rerender)
    summary = BatchSummary(out=out, requested=len(indices), already_done=len(indices) - len(todo))
    reporter.start(len(indices), summary.already_done)
    started = time.perf_counter()
    if todo:
        try:
            pool = pool or make_pool(config, len(todo))
            _render_all(config, pool, todo, summary, reporter)
        except KeyboardInterrupt as interrupt:
            summary.stopped = "interrupted"
            summary.signal = getattr(interrupt, "signal_number", signal.SIGINT)
            if pool is not None:
                pool.close(kill=True)
        else:
            pool.close(kill=summary.stopped is not None)
    summary.seconds = time.perf_counter() - started
    summary.coco = _write_coco(out, summary)
    reporter.finish(summary)
    return summary


def _render_all(
    config: BatchConfig, pool, todo: collections.deque, summary: BatchSummary, reporter: Reporter
) -> None:
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


def _handle_event(
    config: BatchConfig,
    event: Event,
    attempts: collections.Counter,
    solo: set,
    todo: collections.deque,
    summary: BatchSummary,
    reporter: Reporter,
) -> None:
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
    record_failure(
        config.out,
        name,
        error,
        {"index": event.index, "seed": frame_seed(config.seed, event.index)},
    )
    summary.failed[name] = error
    reporter.frame_failed(name, error, final=True)


def _write_coco(out: Path, summary: BatchSummary) -> Optional[Path]:
    """COCO instances file for every finished frame of the folder (None if there are none, or
    when ``coco.json`` there is the user's own: it is never overwritten). A write that fails
    (disk full) stops the batch with that reason; the frames stay."""
    from labels.coco import write_coco  # pylint: disable=import-outside-toplevel
    from labels.native import finished_frames  # pylint: disable=import-outside-toplevel

    path = out / "coco.json"
    if path.exists() and not is_our_coco(path):
        logger.warning(
            "%s is not a file synthscene wrote: left untouched, no COCO file written "
            "(export one elsewhere: synthscene export %s --format coco --out DIR)",
            path,
            out,
        )
        return None
    try:
        if not finished_frames(out):
            return None
        write_coco([out], path)
    except OSError as error:
        summary.stopped = summary.stopped or (
            f"cannot write {path} ({error.strerror}); free space or fix the folder, then rerun"
        )
        return None
    return path
