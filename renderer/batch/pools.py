"""Ways to run frames: in this process, in local worker processes, or (see ray_pool) on Ray.

Every pool has the same small interface used by :mod:`renderer.batch.runner`:

* ``free_slots() -> int``: how many more frames it can take now;
* ``submit(index)``: start rendering frame ``index``;
* ``poll(timeout) -> list[Event]``: what finished since the last call;
* ``close(kill=False)``: stop all workers.

An :class:`Event` is ``done`` (with a FrameResult), ``error`` (the frame raised; ``fatal`` when no
retry can help) or ``crashed`` (the worker process died while holding the frame).
"""
from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import multiprocessing.connection
from typing import Any, Optional

from renderer.batch.config import BatchConfig
from renderer.batch.worker import describe, is_fatal, worker_main

logger = logging.getLogger(__name__)
MAX_STARTUP_FAILURES = 3


@dataclasses.dataclass
class Event:
    kind: str  # "done" | "error" | "crashed"
    index: int
    result: Any = None
    error: str = ""
    fatal: bool = False


class InProcessPool:
    """Renders in the calling process, one frame at a time (no crash isolation; for debugging
    and tests)."""

    def __init__(self, config: BatchConfig):
        from renderer.batch.session import RenderSession  # pylint: disable=import-outside-toplevel
        self.session = RenderSession(config)
        self._events: list[Event] = []

    def free_slots(self) -> int:
        return 0 if self._events else 1

    def submit(self, index: int) -> None:
        try:
            self._events.append(Event("done", index, result=self.session.render(index)))
        except Exception as error:  # pylint: disable=broad-except
            self._events.append(Event("error", index, error=describe(error),
                                      fatal=is_fatal(error)))

    def poll(self, timeout: float) -> list[Event]:
        events, self._events = self._events, []
        return events

    def close(self, kill: bool = False) -> None:
        del kill


@dataclasses.dataclass
class _Worker:
    process: Any
    connection: Any  # our end of the worker's duplex pipe
    current: Optional[int] = None
    retired: bool = False


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
        process = self.context.Process(target=worker_main, name=f"synthscene-worker-{worker_id}",
                                       args=(self.config.to_json(), worker_id, theirs),
                                       daemon=True)
        process.start()
        theirs.close()  # the worker holds it now; EOF on ours means the worker is gone
        self.workers[worker_id] = _Worker(process, ours)

    def free_slots(self) -> int:
        return sum(1 for w in self.workers.values()
                   if w.current is None and not w.retired and w.process.is_alive())

    def submit(self, index: int) -> None:
        worker = next(w for w in self.workers.values()
                      if w.current is None and not w.retired and w.process.is_alive())
        worker.current = index
        worker.connection.send(index)

    def poll(self, timeout: float) -> list[Event]:
        events = self._drain(timeout)
        for worker_id, worker in list(self.workers.items()):
            if worker.process.is_alive():
                continue
            events += self._drain(0.0)  # whatever it sent before exiting
            if worker.current is not None:
                code = worker.process.exitcode
                how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
                events.append(Event("crashed", worker.current,
                                    error=f"worker process died ({how}) while rendering"))
                worker.current = None
            elif not worker.retired:
                self.startup_failures += 1
                if self.startup_failures >= MAX_STARTUP_FAILURES:
                    raise RuntimeError(
                        f"{self.startup_failures} worker processes exited before rendering "
                        "anything; their error is printed above (run with --workers 0 to see "
                        "it in this process)")
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
        if kind == "ready" or worker is None:
            return None
        if kind == "retired":
            worker.retired = True  # its process exits; poll() replaces it
            return None
        worker.current = None
        if kind == "done":
            return Event("done", message[2].index, result=message[2])
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
