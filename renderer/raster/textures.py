"""Spec textures (``material.metadata["texture"]``, see scenes/build.py) for the raster backend.

renderer.blender mixes the base colour as ``mix(material.color, texture.color2, factor)``:

* ``image``: factor = luminance (Rec. 709 weights, linear) of the image, looked up at the
  object's Generated coordinates ([0, 1] over its bounding box) rotated by ``texture.rotation``
  (XYZ Euler about the origin), using their x and y, repeating. Here the same mix is baked into
  an sRGB texture and the same coordinates become per-vertex UVs: exact up to texture filtering.
* procedural kinds (noise, voronoi, wave, checker, brick, magic, gradient): Blender's node
  patterns are not reproduced; the base colour is the half-way mix (factor 0.5), the pattern's
  typical mean. Documented approximation: RGB only, labels are unaffected.
"""

from __future__ import annotations

import functools
from typing import Optional

import numpy as np

from renderer.raster.environment import euler_xyz

LUMINANCE = np.array([0.2126, 0.7152, 0.0722])
MAX_TEXTURE_SIZE = 1024


def _srgb_to_linear(values: np.ndarray) -> np.ndarray:
    return np.where(values <= 0.04045, values / 12.92, ((values + 0.055) / 1.055) ** 2.4)


def _linear_to_srgb(values: np.ndarray) -> np.ndarray:
    values = np.clip(values, 0.0, 1.0)
    return np.where(values <= 0.0031308, values * 12.92, 1.055 * values ** (1 / 2.4) - 0.055)


def is_image(texture: Optional[dict]) -> bool:
    return bool(texture) and texture.get("kind") == "image" and bool(texture.get("image"))


def procedural_base_colour(colour, texture: Optional[dict]) -> tuple:
    """Base colour (linear RGBA) for a material with a procedural texture (or none)."""
    if not texture or is_image(texture) or is_print(texture):
        return tuple(colour)
    second = np.asarray(texture.get("color2") or (0.0, 0.0, 0.0, 1.0), float)
    return tuple(0.5 * np.asarray(colour, float) + 0.5 * second)


@functools.lru_cache(maxsize=8)
def _image_luminance(path: str) -> np.ndarray:
    """(H, W) float32 linear luminance of an 8/16-bit image (read as sRGB, like Blender)."""
    import cv2  # pylint: disable=import-outside-toplevel

    image = cv2.imread(path, cv2.IMREAD_UNCHANGED | cv2.IMREAD_ANYDEPTH | cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(
            f"texture image {path!r} could not be read; check the material texture's image path"
        )
    scale = 65535.0 if image.dtype == np.uint16 else 255.0
    rgb = _srgb_to_linear(image[..., ::-1].astype(np.float32) / scale)
    height, width = rgb.shape[:2]
    step = max(1, int(np.ceil(max(height, width) / MAX_TEXTURE_SIZE)))
    return (rgb[::step, ::step] @ LUMINANCE).astype(np.float32)


def is_print(texture: Optional[dict]) -> bool:
    return bool(texture) and texture.get("kind") == "print" and bool(texture.get("image"))


@functools.lru_cache(maxsize=16)
def _print_rgba(path: str) -> np.ndarray:
    """(H, W, 4) float32: linear RGB and alpha of an 8/16-bit print image (sRGB)."""
    import cv2  # pylint: disable=import-outside-toplevel

    image = cv2.imread(path, cv2.IMREAD_UNCHANGED | cv2.IMREAD_ANYDEPTH)
    if image is None:
        raise FileNotFoundError(
            f"print image {path!r} could not be read; check the material texture's image path"
        )
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    scale = 65535.0 if image.dtype == np.uint16 else 255.0
    values = image.astype(np.float32) / scale
    alpha = values[..., 3:4] if values.shape[2] == 4 else np.ones_like(values[..., :1])
    rgb = _srgb_to_linear(values[..., 2::-1][..., :3])
    height, width = rgb.shape[:2]
    step = max(1, int(np.ceil(max(height, width) / MAX_TEXTURE_SIZE)))
    return np.concatenate([rgb, alpha], axis=2)[::step, ::step]


def baked_print(colour, texture: dict) -> np.ndarray:
    """(H, W, 3) uint8 sRGB: the print laid over ``colour`` by its alpha (as renderer.blender's
    mix(base, image, alpha)); used with the mesh's own UVs."""
    rgba = _print_rgba(str(texture["image"]))
    height, width = rgba.shape[:2]
    if width % 4:  # rows of an RGB texture must be 4-byte aligned for OpenGL's default unpacking
        import cv2  # pylint: disable=import-outside-toplevel

        rgba = cv2.resize(rgba, (width + 4 - width % 4, height), interpolation=cv2.INTER_LINEAR)
    alpha = rgba[..., 3:]
    mixed = (1.0 - alpha) * np.asarray(colour, float)[:3] + alpha * rgba[..., :3]
    return np.round(_linear_to_srgb(mixed) * 255).astype(np.uint8)


def baked_image(colour, texture: dict) -> np.ndarray:
    """(H, W, 3) uint8 sRGB base-colour image: mix(colour, color2, luminance(image))."""
    factor = _image_luminance(str(texture["image"]))[..., None]
    first = np.asarray(colour, float)[:3]
    second = np.asarray(texture.get("color2") or (0.0, 0.0, 0.0, 1.0), float)[:3]
    mixed = (1.0 - factor) * first + factor * second
    return np.round(_linear_to_srgb(mixed) * 255).astype(np.uint8)


def generated_uv(
    vertices: np.ndarray, bounds_min: np.ndarray, bounds_size: np.ndarray, rotation
) -> np.ndarray:
    """(N, 2) UVs: x, y of the rotated Generated coordinates of object-frame ``vertices``."""
    safe = np.where(bounds_size > 0, bounds_size, 1.0)
    generated = np.where(bounds_size > 0, (vertices - bounds_min) / safe, 0.5)
    return (generated @ euler_xyz(rotation or (0.0, 0.0, 0.0)).T)[:, :2]


@functools.lru_cache(maxsize=4)
def load_background_image(path: str, width: int, height: int) -> np.ndarray:
    """(height, width, 3) float32 linear radiance of an 8/16-bit sRGB image stretched to the
    frame (pixel-centre sampling with area averaging)."""
    import cv2  # pylint: disable=import-outside-toplevel

    image = cv2.imread(path, cv2.IMREAD_UNCHANGED | cv2.IMREAD_ANYDEPTH | cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"background image {path!r} does not exist or cannot be read")
    scale = 65535.0 if image.dtype == np.uint16 else 255.0
    rgb = _srgb_to_linear(image[..., ::-1].astype(np.float32) / scale)
    return cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA).astype(np.float32)
