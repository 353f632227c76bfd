"""PNG encoding of images in the project's layout (row 0 at the top, RGB(A) channel order)."""
from __future__ import annotations

import os

import cv2
import numpy as np

from fileio.atomic import write_bytes_atomic


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of an RGB or RGBA (H, W, 3|4) image, or of a single-channel (H, W) one (uint8
    or uint16). OpenCV's default compression, so equal pixels give equal bytes."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] in (3, 4):
        image = cv2.cvtColor(image, cv2.COLOR_RGBA2BGRA if image.shape[2] == 4
                             else cv2.COLOR_RGB2BGR)
    ok, encoded = cv2.imencode(".png", image)
    if not ok:
        raise ValueError(f"OpenCV could not encode a {image.dtype} image of shape {image.shape} "
                         "as PNG; pass uint8 RGB/RGBA or a single uint8/uint16 channel")
    return encoded.tobytes()


def write_png_atomic(path: str | os.PathLike, image: np.ndarray) -> bytes:
    """Write ``image`` (see :func:`encode_png`) as a PNG file atomically; returns its bytes."""
    data = encode_png(image)
    write_bytes_atomic(path, data)
    return data
