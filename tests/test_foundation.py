"""Installation-level promises: Kubric imports without TensorFlow, the demo writes its files."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_kubric_and_renderer_import_while_tensorflow_does_not():
    assert run_python("import kubric, renderer; import renderer.blender").returncode == 0
    no_tf = run_python(
        "import kubric, kubric.renderer.blender, kubric.simulator.pybullet\nimport tensorflow"
    )
    assert no_tf.returncode != 0 and "No module named 'tensorflow'" in no_tf.stderr


def test_remote_paths_say_tensorflow_is_needed():
    import kubric as kb

    with pytest.raises(NotImplementedError, match="gs://bucket/x.png.*TensorFlow"):
        kb.read_png("gs://bucket/x.png")


def test_local_gfile_standin_round_trips(tmp_path):
    import kubric as kb

    kb.write_json({"answer": 42}, tmp_path / "a.json")
    assert kb.file_io.read_json(tmp_path / "a.json") == {"answer": 42}


def test_demo_command_writes_and_lists_its_files(tmp_path):
    out = tmp_path / "demo"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "renderer.cli",
            "demo",
            "--out",
            str(out),
            "--resolution",
            "48x32",
            "--samples",
            "2",
            "--count",
            "2",
            "--household-count",
            "1",
            "--household-resolution",
            "32x32",
            "--workers",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    hello, batch = out / "hello", out / "tabletop"
    for name in ("rgba.png", "segmentation.png", "instance_ids.png", "depth.npz", "scene.blend"):
        assert (hello / name).is_file() and str(hello / name) in done.stdout, name
    for folder in (batch, out / "household"):
        for name in ("data", "labels", "manifest.jsonl", "coco.json"):
            assert (folder / name).exists() and str(folder / name) in done.stdout, name
    depth = np.load(hello / "depth.npz")["depth"]
    assert depth.dtype == np.float32 and depth.shape == (32, 48)
    assert np.isfinite(depth).all() and 3.0 < depth.min() < 4.0  # ball's near side ~3.36 m


def test_bad_resolution_on_the_command_line_is_one_clear_message(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "renderer.cli",
            "demo",
            "--out",
            str(tmp_path),
            "--resolution",
            "0x64",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "--resolution '0x64' is invalid" in done.stderr and "Traceback" not in done.stderr
