"""What every backend's Kubric view shares: Kubric's output layers, the category rule and the
mesh-file check. Backend-neutral (no bpy, no OpenGL).

Kubric's layers (``render()`` / ``render_still()``), from a frame's :class:`RawPasses`:
rgba/rgb uint8; segmentation (H,W,1) uint32 (0 background, asset index + 1); z (H,W,1) float32
planar depth in metres; depth (H,W,1) float32 distance from the camera centre; normal (H,W,3)
uint16 = (n + 1) / 2 * 65535 (world frame); object_coordinates (H,W,3) uint16 = c * 65535.
Background z/depth is 1e10 m, as Kubric writes it (RawPasses use +inf). A backend may add
layers it alone has (Cycles: uv, forward_flow, backward_flow).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import numpy as np

from assets.formats import MESH_EXTENSIONS
from labels.geometry import pixel_ray_lengths
from labels.passes import CameraModel, RawPasses

KUBRIC_LAYERS = ("rgba", "rgb", "segmentation", "depth", "z", "normal", "object_coordinates")
KUBRIC_BACKGROUND_Z = 1e10  # metres


def ray_distance(z: np.ndarray, camera: CameraModel) -> np.ndarray:
    """Distance from the camera centre to the surface seen at each pixel centre (metres), from
    planar depth ``z``; orthographic cameras: ``z`` itself."""
    return (z * pixel_ray_lengths(camera)).astype(np.float32)


def unit_to_uint16(values: np.ndarray, low: float = 0.0) -> np.ndarray:
    """Kubric's uint16 encoding of values in [low, 1]: 0 .. 65535."""
    return ((np.clip(values, low, 1.0) - low) / (1.0 - low) * 65535).astype(np.uint16)


def kubric_layer(name: str, raw: RawPasses) -> np.ndarray:
    """One of :data:`KUBRIC_LAYERS` in Kubric's dtype and encoding (see module docstring)."""
    if name == "rgba":
        return raw.rgba
    if name == "rgb":
        return raw.rgba[..., :3]
    if name == "segmentation":
        return raw.instance_ids.astype(np.uint32)[..., None]
    z = np.where(np.isfinite(raw.depth), raw.depth, KUBRIC_BACKGROUND_Z).astype(np.float32)
    if name == "z":
        return z[..., None]
    if name == "depth":
        return ray_distance(z, raw.camera)[..., None]
    if name == "normal":
        return unit_to_uint16(raw.normals, low=-1.0)
    if name == "object_coordinates":
        return unit_to_uint16(raw.object_coordinates)
    raise KeyError(name)


def check_layer_names(requested, available) -> None:
    unknown = sorted(set(requested) - set(available))
    if unknown:
        raise ValueError(f"unknown return_layers {unknown}; available: {', '.join(available)}")


def category_of(asset) -> Optional[str]:
    """Class name: ``asset.metadata["category"]`` if the key exists (None = unlabelled
    distractor), else the FileBasedObject's ``asset_id``, else the asset type in lower case."""
    if "category" in asset.metadata:
        category = asset.metadata["category"]
        return None if category is None else str(category)
    return getattr(asset, "asset_id", "") or type(asset).__name__.lower()


def instance_metadata(asset) -> dict:
    """What labels record of an asset's metadata: all but ``category``; an object of parts keeps
    each part's name and material name only (the full descriptions hold this machine's paths
    to generated prints, which would make labels differ between output folders)."""
    metadata = {k: v for k, v in asset.metadata.items() if k != "category"}
    if metadata.get("parts"):
        first = (getattr(getattr(asset, "material", None), "metadata", None) or {}).get("spec_name")
        metadata["parts"] = [
            {"name": part["name"], "material": (part["material"] or {}).get("name", first)}
            for part in metadata["parts"]
        ]
    return metadata


def check_mesh_file(path: str | os.PathLike) -> Path:
    """``path`` as a Path if it names an existing mesh file of a supported format, else a
    ValueError / FileNotFoundError naming the file and what is accepted."""
    file = Path(path)
    if file.suffix.lower() not in MESH_EXTENSIONS:
        raise ValueError(
            f"mesh file {str(file)!r} has unsupported extension {file.suffix!r}; "
            f"supported: {', '.join(MESH_EXTENSIONS)}"
        )
    if not file.is_file():
        raise FileNotFoundError(
            f"mesh file {str(file)!r} does not exist; check the FileBasedObject's render_filename"
        )
    return file
