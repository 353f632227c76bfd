"""Keeping Blender's C-level console output (render progress, importer timings) out of ours."""

from __future__ import annotations

import contextlib
import os
import sys


@contextlib.contextmanager
def silenced_stdout(enabled: bool = True):
    """Send the process' file descriptor 1 to /dev/null while the block runs."""
    if not enabled:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
