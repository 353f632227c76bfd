"""``synthscene preview``: a contact sheet of the frames a batch would render."""

from __future__ import annotations

import json
import subprocess
import sys

import cv2

from renderer.batch import frame_seed


def test_preview_contact_sheet_and_parameters(tmp_path):
    out = tmp_path / "sheet.png"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "renderer.cli",
            "preview",
            "clevr",
            "--count",
            "4",
            "--out",
            str(out),
            "--resolution",
            "64x48",
            "--engine",
            "raster",
            "--seed",
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    sheet = cv2.imread(str(out))
    assert sheet.shape == (2 * (48 + 46 + 2), 2 * (64 + 2), 3)  # 2x2 tiles with captions
    parameters = json.loads(out.with_suffix(".json").read_text())
    assert sorted(parameters) == ["0", "1", "2", "3"]
    assert [parameters[str(i)]["seed"] for i in range(4)] == [frame_seed(3, i) for i in range(4)]
    assert all("camera.focal_length" in p for p in parameters.values())
    assert sheet[:48, :64].std() > 5  # a real render, not a blank tile


def test_preview_of_unknown_recipe_is_one_message(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "renderer.cli", "preview", "nope", "--out", str(tmp_path / "x.png")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2 and "nope" in done.stderr and "Traceback" not in done.stderr
