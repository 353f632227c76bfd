"""A simple photographic camera model: lens blur, vignetting, colour cast, sensor noise, JPEG.

Used by the proxy experiment to turn clean Cycles renders into a stand-in "real" domain, with
effects a diffusion refiner can learn from unpaired images. Images are uint8 (H, W, 3) sRGB; the
optics and noise act on linear light. Deterministic for a given ``seed``.
"""
from __future__ import annotations

import dataclasses

import cv2
import numpy as np


@dataclasses.dataclass(frozen=True)
class CameraEffects:
    """blur_sigma: lens blur, px. vignetting: relative fall-off at the image corners (0 = none).
    colour_gains: white-balance error per RGB channel. read_noise, shot_noise: sensor noise
    sigma = sqrt(read_noise^2 + shot_noise^2 * linear) in linear [0, 1] units. jpeg_quality: 1-100."""
    blur_sigma: float = 0.8
    vignetting: float = 0.35
    colour_gains: tuple[float, float, float] = (1.06, 1.0, 0.9)
    read_noise: float = 0.01
    shot_noise: float = 0.05
    jpeg_quality: int = 70


def srgb_to_linear(srgb: np.ndarray) -> np.ndarray:
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(linear: np.ndarray) -> np.ndarray:
    linear = np.clip(linear, 0, 1)
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)


def apply_camera(image: np.ndarray, seed: int, effects: CameraEffects = CameraEffects()) -> np.ndarray:
    """``image`` as the modelled camera would have photographed it (see module docstring)."""
    rng = np.random.default_rng(seed)
    linear = srgb_to_linear(image[..., :3].astype(np.float32) / 255.0)
    if effects.blur_sigma > 0:
        linear = cv2.GaussianBlur(linear, (0, 0), effects.blur_sigma)
    height, width = linear.shape[:2]
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    radius = np.hypot((cols + 0.5) / width - 0.5, (rows + 0.5) / height - 0.5) / np.sqrt(0.5)
    linear = linear * (1.0 - effects.vignetting * radius ** 2)[..., None] * np.array(effects.colour_gains, np.float32)
    sigma = np.sqrt(effects.read_noise ** 2 + effects.shot_noise ** 2 * np.clip(linear, 0, None))
    linear = linear + rng.standard_normal(linear.shape).astype(np.float32) * sigma
    srgb = (linear_to_srgb(linear) * 255 + 0.5).astype(np.uint8)
    encoded = cv2.imencode(".jpg", srgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(effects.jpeg_quality)])[1]
    return np.ascontiguousarray(cv2.imdecode(encoded, cv2.IMREAD_COLOR)[..., ::-1])
