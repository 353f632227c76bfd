"""Kubric's output layers and instance categories from the raw passes (as renderer.blender)."""
from __future__ import annotations

from typing import Optional

import numpy as np

from labels.passes import CameraModel, RawPasses

KUBRIC_LAYERS = ("rgba", "rgb", "segmentation", "depth", "z", "normal", "object_coordinates")


def kubric_layer(name: str, raw: RawPasses) -> np.ndarray:
    """One Kubric layer, in Kubric's dtype/encoding: rgba/rgb uint8, segmentation (H,W,1)
    uint32, depth (H,W,1) float32 distance to the camera centre, z (H,W,1) planar depth, normal
    (H,W,3) uint16 = (n + 1) / 2 * 65535, object_coordinates (H,W,3) uint16 = c * 65535."""
    if name == "rgba":
        return raw.rgba
    if name == "rgb":
        return raw.rgba[..., :3]
    if name == "segmentation":
        return raw.instance_ids.astype(np.uint32)[..., None]
    if name == "z":
        return raw.depth[..., None]
    if name == "depth":
        return ray_distance(raw.depth, raw.camera)[..., None]
    if name == "normal":
        return ((np.clip(raw.normals, -1, 1) + 1) * 65535 / 2).astype(np.uint16)
    if name == "object_coordinates":
        return (np.clip(raw.object_coordinates, 0, 1) * 65535).astype(np.uint16)
    raise KeyError(name)


def ray_distance(z: np.ndarray, camera: CameraModel) -> np.ndarray:
    """Distance from the camera centre (perspective) to the surface at each pixel centre, m."""
    if camera.orthographic:
        return z.copy()
    height, width = z.shape
    cols, rows = np.meshgrid(np.arange(width) + 0.5, np.arange(height) + 0.5)
    x = (cols - camera.K[0, 2]) / camera.K[0, 0]
    y = (rows - camera.K[1, 2]) / camera.K[1, 1]
    return (z * np.sqrt(1.0 + x * x + y * y)).astype(np.float32)


def category_of(asset) -> Optional[str]:
    """Class name, the same rule as renderer.blender: ``asset.metadata["category"]`` if the key
    exists (None = unlabelled distractor), else the FileBasedObject's ``asset_id``, else the
    asset type in lower case."""
    if "category" in asset.metadata:
        category = asset.metadata["category"]
        return None if category is None else str(category)
    return getattr(asset, "asset_id", "") or type(asset).__name__.lower()
