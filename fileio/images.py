"""PNG encoding of images in the project's layout (row 0 at the top, RGB(A) channel order)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import cv2
import numpy as np

from fileio.atomic import write_bytes_atomic


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of an RGB or RGBA (H, W, 3|4) image, or of a single-channel (H, W) one (uint8
    or uint16). OpenCV's default compression, so equal pixels give equal bytes."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] in (3, 4):
        image = cv2.cvtColor(
            image, cv2.COLOR_RGBA2BGRA if image.shape[2] == 4 else cv2.COLOR_RGB2BGR
        )
    ok, encoded = cv2.imencode(".png", image)
    if not ok:
        raise ValueError(
            f"OpenCV could not encode a {image.dtype} image of shape {image.shape} "
            "as PNG; pass uint8 RGB/RGBA or a single uint8/uint16 channel"
        )
    return encoded.tobytes()


def write_png_atomic(path: str | os.PathLike, image: np.ndarray) -> bytes:
    """Write ``image`` (see :func:`encode_png`) as a PNG file atomically; returns its bytes."""
    data = encode_png(image)
    write_bytes_atomic(path, data)
    return data


_checked: dict[tuple, Optional[str]] = {}  # (path, size, mtime_ns) -> problem or None


def image_problem(path: str | Path) -> Optional[str]:
    """Why ``path`` does not decode completely (None when it does). Every pixel is decoded
    once per process and file version (path, size, mtime), so a truncated or corrupt image is
    found before it renders as Blender's magenta "missing image" colour, and the cost is paid
    once, not per frame."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _checked:
        _checked[key] = _decode_problem(path)
    return _checked[key]


def _decode_problem(path: Path) -> Optional[str]:
    suffix = path.suffix.lower()
    try:
        if suffix == ".exr":
            import OpenEXR  # pylint: disable=import-outside-toplevel

            with OpenEXR.File(str(path)) as exr:
                for channel in exr.channels().values():
                    _ = channel.pixels.shape  # reads every scanline
        elif suffix == ".hdr":
            import cv2  # pylint: disable=import-outside-toplevel

            if cv2.imread(str(path), cv2.IMREAD_ANYDEPTH | cv2.IMREAD_COLOR) is None:
                return "is not a readable Radiance .hdr image"
        else:
            from PIL import Image  # pylint: disable=import-outside-toplevel

            with Image.open(path) as image:
                image.load()  # decodes all pixels: raises on truncated or corrupt data
    except Exception as error:  # pylint: disable=broad-except  (each decoder has its own)
        return f"is corrupt or truncated ({type(error).__name__}: {str(error)[:120]})"
    return None
