"""The Ultralytics and torchvision training paths of examples/: they train where their packages
run, and where they cannot run here they say why in one line instead of a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cli_support import REPO

sys.path.insert(0, str(REPO / "examples"))
torch = pytest.importorskip("torch")
from train_detector import torchvision_problem  # noqa: E402
from train_ultralytics import ultralytics_problem  # noqa: E402

ULTRALYTICS_PROBLEM = ultralytics_problem()
TORCHVISION_PROBLEM = torchvision_problem()
FASTERRCNN_FOUR_CPU_STEPS = ("--model", "fasterrcnn", "--steps", "4", "--cpu")


def run_example(script: str, *args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "examples" / script), *args],
        cwd=cwd,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.skipif(
    ULTRALYTICS_PROBLEM is not None, reason=f"Ultralytics cannot run here: {ULTRALYTICS_PROBLEM}"
)
def test_ultralytics_trains_one_epoch_from_a_model_yaml(raster_batch, tmp_path):
    batch = raster_batch
    done = run_example("train_ultralytics.py", str(batch), "--epochs", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "metrics/mAP50(B)" in done.stdout


@pytest.mark.skipif(ULTRALYTICS_PROBLEM is None, reason="Ultralytics runs here")
def test_ultralytics_example_says_why_it_cannot_run(tmp_path):
    done = run_example("train_ultralytics.py", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 2
    assert (
        done.stderr.startswith("Ultralytics cannot run here (") and "Traceback" not in done.stderr
    )
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(
    TORCHVISION_PROBLEM is not None, reason=f"torchvision cannot run here: {TORCHVISION_PROBLEM}"
)
def test_torchvision_faster_rcnn_trains_on_the_detection_dataset(raster_batch, tmp_path):
    done = run_example(
        "train_detector.py",
        str(raster_batch),
        *FASTERRCNN_FOUR_CPU_STEPS,
        "--out",
        str(tmp_path / "m.json"),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


@pytest.mark.skipif(TORCHVISION_PROBLEM is None, reason="torchvision runs here")
def test_torchvision_path_says_why_it_cannot_run(raster_batch, tmp_path):
    done = run_example(
        "train_detector.py", str(raster_batch), *FASTERRCNN_FOUR_CPU_STEPS, cwd=tmp_path
    )
    assert done.returncode == 1
    assert (
        "--model fasterrcnn needs a torchvision" in done.stderr and "Traceback" not in done.stderr
    )
