"""Local Kubric asset sources (the KuBasic / GSO / ShapeNet manifest format) as mesh sources.

A Kubric asset source is a JSON manifest, as read by ``kb.AssetSource.from_manifest``::

    {"name": "GSO", "data_dir": "<folder of the archives; default: the manifest's folder>",
     "license": "<optional default licence>",
     "assets": {"<asset id>": {"asset_type": "FileBasedObject",
                               "path": "<archive; default: <asset id>.tar.gz>",
                               "license": "<optional>",
                               "kwargs": {"render_filename": "{asset_dir}/visual_geometry.obj",
                                          "simulation_filename": "{asset_dir}/collision.urdf",
                                          "bounds": [[x0, y0, z0], [x1, y1, z1]], ...},
                               "metadata": {"category": "<class>", ...}}}}

and one ``.tar.gz`` per asset holding ``data.json`` and the files its kwargs name (flat, or in a
folder named after the asset). Only local manifests are read (``gs://`` sources: download them
first). Each ``FileBasedObject`` asset becomes a :class:`assets.meshes.MeshAsset`: its render
mesh (Kubric's files are metres, +Z up), class = ``metadata["category"]`` (else the asset id),
licence = the asset's ``license`` (entry, its metadata, its ``data.json``), else the manifest's,
else "not stated"; source = ``kubric asset source <name>: <asset id>``.

Archives are unpacked once into a cache folder keyed by the archive's sha256
(``$SYNTHSCENE_CACHE`` or ``~/.cache/synthscene``, then ``kubric-assets/``), atomically, so
workers share it and a changed archive gets a new folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import Optional

from assets.errors import AssetError
from assets.meshes import UNKNOWN_LICENCE, MeshAsset
from fileio.digest import sha256_file

ASSET_DIR = "{asset_dir}/"


def scan_kubric_source(
    manifest_path: str | Path, cache_dir: Optional[str | Path] = None
) -> list[MeshAsset]:
    """The mesh assets of a local Kubric asset source, sorted by asset id."""
    manifest_path = Path(manifest_path)
    manifest = _read_manifest(manifest_path)
    name = str(manifest.get("name", manifest_path.stem))
    data_dir = Path(manifest.get("data_dir") or manifest_path.parent)
    if not data_dir.is_absolute():
        data_dir = manifest_path.parent / data_dir
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    found = []
    for asset_id, entry in sorted(manifest["assets"].items()):
        if entry.get("asset_type", "FileBasedObject") != "FileBasedObject":
            continue  # textures and other asset types are no objects
        archive = data_dir / (entry.get("path") or f"{asset_id}.tar.gz")
        folder = unpack_asset(archive, asset_id, cache / "kubric-assets" / _slug(name))
        data = _read_json(folder / "data.json") if (folder / "data.json").is_file() else {}
        found.append(
            MeshAsset(
                category=str(entry.get("metadata", {}).get("category") or asset_id),
                path=_render_file(entry, folder, asset_id, manifest_path),
                source=f"kubric asset source {name}: {asset_id}",
                licence=str(
                    entry.get("license")
                    or entry.get("metadata", {}).get("license")
                    or data.get("license")
                    or manifest.get("license")
                    or UNKNOWN_LICENCE
                ),
                up="Z",
                units_to_metres=1.0,
            )
        )
    if not found:
        raise AssetError(
            f"Kubric asset source {manifest_path} has no FileBasedObject assets; "
            "pass a manifest of object assets (KuBasic, GSO, ShapeNet format)."
        )
    return found


def default_cache_dir() -> Path:
    """``$SYNTHSCENE_CACHE``, else ``~/.cache/synthscene``."""
    return Path(os.environ.get("SYNTHSCENE_CACHE") or Path.home() / ".cache" / "synthscene")


def unpack_asset(archive: Path, asset_id: str, cache: Path) -> Path:
    """Folder holding the unpacked files of ``archive`` (unpacked now if not yet)."""
    if not archive.is_file():
        raise AssetError(
            f"Kubric asset {asset_id!r}: archive {archive} does not exist; put "
            f"{archive.name} in the source's data_dir."
        )
    folder = cache / f"{asset_id}-{sha256_file(archive)[:16]}"
    if folder.is_dir():
        return folder
    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{asset_id}-", dir=cache))
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(staging, filter="data")
    except (tarfile.TarError, OSError) as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise AssetError(
            f"Kubric asset {asset_id!r}: cannot unpack {archive}: {error}; re-download the archive."
        ) from None
    nested = (staging / asset_id).is_dir() and not (staging / "data.json").is_file()
    root = staging / asset_id if nested else staging  # Kubric's two archive layouts
    try:
        os.replace(root, folder)
    except OSError:  # another worker unpacked the same archive first
        if not folder.is_dir():
            raise
    shutil.rmtree(staging, ignore_errors=True)
    return folder


def _render_file(entry: dict, folder: Path, asset_id: str, manifest_path: Path) -> Path:
    kwargs = entry.get("kwargs", {})
    name = kwargs.get("render_filename") or "visual_geometry.obj"
    path = folder / name[len(ASSET_DIR) :] if name.startswith(ASSET_DIR) else folder / name
    if not path.is_file():
        raise AssetError(
            f"Kubric asset {asset_id!r} of {manifest_path}: its archive has no "
            f"{path.name} (kwargs.render_filename); fix the manifest entry."
        )
    return path


def _read_manifest(path: Path) -> dict:
    if str(path).startswith("gs://"):
        raise AssetError(
            f"Kubric asset source {path} is remote; download the manifest and its "
            "archives, then pass the local manifest path."
        )
    if not path.is_file():
        raise AssetError(
            f"Kubric asset source manifest {path} does not exist; pass the path of "
            "a local manifest JSON (KuBasic.json, GSO.json, ...)."
        )
    manifest = _read_json(path)
    if not isinstance(manifest.get("assets"), dict):
        raise AssetError(f"{path} is no Kubric asset source manifest (no 'assets' object).")
    return manifest


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise AssetError(f"cannot read {path}: {error}; fix the JSON.") from None


def _slug(name: str) -> str:
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:40] + f"-{digest}"
