"""The worker process: loads the backend once, renders the frames it is sent, reports back.

Each worker talks to the coordinator over its own duplex pipe (no lock shared between workers, so
a worker killed mid-message cannot block the others). It receives ``(index, solo)`` pairs (``None``
= stop) and sends:
  ("ready", worker_id)                       backend loaded
  ("done", worker_id, FrameResult)           frame written (manifest line appended), sent by
                                             the writer thread while the next frame renders
  ("error", worker_id, index, text, fatal)   the frame raised; ``fatal`` stops the batch
                                             (disk full, output folder gone)
  ("retired", worker_id)                     exiting after ``recycle_after`` frames (any
                                             frame still queued is given back: see pools)
A worker that dies (segfault, OOM kill) sends nothing; the coordinator notices the exit.
A worker dies with its coordinator: Linux sends it SIGKILL when the coordinator exits for any
reason (``PR_SET_PDEATHSIG``); elsewhere it stops when its pipe closes, after the frame in hand.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import errno
import logging
import os
import signal
import sys
import threading
import traceback
from typing import Callable, Optional

from renderer.batch.render_gate import RenderGate

FATAL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES}


def is_fatal(error: BaseException) -> bool:
    """Errors that no retry can fix and that would fail every later frame too."""
    from assets.errors import AssetError  # pylint: disable=import-outside-toplevel
    from renderer.errors import SetupError  # pylint: disable=import-outside-toplevel

    # an unusable input file (flat mesh, corrupt image) would fail every frame that uses it
    return (
        isinstance(error, OSError)
        and error.errno in FATAL_ERRNOS
        or isinstance(error, (SetupError, AssetError))
    )


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent() -> None:
    """Have the kernel SIGKILL this process when its parent (the coordinator) exits, even by
    SIGKILL, so no worker writes into a folder whose coordinator is gone. Linux only (prctl);
    elsewhere the closed pipe stops the worker after its current frame. The files a killed
    worker leaves are temporaries (atomic writes), removed by the next run."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes  # pylint: disable=import-outside-toplevel
    import multiprocessing  # pylint: disable=import-outside-toplevel

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        logging.getLogger(__name__).warning(
            "prctl(PR_SET_PDEATHSIG) failed (errno %d): this "
            "worker may outlive its coordinator by a frame",
            ctypes.get_errno(),
        )
        return
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:
        os._exit(1)  # the coordinator died before the signal was armed


def describe(error: BaseException) -> str:
    """One line naming the error, plus where in the user's code when it is not ours."""
    last = traceback.extract_tb(error.__traceback__)[-1:] if error.__traceback__ else []
    where = f" (at {last[0].filename}:{last[0].lineno})" if last else ""
    return f"{type(error).__name__}: {error}{where}"


def forget_bpy_script_paths() -> None:
    """A spawned process inherits its parent's sys.path; if the parent had imported bpy, that
    includes ``bpy/<version>/scripts/modules``, whose ``bpy`` package would shadow the real one."""
    sys.path[:] = [
        p for p in sys.path if not (os.sep + "bpy" + os.sep in p and os.sep + "scripts" in p)
    ]


def worker_main(config_json: dict, worker_id: int, connection) -> None:
    """Entry point of a worker process (spawned). Exits when told to, after ``recycle_after``
    frames, or when the coordinator has gone (its end of the pipe is closed).

    The coordinator keeps up to four frames with a worker. While Cycles renders one (with the
    GIL released), a thread builds the next frame's scene (spec sampling, PyBullet settling,
    Kubric scene) and another writes the previous frame's files (label derivation, compression,
    checksums, fsync); its "done" goes out once its manifest line is written. Both wait for the
    render to start (:class:`~renderer.batch.render_gate.RenderGate`) and run at the lowest CPU
    priority (:func:`lower_thread_priority`); both only with Cycles."""
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the coordinator handles Ctrl-C
    forget_bpy_script_paths()
    logging.basicConfig(level=logging.WARNING)
    from renderer.batch.config import BatchConfig  # pylint: disable=import-outside-toplevel
    from renderer.batch.session import RenderSession  # pylint: disable=import-outside-toplevel

    config = BatchConfig.from_json(config_json)
    session = RenderSession(config)
    send = _locked_sender(connection)
    send(("ready", worker_id))
    gate = RenderGate(enabled=config.engine == "cycles")
    with (
        _opened_by_renders(gate),
        _helper_thread(gate.enabled) as preparer,
        _helper_thread(gate.enabled) as writer,
    ):
        try:
            _FrameLoop(session, worker_id, connection, send, gate, preparer, writer).run()
        finally:
            gate.open()  # nothing may wait for a render that will not come


HELPER_NICENESS = 19  # the lowest CPU priority: helpers run on the cores Cycles leaves idle


