"""Equirectangular environment maps (HDRIs) for the raster backend.

The same mapping as renderer.blender's world (Blender's environment texture fed by "Generated"
world coordinates through a Mapping node): a world direction ``d`` is rotated by the XYZ Euler
``rotation`` (radians), then looked up at ``u = 0.5 - atan2(d_y, d_x) / (2 pi)``,
``v = 0.5 + atan2(d_z, hypot(d_x, d_y)) / pi`` (v = 0 is the image's bottom row).

A rasterizer cannot integrate the map over the hemisphere per pixel, so as lighting it is split
in two: its brightest texels (a sun: among the brightest 1% of the sphere, those above
``SUN_THRESHOLD`` times the median luminance, when they carry at least ``SUN_MIN_SHARE`` of the map's light) become one directional light
along their radiance-weighted mean direction, with their total irradiance; the rest becomes a
uniform ambient light equal to its solid-angle-weighted mean radiance (no occlusion). Both are
scaled by ``strength``. As background the map is exact per pixel (nearest texel along each
pixel-centre ray).
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Optional

import numpy as np

from assets.formats import ENVIRONMENT_MAP_EXTENSIONS
from labels.passes import CameraModel

LUMINANCE = np.array([0.2126, 0.7152, 0.0722])
SUN_THRESHOLD = 20.0  # times the median luminance
SUN_MIN_SHARE = 0.2  # of the map's total irradiance-weighted light
SUN_MAX_SOLID_ANGLE = 0.01 * 4 * np.pi  # the sun is at most the brightest 1% of the sphere


def _srgb_to_linear(values: np.ndarray) -> np.ndarray:
    return np.where(values <= 0.04045, values / 12.92, ((values + 0.055) / 1.055) ** 2.4)


@functools.lru_cache(maxsize=8)
def load_equirectangular(path: str) -> np.ndarray:
    """(H, W, 3) float32 linear radiance. EXR via OpenEXR, .hdr via OpenCV, 8-bit images are
    taken as sRGB (Blender's default colour space for them)."""
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in ENVIRONMENT_MAP_EXTENSIONS:
        raise ValueError(
            f"HDRI {path!r} has unsupported extension {file.suffix!r}; "
            f"supported: {', '.join(ENVIRONMENT_MAP_EXTENSIONS)}"
        )
    if not file.is_file():
        raise FileNotFoundError(
            f"HDRI {path!r} does not exist; pass an existing equirectangular image"
        )
    if suffix == ".exr":
        import OpenEXR  # pylint: disable=import-outside-toplevel

        with OpenEXR.File(str(file)) as exr:
            channels = exr.channels()
            if "RGB" in channels or "RGBA" in channels:
                pixels = channels.get("RGB", channels.get("RGBA")).pixels[..., :3]
            else:
                pixels = np.stack([channels[c].pixels for c in ("R", "G", "B")], axis=-1)
        return np.ascontiguousarray(pixels, np.float32)
    import cv2  # pylint: disable=import-outside-toplevel

    image = cv2.imread(str(file), cv2.IMREAD_UNCHANGED | cv2.IMREAD_ANYDEPTH | cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"HDRI {path!r} could not be read; re-export it as OpenEXR or .hdr")
    rgb = image[..., ::-1].astype(np.float32)
    if suffix == ".hdr":
        return np.ascontiguousarray(rgb)
    scale = 65535.0 if image.dtype == np.uint16 else 255.0
    return np.ascontiguousarray(_srgb_to_linear(rgb / scale), np.float32)


def euler_xyz(rotation) -> np.ndarray:
    """3x3 rotation for Blender's XYZ Euler angles (radians): R = Rz @ Ry @ Rx."""
    x, y, z = (float(r) for r in rotation)
    rx = np.array([[1, 0, 0], [0, np.cos(x), -np.sin(x)], [0, np.sin(x), np.cos(x)]])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rz = np.array([[np.cos(z), -np.sin(z), 0], [np.sin(z), np.cos(z), 0], [0, 0, 1]])
    return rz @ ry @ rx


@dataclasses.dataclass
class Environment:
    """An equirectangular map placed in the world (see module docstring)."""

    radiance: np.ndarray  # (H, W, 3) float32, linear
    rotation: np.ndarray  # 3x3, applied to world directions before the lookup
    strength: float = 1.0

    def lookup(self, directions_world: np.ndarray) -> np.ndarray:
        """(N, 3) world directions -> (N, 3) radiance (nearest texel) times strength."""
        d = directions_world @ self.rotation.T
        u = 0.5 - np.arctan2(d[:, 1], d[:, 0]) / (2 * np.pi)
        v = 0.5 + np.arctan2(d[:, 2], np.hypot(d[:, 0], d[:, 1])) / np.pi
        height, width = self.radiance.shape[:2]
        cols = np.clip((u * width).astype(int), 0, width - 1)
        rows = np.clip(((1.0 - v) * height).astype(int), 0, height - 1)
        return self.radiance[rows, cols] * self.strength

    def _texel_solid_angles(self) -> np.ndarray:
        """(H, 1) solid angle of one texel in each row, steradians."""
        height, width = self.radiance.shape[:2]
        latitude = (0.5 - (np.arange(height) + 0.5) / height) * np.pi
        return ((2 * np.pi / width) * (np.pi / height) * np.cos(latitude))[:, None]

    def _texel_directions(self) -> np.ndarray:
        """(H, W, 3) world directions of the texel centres (inverse of :meth:`lookup`)."""
        height, width = self.radiance.shape[:2]
        u = (np.arange(width) + 0.5) / width
        v = 1.0 - (np.arange(height) + 0.5) / height
        azimuth = (0.5 - u)[None, :] * 2 * np.pi
        elevation = (v - 0.5)[:, None] * np.pi
        mapped = np.stack(
            np.broadcast_arrays(
                np.cos(elevation) * np.cos(azimuth),
                np.cos(elevation) * np.sin(azimuth),
                np.sin(elevation),
            ),
            axis=-1,
        )
        return mapped @ self.rotation  # rotation^T applied to each row

    def _sun_mask(self) -> np.ndarray:
        luminance = self.radiance @ LUMINANCE
        solid_angles = np.broadcast_to(self._texel_solid_angles(), luminance.shape)
        order = np.argsort(luminance, axis=None)[::-1]
        within = np.cumsum(solid_angles.ravel()[order]) <= SUN_MAX_SOLID_ANGLE
        brightest = np.zeros(luminance.size, bool)
        brightest[order[within]] = True
        median = float(np.median(luminance))
        sun = brightest.reshape(luminance.shape) & (luminance > SUN_THRESHOLD * max(median, 1e-6))
        weights = luminance * solid_angles
        if weights[sun].sum() < SUN_MIN_SHARE * weights.sum():
            return np.zeros_like(sun)
        return sun

    @functools.cached_property
    def split(self) -> tuple[np.ndarray, Optional[np.ndarray], np.ndarray]:
        """``(ambient_radiance RGB, sun direction (towards the sun) or None, sun irradiance RGB)``,
        all times ``strength``; see module docstring."""
        solid_angles = self._texel_solid_angles()
        sun = self._sun_mask()
        rest = np.where(sun[..., None], 0.0, self.radiance)
        ambient = (rest * solid_angles[..., None]).sum(axis=(0, 1)) / (4 * np.pi)
        if not sun.any():
            return ambient * self.strength, None, np.zeros(3)
        power = self.radiance[sun] * solid_angles.repeat(sun.shape[1], axis=1)[sun][:, None]
        irradiance = power.sum(axis=0)
        direction = (self._texel_directions()[sun] * (power @ LUMINANCE)[:, None]).sum(axis=0)
        direction /= np.linalg.norm(direction)
        return ambient * self.strength, direction, irradiance * self.strength

    def mean_radiance(self) -> np.ndarray:
        """Solid-angle-weighted mean radiance of the whole map times strength."""
        solid_angles = self._texel_solid_angles()
        total = (self.radiance * solid_angles[..., None]).sum(axis=(0, 1))
        return total / (4 * np.pi) * self.strength

    def background(self, camera: CameraModel, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Radiance seen along the pixel-centre rays of ``(rows, cols)``."""
        K = camera.K
        if camera.orthographic:
            directions = np.tile([0.0, 0.0, 1.0], (len(rows), 1))
        else:
            directions = np.stack(
                [
                    (cols + 0.5 - K[0, 2]) / K[0, 0],
                    (rows + 0.5 - K[1, 2]) / K[1, 1],
                    np.ones(len(rows)),
                ],
                axis=1,
            )
        world = directions @ camera.camera_to_world[:3, :3].T
        world /= np.linalg.norm(world, axis=1, keepdims=True)
        return self.lookup(world)


def facing(direction: np.ndarray) -> np.ndarray:
    """4x4 pose whose local +Z is ``direction`` (a light at it shines along -direction)."""
    z = np.asarray(direction, float) / np.linalg.norm(direction)
    helper = np.array([1.0, 0.0, 0.0]) if abs(z[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    x = np.cross(helper, z)
    x /= np.linalg.norm(x)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2] = x, np.cross(z, x), z
    return pose
