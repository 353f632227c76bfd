"""Photo statistics the refiner matches explicitly: colour (CIELAB mean/std) and noise level.

The diffusion refiner, trained from scratch on a few hundred photos, is poor at what is cheapest to
state: it kept the renders' colours and added more grain than the photos have (issue 15). This
module does those two things by measurement instead, around the model:

* **colour** (before the model): the frame's per-channel CIELAB mean and standard deviation are
  moved (Reinhard et al. 2001) to those of one real photo drawn per frame (seeded), so the refined
  set's colour and tone statistics follow the photos' distribution, not only its mean;
* **noise ceiling** (after the model): the fine part of what the model added (its change minus a
  2-px blur, all channels) is scaled down so that, added to the frame's own noise, it does not
  exceed the photos' median noise sigma (the ceiling never removes noise the render or sensor
  model made; a frame already at the ceiling gets no grain from the model).

Photos are measured at the scale of the frames they are matched to: resized (area filter) so the
shorter side equals the frame's. Noise sigma is the gap score's estimator (median |Laplacian|,
Immerkaer-style, luminance in [0, 1]). Images are uint8 (H, W, 3) sRGB. Everything here is
deterministic; the only randomness is the photo drawn per frame, from a seed.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Optional, Sequence

import cv2
import numpy as np

from renderer.refiner.errors import RefinerInputError

LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)  # Rec. 709 weights, as the gap score
MAX_GAIN = 2.0  # per-channel CIELAB std gain limit of the colour step
GRAIN_BLUR_PX = 2.0  # Gaussian sigma (px) splitting the model's change into smooth part + grain


@dataclasses.dataclass(frozen=True)
class PhotoStats:
    """One photo at frame scale: CIELAB mean and std per channel (OpenCV float Lab: L in
    [0, 100], a/b about [-127, 127]) and noise sigma (luminance in [0, 1])."""

    lab_mean: tuple[float, float, float]
    lab_std: tuple[float, float, float]
    noise_sigma: float


def noise_sigma(image: np.ndarray) -> float:
    """Noise sigma of a uint8 RGB image's luminance in [0, 1] (the gap score's estimator)."""
    luma = (image[..., :3].astype(np.float32) / 255.0) @ LUMA
    laplacian = cv2.Laplacian(luma, cv2.CV_32F, ksize=1)
    return float(np.median(np.abs(laplacian)) * 1.4826 / np.sqrt(20.0))


def _lab(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image[..., :3].astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)


def photo_stats(photo: np.ndarray, side: int) -> PhotoStats:
    """Statistics of ``photo`` resized so its shorter side is ``side`` px."""
    height, width = photo.shape[:2]
    scale = side / min(height, width)
    if scale != 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        photo = cv2.resize(
            photo, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        )
    lab = _lab(photo).reshape(-1, 3).astype(np.float64)
    return PhotoStats(
        tuple(float(v) for v in lab.mean(0)),
        tuple(float(v) for v in lab.std(0)),
        noise_sigma(photo),
    )


def photo_set_stats(photos: Sequence[np.ndarray], side: int) -> list[PhotoStats]:
    """:func:`photo_stats` of every photo; an error naming the fix when there are none."""
    if not photos:
        raise RefinerInputError(
            "no photos to match: pass a folder of real .png/.jpg photos with --photos"
        )
    return [photo_stats(photo, side) for photo in photos]


def pick_photo(stats: Sequence[PhotoStats], seed: int) -> PhotoStats:
    """The photo whose statistics a frame is matched to, drawn from ``seed`` alone."""
    return stats[int(np.random.default_rng(int(seed)).integers(len(stats)))]


def match_colour(image: np.ndarray, target: PhotoStats, weight: float = 1.0) -> np.ndarray:
    """``image`` with its CIELAB per-channel mean/std moved ``weight`` (0..1) of the way to
    ``target``'s (Reinhard colour transfer). The std gain is clipped to [1/MAX_GAIN, MAX_GAIN]:
    a flat render (a white wall) is not stretched into amplified noise and banding."""
    if weight <= 0.0:
        return image[..., :3].copy()
    lab = _lab(image)
    mean = lab.reshape(-1, 3).mean(0)
    std = lab.reshape(-1, 3).std(0)
    goal_mean = (1 - weight) * mean + weight * np.asarray(target.lab_mean, np.float32)
    goal_std = (1 - weight) * std + weight * np.asarray(target.lab_std, np.float32)
    gain = np.clip(goal_std / np.maximum(std, 1e-3), 1 / MAX_GAIN, MAX_GAIN).astype(np.float32)
    moved = (lab - mean) * gain + goal_mean
    moved[..., 0] = np.clip(moved[..., 0], 0.0, 100.0)
    rgb = cv2.cvtColor(moved.astype(np.float32), cv2.COLOR_LAB2RGB)
    return np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)


def grain_sigma(change: np.ndarray) -> float:
    """Robust sigma (MAD over all channels, [0, 1] units) of the fine part of an RGB change: the
    change minus its ``GRAIN_BLUR_PX`` Gaussian blur. Colour grain counts as much as grey grain."""
    change = change.astype(np.float32)
    fine = change - cv2.GaussianBlur(change, (0, 0), GRAIN_BLUR_PX)
    return float(1.4826 * np.median(np.abs(fine - np.median(fine))) / 255.0)


def cap_noise(before: np.ndarray, after: np.ndarray, ceiling: float) -> np.ndarray:
    """``after`` with the fine part of its change from ``before`` (:func:`grain_sigma`) scaled so
    the grain it adds is at most ``sqrt(ceiling^2 - noise_sigma(before)^2)`` (nothing once
    ``before`` is already at the ceiling); the smooth part of the change is kept as it is."""
    change = after[..., :3].astype(np.float32) - before[..., :3].astype(np.float32)
    added = grain_sigma(change)
    budget = math.sqrt(max(float(ceiling) ** 2 - noise_sigma(before) ** 2, 0.0))
    if added <= budget:
        return after[..., :3].copy()
    smooth = cv2.GaussianBlur(change, (0, 0), GRAIN_BLUR_PX)
    capped = before[..., :3].astype(np.float32) + smooth + (budget / added) * (change - smooth)
    return np.clip(capped + 0.5, 0, 255).astype(np.uint8)


class PhotoMatch:
    """The photo-matching steps around a refine function, for :func:`renderer.refiner.dataset.refine_frame`:
    :meth:`prepare` (colour match; the model refines its result and the gate compares with it)
    and :meth:`finish` (noise ceiling). Photo statistics are measured once per frame size; the
    photo is drawn from the frame's refine seed, so retries and reruns agree."""

    def __init__(
        self,
        photos: Sequence[np.ndarray],
        colour_weight: float = 1.0,
        description: Optional[dict] = None,
    ):
        if not 0.0 <= colour_weight <= 1.0:
            raise RefinerInputError(
                f"--colour-weight {colour_weight} is outside [0, 1]; use e.g. 1 "
                "(photos' colour statistics) or 0 (render's colours)"
            )
        if not photos:
            raise RefinerInputError(
                "no photos to match: pass a folder of real .png/.jpg photos with --photos"
            )
        self.photos = list(photos)
        self.colour_weight = float(colour_weight)
        self.description = {
            **(description or {}),
            "count": len(self.photos),
            "colour_weight": self.colour_weight,
        }
        self._stats: dict[int, list[PhotoStats]] = {}

    def stats_for(self, side: int) -> list[PhotoStats]:
        """Every photo's statistics at a frame shorter side of ``side`` px (cached)."""
        if side not in self._stats:
            self._stats[side] = photo_set_stats(self.photos, side)
        return self._stats[side]

    def target(self, image: np.ndarray, seed: int) -> PhotoStats:
        """The photo statistics a frame is matched to."""
        return pick_photo(self.stats_for(min(image.shape[:2])), seed)

    def prepare(self, image: np.ndarray, seed: int) -> np.ndarray:
        """The frame with the drawn photo's colour statistics (the model's input)."""
        return match_colour(image, self.target(image, seed), self.colour_weight)

    def noise_ceiling(self, side: int) -> float:
        """The photos' noise level at frame side ``side``: the median over the photos (one photo's
        estimate is inflated by its fine texture; the sensor model's photo fit uses a median too)."""
        return float(np.median([stats.noise_sigma for stats in self.stats_for(side)]))

    def finish(self, prepared: np.ndarray, refined: np.ndarray, seed: int) -> np.ndarray:
        """The model's result with the grain it added capped at the photos' noise level."""
        return cap_noise(prepared, refined, self.noise_ceiling(min(prepared.shape[:2])))
