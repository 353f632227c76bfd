"""Domain-gap score: separable sets score near 1, one set against itself near 0.5; CLI messages."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from renderer.cli import main
from renderer.refiner.errors import RefinerInputError
from renderer.refiner.gap import FEATURE_NAMES, domain_gap, image_features
from renderer.refiner.hdri_photos import hdri_photos
from fileio.images import write_png_atomic


@pytest.fixture(scope="module")
def photos():
    return hdri_photos(40, 64, seed=11)


def camera_model(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Blur + sensor noise + JPEG: a crude but clearly different domain."""
    degraded = cv2.GaussianBlur(image, (0, 0), 1.2).astype(np.float32) + rng.normal(
        0, 10, image.shape
    )
    encoded = cv2.imencode(
        ".jpg", np.clip(degraded, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 40]
    )[1]
    return cv2.imdecode(encoded, cv2.IMREAD_UNCHANGED)


def test_degraded_set_is_separable(photos):
    rng = np.random.default_rng(0)
    report = domain_gap(photos[:20], [camera_model(image, rng) for image in photos[20:]], size=64)
    assert report.accuracy > 0.9
    stats = report.statistics
    assert (
        stats["real"]["power_band5"] < stats["synthetic"]["power_band5"]
    )  # blur + JPEG remove detail


def test_same_distribution_is_near_chance(photos):
    """Two independent draws of the embedded photos (each cycles through all HDRIs)."""
    report = domain_gap(photos[:24], hdri_photos(24, 64, seed=12), size=64)
    assert report.accuracy < 0.75


def test_features_are_finite_and_named(photos):
    features = image_features(photos[0], size=64)
    assert features.shape == (len(FEATURE_NAMES),) and np.all(np.isfinite(features))


def test_too_few_images_is_a_clear_error(photos):
    with pytest.raises(RefinerInputError, match="at least 2 images"):
        domain_gap(photos[:1], photos[1:5])


def test_gap_cli(tmp_path, photos, capsys):
    for index, image in enumerate(photos[:6]):
        write_png_atomic(tmp_path / "a" / f"{index}.png", image)
        write_png_atomic(tmp_path / "b" / f"{index}.png", 255 - image)
    assert (
        main(
            [
                "gap",
                str(tmp_path / "a"),
                str(tmp_path / "b"),
                "--size",
                "32",
                "--json",
                str(tmp_path / "gap.json"),
            ]
        )
        == 0
    )
    assert "gap_accuracy" in (tmp_path / "gap.json").read_text()
    assert main(["gap", str(tmp_path / "a"), str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_excluding_the_giveaway_feature_brings_the_score_to_chance(photos):
    """Sets that differ only in brightness (+40, clipped): separable with the intensity features,
    at chance without them (clipping also touches the spreads and the corner/centre ratio)."""
    brighter = [np.clip(image.astype(int) + 40, 0, 255).astype(np.uint8) for image in photos[20:]]
    intensity = [
        "mean_r",
        "mean_g",
        "mean_b",
        "std_r",
        "std_g",
        "std_b",
        "luma_p05",
        "luma_p50",
        "luma_p95",
        "saturation",
        "vignetting",
    ]
    assert domain_gap(photos[:20], brighter, size=64).accuracy > 0.9
    assert domain_gap(photos[:20], brighter, size=64, exclude=intensity).accuracy < 0.7
    with pytest.raises(RefinerInputError, match="unknown gap features"):
        domain_gap(photos[:20], brighter, exclude=["nope"])
