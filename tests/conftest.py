"""Fixtures shared by the test modules.

* ``one_torch_thread``: torch on one thread for a module (tiny models gain nothing from threads,
  and on a shared 2-core machine they lose a lot); use it with
  ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``.
* ``raster_batch``: one small raster batch rendered through the real CLI once per test run and
  shared read-only (tests that damage a dataset copy it: ``cli_support.copy_batch``).
* ``rng``: a seeded ``random.Random`` whose seed is printed (pytest shows it with a failure);
  ``SYNTHSCENE_TEST_SEED=<seed>`` replays that run.
"""

from __future__ import annotations

import fcntl
import os
import random
from pathlib import Path

# One thread per library in every test process and the workers it starts: the suite runs two
# processes on two cores (make test), and OpenMP/BLAS/llvmpipe thread pools on top of that
# only contend (measured: the suite 292 -> 272 s). Set before numpy, torch or OpenGL load.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "LP_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import pytest  # noqa: E402

from cli_support import FRAMES, run_cli  # noqa: E402

SEED_VARIABLE = "SYNTHSCENE_TEST_SEED"


@pytest.fixture(scope="module")
def one_torch_thread():
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def raster_batch(tmp_path_factory, worker_id) -> Path:
    """A 24-frame 64x64 raster tabletop batch, seed 5 (do not modify it), rendered once per
    test run: pytest-xdist's workers share it through their common temporary folder."""
    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        shared = shared.parent
    out, finished = shared / "cli-batch" / "tabletop", shared / "cli-batch.done"
    with open(shared / "cli-batch.lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not finished.exists():
            _render_raster_batch(out)
            finished.touch()
    return out


def _render_raster_batch(out: Path) -> None:
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


@pytest.fixture
def rng(request) -> random.Random:
    seed = int(os.environ.get(SEED_VARIABLE) or random.SystemRandom().randrange(2**32))
    print(f"{request.node.nodeid}: random seed {seed} (replay: {SEED_VARIABLE}={seed})")
    return random.Random(seed)
