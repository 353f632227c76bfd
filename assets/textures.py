"""Image textures from a user folder (for image-textured materials and image backgrounds)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional

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
    check_images(images, f"image folder {folder}")
    return images


def spec_image_paths(value) -> list[str]:
    """Every image file a spec (as a plain dict) uses: strings under ``image`` keys (material
    textures, the world's background), sorted, without repeats."""
    found = set()

    def walk(item) -> None:
        if isinstance(item, dict):
            for key, child in item.items():
                if key == "image" and isinstance(child, str) and child:
                    found.add(child)
                else:
                    walk(child)
        elif isinstance(item, list):
            for child in item:
                walk(child)
    walk(value)
    return sorted(found)


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


def check_images(paths: Iterable[str | Path], where: str) -> None:
    """Raise AssetError naming the first image of ``paths`` that does not decode completely."""
    for path in paths:
        problem = image_problem(path)
        if problem:
            raise AssetError(f"{where}: {path} {problem}; fix or remove it (it would render as "
                             "Blender's magenta 'missing image' colour).")
