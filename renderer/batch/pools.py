"""Ways to run frames: in this process, in local worker processes, or (see ray_pool) on Ray.

Every pool has the same small interface used by :mod:`renderer.batch.runner`:

* ``free_slots(solo) -> int``: how many more frames it can take now; a ``solo`` frame is
  rendered with nothing else in flight on its worker (see below);
* ``submit(index, solo)``: start rendering frame ``index``;
* ``poll(timeout) -> list[Event]``: what finished since the last call;
* ``close(kill=False)``: stop all workers.

An :class:`Event` is ``done`` (with a FrameResult), ``error`` (the frame raised; ``fatal`` when no
retry can help), ``crashed`` (the worker process died while holding the frame) or ``returned``
(a frame the worker held but had not started, e.g. when it retired).

A frame whose worker sends nothing for ``config.time_limit()`` seconds is stopped: its worker
is killed and the frame comes back ``crashed`` with the time limit as reason (so a stuck recipe
or renderer becomes a failed frame after its retries, never a silent hang). In this process
(``--workers 0``) a timer interrupts the frame instead.

Local workers hold up to four frames: while one renders, the next one's scene is prepared in a
thread and the previous one's files are written in another; the fourth waits in the pipe, so the
next preparation can start with the render even when the previous frame's "done" (sent once its
files are written, at low priority) has not reached the coordinator yet. When such a worker dies,
the crash could come from any of them, so its ``crashed`` events are not ``attributable``: the
coordinator then renders each again ``solo`` (nothing else in flight on that worker), where a
crash is attributable and counts as an attempt.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import multiprocessing
import multiprocessing.connection
import signal
import threading
import time
from typing import Any, Iterator, Optional

from renderer.batch.config import BatchConfig
from renderer.batch.worker import describe, is_fatal, worker_main
from renderer.errors import RuntimeFailure

logger = logging.getLogger(__name__)
MAX_STARTUP_FAILURES = 3
STARTUP_SECONDS = 300.0  # the least time a worker gets to load its backend


@dataclasses.dataclass
class Event:
    kind: str  # "done" | "error" | "crashed" | "returned"
    index: int
    result: Any = None
    error: str = ""
    fatal: bool = False
    attributable: bool = True  # for "crashed": this frame surely caused it


class FrameTimeout(Exception):
    """A frame took longer than the batch's time limit."""


def time_limit_text(seconds: float) -> str:
    return (
        f"stopped after the per-frame time limit of {seconds:.0f} s (a stuck recipe or "
        "renderer? raise it with --frame-timeout SECONDS)"
    )


