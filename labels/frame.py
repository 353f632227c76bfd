"""The label set of one frame, derived from a backend's :class:`labels.passes.RawPasses`.

Conventions (see also :mod:`labels.passes` and :mod:`labels.boxes`):

* maps are defined at pixel centres, one id per pixel; ``instance_map`` is uint16 (0 background,
  Kubric asset index + 1 otherwise) and keeps only labelled instances: pixels of unlabelled
  objects (``category`` None, or absent from ``RawPasses.instances``) become 0, after they have
  occluded what lies behind them; ``semantic_map`` is uint16 holding each pixel's category id
  (0 background), so the two maps agree pixel for pixel by construction;
* ``depth``: planar z-depth in metres, float32, ``+inf`` for background; ``ray_distance`` (on
  request): distance from the camera centre along the pixel-centre ray, metres, ``+inf`` background;
* ``normals``: unit normals in the OpenCV camera frame (+X right, +Y down, +Z forward), zero for
  background;
* boxes: pixel-edge xyxy integers (a mask covering columns c0..c1 has x0=c0, x1=c1+1);
  ``amodal_extent``: continuous xyxy of the projected mesh, *not* clipped to the image.
* amodal mask: the object's projected triangles rasterized at pixel centres (near-plane clipped,
  see :mod:`labels.geometry`), united with the visible mask so that amodal ⊇ visible always holds
  even where a backend breaks ties on triangle edges differently.
* visible fraction: visible pixels / amodal pixels (both inside the image; 0 if not in view).
* truncated: the projected mesh reaches outside the image rectangle or behind the camera.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping, Optional, Sequence

import numpy as np

from labels.boxes import Box, FloatBox, box3d_corners, extent_leaves_image, mask_box, points_extent
from labels.categories import category_table
from labels.geometry import (
    DEFAULT_NEAR,
    pixel_ray_lengths,
    project_mesh,
    rasterize_triangles,
    transform_points,
)
from labels.passes import CameraModel, InstanceGeometry, RawPasses


@dataclasses.dataclass
class InstanceLabels:
    """Labels of one object in one frame. Boxes are pixel-edge xyxy (``None`` when empty).

    Attributes:
      instance_id: id in ``FrameLabels.instance_map``.
      uid: the Kubric asset uid.
      category: class name; category_id: its id in ``FrameLabels.categories``.
      visible_mask: bool (H, W), pixels whose centre sees this object (modal mask).
      amodal_mask: bool (H, W), pixels the object would cover with nothing in front of it.
      box: tight box of ``visible_mask``; amodal_box: box of ``amodal_mask`` (inside the image).
      amodal_extent: float xyxy extent of the projected mesh, unclipped (``None`` if the whole
        object is behind the camera).
      visible_fraction: visible / amodal pixel count, in [0, 1].
      truncated: the projected object crosses the image border (or reaches behind the camera).
      box3d_world, box3d_camera: (8, 3) corners of the object-aligned 3-D box, metres.
      object_to_world, object_to_camera: 4x4 pose (camera frame is OpenCV).
      metadata: the asset's free-form metadata.
    """

    instance_id: int
    uid: str
    category: str
    category_id: int
    visible_mask: np.ndarray
    amodal_mask: np.ndarray
    box: Optional[Box]
    amodal_box: Optional[Box]
    amodal_extent: Optional[FloatBox]
    visible_fraction: float
    truncated: bool
    box3d_world: Optional[np.ndarray]
    box3d_camera: Optional[np.ndarray]
    object_to_world: np.ndarray
    object_to_camera: np.ndarray
    metadata: dict = dataclasses.field(default_factory=dict)

    @property
    def visible_pixels(self) -> int:
        return int(self.visible_mask.sum())

    @property
    def amodal_pixels(self) -> int:
        return int(self.amodal_mask.sum())

    def to_json(self) -> dict:
        """JSON record of everything but the masks."""
        return {
            "instance_id": self.instance_id,
            "uid": self.uid,
            "category": self.category,
            "category_id": self.category_id,
            "box": _list_or_none(self.box),
            "amodal_box": _list_or_none(self.amodal_box),
            "amodal_extent": _list_or_none(self.amodal_extent),
            "visible_pixels": self.visible_pixels,
            "amodal_pixels": self.amodal_pixels,
            "visible_fraction": self.visible_fraction,
            "truncated": self.truncated,
            "box3d_world": _array_or_none(self.box3d_world),
            "box3d_camera": _array_or_none(self.box3d_camera),
            "object_to_world": np.asarray(self.object_to_world, float).tolist(),
            "object_to_camera": np.asarray(self.object_to_camera, float).tolist(),
            "metadata": self.metadata,
        }


@dataclasses.dataclass
class FrameLabels:
    """Every label of one frame plus its image; conventions in the module docstring.

    Attributes:
      image: uint8 (H, W, 3) sRGB colour (or (H, W, 4) with straight alpha).
      instance_map, semantic_map: uint16 (H, W).
      depth: float32 (H, W) planar z-depth, metres, +inf background.
      normals: float32 (H, W, 3) camera-frame unit normals, 0 background.
      camera: intrinsics K, world_to_camera and image size.
      instances: one record per labelled object (category not None), visible or not, ordered
        by instance id.
      categories: category name -> id used in ``semantic_map``.
      ray_distance: optional float32 (H, W) distance along the pixel-centre ray, metres.
      object_coordinates: optional float32 (H, W, 3) in [0, 1], as the backend gave it.
      backend, render_info: copied from the raw passes.
    """

    image: np.ndarray
    instance_map: np.ndarray
    semantic_map: np.ndarray
    depth: np.ndarray
    normals: np.ndarray
    camera: CameraModel
    instances: list[InstanceLabels]
    categories: dict[str, int]
    ray_distance: Optional[np.ndarray] = None
    object_coordinates: Optional[np.ndarray] = None
    backend: str = ""
    render_info: dict = dataclasses.field(default_factory=dict)

    @property
    def width(self) -> int:
        return self.camera.width

    @property
    def height(self) -> int:
        return self.camera.height

    def instance(self, instance_id: int) -> InstanceLabels:
        """The record of ``instance_id``; KeyError if the frame has none."""
        for record in self.instances:
            if record.instance_id == instance_id:
                return record
        raise KeyError(f"frame has no instance with id {instance_id}")


def compute_frame_labels(
    raw: RawPasses,
    category_ids: Optional[Mapping[str, int]] = None,
    *,
    category_order: Optional[Sequence[str]] = None,
    with_ray_distance: bool = False,
    near: float = DEFAULT_NEAR,
) -> FrameLabels:
    """Derive the full label set of one frame from a backend's raw passes.

    Args:
      raw: the backend's passes (see :mod:`labels.passes`).
      category_ids: category name -> id (>= 1) for ``semantic_map``; default: ids 1..N by
        ``category_order`` if given, else by sorted names of this frame's instances.
      with_ray_distance: also compute ``ray_distance``.
      near: near plane (metres) for clipping geometry behind the camera.

    Raises:
      ValueError: pass shapes disagree with the camera, or a category has no id.
    """
    camera = raw.camera
    _check_shapes(raw)
    geometries = sorted(
        (item for item in raw.instances if item.category is not None),
        key=lambda item: item.instance_id,
    )
    if category_ids is None:
        category_ids = category_table((item.category for item in geometries), category_order)
    missing = sorted({item.category for item in geometries} - set(category_ids))
    if missing:
        raise ValueError(f"categories {missing} have no id in category_ids; add them")
    instance_map, semantic_map = _label_maps(raw.instance_ids, geometries, category_ids)
    depth = np.asarray(raw.depth, dtype=np.float32)
    records = [
        _instance_labels(geometry, instance_map, camera, category_ids, near)
        for geometry in geometries
    ]
    return FrameLabels(
        image=np.asarray(raw.rgba[..., :3] if _opaque(raw.rgba) else raw.rgba, dtype=np.uint8),
        instance_map=instance_map,
        semantic_map=semantic_map,
        depth=depth,
        normals=_camera_normals(raw.normals, camera),
        camera=camera,
        instances=records,
        categories=dict(category_ids),
        ray_distance=depth * pixel_ray_lengths(camera) if with_ray_distance else None,
        object_coordinates=(
            None
            if raw.object_coordinates is None
            else np.asarray(raw.object_coordinates, dtype=np.float32)
        ),
        backend=raw.backend,
        render_info=dict(raw.render_info),
    )


def _check_shapes(raw: RawPasses) -> None:
    expected = (raw.camera.height, raw.camera.width)
    for name in ("rgba", "instance_ids", "depth", "normals", "object_coordinates"):
        array = getattr(raw, name)
        if array is not None and np.shape(array)[:2] != expected:
            raise ValueError(
                f"raw pass {name} has shape {np.shape(array)}, the camera says "
                f"(height, width) = {expected}"
            )


def _label_maps(
    instance_ids: np.ndarray,
    geometries: Sequence[InstanceGeometry],
    category_ids: Mapping[str, int],
) -> tuple[np.ndarray, np.ndarray]:
    """Instance map restricted to labelled ids, and the semantic map it implies."""
    instance_ids = np.asarray(instance_ids).astype(np.int64)
    lookup_size = (
        max([int(instance_ids.max(initial=0))] + [item.instance_id for item in geometries]) + 1
    )
    to_instance = np.zeros(lookup_size, dtype=np.uint16)
    to_category = np.zeros(lookup_size, dtype=np.uint16)
    for item in geometries:
        to_instance[item.instance_id] = item.instance_id
        to_category[item.instance_id] = category_ids[item.category]
    return to_instance[instance_ids], to_category[instance_ids]


def _instance_labels(
    geometry: InstanceGeometry,
    instance_map: np.ndarray,
    camera: CameraModel,
    category_ids: Mapping[str, int],
    near: float,
) -> InstanceLabels:
    visible = instance_map == geometry.instance_id
    triangles_2d, behind_camera = project_mesh(
        camera, geometry.vertices_world, geometry.faces, near
    )
    amodal = rasterize_triangles(triangles_2d, camera.width, camera.height) | visible
    extent = points_extent(triangles_2d.reshape(-1, 2))
    truncated = behind_camera or (
        extent is not None and extent_leaves_image(extent, camera.width, camera.height)
    )
    amodal_pixels = int(amodal.sum())
    object_to_world = np.asarray(geometry.object_to_world, dtype=np.float64)
    corners_world = (
        box3d_corners(geometry.vertices_world, object_to_world)
        if len(geometry.vertices_world)
        else None
    )
    return InstanceLabels(
        instance_id=int(geometry.instance_id),
        uid=geometry.uid,
        category=geometry.category,
        category_id=int(category_ids[geometry.category]),
        visible_mask=visible,
        amodal_mask=amodal,
        box=mask_box(visible),
        amodal_box=mask_box(amodal),
        amodal_extent=extent,
        visible_fraction=float(visible.sum()) / amodal_pixels if amodal_pixels else 0.0,
        truncated=bool(truncated),
        box3d_world=corners_world,
        box3d_camera=(
            None
            if corners_world is None
            else transform_points(camera.world_to_camera, corners_world)
        ),
        object_to_world=object_to_world,
        object_to_camera=np.asarray(camera.world_to_camera, dtype=np.float64) @ object_to_world,
        metadata=dict(geometry.metadata),
    )


def _camera_normals(normals_world: np.ndarray, camera: CameraModel) -> np.ndarray:
    rotation = np.asarray(camera.world_to_camera, dtype=np.float64)[:3, :3]
    return (np.asarray(normals_world, dtype=np.float64) @ rotation.T).astype(np.float32)


def _opaque(rgba: np.ndarray) -> bool:
    return rgba.shape[-1] == 3 or bool(np.all(rgba[..., 3] == 255))


def _list_or_none(values) -> Optional[list]:
    return None if values is None else list(values)


def _array_or_none(array: Optional[np.ndarray]) -> Optional[list]:
    return None if array is None else np.asarray(array, float).tolist()
