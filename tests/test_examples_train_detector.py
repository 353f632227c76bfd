"""The training example runs end to end on CPU at toy size and produces COCO AP numbers."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from cli_support import REPO

pytest.importorskip("torch")


def test_train_detector_example_end_to_end(raster_batch, tmp_path):
    """Train 150 steps, evaluate on the held-out split and on a 'real' COCO set (here the
    batch's own coco.json, so its categories match the synthetic classes by name)."""
    batch = raster_batch
    metrics_path = tmp_path / "metrics.json"
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "examples/train_detector.py"),
            str(batch),
            "--steps",
            "150",
            "--model",
            "tiny",
            "--cpu",
            "--real-coco",
            str(batch / "coco.json"),
            "--out",
            str(metrics_path),
        ],
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    metrics = json.loads(metrics_path.read_text())
    assert metrics["model"] == "TinyCenterNet" and metrics["steps"] == 150
    assert metrics["train_frames"] + metrics["val_frames"] == 24 and metrics["val_frames"] >= 1
    assert metrics["loss_last"] < 0.5 * metrics["loss_first"]
    for result in (metrics["synthetic_val"], metrics["real"]):
        for key in ("AP", "AP50", "AP75"):
            assert isinstance(result[key], float) and 0.0 <= result[key] <= 1.0
        assert result["detections"] > 0
    assert len(metrics["real"]["matched_categories"]) >= 5
    # the 'real' set holds the 17 training frames, which 150 steps memorise (AP50 0.67 here):
    # a wrong category mapping or box scaling on the real path would give ~0
    assert metrics["real"]["AP50"] > 0.3