@contextlib.contextmanager
def frame_alarm(seconds: float) -> Iterator[None]:
    """Raise :class:`FrameTimeout` in the main thread after ``seconds`` (Python code only; a
    call stuck in C finishes first). Elsewhere than the main thread: no limit."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(_signal, _frame):
        raise FrameTimeout(time_limit_text(seconds))

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def render_event(session, index: int, seconds: Optional[float] = None) -> Event:
    """Render frame ``index`` with ``session``; a Python exception becomes an ``error`` event."""
    try:
        with frame_alarm(seconds) if seconds else contextlib.nullcontext():
            return Event("done", index, result=session.render(index))
    except FrameTimeout as error:
        return Event("error", index, error=str(error))
    except Exception as error:  # pylint: disable=broad-except
        return Event("error", index, error=describe(error), fatal=is_fatal(error))


class InProcessPool:
    """Renders in the calling process, one frame at a time (no crash isolation; for debugging
    and tests)."""

    def __init__(self, config: BatchConfig):
        from renderer.batch.session import RenderSession  # pylint: disable=import-outside-toplevel

        self.session = RenderSession(config)
        self._events: list[Event] = []

    def free_slots(self, solo: bool = False) -> int:
        return 0 if self._events else 1

    def submit(self, index: int, solo: bool = False) -> None:
        self._events.append(render_event(self.session, index, self.session.config.time_limit()))

    def poll(self, timeout: float) -> list[Event]:
        events, self._events = self._events, []
        return events

    def close(self, kill: bool = False) -> None:
        del kill


FRAMES_PER_WORKER = 4  # one being written, one rendering, one being prepared, one queued


@dataclasses.dataclass
class _Worker:
    process: Any
    connection: Any  # our end of the worker's duplex pipe
    held: list = dataclasses.field(default_factory=list)  # frames sent, not reported, in order
    solo: bool = False  # holds a frame that must render with nothing else in flight
    retired: bool = False
    last_heard: float = dataclasses.field(default_factory=time.monotonic)  # start or message
    timed_out: bool = False
    ready: bool = False  # backend loaded: from then on the clock runs per frame

    def can_take(self, solo: bool) -> bool:
        if self.retired or self.solo or not self.process.is_alive():
            return False
        return not self.held if solo else len(self.held) < FRAMES_PER_WORKER


class ProcessPool:
    """``size`` warm worker processes (spawned, so each loads Blender once). A worker that dies
    is replaced; one that retires after ``recycle_after`` frames is replaced too."""

    def __init__(self, config: BatchConfig, size: int):
        self.config = config
        self.context = multiprocessing.get_context("spawn")
        self.workers: dict[int, _Worker] = {}
        self._next_id = 0
        self.startup_failures = 0
        for _ in range(size):
            self._start_worker()

    def _start_worker(self) -> None:
        worker_id, self._next_id = self._next_id, self._next_id + 1
        ours, theirs = self.context.Pipe(duplex=True)
        process = self.context.Process(
            target=worker_main,
            name=f"synthscene-worker-{worker_id}",
            args=(self.config.to_json(), worker_id, theirs),
            daemon=True,
        )
        process.start()
        theirs.close()  # the worker holds it now; EOF on ours means the worker is gone
        self.workers[worker_id] = _Worker(process, ours)

    def free_slots(self, solo: bool = False) -> int:
        return sum(1 for w in self.workers.values() if w.can_take(solo))

    def submit(self, index: int, solo: bool = False) -> None:
        # prefer an idle worker, so frames spread over workers before they queue up
        worker = min(
            (w for w in self.workers.values() if w.can_take(solo)), key=lambda w: len(w.held)
        )
        if not worker.held and worker.ready:
            worker.last_heard = time.monotonic()  # an idle worker's clock starts now
        worker.held.append(index)
        worker.solo = solo
        worker.connection.send((index, solo))

    def _stop_stuck_workers(self) -> None:
        """Kill each worker that holds frames and has said nothing for the time limit."""
        now = time.monotonic()
        for worker in self.workers.values():
            limit = self.config.time_limit()
            if not worker.ready:  # loading its backend: Blender's start is not a frame's time
                limit = max(limit, STARTUP_SECONDS)
            if worker.held and not worker.timed_out and now - worker.last_heard > limit:
                logger.warning(
                    "worker %s said nothing for %.0f s while holding frames %s: stopping it",
                    worker.process.name,
                    now - worker.last_heard,
                    worker.held,
                )
                worker.timed_out = True
                worker.process.kill()
                worker.process.join(timeout=10)

    def poll(self, timeout: float) -> list[Event]:
        events = self._drain(timeout)
        self._stop_stuck_workers()
        for worker_id, worker in list(self.workers.items()):
            if worker.process.is_alive():
                continue
            events += self._drain(0.0)  # whatever it sent before exiting
            if worker.held and worker.retired:
                events += [Event("returned", index) for index in worker.held]
            elif worker.held:
                code = worker.process.exitcode
                how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
                error = (
                    time_limit_text(self.config.time_limit())
                    if worker.timed_out
                    else f"worker process died ({how}) while rendering"
                )
                events += [
                    Event("crashed", index, attributable=len(worker.held) == 1, error=error)
                    for index in worker.held
                ]
            elif not worker.retired:
                self.startup_failures += 1
                if self.startup_failures >= MAX_STARTUP_FAILURES:
                    raise RuntimeFailure(
                        f"{self.startup_failures} worker processes exited before rendering "
                        "anything; their error is printed above (run with --workers 0 to see "
                        "it in this process)"
                    )
            del self.workers[worker_id]
            self._start_worker()
        return events

    def _drain(self, timeout: float) -> list[Event]:
        """Messages waiting on any worker's pipe (waiting up to ``timeout`` for the first)."""
        events = []
        connections = {w.connection: w for w in self.workers.values()}
        while connections:
            ready = multiprocessing.connection.wait(list(connections), timeout)
            if not ready:
                return events
            timeout = 0.0
            for connection in ready:
                try:
                    message = connection.recv()
                except (EOFError, OSError):  # the worker exited; poll() handles that
                    connections.pop(connection)
                    continue
                event = self._handle(message)
                if event is not None:
                    events.append(event)
        return events

    def _handle(self, message: tuple) -> Optional[Event]:
        kind, worker_id = message[0], message[1]
        worker = self.workers.get(worker_id)
        if worker is not None:
            worker.last_heard = time.monotonic()
            worker.ready = worker.ready or kind == "ready"
        if kind == "ready" or worker is None:
            return None
        if kind == "retired":
            worker.retired = True  # its process exits; poll() replaces it
            return None
        index = message[2].index if kind == "done" else message[2]
        worker.held.remove(index)
        worker.solo = worker.solo and bool(worker.held)
        if kind == "done":
            return Event("done", index, result=message[2])
        _, _, index, text, fatal = message
        return Event("error", index, error=text, fatal=fatal)

    def close(self, kill: bool = False) -> None:
        for worker in self.workers.values():
            if kill:
                worker.process.kill()
            else:
                try:
                    worker.connection.send(None)
                except OSError:
                    pass  # already gone
        for worker in self.workers.values():
            worker.process.join(timeout=30)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.connection.close()
        self.workers.clear()
