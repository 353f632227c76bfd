"""Image textures from a user folder (for image-textured materials and image backgrounds)."""
from __future__ import annotations

from pathlib import Path

from assets.errors import AssetError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".exr", ".tif", ".tiff", ".hdr")


def folder_images(folder: str | Path) -> list[Path]:
    """Image files of ``folder`` sorted by name (paths as given, relative stays relative)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise AssetError(f"texture folder {folder} does not exist; pass a folder of images "
                         f"({', '.join(IMAGE_SUFFIXES)}).")
    images = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not images:
        raise AssetError(f"texture folder {folder} holds no images ({', '.join(IMAGE_SUFFIXES)}); "
                         "add some or drop the folder option.")
    return images
