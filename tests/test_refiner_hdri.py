"""Embedded real-photo default: perspective crops of the HDRIs bundled with bpy."""

from __future__ import annotations

import math

import numpy as np
import pytest

from renderer.refiner.hdri_photos import bundled_hdri_paths, hdri_photos, perspective_crop, tone_map


def test_bundled_hdris_are_found_without_importing_bpy():
    import subprocess
    import sys

    paths = bundled_hdri_paths()
    assert len(paths) >= 8 and all(path.suffix == ".exr" for path in paths)
    probe = (
        "import sys; from renderer.refiner.hdri_photos import hdri_photos; hdri_photos(1, 16); "
        "print('bpy' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_photos_are_deterministic_and_photo_like():
    first = hdri_photos(4, 48, seed=7)
    again = hdri_photos(4, 48, seed=7)
    other = hdri_photos(4, 48, seed=8)
    assert all(a.shape == (48, 48, 3) and a.dtype == np.uint8 for a in first)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))
    assert all(a.std() > 10 for a in first)  # textured, not flat


@pytest.mark.parametrize("yaw", [-120.0, 0.0, 45.0, 170.0])
def test_crop_centre_looks_at_the_requested_longitude(yaw):
    """A panorama whose value is its longitude in degrees: the crop centre reads back ``yaw``."""
    height, width = 256, 512
    longitude = (np.arange(width) + 0.5) / width * 360.0 - 180.0
    panorama = np.repeat(np.broadcast_to(longitude, (height, width))[..., None], 3, axis=2).astype(
        np.float32
    )
    crop = perspective_crop(panorama, 33, fov_deg=30, yaw_deg=yaw, pitch_deg=0, supersample=1)
    assert crop[16, 16, 0] == pytest.approx(yaw, abs=360 / width)


def test_pitch_up_sees_the_upper_rows():
    height, width = 256, 512
    latitude = 90.0 - (np.arange(height) + 0.5) / height * 180.0
    panorama = np.repeat(
        np.broadcast_to(latitude[:, None], (height, width))[..., None], 3, axis=2
    ).astype(np.float32)
    crop = perspective_crop(panorama, 33, fov_deg=40, yaw_deg=0, pitch_deg=30, supersample=1)
    assert crop[16, 16, 0] == pytest.approx(30.0, abs=180 / height)
    assert crop[0, 16, 0] > crop[32, 16, 0]  # image top is up
    assert math.isclose(crop[0, 16, 0] - 30.0, 20.0, abs_tol=1.0)  # half the vertical FOV


def test_tone_map_is_monotonic_and_in_range():
    ramp = np.geomspace(1e-3, 100, 64, dtype=np.float32)
    linear = np.repeat(ramp[None, :, None], 3, axis=2)
    mapped = tone_map(linear)[0, :, 0].astype(int)
    assert mapped.min() >= 0 and mapped.max() <= 255 and np.all(np.diff(mapped) >= 0)
