"""Holding a worker's helper threads back until the main thread renders."""

from __future__ import annotations

import concurrent.futures
import threading
from typing import Callable


class RenderGate:
    """Lets the helper threads' work (next scene's preparation, previous frame's files) start
    only once a render has started, and closes again when the main thread builds a scene.

    Python threads share one interpreter lock: a scene being prepared or a frame being written
    while the main thread built the Blender scene made that serial step ~2.3x slower (23 -> 54
    ms per frame at 128x128). Cycles renders without the lock, so work started with the render
    runs beside it instead. A disabled gate (backends without a render-start event) is always
    open."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._open = threading.Event()
        if not enabled:
            self._open.set()

    def open(self) -> None:
        self._open.set()

    def close(self) -> None:
        if self.enabled:
            self._open.clear()

    def is_open(self) -> bool:
        return self._open.is_set()

    def gated(self, function: Callable) -> Callable:
        """``function`` that first waits for the gate to open."""

        def when_open(*args):
            self._open.wait()
            return function(*args)

        return when_open

    def result(self, future: concurrent.futures.Future):
        """The future's result, opening the gate first if it has not finished: the main thread
        is about to wait for it, so no render would open the gate meanwhile."""
        if not future.done():
            self.open()
        return future.result()
