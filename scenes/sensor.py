"""Sampling the camera/sensor model: ranges of every effect, and a per-frame :class:`SensorSpec`.

The effects act on the rendered RGB only (``renderer.sensor`` applies them after the colour pass,
before the image is written); labels describe the sharp, noise-free scene and never change.
Blur lengths are fractions of the image width, noise is in linear-light units (see
:class:`scenes.spec.SensorSpec`).

:data:`DEFAULT_RANGES` suit phone photos seen at 160-256 px. :func:`ranges_matching` centres the
ranges on statistics measured from a folder of the user's photos (:mod:`scenes.photo_fit`).
Sample a recipe's sensor *last*, so switching it off leaves every other sampled value unchanged.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Optional

import numpy as np

from scenes.spec import SensorSpec

Range = tuple[float, float]
SRGB_SLOPE_AT_02 = 1.125  # d sRGB / d linear at linear 0.2 (mid-grey): noise in sRGB -> linear
RENDER_BLUR_PX = 0.5  # Gaussian sigma (px) the renderers' own pixel filter already has


@dataclasses.dataclass(frozen=True)
class SensorRanges:
    """Where each effect is drawn from. ``(low, high)`` ranges are uniform unless the field says
    log-uniform; ``*_probability`` is the chance the effect is on at all in a frame."""

    auto_exposure: Range = (0.36, 0.5)  # metered mean sRGB luminance
    exposure: Range = (-0.5, 0.5)  # EV
    red_gain: Range = (0.88, 1.12)  # log-uniform, white-balance error of R / G
    blue_gain: Range = (0.88, 1.12)  # log-uniform, B / G
    blur: Range = (0.0, 0.004)  # fraction of image width (sigma)
    defocus: Range = (0.002, 0.01)  # fraction of image width (disk radius)
    defocus_probability: float = 0.25
    motion: Range = (0.004, 0.015)  # fraction of image width (kernel length)
    motion_probability: float = 0.15
    chromatic_aberration: Range = (0.0, 0.003)  # fraction of image width at the corner
    vignetting: Range = (0.0, 0.4)
    shot_noise: Range = (0.004, 0.03)  # log-uniform
    read_noise: Range = (0.001, 0.006)  # log-uniform
    saturation: Range = (1.0, 1.5)  # log-uniform chroma multiplier
    contrast: Range = (0.0, 0.5)  # S-curve strength
    jpeg_quality: Range = (60, 95)  # integer quality
    jpeg_probability: float = 0.7
    # a phone's finish; renders are flatter and softer than photos (crops of 400 household
    # frames: luminance std 0.105 vs 0.18-0.20, log mean |Laplacian| -3.84 vs -2.7; README,
    # "Transfer")
    levels: Range = (0.5, 1.0)
    clarity: Range = (0.0, 0.6)
    sharpen: Range = (0.3, 1.5)
    matched: dict = dataclasses.field(default_factory=dict)


DEFAULT_RANGES = SensorRanges()


def random_sensor(rng: np.random.Generator, ranges: SensorRanges = DEFAULT_RANGES) -> SensorSpec:
    """One frame's sensor model drawn from ``ranges`` (fixed draw order)."""

    def uniform(bounds: Range) -> float:
        return float(rng.uniform(bounds[0], bounds[1]))

    def log_uniform(bounds: Range) -> float:
        return float(math.exp(rng.uniform(math.log(bounds[0]), math.log(bounds[1]))))

    def sometimes(probability: float, bounds: Range) -> float:
        on = rng.uniform() < probability
        value = uniform(bounds)
        return value if on else 0.0

    key = uniform(ranges.auto_exposure)
    exposure = uniform(ranges.exposure)
    gains = (log_uniform(ranges.red_gain), 1.0, log_uniform(ranges.blue_gain))
    blur = uniform(ranges.blur)
    defocus = sometimes(ranges.defocus_probability, ranges.defocus)
    motion = sometimes(ranges.motion_probability, ranges.motion)
    motion_angle = uniform((0.0, math.pi))
    aberration = uniform(ranges.chromatic_aberration)
    vignetting = uniform(ranges.vignetting)
    shot, read = log_uniform(ranges.shot_noise), log_uniform(ranges.read_noise)
    saturation, contrast = log_uniform(ranges.saturation), uniform(ranges.contrast)
    quality = int(round(sometimes(ranges.jpeg_probability, ranges.jpeg_quality)))
    seed = int(rng.integers(0, 2**31 - 1))
    # drawn after the seed: the effects above keep their values from before these existed
    levels, clarity, sharpen = (
        uniform(ranges.levels),
        uniform(ranges.clarity),
        uniform(ranges.sharpen),
    )
    return SensorSpec(
        auto_exposure=key,
        exposure=exposure,
        white_balance=gains,
        blur=blur,
        defocus=defocus,
        motion=motion,
        motion_angle=motion_angle,
        chromatic_aberration=aberration,
        vignetting=vignetting,
        shot_noise=shot,
        read_noise=read,
        saturation=saturation,
        contrast=contrast,
        jpeg_quality=min(max(quality, 0), 100),
        seed=seed,
        levels=levels,
        clarity=clarity,
        sharpen=sharpen,
        matched=dict(ranges.matched),
    )


