"""HDRI environment maps: Blender's 8 bundled CC0 maps, or a user folder.

Blender's maps are found **without importing bpy**: ``importlib.util.find_spec("bpy")`` gives the
package folder, and the maps live in ``<bpy>/<version>/datafiles/studiolights/world/*.exr``
(city, courtyard, forest, interior, night, studio, sunrise, sunset; 1024x512; CC0, Greg Zaal /
Poly Haven, see the ``license.txt`` next to them).

A spec refers to a bundled map by name only (``source="blender"``), so spec bytes do not depend on
where bpy is installed; :func:`resolve_hdri` turns a reference into a path at build time.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path
from typing import Optional

from assets.errors import AssetError
from assets.formats import HDRI_EXTENSIONS

BLENDER_LICENCE = "CC0-1.0"
BLENDER_SOURCE = "Blender bundled studio lights (Greg Zaal, Poly Haven)"


@dataclasses.dataclass(frozen=True)
class Hdri:
    """An environment map: ``name`` (file stem), absolute ``path``, provenance."""

    name: str
    path: Path
    source: str
    licence: str


def blender_hdri_dir() -> Optional[Path]:
    """The folder holding Blender's bundled world HDRIs, or None when bpy is not installed."""
    spec = importlib.util.find_spec("bpy")
    if spec is None:
        return None
    roots = list(spec.submodule_search_locations or []) or [str(Path(spec.origin).parent)]
    for root in roots:
        for folder in sorted(Path(root).glob("*/datafiles/studiolights/world")):
            if any(folder.glob("*.exr")):
                return folder
    return None


def blender_hdris() -> list[Hdri]:
    """Blender's bundled CC0 HDRIs, sorted by name (empty when bpy is missing)."""
    folder = blender_hdri_dir()
    if folder is None:
        return []
    return [Hdri(p.stem, p, BLENDER_SOURCE, BLENDER_LICENCE) for p in sorted(folder.glob("*.exr"))]


def folder_hdris(
    folder: str | Path, licence: str = "user supplied (licence not stated)"
) -> list[Hdri]:
    """All ``.exr``/``.hdr`` files of a user folder, sorted by name; each is checked readable."""
    folder = Path(folder)
    if not folder.is_dir():
        raise AssetError(f"HDRI folder {folder} does not exist; pass a folder of .exr/.hdr files.")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in HDRI_EXTENSIONS)
    if not files:
        raise AssetError(
            f"HDRI folder {folder} holds no .exr or .hdr files; add some or use "
            "the bundled Blender maps (leave the folder unset)."
        )
    for path in files:
        check_hdri_readable(path)
    from assets.textures import check_images  # pylint: disable=import-outside-toplevel

    check_images(files, f"HDRI folder {folder}")  # every scanline, once per process
    return [Hdri(p.stem, p, f"user folder {folder}", licence) for p in files]


def check_hdri_readable(path: str | Path) -> None:
    """Raise AssetError unless ``path`` is an OpenEXR or Radiance HDR file (checked by magic bytes)."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(10)
    except OSError as error:
        raise AssetError(f"cannot read HDRI {path}: {error.strerror}; check the path.") from None
    if head[:4] == b"v/1\x01" or head.startswith(b"#?RADIANCE") or head.startswith(b"#?RGBE"):
        return
    raise AssetError(
        f"cannot read HDRI {path}: not an OpenEXR (.exr) or Radiance (.hdr) file "
        "(wrong header); re-export it as .exr or .hdr."
    )


def resolve_hdri(name: str, source: str = "blender", folder: Optional[str] = None) -> Path:
    """Absolute path of a spec's HDRI reference; raises AssetError when it cannot be found/read."""
    if source == "blender":
        folder_path = blender_hdri_dir()
        if folder_path is None:
            raise AssetError(
                f"HDRI {name!r}: Blender's bundled maps need the bpy package; "
                "install bpy or give an HDRI folder."
            )
        path = folder_path / f"{name}.exr"
        if not path.exists():
            known = ", ".join(h.name for h in blender_hdris())
            raise AssetError(f"HDRI {name!r} is not one of Blender's bundled maps ({known}).")
    else:
        candidates = [Path(folder or ".") / f"{name}{suffix}" for suffix in HDRI_EXTENSIONS]
        path = next((p for p in candidates if p.exists()), candidates[0])
    check_hdri_readable(path)
    return path.resolve()
