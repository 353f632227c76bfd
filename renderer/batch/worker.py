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
"""
from __future__ import annotations

import collections
import concurrent.futures
import errno
import logging
import os
import signal
import sys
import threading
import traceback
from typing import Callable, Optional

FATAL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES}


def is_fatal(error: BaseException) -> bool:
    """Errors that no retry can fix and that would fail every later frame too."""
    return isinstance(error, OSError) and error.errno in FATAL_ERRNOS


def describe(error: BaseException) -> str:
    """One line naming the error, plus where in the user's code when it is not ours."""
    last = traceback.extract_tb(error.__traceback__)[-1:] if error.__traceback__ else []
    where = f" (at {last[0].filename}:{last[0].lineno})" if last else ""
    return f"{type(error).__name__}: {error}{where}"


def forget_bpy_script_paths() -> None:
    """A spawned process inherits its parent's sys.path; if the parent had imported bpy, that
    includes ``bpy/<version>/scripts/modules``, whose ``bpy`` package would shadow the real one."""
    sys.path[:] = [p for p in sys.path
                   if not (os.sep + "bpy" + os.sep in p and os.sep + "scripts" in p)]


def worker_main(config_json: dict, worker_id: int, connection) -> None:
    """Entry point of a worker process (spawned). Exits when told to, after ``recycle_after``
    frames, or when the coordinator has gone (its end of the pipe is closed).

    The coordinator keeps up to three frames with a worker. While Cycles renders one (with the
    GIL released), a thread builds the next frame's scene (spec sampling, PyBullet settling,
    Kubric scene) and another writes the previous frame's files (label derivation, compression,
    checksums, fsync); its "done" goes out once its manifest line is written."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the coordinator handles Ctrl-C
    forget_bpy_script_paths()
    logging.basicConfig(level=logging.WARNING)
    from renderer.batch.config import BatchConfig  # pylint: disable=import-outside-toplevel
    from renderer.batch.session import RenderSession  # pylint: disable=import-outside-toplevel
    config = BatchConfig.from_json(config_json)
    session = RenderSession(config)
    send = _locked_sender(connection)
    send(("ready", worker_id))
    queued: collections.deque = collections.deque()  # (index, solo)
    prepared: dict = {}  # frame index -> Future of session.prepare(index)
    writing: Optional[concurrent.futures.Future] = None
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as preparer, \
            concurrent.futures.ThreadPoolExecutor(max_workers=1) as writer:
        for _ in range(config.recycle_after):
            if not _receive(connection, queued, block=not queued):
                return  # leaving the with-block finishes the write under way
            index, solo = queued.popleft()
            future = prepared.pop(index, None)
            try:
                # prepare this frame before starting the next one's preparation: Kubric's uid
                # counter is per process, so two scenes must never be built at the same time
                frame = future.result() if future else session.prepare(index)
                _receive(connection, queued, block=False)
                if queued and not solo and queued[0][0] not in prepared:
                    prepared[queued[0][0]] = preparer.submit(session.prepare, queued[0][0])
                rendered = session.render_passes(frame)
            except Exception as error:  # pylint: disable=broad-except
                send(("error", worker_id, index, describe(error), is_fatal(error)))
                continue
            if writing is not None:
                writing.result()  # one frame's files at a time
            writing = writer.submit(_write_and_report, session, rendered, worker_id, send)
            if solo:
                writing.result()
        if writing is not None:
            writing.result()
        send(("retired", worker_id))


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
