"""The embedded "real photo" default: perspective crops of Blender's bundled CC0 HDRIs.

The ``bpy`` wheel ships eight CC0 HDRIs by Greg Zaal / Poly Haven (1024x512 equirectangular
EXR, ``datafiles/studiolights/world/``). A virtual pinhole camera looking into one of them, with a
tone curve, gives a plausible photograph: real lighting, real textures, real colour statistics.
They are found without importing ``bpy`` (which takes seconds) and read with OpenEXR.

Crop geometry: a pinhole camera with a horizontal field of view ``fov``; yaw 0 looks at the
centre column of the panorama; positive pitch looks up. Panorama row 0 is straight up.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import os
from pathlib import Path

import cv2
import numpy as np

from renderer.refiner.errors import RefinerInputError
from renderer.refiner.photo_stats import LUMA

LICENCE = "CC0 (Greg Zaal / Poly Haven, bundled with Blender's bpy wheel)"


def bundled_hdri_paths() -> list[Path]:
    """Paths of the HDRIs bundled with the installed ``bpy`` wheel (no ``import bpy``)."""
    spec = importlib.util.find_spec("bpy")
    if spec is None or not spec.submodule_search_locations:
        raise RefinerInputError(
            "the embedded real-photo default needs the bpy wheel (pip install "
            "bpy==4.5.15); or pass --real with a folder of your own photos"
        )
    root = Path(list(spec.submodule_search_locations)[0])
    found = []
    for folder, _dirs, files in os.walk(root):
        if Path(folder).parts[-3:] == ("datafiles", "studiolights", "world"):
            found.extend(Path(folder) / name for name in files if name.lower().endswith(".exr"))
    if not found:
        raise RefinerInputError(
            f"no HDRIs under {root}/**/datafiles/studiolights/world; "
            "pass --real with a folder of your own photos"
        )
    return sorted(found)


@functools.lru_cache(maxsize=16)
def read_hdri(path: str) -> np.ndarray:
    """Linear float32 (H, W, 3) radiance of an EXR panorama."""
    import OpenEXR

    with OpenEXR.File(str(path)) as exr:
        channels = exr.channels()
        if "RGB" in channels:
            rgb = channels["RGB"].pixels
        else:
            rgb = np.stack([channels[name].pixels for name in ("R", "G", "B")], axis=-1)
    return np.ascontiguousarray(np.nan_to_num(rgb.astype(np.float32), posinf=0.0).clip(0, None))


def perspective_crop(
    panorama: np.ndarray,
    size: int,
    fov_deg: float,
    yaw_deg: float,
    pitch_deg: float,
    roll_deg: float = 0.0,
    supersample: int = 2,
) -> np.ndarray:
    """Linear (size, size, 3) pinhole view into an equirectangular ``panorama`` (see module doc)."""
    n = size * supersample
    focal = (n / 2) / math.tan(math.radians(fov_deg) / 2)
    cols, rows = np.meshgrid(np.arange(n) + 0.5 - n / 2, np.arange(n) + 0.5 - n / 2)
    # camera frame: x right, y up, z forward
    rays = np.stack([cols, -rows, np.full_like(cols, focal)], axis=-1)
    rays /= np.linalg.norm(rays, axis=-1, keepdims=True)
    rays = rays @ _rotation(yaw_deg, pitch_deg, roll_deg).T
    longitude = np.arctan2(rays[..., 0], rays[..., 2])
    latitude = np.arcsin(np.clip(rays[..., 1], -1, 1))
    height, width = panorama.shape[:2]
    map_x = ((longitude / (2 * math.pi) + 0.5) * width - 0.5).astype(np.float32)
    map_y = ((0.5 - latitude / math.pi) * height - 0.5).astype(np.float32)
    view = cv2.remap(panorama, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
    return cv2.resize(view, (size, size), interpolation=cv2.INTER_AREA)


def _rotation(yaw_deg: float, pitch_deg: float, roll_deg: float) -> np.ndarray:
    yaw, pitch, roll = (math.radians(a) for a in (yaw_deg, pitch_deg, roll_deg))
    about_z = np.array(
        [[math.cos(roll), -math.sin(roll), 0], [math.sin(roll), math.cos(roll), 0], [0, 0, 1]]
    )
    about_x = np.array(
        [[1, 0, 0], [0, math.cos(pitch), math.sin(pitch)], [0, -math.sin(pitch), math.cos(pitch)]]
    )
    about_y = np.array(
        [[math.cos(yaw), 0, math.sin(yaw)], [0, 1, 0], [-math.sin(yaw), 0, math.cos(yaw)]]
    )
    return about_y @ about_x @ about_z


def tone_map(linear: np.ndarray, key: float = 0.18) -> np.ndarray:
    """Linear radiance -> uint8 sRGB: expose the log-average luminance to ``key``, Reinhard, sRGB."""
    luminance = linear @ LUMA
    log_average = float(np.exp(np.mean(np.log(luminance + 1e-4))))
    exposed = linear * (key / max(log_average, 1e-6))
    mapped = exposed / (1.0 + exposed)
    mapped = mapped / (1.0 / (1.0 + 1.0 / (4.0 * key)))  # white point: ~4x key stays below 1
    srgb = np.where(
        mapped <= 0.0031308,
        12.92 * mapped,
        1.055 * np.power(np.clip(mapped, 0, None), 1 / 2.4) - 0.055,
    )
    return (np.clip(srgb, 0, 1) * 255 + 0.5).astype(np.uint8)


def hdri_photos(count: int, size: int = 128, seed: int = 0) -> list[np.ndarray]:
    """``count`` uint8 (size, size, 3) tone-mapped perspective crops, deterministic for ``seed``.

    Each crop picks an HDRI in turn, a horizontal FOV in [45, 80] degrees, any yaw, a pitch in
    [-30, 15] degrees (mostly level or looking down, as photos of scenes are), a roll within
    +-5 degrees and a tone-mapping key in [0.12, 0.25].
    """
    paths = bundled_hdri_paths()
    rng = np.random.default_rng(seed)
    photos = []
    for index in range(count):
        panorama = read_hdri(str(paths[index % len(paths)]))
        view = perspective_crop(
            panorama,
            size,
            fov_deg=rng.uniform(45, 80),
            yaw_deg=rng.uniform(-180, 180),
            pitch_deg=rng.uniform(-30, 15),
            roll_deg=rng.uniform(-5, 5),
        )
        photos.append(tone_map(view, key=rng.uniform(0.12, 0.25)))
    return photos
