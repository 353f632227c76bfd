"""Kubric scripts that call the renderer's housekeeping API run on the Blender 4.5 drop-in:
``clear_and_reset_blender_scene``, writable ``use_gpu``, ``set_exr_output_path``, ``postprocess``."""

from __future__ import annotations

import numpy as np
import pytest

import kubric as kb
from renderer.blender import Blender, GpuUnavailableError

LAYERS = ("rgba", "segmentation", "depth", "normal", "object_coordinates")


def populate(scene: kb.Scene) -> kb.Scene:
    """Kubric's hello-world shape, 32 px, two frames with a moving camera (added after the
    renderer exists, as Kubric scripts do, so keyframes reach Blender)."""
    scene += kb.Cube(name="floor", scale=(3, 3, 0.1), position=(0, 0, -0.1))
    scene += kb.Sphere(name="ball", scale=0.5, position=(0, 0, 0.5))
    scene += kb.DirectionalLight(
        name="sun", position=(-1, -0.5, 3), look_at=(0, 0, 0), intensity=1.5
    )
    scene += kb.PerspectiveCamera(name="camera", position=(3, -1, 4), look_at=(0, 0, 0.5))
    scene.camera.keyframe_insert("position", 1)
    scene.camera.position = (2.5, -2, 4)
    scene.camera.keyframe_insert("position", 2)
    return scene


def test_a_kubric_script_using_the_four_api_members_runs(tmp_path):
    Blender.clear_and_reset_blender_scene(verbose=False)  # as Kubric's worker scripts do
    scene = kb.Scene(resolution=(32, 32), frame_start=1, frame_end=2)
    renderer = Blender(
        scene,
        scratch_dir=tmp_path / "scratch",
        samples_per_pixel=2,
        use_denoising=False,
        device="cpu",
    )
    populate(scene)
    renderer.use_gpu = False
    assert renderer.use_gpu is False
    if renderer.device_info.backend == "CPU":
        try:
            renderer.use_gpu = True
        except GpuUnavailableError as error:  # no GPU here: a clear error, not a silent CPU
            assert "GPU" in str(error)
        renderer.use_gpu = False
    renderer.set_exr_output_path(tmp_path / "out" / "exr" / "frame_")
    rendered = renderer.render(return_layers=LAYERS)
    assert sorted(p.name for p in (tmp_path / "out" / "exr").iterdir()) == [
        "frame_0001.exr",
        "frame_0002.exr",
    ]
    assert sorted(p.name for p in (tmp_path / "out" / "images").iterdir()) == [
        "frame_0001.png",
        "frame_0002.png",
    ]
    post = renderer.postprocess(tmp_path / "out", return_layers=LAYERS)
    for key in LAYERS:  # the files alone give back exactly what render() returned
        assert post[key].shape[0] == 2 and np.array_equal(post[key], rendered[key]), key
    assert not np.array_equal(rendered["depth"][0], rendered["depth"][1])  # the camera moved
    renderer.set_exr_output_path(None)
    renderer.render(frames=[1], return_layers=("rgba",))
    assert len(list((tmp_path / "out" / "exr").iterdir())) == 2  # off again: nothing new


def test_postprocess_names_what_is_missing(tmp_path):
    scene = kb.Scene(resolution=(32, 32))
    renderer = Blender(scene, scratch_dir=tmp_path / "scratch", samples_per_pixel=1, device="cpu")
    populate(scene)
    with pytest.raises(FileNotFoundError, match="set_exr_output_path"):
        renderer.postprocess(tmp_path)
