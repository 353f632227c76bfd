"""Image files for the refiner: reading folders of photos, model tensor layout (PNG writes and
file hashes: :mod:`fileio`).

Images are ``uint8`` arrays of shape (H, W, 3), sRGB, row 0 at the top. The model sees float
tensors (N, 3, H, W) in [-1, 1].
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Optional

import cv2
import numpy as np

from renderer.refiner.errors import RefinerInputError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


def list_image_files(folder: str | os.PathLike) -> list[Path]:
    """Image files under ``folder`` (recursively), sorted. A native dataset's ``data/`` (or, in
    folders written before that layout, ``images/``) wins."""
    root = Path(folder)
    if not root.is_dir():
        raise RefinerInputError(
            f"image folder {root} does not exist or is not a folder; "
            "point at a folder of .png/.jpg photos"
        )
    if (root / "manifest.jsonl").is_file() and (root / "data").is_dir():
        root = root / "data"
    elif (root / "images").is_dir():
        root = root / "images"
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as uint8 (H, W, 3) RGB; alpha is dropped, grey is expanded."""
    data = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if data is None:
        raise RefinerInputError(
            f"cannot read image {path}: not an image OpenCV can decode; "
            "remove it or convert it to PNG/JPEG"
        )
    return np.ascontiguousarray(data[:, :, ::-1])


def read_image_folder(
    folder: str | os.PathLike, min_side: int = 1, max_side: Optional[int] = None
) -> tuple[list[np.ndarray], list[Path]]:
    """Read every decodable image of ``folder`` at least ``min_side`` px on its shorter side;
    with ``max_side``, larger images are shrunk (area filter) to that shorter side as read.

    Unreadable files are skipped; an empty result is an error naming the folder and the fix.
    """
    files = list_image_files(folder)
    images, kept = [], []
    for path in files:
        data = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if data is None or min(data.shape[:2]) < min_side:
            continue
        if max_side and min(data.shape[:2]) > max_side:
            scale = max_side / min(data.shape[:2])
            size = (max(1, round(data.shape[1] * scale)), max(1, round(data.shape[0] * scale)))
            data = cv2.resize(data, size, interpolation=cv2.INTER_AREA)
        images.append(np.ascontiguousarray(data[:, :, ::-1]))
        kept.append(path)
    if not images:
        found = f"{len(files)} image file(s), none readable" if files else "no image files"
        size = f" and at least {min_side} px on the shorter side" if min_side > 1 else ""
        raise RefinerInputError(
            f"real-image folder {folder}: {found}; put .png/.jpg photos there{size}, "
            "or leave out --real to use the embedded HDRI photos"
        )
    return images, kept


def to_model_range(images: Iterable[np.ndarray]):
    """uint8 (H, W, 3) images -> float32 torch tensor (N, 3, H, W) in [-1, 1]."""
    import torch

    batch = np.stack([np.asarray(image) for image in images]).astype(np.float32)
    return torch.from_numpy(batch).permute(0, 3, 1, 2).contiguous() / 127.5 - 1.0


def from_model_range(batch) -> list[np.ndarray]:
    """float tensor (N, 3, H, W) in [-1, 1] -> list of uint8 (H, W, 3) images (rounded, clipped)."""
    import torch

    array = ((batch.detach().float().clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8)
    return [np.ascontiguousarray(item) for item in array.permute(0, 2, 3, 1).cpu().numpy()]
