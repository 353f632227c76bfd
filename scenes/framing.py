"""Framing in image space: put the camera so that an object has a chosen size and place in the image.

A recipe does not know where an object ends up until physics has settled it, so it only
*requests* framing (:func:`random_framing` fills ``CameraSpec.framing``: target object, wanted
size, offset, viewing direction) and :func:`solve_framing` computes the camera pose from the
settled spec (``scenes.build.instantiate`` calls it after settling). The solution is a pure
function of the settled spec, so it is deterministic and stored with the frame.

Size convention: the target's projected box (all vertices of its convex hull through the
pinhole camera, *not* clipped to the image, i.e. the labels' ``amodal_extent``) measured as
``max(box width / image width, box height / image height)``. Camera intrinsics are Kubric's:
``fx = focal_length / sensor_width * width`` (square pixels, centred principal point), +Z up.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Sequence

import numpy as np

from scenes.distributions import LogUniform, Uniform, sample
from scenes.errors import RecipeError, SpecError
from scenes.geometry import object_mesh_world
from scenes.spec import FramingSpec, ObjectSpec, SceneSpec

NEAR = 0.02  # m: the camera keeps at least this far in front of every target vertex
ITERATIONS = 60
TOLERANCE = 1e-4  # relative size error and offset error (fraction of the image) to stop at


def parse_size_range(text: str, name: str = "objects.pixel_size") -> tuple[float, float]:
    """``"0.15-0.7"`` (fractions of the frame side; one number = fixed size) -> (low, high);
    RecipeError naming ``name`` otherwise."""
    parts = [p.strip() for p in str(text).split("-")]
    try:
        values = [float(p) for p in parts if p]
    except ValueError:
        values = []
    if len(values) == 1:
        values = values * 2
    if len(values) != 2 or not 0 < values[0] <= values[1] <= 4.0:
        raise RecipeError(f"parameter {name!r}: {text!r} is not a size range; give LOW-HIGH as "
                          "fractions of the frame side, e.g. 0.15-0.7 (0 < LOW <= HIGH <= 4).")
    return values[0], values[1]


def random_framing(rng: np.random.Generator, target: str, size: Any = LogUniform(0.15, 0.7),
                   requested: Sequence[float] = (0.15, 0.7), cut_probability: float = 0.2,
                   elevation: Any = Uniform(math.radians(5), math.radians(60)),
                   azimuth: Any = Uniform(0.0, 2 * math.pi)) -> FramingSpec:
    """A framing request for object ``target``: ``size`` of its box (fraction of the frame
    side), a viewing direction, and an offset that keeps the box inside the frame or, with
    ``cut_probability``, lets the border cut it (its centre stays inside)."""
    wanted = float(sample(size, rng))
    inside = max(0.0, (1.0 - min(wanted, 1.0)) / 2)
    offset = []
    for _ in range(2):
        if rng.uniform() < cut_probability:
            magnitude = rng.uniform(inside, 0.45) if inside < 0.45 else 0.45
        else:
            magnitude = rng.uniform(0.0, 0.8 * inside)
        offset.append(float(magnitude if rng.uniform() < 0.5 else -magnitude))
    return FramingSpec(target=target, size=wanted, offset=(offset[0], offset[1]),
                       elevation=float(sample(elevation, rng)),
                       azimuth=float(sample(azimuth, rng)),
                       requested=(float(requested[0]), float(requested[1])))


@dataclasses.dataclass(frozen=True)
class _Camera:
    """A look-at pinhole camera (see module docstring)."""
    position: np.ndarray
    look_at: np.ndarray
    fx: float
    width: int
    height: int

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, 2) pixel coordinates and (N,) depths of world points."""
        forward = self.look_at - self.position
        forward /= np.linalg.norm(forward)
        right = np.cross(forward, (0.0, 0.0, 1.0))
        right /= np.linalg.norm(right)
        down = np.cross(forward, right)
        relative = points - self.position
        depth = relative @ forward
        safe = np.maximum(depth, 1e-9)
        u = self.width / 2 + self.fx * (relative @ right) / safe
        v = self.height / 2 + self.fx * (relative @ down) / safe
        return np.column_stack([u, v]), depth