def lower_thread_priority() -> None:
    """Give the calling thread the lowest CPU priority (Linux: per-thread nice value).

    The helper threads' work (~100 ms of CPU per tabletop frame) then runs on what Cycles
    leaves idle during its render (scene sync, single-threaded phases: ~9% of two cores here)
    instead of taking its time slices. When the render ends before the helper, the main thread
    waits for it and the helper has the CPU to itself. Elsewhere than Linux, setpriority with a
    thread id would name a process, so nothing is changed there."""
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HELPER_NICENESS)
        except OSError as error:
            logging.getLogger(__name__).info("helper thread keeps its priority: %s", error)


def _helper_thread(low_priority: bool) -> concurrent.futures.ThreadPoolExecutor:
    """One helper thread; at the lowest priority for Cycles only. (The raster engine's short
    renders on llvmpipe's threads leave little idle: its helpers at nice 19 made raster batches
    14% slower, 2.35 -> 2.02 frames/s at 256x256, ``synthscene bench --engine raster``.)"""
    return concurrent.futures.ThreadPoolExecutor(
        max_workers=1, initializer=lower_thread_priority if low_priority else None
    )


def _opened_by_renders(gate: RenderGate) -> contextlib.AbstractContextManager:
    """Opens ``gate`` whenever Blender starts a render, while the block runs."""
    if not gate.enabled:
        return contextlib.nullcontext()
    from renderer.blender.hooks import on_render_start  # pylint: disable=import-outside-toplevel

    return on_render_start(gate.open)


class _FrameLoop:
    """The worker's main thread: take frames from the pipe, render them, hand each to the
    writer thread, and have the next one prepared meanwhile."""

    def __init__(
        self,
        session,
        worker_id: int,
        connection,
        send: Callable,
        gate: RenderGate,
        preparer: concurrent.futures.Executor,
        writer: concurrent.futures.Executor,
    ):
        self.session, self.worker_id, self.connection, self.send = (
            session,
            worker_id,
            connection,
            send,
        )
        self.gate, self.preparer, self.writer = gate, preparer, writer
        self.queued: collections.deque = collections.deque()  # (index, solo)
        self.prepared: dict = {}  # frame index -> Future of session.prepare(index)
        self.writing: Optional[concurrent.futures.Future] = None

    def run(self) -> None:
        """Render up to ``recycle_after`` frames, then say so; returns early when told to stop
        (the caller's executors then finish the write under way)."""
        for _ in range(self.session.config.recycle_after):
            if not self.queued:
                self.gate.open()  # waiting for work: the coordinator may wait for a write
            if not _receive(self.connection, self.queued, block=not self.queued):
                return
            index, solo = self.queued.popleft()
            rendered = self._render(index, solo)
            if rendered is not None:
                self._write(rendered, solo)
        if self.writing is not None:
            self.gate.result(self.writing)
        self.send(("retired", self.worker_id))

    def _render(self, index: int, solo: bool):
        """Frame ``index`` rendered (None when it raised: reported as an error)."""
        future = self.prepared.pop(index, None)
        try:
            # prepare this frame before starting the next one's preparation: Kubric's uid
            # counter is per process, so two scenes must never be built at once
            frame = self.gate.result(future) if future else self.session.prepare(index)
            _receive(self.connection, self.queued, block=False)
            self.gate.close()
            upcoming = self.queued[0][0] if self.queued else None
            if upcoming is not None and not solo and upcoming not in self.prepared:
                self.prepared[upcoming] = self.preparer.submit(
                    self.gate.gated(self.session.prepare), upcoming
                )
            return self.session.render_passes(frame)
        except Exception as error:  # pylint: disable=broad-except
            self.send(("error", self.worker_id, index, describe(error), is_fatal(error)))
            return None

    def _write(self, rendered, solo: bool) -> None:
        """Write ``rendered`` in the writer thread, once the previous frame's files are done
        (one frame's files at a time); a solo frame is waited for."""
        if self.writing is not None:
            self.gate.result(self.writing)
        self.gate.close()
        self.writing = self.writer.submit(
            self.gate.gated(_write_and_report), self.session, rendered, self.worker_id, self.send
        )
        if solo:
            self.gate.result(self.writing)


def _write_and_report(session, rendered, worker_id: int, send: Callable) -> None:
    index = rendered.prepared.index
    try:
        result = session.write(rendered)
    except Exception as error:  # pylint: disable=broad-except
        send(("error", worker_id, index, describe(error), is_fatal(error)))
    else:
        send(("done", worker_id, result))


def _locked_sender(connection) -> Callable:
    """``connection.send`` safe to call from the render and the writer thread; a coordinator
    that has gone (closed pipe) is ignored: the worker is about to stop anyway."""
    lock = threading.Lock()

    def send(message) -> None:
        with lock:
            try:
                connection.send(message)
            except (BrokenPipeError, ConnectionResetError, EOFError):
                pass

    return send


def _receive(connection, queued: collections.deque, block: bool) -> bool:
    """Move ``(index, solo)`` messages from the pipe to ``queued``; False when told to stop (or
    when the coordinator died)."""
    while block or connection.poll():
        block = False
        try:
            message = connection.recv()
        except EOFError:
            return False
        if message is None:
            return False
        queued.append(message)
    return True
