"""Helpers for tests that run the real command line (report, validate, inspect, training example).

One small raster batch is rendered once per test session through the real CLI and reused
read-only; tests that damage a dataset work on a copy (:func:`copy_batch`).
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
_RENDERED: dict[str, Path] = {}


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """``synthscene ARGS`` in a subprocess from the repository root (text output captured)."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([*SYNTHSCENE, *map(str, args)], cwd=REPO, env=env, text=True,
                          capture_output=True, timeout=timeout, check=False)


def shared_batch(tmp_path_factory) -> Path:
    """A 24-frame 64x64 raster tabletop batch (rendered once per session; do not modify)."""
    if "raster" not in _RENDERED:
        out = tmp_path_factory.mktemp("cli-batch") / "tabletop"
        result = run_cli("render", "tabletop", "--count", FRAMES, "--out", out, "--engine",
                         "raster", "--resolution", "64x64", "--workers", "0", "--seed", "5",
                         "--quiet")
        assert result.returncode == 0, result.stderr
        _RENDERED["raster"] = out
    return _RENDERED["raster"]


def copy_batch(source: Path, target: Path) -> Path:
    """A private copy of a batch folder that a test may damage."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".scratch"))
    return target
