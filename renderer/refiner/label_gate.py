"""Label-consistency gate: does a refined image still match the labels of its render?

Two measurements, both 1.0 for an unchanged image and falling as objects drift:

* **edge alignment** — Pearson correlation between the image's gradient magnitude and the
  instance-boundary map (boundaries from the instance-id map, softened by a 1-px Gaussian),
  for the refined image divided by the same for the render, clipped to [0, 1]. Moving an object
  takes its edges off the labelled boundary; smearing or noise dilutes the correlation.
* **object similarity** — SSIM (Wang et al. 2004, 7x7 Gaussian window, sigma 1.5) between render
  and refined luminance, each lightly blurred (sigma ``structure_sigma``) so pixel noise and grain
  — which the refiner is meant to add — count little, averaged inside each instance mask;
  the gate uses the worst object of at least ``min_object_px`` pixels.

``score = min(edge_alignment, object_similarity)``; a frame passes when ``score >= threshold``.
Per-object mean colour shifts are recorded too (refinement is expected to change colour, so
they are not gated). Images are uint8 (H, W, 3); ``instance_ids`` is (H, W), 0 = background.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import cv2
import numpy as np
from renderer.refiner.photo_stats import LUMA

DEFAULT_THRESHOLD = 0.5


@dataclasses.dataclass
class GateResult:
    score: float
    edge_alignment: float
    object_similarity: float
    passed: bool
    threshold: float
    per_object: dict = dataclasses.field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "score": round(self.score, 4),
            "edge_alignment": round(self.edge_alignment, 4),
            "object_similarity": round(self.object_similarity, 4),
            "passed": self.passed,
            "threshold": self.threshold,
            "per_object": self.per_object,
        }


def luminance(image: np.ndarray) -> np.ndarray:
    """float32 (H, W) Rec.709 luma of uint8 RGB, in [0, 1]."""
    return (image[..., :3].astype(np.float32) @ LUMA) / 255.0


def gradient_magnitude(gray: np.ndarray) -> np.ndarray:
    dx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    dy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    return np.sqrt(dx * dx + dy * dy)


def instance_boundaries(instance_ids: np.ndarray) -> np.ndarray:
    """bool (H, W): pixels whose right or lower neighbour has another instance id (and those neighbours)."""
    ids = np.asarray(instance_ids)
    edge = np.zeros(ids.shape, bool)
    horizontal = ids[:, 1:] != ids[:, :-1]
    vertical = ids[1:, :] != ids[:-1, :]
    edge[:, 1:] |= horizontal
    edge[:, :-1] |= horizontal
    edge[1:, :] |= vertical
    edge[:-1, :] |= vertical
    return edge


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    denominator = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum()) / denominator if denominator > 0 else 0.0


def edge_alignment(
    render: np.ndarray, refined: np.ndarray, instance_ids: np.ndarray
) -> Optional[float]:
    """Refined/render ratio of gradient-boundary correlation in [0, 1]; None if nothing to check."""
    boundary = cv2.GaussianBlur(instance_boundaries(instance_ids).astype(np.float32), (0, 0), 1.0)
    reference = _correlation(gradient_magnitude(luminance(render)), boundary)
    if reference < 0.05:  # boundaries invisible in the render itself: no evidence either way
        return None
    return float(
        np.clip(_correlation(gradient_magnitude(luminance(refined)), boundary) / reference, 0, 1)
    )


def ssim_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-pixel SSIM of two float images in [0, 1] (Gaussian 7x7 window, sigma 1.5)."""
    c1, c2 = 0.01**2, 0.03**2
    blur = lambda x: cv2.GaussianBlur(x, (7, 7), 1.5)  # noqa: E731
    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a * mu_a
    var_b = blur(b * b) - mu_b * mu_b
    covariance = blur(a * b) - mu_a * mu_b
    return ((2 * mu_a * mu_b + c1) * (2 * covariance + c2)) / (
        (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    )


def gate(
    render: np.ndarray,
    refined: np.ndarray,
    instance_ids: np.ndarray,
    threshold: float = DEFAULT_THRESHOLD,
    min_object_px: int = 32,
    structure_sigma: float = 1.0,
) -> GateResult:
    """Score ``refined`` against the labels of ``render`` (see module docstring)."""
    if render.shape[:2] != refined.shape[:2] or render.shape[:2] != instance_ids.shape[:2]:
        raise ValueError(
            f"shape mismatch: render {render.shape}, refined {refined.shape}, ids {instance_ids.shape}"
        )

    def smooth(image: np.ndarray) -> np.ndarray:
        grey = luminance(image)
        return cv2.GaussianBlur(grey, (0, 0), structure_sigma) if structure_sigma else grey

    similarity = ssim_map(smooth(render), smooth(refined))
    per_object = {}
    for instance in np.unique(instance_ids):
        mask = instance_ids == instance
        if instance == 0 or mask.sum() < min_object_px:
            continue
        colour_shift = np.abs(
            render[mask][:, :3].astype(np.float32).mean(0)
            - refined[mask][:, :3].astype(np.float32).mean(0)
        )
        per_object[str(int(instance))] = {
            "ssim": round(float(similarity[mask].mean()), 4),
            "pixels": int(mask.sum()),
            "colour_shift": round(float(np.linalg.norm(colour_shift)) / 255.0, 4),
        }
    object_similarity = min((record["ssim"] for record in per_object.values()), default=1.0)
    edges = edge_alignment(render, refined, instance_ids)
    edges = 1.0 if edges is None else edges
    score = float(min(edges, object_similarity))
    return GateResult(
        score=score,
        edge_alignment=float(edges),
        object_similarity=float(object_similarity),
        passed=bool(score >= threshold),
        threshold=float(threshold),
        per_object=per_object,
    )
