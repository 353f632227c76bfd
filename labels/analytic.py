"""Exact ray-cast raw passes of spheres and boxes: a reference backend without Blender.

Casts one ray per pixel centre through ``K`` (conventions of :mod:`labels.passes`) against true
spheres and oriented boxes, so areas, depths and occlusions have closed forms. Used by the tests
to pin label conventions down and by anyone who wants to check a backend against ground truth.
The :class:`~labels.passes.InstanceGeometry` handed along is a fine triangle mesh of the same
shape (trimesh icosphere / box), as a real backend would give.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence, Union

import numpy as np
import trimesh

from labels.passes import CameraModel, InstanceGeometry, RawPasses


@dataclasses.dataclass
class Sphere:
    """A sphere of ``radius`` metres at world ``centre``."""

    centre: Sequence[float]
    radius: float
    category: str = "sphere"
    colour: tuple[int, int, int] = (200, 60, 60)


@dataclasses.dataclass
class Box:
    """An axis-aligned (in the world) box with ``size`` (x, y, z) metres at world ``centre``."""

    centre: Sequence[float]
    size: Sequence[float]
    category: str = "box"
    colour: tuple[int, int, int] = (60, 60, 200)


Shape = Union[Sphere, Box]


def look_at(
    eye: Sequence[float], target: Sequence[float], up: Sequence[float] = (0.0, 0.0, 1.0)
) -> np.ndarray:
    """4x4 world -> OpenCV camera transform for a camera at ``eye`` looking at ``target``."""
    eye, target, up = (np.asarray(v, dtype=np.float64) for v in (eye, target, up))
    forward = target - eye
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, up)
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    transform = np.eye(4)
    transform[:3, :3] = np.stack([right, down, forward])
    transform[:3, 3] = -transform[:3, :3] @ eye
    return transform


def intrinsics(width: int, height: int, focal_px: float) -> np.ndarray:
    """K with square pixels and a centred principal point ``(W/2, H/2)``."""
    return np.array([[focal_px, 0, width / 2], [0, focal_px, height / 2], [0, 0, 1]], float)


def render(camera: CameraModel, shapes: Sequence[Shape], background=(0, 0, 0)) -> RawPasses:
    """Ray-cast ``shapes`` (instance id = position + 1) at every pixel centre."""
    origins, directions = _pixel_rays(camera)
    nearest = np.full((camera.height, camera.width), np.inf)
    ids = np.zeros((camera.height, camera.width), dtype=np.uint16)
    normals = np.zeros((camera.height, camera.width, 3))
    for index, shape in enumerate(shapes):
        distance, normal = (_hit_sphere if isinstance(shape, Sphere) else _hit_box)(
            shape, origins, directions
        )
        closer = distance < nearest
        nearest[closer], ids[closer], normals[closer] = distance[closer], index + 1, normal[closer]
    forward = camera.camera_to_world[:3, 2]
    depth = (nearest * (directions @ forward)).astype(np.float32)  # planar z
    rgba = np.zeros((camera.height, camera.width, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    rgba[..., :3] = background
    for index, shape in enumerate(shapes):
        rgba[ids == index + 1, :3] = shape.colour
    return RawPasses(
        rgba=rgba,
        instance_ids=ids,
        depth=depth,
        normals=normals.astype(np.float32),
        camera=camera,
        instances=[_geometry(i + 1, s) for i, s in enumerate(shapes)],
        backend="analytic",
    )


def _pixel_rays(camera: CameraModel) -> tuple[np.ndarray, np.ndarray]:
    """World-frame ray origins and directions (z-component 1 in the camera frame) per pixel."""
    cols, rows = np.meshgrid(np.arange(camera.width) + 0.5, np.arange(camera.height) + 0.5)
    pixels = np.stack([cols, rows, np.ones_like(cols)], axis=-1)
    plane = pixels @ np.linalg.inv(camera.K).T  # (X/Z, Y/Z, 1) or (X, Y, 1) if orthographic
    to_world = camera.camera_to_world
    if camera.orthographic:
        local_origins = plane * np.array([1.0, 1.0, 0.0])
        directions = np.broadcast_to(to_world[:3, 2], plane.shape)
        return local_origins @ to_world[:3, :3].T + to_world[:3, 3], directions
    return np.broadcast_to(to_world[:3, 3], plane.shape), plane @ to_world[:3, :3].T


def _hit_sphere(sphere: Sphere, origins: np.ndarray, directions: np.ndarray):
    """Ray parameter of the first hit (inf on a miss) and the unit normal there."""
    offset = origins - np.asarray(sphere.centre, dtype=np.float64)
    a = np.einsum("...i,...i", directions, directions)
    b = np.einsum("...i,...i", directions, offset)
    c = np.einsum("...i,...i", offset, offset) - sphere.radius**2
    discriminant = b * b - a * c
    root = np.sqrt(np.maximum(discriminant, 0))
    t = np.where(discriminant >= 0, (-b - root) / a, np.inf)
    t = np.where(t > 0, t, np.inf)
    points = origins + directions * np.where(np.isfinite(t), t, 0)[..., None]
    return t, (points - np.asarray(sphere.centre)) / sphere.radius


def _hit_box(box: Box, origins: np.ndarray, directions: np.ndarray):
    """Slab test against an axis-aligned box: first hit parameter and the face normal."""
    low = np.asarray(box.centre, float) - np.asarray(box.size, float) / 2
    high = np.asarray(box.centre, float) + np.asarray(box.size, float) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse = 1.0 / directions
        t_low, t_high = (low - origins) * inverse, (high - origins) * inverse
    t_near = np.nan_to_num(np.minimum(t_low, t_high), nan=-np.inf)
    t_far = np.nan_to_num(np.maximum(t_low, t_high), nan=np.inf)
    entry, exit_ = t_near.max(axis=-1), t_far.min(axis=-1)
    t = np.where((entry <= exit_) & (entry > 0), entry, np.inf)
    axis = t_near.argmax(axis=-1)
    normal = np.zeros(directions.shape)
    np.put_along_axis(
        normal, axis[..., None], -np.sign(np.take_along_axis(directions, axis[..., None], -1)), -1
    )
    return t, normal


def _geometry(instance_id: int, shape: Shape) -> InstanceGeometry:
    if isinstance(shape, Sphere):
        mesh = trimesh.creation.icosphere(subdivisions=4, radius=shape.radius)
    else:
        mesh = trimesh.creation.box(extents=shape.size)
    pose = np.eye(4)
    pose[:3, 3] = shape.centre
    return InstanceGeometry(
        instance_id=instance_id,
        uid=f"{shape.category}_{instance_id}",
        category=shape.category,
        vertices_world=np.asarray(mesh.vertices) + np.asarray(shape.centre),
        faces=np.asarray(mesh.faces),
        object_to_world=pose,
    )