def ranges_matching(
    fit: dict, base: SensorRanges = DEFAULT_RANGES, spread: float = 1.6
) -> SensorRanges:
    """``base`` with the ranges of noise, blur, JPEG quality, metered brightness and white
    balance centred on a photo fit (:func:`scenes.photo_fit.fit_photos`): each spans centre / ``spread`` .. centre *
    ``spread`` (JPEG: +-10 quality, brightness +-0.06); effects the fit says nothing about keep
    ``base``."""

    def around(centre: float, floor: float = 0.0) -> Range:
        centre = max(centre, floor)
        return (centre / spread, centre * spread)

    changes: dict = {"matched": dict(fit)}
    sigma = fit.get("noise_sigma")
    if sigma is not None:
        linear = float(sigma) / SRGB_SLOPE_AT_02
        read = 0.3 * linear
        shot = math.sqrt(max(linear**2 - read**2, 0.0) / 0.2)
        changes["shot_noise"] = around(shot, 1e-4)
        changes["read_noise"] = around(read, 1e-4)
    blur_px, scale = fit.get("blur_px"), fit.get("scale")
    if blur_px is not None and scale:
        extra = math.sqrt(max(float(blur_px) ** 2 - RENDER_BLUR_PX**2, 0.0)) / float(scale)
        changes["blur"] = (extra / spread, extra * spread) if extra > 0 else (0.0, 0.5 / scale)
    quality = fit.get("jpeg_quality_effective")
    if quality is not None:
        changes["jpeg_quality"] = (max(1.0, quality - 10.0), min(100.0, quality + 10.0))
        changes["jpeg_probability"] = 1.0 if quality < 97 else 0.0
    luminance = fit.get("luminance")
    if luminance is not None:
        changes["auto_exposure"] = (max(0.05, luminance - 0.06), min(0.9, luminance + 0.06))
    gains = fit.get("gray_world_gains")
    if gains:
        red, blue = float(gains[0]), float(gains[2])
        changes["red_gain"] = (red / 1.08, red * 1.08)
        changes["blue_gain"] = (blue / 1.08, blue * 1.08)
    return dataclasses.replace(base, **changes)


def sensor_for(
    rng: np.random.Generator, enabled: bool, photos: Optional[str] = None, scale: int = 256
) -> Optional[SensorSpec]:
    """What a recipe's ``sensor.*`` parameters ask for: None when off, else a sensor drawn from
    the default ranges or from ranges matched to the photos in ``photos`` (seen at ``scale`` px)."""
    if not enabled:
        return None
    if photos:
        from scenes.photo_fit import fit_photos  # pylint: disable=import-outside-toplevel

        return random_sensor(rng, ranges_matching(fit_photos(photos, scale)))
    return random_sensor(rng)
