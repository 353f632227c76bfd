"""Domain-gap measurement between two image sets, with no downloaded weights.

The gap score is the held-out (stratified k-fold) balanced accuracy of a logistic-regression
classifier (scikit-learn) trained to tell the sets apart from hand-made colour and frequency
features: 0.5 means indistinguishable by these features, 1.0 means perfectly separable.

Every image is first resized (area filter) to ``size`` x ``size`` pixels so both sets are seen
at the same scale. Features (all of luminance unless said otherwise):

* colour: mean and std of R, G, B; mean HSV saturation; luminance 5/50/95th percentiles;
* frequency: fraction of spectral power in 6 log-spaced radial bands; spectral slope;
* detail/noise: log mean |Laplacian|; noise sigma (median absolute Laplacian, Immerkaer-style);
* optics: vignetting (corner-to-centre luminance ratio); JPEG blockiness (8-px grid step vs
  off-grid step).
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import cv2
import numpy as np

from renderer.refiner.errors import RefinerInputError
from renderer.refiner.photo_stats import LUMA

BANDS = 6
FEATURE_NAMES = (
    [
        "mean_r",
        "mean_g",
        "mean_b",
        "std_r",
        "std_g",
        "std_b",
        "saturation",
        "luma_p05",
        "luma_p50",
        "luma_p95",
    ]
    + [f"power_band{band}" for band in range(BANDS)]
    + ["spectral_slope", "log_laplacian", "noise_sigma", "vignetting", "blockiness"]
)
SUMMARY_FEATURES = (
    "mean_r",
    "mean_g",
    "mean_b",
    "std_r",
    "std_g",
    "std_b",
    "saturation",
    "spectral_slope",
    "power_band5",
    "log_laplacian",
    "noise_sigma",
    "vignetting",
    "blockiness",
)


def image_features(image: np.ndarray, size: int = 128) -> np.ndarray:
    """float64 feature vector (see ``FEATURE_NAMES``) of a uint8 (H, W, 3) RGB image."""
    shrink = min(image.shape[:2]) >= size
    rgb = cv2.resize(
        image[..., :3], (size, size), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    )
    rgb = rgb.astype(np.float32) / 255.0
    luma = rgb @ LUMA
    colour = list(rgb.reshape(-1, 3).mean(0)) + list(rgb.reshape(-1, 3).std(0))
    saturation = float(cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)[..., 1].mean())
    percentiles = list(np.percentile(luma, [5, 50, 95]))
    bands, slope = _spectrum(luma)
    laplacian = cv2.Laplacian(luma, cv2.CV_32F, ksize=1)
    noise_sigma = float(np.median(np.abs(laplacian)) * 1.4826 / np.sqrt(20.0))
    return np.array(
        colour
        + [saturation]
        + percentiles
        + list(bands)
        + [
            slope,
            float(np.log(np.abs(laplacian).mean() + 1e-6)),
            noise_sigma,
            _vignetting(luma),
            _blockiness(luma),
        ],
        np.float64,
    )


def _spectrum(luma: np.ndarray) -> tuple[np.ndarray, float]:
    """Power fraction in log-spaced radial bands (DC excluded) and the log-log spectral slope."""
    size = luma.shape[0]
    window = np.outer(np.hanning(size), np.hanning(size))
    power = np.abs(np.fft.fftshift(np.fft.fft2((luma - luma.mean()) * window))) ** 2
    ys, xs = np.indices(power.shape) - size // 2
    radius = np.hypot(xs, ys)
    edges = np.geomspace(1, size / 2, BANDS + 1)
    band_power = np.array(
        [power[(radius >= lo) & (radius < hi)].sum() for lo, hi in zip(edges[:-1], edges[1:])]
    )
    fractions = band_power / max(band_power.sum(), 1e-12)
    valid = (radius >= 1) & (radius < size / 2)
    radii = np.arange(1, size // 2)
    profile = np.array([power[valid & (np.round(radius) == r)].mean() for r in radii])
    slope = float(np.polyfit(np.log(radii), np.log(profile + 1e-12), 1)[0])
    return fractions, slope


def _vignetting(luma: np.ndarray) -> float:
    size = luma.shape[0]
    corner = size // 6
    corners = np.concatenate(
        [
            luma[:corner, :corner],
            luma[:corner, -corner:],
            luma[-corner:, :corner],
            luma[-corner:, -corner:],
        ],
        axis=None,
    )
    centre = luma[size // 2 - corner : size // 2 + corner, size // 2 - corner : size // 2 + corner]
    return float(corners.mean() / max(centre.mean(), 1e-3))


def _blockiness(luma: np.ndarray) -> float:
    steps = np.abs(np.diff(luma, axis=1))
    on_grid = steps[:, 7::8].mean()
    off_grid = np.delete(steps, np.s_[7::8], axis=1).mean()
    return float(on_grid / max(off_grid, 1e-6))


@dataclasses.dataclass
class GapReport:
    """Gap score (held-out classifier accuracy), its spread over folds, and per-set statistics."""

    accuracy: float
    accuracy_std: float
    folds: int
    counts: dict
    statistics: dict
    excluded: list = dataclasses.field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "gap_accuracy": round(self.accuracy, 4),
            "gap_accuracy_std": round(self.accuracy_std, 4),
            "folds": self.folds,
            "counts": self.counts,
            "excluded_features": self.excluded,
            "statistics": self.statistics,
            "meaning": "held-out balanced accuracy of a logistic-regression classifier telling the two "
            "sets apart from colour/frequency features; 0.5 = indistinguishable",
        }


def domain_gap(
    first: Sequence[np.ndarray],
    second: Sequence[np.ndarray],
    size: int = 128,
    seed: int = 0,
    names: tuple[str, str] = ("synthetic", "real"),
    exclude: Sequence[str] = (),
) -> GapReport:
    """Measure how separable two image sets are (see module docstring); ``exclude`` names features
    (of ``FEATURE_NAMES``) the classifier must not use, to see which ones give a set away."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if min(len(first), len(second)) < 2:
        raise RefinerInputError(
            f"gap needs at least 2 images per set (got {len(first)} {names[0]} and "
            f"{len(second)} {names[1]}); 20+ per set gives a stable score"
        )
    unknown = sorted(set(exclude) - set(FEATURE_NAMES))
    if unknown:
        raise RefinerInputError(
            f"unknown gap features {unknown}; choose from {', '.join(FEATURE_NAMES)}"
        )
    features = np.stack([image_features(image, size) for image in list(first) + list(second)])
    used = [index for index, name in enumerate(FEATURE_NAMES) if name not in set(exclude)]
    labels = np.array([0] * len(first) + [1] * len(second))
    folds = int(min(5, len(first), len(second)))
    classifier = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    scores = cross_val_score(
        classifier,
        features[:, used],
        labels,
        scoring="balanced_accuracy",
        cv=StratifiedKFold(folds, shuffle=True, random_state=seed),
    )
    statistics = {name: _summary(features[labels == index]) for index, name in enumerate(names)}
    return GapReport(
        accuracy=float(scores.mean()),
        accuracy_std=float(scores.std()),
        folds=folds,
        counts={names[0]: len(first), names[1]: len(second)},
        statistics=statistics,
        excluded=list(exclude),
    )


def _summary(features: np.ndarray) -> dict:
    means = features.mean(0)
    return {name: round(float(means[FEATURE_NAMES.index(name)]), 4) for name in SUMMARY_FEATURES}