def projected_size(camera: _Camera, points: np.ndarray) -> tuple[float, np.ndarray]:
    """Framing size (see module docstring) and the box centre (px) of ``points``."""
    pixels, _ = camera.project(points)
    low, high = pixels.min(axis=0), pixels.max(axis=0)
    size = max((high[0] - low[0]) / camera.width, (high[1] - low[1]) / camera.height)
    return float(size), (low + high) / 2


def solve_framing(spec: SceneSpec) -> SceneSpec:
    """The spec with the camera pose that realises ``camera.framing`` (unchanged when there is
    no framing or it is solved). Depth of field, when set, is refocused on the target."""
    framing = spec.camera.framing
    if framing is None or framing.solved:
        return spec
    try:
        target = spec.object(framing.target)
    except KeyError:
        raise SpecError(f"camera.framing.target {framing.target!r} is not in the scene (it may "
                        "have fallen off the support); frame a labelled object.") from None
    position, look_at = _solve(spec, target, framing)
    camera = dataclasses.replace(
        spec.camera, position=tuple(float(v) for v in position),
        look_at=tuple(float(v) for v in look_at),
        framing=dataclasses.replace(framing, solved=True))
    if camera.depth_of_field is not None:
        camera.depth_of_field = dataclasses.replace(
            camera.depth_of_field, focus_distance=float(np.linalg.norm(position - look_at)))
    return dataclasses.replace(spec, camera=camera).normalised()


def _solve(spec: SceneSpec, target: ObjectSpec, framing: FramingSpec
           ) -> tuple[np.ndarray, np.ndarray]:
    """Camera position and look-at: distance along the viewing direction sets the size, a
    shift of the look-at point in the image plane sets the offset (iterated together)."""
    points = np.asarray(object_mesh_world(target).convex_hull.vertices, float)
    centre = (points.min(axis=0) + points.max(axis=0)) / 2
    width, height = (int(v) for v in spec.resolution)
    fx = spec.camera.focal_length / spec.camera.sensor_width * width
    direction = np.array([math.cos(framing.elevation) * math.cos(framing.azimuth),
                          math.cos(framing.elevation) * math.sin(framing.azimuth),
                          math.sin(framing.elevation)])
    right = np.cross(-direction, (0.0, 0.0, 1.0))
    if np.linalg.norm(right) < 1e-6:
        raise SpecError("camera.framing.elevation must stay below 90 degrees (straight down has "
                        "no defined image orientation with +Z up).")
    right /= np.linalg.norm(right)
    down = np.cross(-direction, right)
    radius = float(np.linalg.norm(points - centre, axis=1).max())
    distance = max(fx * 2 * radius / (framing.size * max(width, height)), radius + NEAR)
    shift = np.zeros(2)
    goal = np.array([width / 2 + framing.offset[0] * width,
                     height / 2 + framing.offset[1] * height])
    for _ in range(ITERATIONS):
        look_at = centre + shift[0] * right + shift[1] * down
        camera = _Camera(centre + distance * direction + shift[0] * right + shift[1] * down,
                         look_at, fx, width, height)
        _, depth = camera.project(points)
        if depth.min() < NEAR:
            distance *= 1.5
            continue
        size, box_centre = projected_size(camera, points)
        error = (box_centre - goal) / np.array([width, height])
        if abs(size / framing.size - 1) < TOLERANCE and np.abs(error).max() < TOLERANCE:
            break
        distance = max(distance * size / framing.size, radius + NEAR)
        # moving camera and look-at together by s along `right` moves the image by -fx*s/depth
        shift += (box_centre - goal) * float(np.median(depth)) / fx
    return camera.position, camera.look_at
