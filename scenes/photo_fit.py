"""Measuring a folder of the user's photos, to centre the sensor model on them (``--match-photos``).

Each photo is shrunk (area filter) so its shorter side is ``scale`` pixels (the size renders are
made at), then measured there; a median over the photos is kept:

* ``noise_sigma``: luminance noise (sRGB units, [0, 1]) from the median absolute Laplacian
  (Immerkaer's estimator; edges barely move a median);
* ``blur_px``: edge blur as a Gaussian sigma in pixels, by re-blurring (the sharper an edge, the
  more a 1 px Gaussian lowers its gradient): sigma = s * r / sqrt(1 - r^2), r = ratio of the
  gradient magnitudes after/before re-blurring with s = 1 px on the strongest edges;
* ``jpeg_quality``: quality of JPEG files from their luminance quantization table (libjpeg's
  scaling of the standard table); ``jpeg_quality_effective`` is what survives the shrink
  (unchanged below a 2x shrink, else +15, at most 98);
* ``gray_world_gains``: mean linear R/G and B/G (grey-world colour cast), and ``mean_rgb``,
  ``luminance`` (mean sRGB values).

Only files with image suffixes are read (label files next to photos are ignored); any such file
that does not decode is an error naming it, so a fit never silently rests on part of a folder.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Optional

import cv2
import numpy as np

from scenes.errors import ParameterError

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
SHARP_EDGE_PX = 0.8  # what blur_sigma measures on a perfectly sharp edge (pixel grid + Sobel)
MAX_PHOTOS = 200  # evenly spread over the folder: enough for stable medians, bounded time
STANDARD_LUMINANCE_TABLE = np.array(
    [
        16,
        11,
        10,
        16,
        24,
        40,
        51,
        61,
        12,
        12,
        14,
        19,
        26,
        58,
        60,
        55,
        14,
        13,
        16,
        24,
        40,
        57,
        69,
        56,
        14,
        17,
        22,
        29,
        51,
        87,
        80,
        62,
        18,
        22,
        37,
        56,
        68,
        109,
        103,
        77,
        24,
        35,
        55,
        64,
        81,
        104,
        113,
        92,
        49,
        64,
        78,
        87,
        103,
        121,
        120,
        101,
        72,
        92,
        95,
        98,
        112,
        100,
        103,
        99,
    ],
    float,
)


def photo_files(folder: str | Path) -> list[Path]:
    """Image files under ``folder`` (recursively), sorted; ParameterError when there are none."""
    root = Path(folder)
    if not root.is_dir():
        raise ParameterError(
            f"photo folder {str(folder)!r} does not exist; give a folder of "
            "JPEG/PNG photos to --match-photos."
        )
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in PHOTO_SUFFIXES and p.is_file())
    if not files:
        raise ParameterError(
            f"photo folder {str(folder)!r} holds no photos "
            f"({', '.join(PHOTO_SUFFIXES)}); add some or drop --match-photos."
        )
    return files


def fit_photos(folder: str | Path, scale: int = 256) -> dict:
    """Median statistics of the photos in ``folder`` (see module docstring), as plain JSON data.
    Cached per process for an unchanged folder."""
    files = photo_files(folder)
    signature = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    return dict(_fit(str(folder), int(scale), signature))


@functools.lru_cache(maxsize=4)
def _fit(folder: str, scale: int, signature: tuple) -> dict:
    paths = [Path(item[0]) for item in signature]
    chosen = [
        paths[i]
        for i in np.linspace(0, len(paths) - 1, min(len(paths), MAX_PHOTOS)).round().astype(int)
    ]
    images, broken = {}, []
    for path in chosen:
        image = read_reduced(path, scale)
        if image is None or image.size == 0:
            broken.append(path)
        else:
            images[path] = image[..., ::-1]
    if broken:
        names = ", ".join(str(p.relative_to(folder)) for p in broken[:3])
        more = f" and {len(broken) - 3} more" if len(broken) > 3 else ""
        raise ParameterError(
            f"photo folder {folder!r}: {len(broken)} file(s) are not readable "
            f"images ({names}{more}); convert them to JPEG/PNG or remove them."
        )
    measures = [_measure(image, scale) for image in images.values()]
    qualities = [q for q in (jpeg_quality(p) for p in images) if q is not None]
    shrink = float(np.median([_shorter_side(p) / scale for p in images]))
    quality = float(np.median(qualities)) if qualities else None
    effective = None
    if quality is not None:
        effective = quality if shrink < 2 else min(98.0, quality + 15.0)

    def median(key: str) -> float:
        return round(float(np.median([m[key] for m in measures])), 6)

    return {
        "folder": folder,
        "photos": len(images),
        "scale": scale,
        "shrink": round(shrink, 3),
        "noise_sigma": median("noise_sigma"),
        "blur_px": median("blur_px"),
        "jpeg_quality": quality,
        "jpeg_quality_effective": effective,
        "gray_world_gains": [median("gain_r"), 1.0, median("gain_b")],
        "mean_rgb": [median("mean_r"), median("mean_g"), median("mean_b")],
        "luminance": median("luminance"),
    }


REDUCED_FLAGS = (
    (8, cv2.IMREAD_REDUCED_COLOR_8),
    (4, cv2.IMREAD_REDUCED_COLOR_4),
    (2, cv2.IMREAD_REDUCED_COLOR_2),
)


def read_reduced(path: Path, scale: int) -> Optional[np.ndarray]:
    """BGR image of ``path`` decoded at 1/2, 1/4 or 1/8 size when it stays at least ``scale``
    px on its shorter side (JPEG decodes that much faster), else full size; None if unreadable."""
    from PIL import Image  # pylint: disable=import-outside-toplevel

    try:
        with Image.open(path) as header:
            shorter = min(header.size)
    except (OSError, ValueError):
        return None
    for factor, flag in REDUCED_FLAGS:
        if shorter // factor >= scale:
            return cv2.imread(str(path), flag)
    return cv2.imread(str(path), cv2.IMREAD_COLOR)


def _measure(rgb: np.ndarray, scale: int) -> dict:
    """Statistics of one RGB uint8 photo shrunk to ``scale`` px on its shorter side."""
    height, width = rgb.shape[:2]
    factor = scale / min(height, width)
    if factor < 1:
        rgb = cv2.resize(
            rgb,
            (max(1, round(width * factor)), max(1, round(height * factor))),
            interpolation=cv2.INTER_AREA,
        )
    srgb = rgb.astype(np.float32) / 255.0
    luma = srgb @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    means = linear.reshape(-1, 3).mean(axis=0) + 1e-6
    return {
        "noise_sigma": noise_sigma(luma),
        "blur_px": blur_sigma(luma),
        "gain_r": float(means[0] / means[1]),
        "gain_b": float(means[2] / means[1]),
        "mean_r": float(srgb[..., 0].mean()),
        "mean_g": float(srgb[..., 1].mean()),
        "mean_b": float(srgb[..., 2].mean()),
        "luminance": float(luma.mean()),
    }


def noise_sigma(luma: np.ndarray) -> float:
    """Noise sigma of a float image (its units) from the median absolute Laplacian."""
    laplacian = cv2.Laplacian(luma, cv2.CV_32F, ksize=1)
    return float(np.median(np.abs(laplacian)) * 1.4826 / math.sqrt(20.0))


def blur_sigma(luma: np.ndarray, reblur: float = 1.0) -> float:
    """Gaussian sigma (px) of the edges of a float image, by re-blurring (module docstring): the
    gradient ratio is taken over the strongest 2 % of edge pixels, and the estimator's own
    response to a perfectly sharp edge (:data:`SHARP_EDGE_PX`) is removed in quadrature."""

    def gradient(image: np.ndarray) -> np.ndarray:
        return np.hypot(
            cv2.Sobel(image, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=3)
        )

    before = gradient(luma)
    threshold = float(np.percentile(before, 98))
    if threshold <= 1e-6:
        return 0.0
    edges = before >= threshold
    after = gradient(cv2.GaussianBlur(luma, (0, 0), reblur))
    ratio = min(float(after[edges].sum() / before[edges].sum()), 0.995)
    measured = reblur * ratio / math.sqrt(1 - ratio**2)
    return float(math.sqrt(max(measured**2 - SHARP_EDGE_PX**2, 0.0)))


def _shorter_side(path: Path) -> int:
    from PIL import Image  # pylint: disable=import-outside-toplevel

    with Image.open(path) as header:
        return min(header.size)


def jpeg_quality(path: Path) -> Optional[float]:
    """libjpeg quality (1-100) of a JPEG file from its luminance table, or None (not a JPEG)."""
    if path.suffix.lower() not in (".jpg", ".jpeg"):
        return None
    from PIL import Image  # pylint: disable=import-outside-toplevel

    try:
        with Image.open(path) as image:
            tables = getattr(image, "quantization", None) or {}
    except OSError:
        return None
    if 0 not in tables:
        return None
    # sums, not element ratios: Pillow may list the table in zig-zag order
    scale = float(np.sum(np.asarray(tables[0], float)) / STANDARD_LUMINANCE_TABLE.sum() * 100)
    quality = (200 - scale) / 2 if scale <= 100 else 5000 / scale
    return float(min(max(round(quality), 1), 100))
