"""Fixtures shared by the test modules.

* ``one_torch_thread``: torch on one thread for a module (tiny models gain nothing from threads,
  and on a shared 2-core machine they lose a lot); use it with
  ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``.
* ``raster_batch``: one small raster batch rendered through the real CLI once per session and
  shared read-only (tests that damage a dataset copy it: ``cli_support.copy_batch``).
* ``rng``: a seeded ``random.Random`` whose seed is printed (pytest shows it with a failure);
  ``SYNTHSCENE_TEST_SEED=<seed>`` replays that run.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from cli_support import FRAMES, run_cli

SEED_VARIABLE = "SYNTHSCENE_TEST_SEED"


@pytest.fixture(scope="module")
def one_torch_thread():
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def raster_batch(tmp_path_factory) -> Path:
    """A 24-frame 64x64 raster tabletop batch, seed 5 (do not modify it)."""
    out = tmp_path_factory.mktemp("cli-batch") / "tabletop"
    result = run_cli(
        "render",
        "tabletop",
        "--count",
        FRAMES,
        "--out",
        out,
        "--engine",
        "raster",
        "--resolution",
        "64x64",
        "--workers",
        "0",
        "--seed",
        "5",
        "--quiet",
    )
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture
def rng(request) -> random.Random:
    seed = int(os.environ.get(SEED_VARIABLE) or random.SystemRandom().randrange(2**32))
    print(f"{request.node.nodeid}: random seed {seed} (replay: {SEED_VARIABLE}={seed})")
    return random.Random(seed)
