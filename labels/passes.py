"""The raw passes a rendering backend hands to the labels package.

This is the contract between ``renderer/`` (Blender/Cycles, pyrender) and ``labels/``: plain numpy
arrays and numbers, no bpy, no pyrender.

Conventions (shared by every backend):

* **World frame**: Blender/Kubric's, right-handed, metres, **+Z is up**.
* **Camera frame**: OpenCV's, metres: +X right, +Y down, +Z forward (the viewing direction).
  ``world_to_camera`` maps world points into this frame. (Blender cameras look along their
  local -Z with +Y up; the backend converts.)
* **Pixels**: pixel (0, 0) is the top-left pixel; its centre is at continuous image coordinate
  (0.5, 0.5), so pixel (row r, column c) covers [c, c+1) x [r, r+1). Arrays are indexed
  ``[row, col]`` with shape ``(height, width, ...)``. ``K`` maps camera-frame points to these
  continuous coordinates: ``u = fx * X/Z + cx``, ``v = fy * Y/Z + cy``. For a centred principal
  point ``cx = width / 2``, ``cy = height / 2``.
* **Label passes are sampled at pixel centres**: one instance id per pixel, no blending.
* **Depth** is planar z-depth in metres (the camera-frame Z of the surface seen at the pixel
  centre), float32; background is ``+inf``.
* **Instance ids** follow Kubric: 0 is background, otherwise ``scene.assets.index(asset) + 1``.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np


@dataclasses.dataclass
class CameraModel:
    """Pinhole (or orthographic) camera in OpenCV convention, see module docstring.

    Attributes:
      K: 3x3 intrinsics in pixels. For an orthographic camera ``K`` maps camera-frame X/Y (metres)
        to pixels without division by Z: ``u = fx * X + cx``.
      world_to_camera: 4x4 rigid transform, world (Z up) -> OpenCV camera frame.
      width, height: image size in pixels.
      orthographic: True for an orthographic camera.
    """

    K: np.ndarray
    world_to_camera: np.ndarray
    width: int
    height: int
    orthographic: bool = False

    @property
    def camera_to_world(self) -> np.ndarray:
        return np.linalg.inv(self.world_to_camera)

    def to_json(self) -> dict:
        return {
            "K": np.asarray(self.K, float).tolist(),
            "world_to_camera": np.asarray(self.world_to_camera, float).tolist(),
            "width": int(self.width),
            "height": int(self.height),
            "orthographic": bool(self.orthographic),
        }

    @classmethod
    def from_json(cls, data: dict) -> "CameraModel":
        return cls(
            K=np.array(data["K"], float),
            world_to_camera=np.array(data["world_to_camera"], float),
            width=int(data["width"]),
            height=int(data["height"]),
            orthographic=bool(data.get("orthographic", False)),
        )


@dataclasses.dataclass
class InstanceGeometry:
    """One labelled object of the scene, as the backend placed it in this frame.

    Attributes:
      instance_id: id used in ``RawPasses.instance_ids`` (Kubric: asset index + 1).
      uid: the Kubric asset uid (stable name within the scene).
      category: class name (from ``asset.metadata["category"]``, else the FileBasedObject's
        ``asset_id``, else the asset's type name in lower case). ``None`` marks an unlabelled
        object (a distractor): its pixels carry its id in ``instance_ids`` (so it occludes
        others correctly) but writers produce no annotation for it.
      vertices_world: (N, 3) float64 mesh vertices in the world frame, metres, for this frame.
      faces: (M, 3) int triangle indices into ``vertices_world``.
      object_to_world: 4x4 pose of the object (position, rotation, scale).
      metadata: free-form JSON-serialisable extras (asset source, licence, ...).
    """

    instance_id: int
    uid: str
    category: Optional[str]
    vertices_world: np.ndarray
    faces: np.ndarray
    object_to_world: np.ndarray
    metadata: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class RawPasses:
    """Everything a backend rendered for one frame. Shapes are (H, W, ...); see module docstring.

    Attributes:
      rgba: uint8 (H, W, 4), sRGB colour, straight alpha.
      instance_ids: uint16 (H, W), 0 = background, Kubric asset index + 1 otherwise.
      depth: float32 (H, W), planar z-depth in metres, +inf for background.
      normals: float32 (H, W, 3), unit surface normals in the **world** frame (0 for background).
      camera: the camera this frame was seen from.
      instances: geometry of every labelled object in the scene (visible or not).
      object_coordinates: optional float32 (H, W, 3), position inside the object's bounding box,
        normalised to [0, 1] per axis.
      backend: short backend name, e.g. ``"cycles"`` or ``"raster"``.
      render_info: JSON-serialisable facts about the render (device, GPU name, samples, timings).
    """

    rgba: np.ndarray
    instance_ids: np.ndarray
    depth: np.ndarray
    normals: np.ndarray
    camera: CameraModel
    instances: list[InstanceGeometry]
    object_coordinates: Optional[np.ndarray] = None
    backend: str = ""
    render_info: dict = dataclasses.field(default_factory=dict)
