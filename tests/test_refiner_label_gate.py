"""Label-consistency gate: unchanged frames score 1, moved objects fail, camera-like degradations pass."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from renderer.refiner.label_gate import edge_alignment, gate, instance_boundaries
from renderer.refiner.hdri_photos import hdri_photos

SIZE = 64


@pytest.fixture(scope="module")
def frame():
    """A 64x64 photo background with three textured, tinted objects and their instance map."""
    background = hdri_photos(1, SIZE, seed=3)[0]
    textures = hdri_photos(3, SIZE, seed=5)
    ids = np.zeros((SIZE, SIZE), np.uint16)
    cv2.circle(ids, (20, 22), 12, 1, -1)
    ids[36:58, 30:56] = 2
    cv2.circle(ids, (48, 16), 9, 3, -1)
    image = background.copy()
    for instance in (1, 2, 3):
        tint = 80 * np.eye(3)[instance - 1]
        image[ids == instance] = (0.6 * textures[instance - 1][ids == instance] + tint).astype(
            np.uint8
        )
    return image, ids


def test_unchanged_image_scores_one_and_passes(frame):
    image, ids = frame
    result = gate(image, image.copy(), ids)
    assert result.score == pytest.approx(1.0)
    assert result.passed
    assert set(result.per_object) == {"1", "2", "3"}


@pytest.mark.parametrize("shift", [3, 6])
def test_shifted_image_is_rejected(frame, shift):
    image, ids = frame
    moved = np.roll(image, shift, axis=1)
    result = gate(image, moved, ids)
    assert not result.passed
    assert result.edge_alignment < 0.3


def test_camera_degradations_pass(frame):
    """Noise, a little blur, JPEG and a colour cast are what refinement should add: they pass."""
    image, ids = frame
    rng = np.random.default_rng(0)
    noisy = np.clip(image + rng.normal(0, 8, image.shape), 0, 255).astype(np.uint8)
    blurred = cv2.GaussianBlur(image, (0, 0), 0.8)
    jpeg = cv2.imdecode(
        cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 60])[1], cv2.IMREAD_UNCHANGED
    )
    tinted = np.clip(image * np.array([1.1, 0.95, 0.85]) + 8, 0, 255).astype(np.uint8)
    for degraded in (noisy, blurred, jpeg, tinted):
        result = gate(image, degraded, ids)
        assert result.passed and result.score > 0.8, result.to_json()


def test_scores_fall_monotonically_with_shift(frame):
    image, ids = frame
    scores = [gate(image, np.roll(image, shift, axis=0), ids).score for shift in (0, 1, 2, 4)]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1] + 0.5


def test_boundaries_and_invisible_edges():
    ids = np.zeros((8, 8), np.uint16)
    ids[2:5, 3:6] = 1
    boundary = instance_boundaries(ids)
    assert boundary[2, 3] and boundary[1, 3] and not boundary[3, 4] and not boundary[7, 7]
    flat = np.full((8, 8, 3), 120, np.uint8)  # the object is invisible: nothing to align against
    assert edge_alignment(flat, flat, ids) is None
    assert gate(flat, flat, ids).passed
