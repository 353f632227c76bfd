"""Image textures from a user folder (for image-textured materials and image backgrounds)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from assets.errors import AssetError
from assets.formats import TEXTURE_IMAGE_EXTENSIONS
from fileio.images import image_problem


def folder_images(folder: str | Path) -> list[Path]:
    """Image files of ``folder`` sorted by name (paths as given, relative stays relative)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise AssetError(
            f"texture folder {folder} does not exist; pass a folder of images "
            f"({', '.join(TEXTURE_IMAGE_EXTENSIONS)})."
        )
    images = sorted(p for p in folder.iterdir() if p.suffix.lower() in TEXTURE_IMAGE_EXTENSIONS)
    if not images:
        raise AssetError(
            f"texture folder {folder} holds no images ({', '.join(TEXTURE_IMAGE_EXTENSIONS)}); "
            "add some or drop the folder option."
        )
    check_images(images, f"image folder {folder}")
    return images


def check_images(paths: Iterable[str | Path], where: str) -> None:
    """Raise AssetError naming the first image of ``paths`` that does not decode completely."""
    for path in paths:
        problem = image_problem(path)
        if problem:
            raise AssetError(
                f"{where}: {path} {problem}; fix or remove it (it would render as "
                "Blender's magenta 'missing image' colour)."
            )
