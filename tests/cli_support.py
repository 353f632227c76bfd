"""Helpers for tests that run the real command line (report, validate, inspect, training example).

The batch they share is the ``raster_batch`` fixture (tests/conftest.py); tests that damage a
dataset work on a copy (:func:`copy_batch`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SYNTHSCENE = [sys.executable, "-m", "renderer.cli"]
FRAMES = 24


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """``synthscene ARGS`` in a subprocess from the repository root (text output captured)."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(
        [*SYNTHSCENE, *map(str, args)],
        cwd=REPO,
        env=env,
        text=True,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def copy_batch(source: Path, target: Path) -> Path:
    """A private copy of a batch folder that a test may damage."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".scratch"))
    return target
