"""Framing in image space: put the camera so that an object has a chosen size and place in the image.

A recipe does not know where an object ends up until physics has settled it, so it only
*requests* framing (:func:`random_framing` fills ``CameraSpec.framing``: target object, wanted
size, offset, viewing direction) and :func:`solve_framing` computes the camera pose from the
settled spec (``scenes.build.instantiate`` calls it after settling). The solution is a pure
function of the settled spec, so it is deterministic and stored with the frame. The camera sits
on the viewing direction from the target (above it for positive elevations) and turns to put the
target off-centre.

Group framing (``FramingSpec.group``, :func:`random_group_framing`): the same solution for the
union of several objects' hull points, so the union of their projected boxes gets the wanted
size and offset; with the union inside the frame every member's box is inside it too.

Size convention: the target's projected box (all vertices of its convex hull through the
pinhole camera, *not* clipped to the image, i.e. the labels' ``amodal_extent``) measured as
``max(box width / image width, box height / image height)``. Camera intrinsics are Kubric's:
``fx = focal_length / sensor_width * width`` (square pixels, centred principal point), +Z up.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Optional, Sequence

import numpy as np

from scenes.distributions import LogUniform, Uniform, sample
from scenes.errors import RecipeError, SpecError
from scenes.geometry import object_mesh_world
from scenes.spec import FramingSpec, SceneSpec

NEAR = 0.02  # m: the camera keeps at least this far in front of every target vertex
ITERATIONS = 60
MAX_PITCH = math.radians(80)  # steepest downward look random_framing asks of the camera
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
        raise RecipeError(
            f"parameter {name!r}: {text!r} is not a size range; give LOW-HIGH as "
            "fractions of the frame side, e.g. 0.15-0.7 (0 < LOW <= HIGH <= 4)."
        )
    return values[0], values[1]


FRAMING_MODES = {"group": 1.0, "single": 0.0, "mixed": 0.7}  # mode -> share of group frames


def parse_group_share(text: Any, name: str = "objects.framing") -> float:
    """``group`` (1), ``single`` (0), ``mixed`` (0.7) or a share in [0, 1] -> the probability
    that a frame frames the group of labelled objects; RecipeError naming ``name`` otherwise."""
    key = str(text).strip().lower()
    if key in FRAMING_MODES:
        return FRAMING_MODES[key]
    try:
        share = float(key)
    except ValueError:
        share = -1.0
    if not 0.0 <= share <= 1.0:
        raise RecipeError(
            f"parameter {name!r}: {text!r} is not a framing mode; give group, "
            "single, mixed or the share of group frames in [0, 1], e.g. 0.5."
        )
    return share


def random_framing(
    rng: np.random.Generator,
    target: str,
    size: Any = LogUniform(0.15, 0.8),
    requested: Sequence[float] = (0.15, 0.8),
    cut_probability: float = 0.2,
    elevation: Any = Uniform(math.radians(5), math.radians(48)),
    azimuth: Any = Uniform(0.0, 2 * math.pi),
    focal_ratio: Optional[float] = None,
    roll: float = 0.0,
) -> FramingSpec:
    """A framing request for object ``target``: ``size`` of its box (fraction of the frame
    side), a viewing direction, and an offset that keeps the box inside the frame or, with
    ``cut_probability``, lets the border cut it (its centre stays inside).

    ``focal_ratio`` (focal length / image side, both in pixels; square images), when given,
    shrinks an offset that no camera turned by ``roll`` (the camera's, radians) could realise
    from a steep ``elevation`` (looking down at more than :data:`MAX_PITCH`, or sideways past
    a target below it); without it keep elevations below ~50 degrees."""
    wanted = float(sample(size, rng))
    view_elevation = float(sample(elevation, rng))
    inside = max(0.0, (1.0 - min(wanted, 1.0)) / 2)
    offset = []
    for _ in range(2):
        if rng.uniform() < cut_probability:
            magnitude = rng.uniform(inside, 0.45) if inside < 0.45 else 0.45
        else:
            magnitude = rng.uniform(0.0, 0.8 * inside)
        offset.append(float(magnitude if rng.uniform() < 0.5 else -magnitude))
    if focal_ratio is not None:
        for _ in range(40):
            if reachable(view_elevation, level_offset(offset, roll), focal_ratio):
                break
            offset = [0.9 * value for value in offset]
    return FramingSpec(
        target=target,
        size=wanted,
        offset=(offset[0], offset[1]),
        elevation=view_elevation,
        azimuth=float(sample(azimuth, rng)),
        requested=(float(requested[0]), float(requested[1])),
    )


def random_group_framing(
    rng: np.random.Generator,
    members: Sequence[str],
    size: Any = Uniform(0.6, 0.9),
    requested: Sequence[float] = (0.6, 0.9),
    elevation: Any = Uniform(math.radians(15), math.radians(50)),
    azimuth: Any = Uniform(0.0, 2 * math.pi),
    focal_ratio: Optional[float] = None,
    roll: float = 0.0,
) -> FramingSpec:
    """A framing request for the union of the boxes of ``members`` (object names): ``size`` of
    the union (fraction of the frame side) and an offset that keeps the union inside the frame
    (no border cuts: every member stays whole in the image)."""
    if not members:
        raise RecipeError("group framing needs at least one object to frame.")
    framing = random_framing(
        rng,
        members[0],
        size=size,
        requested=requested,
        cut_probability=0.0,
        elevation=elevation,
        azimuth=azimuth,
        focal_ratio=focal_ratio,
        roll=roll,
    )
    return dataclasses.replace(framing, group=[str(name) for name in members])


def framed_members(spec: SceneSpec, framing: FramingSpec) -> list[str]:
    """Names of the objects ``framing`` puts in the frame, among those the spec still holds
    (physics may have removed some): its group, or its target; with none left, the first
    labelled object (empty when there is none)."""
    names = {obj.name for obj in spec.objects}
    members = [name for name in (framing.group or [framing.target]) if name in names]
    if not members:
        members = [obj.name for obj in spec.labelled_objects()][:1]
    return members


def level_offset(offset: Sequence[float], roll: float) -> tuple[float, float]:
    """An image ``offset`` (x right, y down) of a camera turned by ``roll`` (see
    :class:`LookAtCamera`), in the axes of the same camera held level."""
    cos, sin = math.cos(roll), math.sin(roll)
    x, y = offset
    return cos * x + sin * y, cos * y - sin * x


def reachable(elevation: float, offset: Sequence[float], focal_ratio: float) -> bool:
    """Whether a look-at camera (+Z up, no roll, pitch within +-:data:`MAX_PITCH`) can see a
    target ``elevation`` below it at image ``offset`` (fractions of a square image whose focal
    length is ``focal_ratio`` image sides): the ray through that pixel, (x, y, 1), must point
    down by sin(elevation) for some pitch p, i.e. (sin p - y cos p) / |ray| = -sin(elevation)."""
    x, y = offset[0] / focal_ratio, offset[1] / focal_ratio
    pitch = np.linspace(-MAX_PITCH, MAX_PITCH, 721)
    slope = (np.sin(pitch) - y * np.cos(pitch)) / math.sqrt(x * x + y * y + 1)
    margin = 0.01
    return bool(slope.min() + margin <= -math.sin(elevation) <= slope.max() - margin)


@dataclasses.dataclass(frozen=True)
class LookAtCamera:
    """A pinhole camera at ``position`` aimed at ``look_at`` with +Z up, turned by ``roll``
    about its viewing axis (radians, ``CameraSpec.roll``: positive turns the camera
    counter-clockwise, the scene clockwise in the image), ``fx`` in pixels, centred principal
    point: Kubric's camera model (see module docstring)."""

    position: np.ndarray
    look_at: np.ndarray
    fx: float
    width: int
    height: int
    roll: float = 0.0

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, 2) pixel coordinates and (N,) depths of world points."""
        forward = self.look_at - self.position
        forward /= np.linalg.norm(forward)
        level_right = np.cross(forward, (0.0, 0.0, 1.0))
        level_right /= np.linalg.norm(level_right)
        level_down = np.cross(forward, level_right)
        cos, sin = math.cos(self.roll), math.sin(self.roll)
        right = cos * level_right - sin * level_down  # the turned camera's image axes
        down = cos * level_down + sin * level_right
        relative = points - self.position
        depth = relative @ forward
        safe = np.maximum(depth, 1e-9)
        u = self.width / 2 + self.fx * (relative @ right) / safe
        v = self.height / 2 + self.fx * (relative @ down) / safe
        return np.column_stack([u, v]), depth


def projected_size(camera: LookAtCamera, points: np.ndarray) -> tuple[float, np.ndarray]:
    """Framing size (see module docstring) and the box centre (px) of ``points``."""
    pixels, _ = camera.project(points)
    low, high = pixels.min(axis=0), pixels.max(axis=0)
    size = max((high[0] - low[0]) / camera.width, (high[1] - low[1]) / camera.height)
    return float(size), (low + high) / 2


def solve_framing(spec: SceneSpec) -> SceneSpec:
    """The spec with the camera pose that realises ``camera.framing`` (unchanged when there is
    no framing or it is solved). A target that physics removed (it fell off the support) is
    replaced by the first labelled object left; with none left the spec stays unsolved. A group
    keeps the members physics left (the recorded group is updated). Depth of field, when set, is
    refocused."""
    framing = spec.camera.framing
    if framing is None or framing.solved:
        return spec
    members = framed_members(spec, framing)
    if not members:
        return spec  # nothing left to frame: the recipe's camera stays, framing unsolved
    framing = dataclasses.replace(
        framing, target=members[0], group=members if framing.group else []
    )
    points = np.concatenate(
        [
            np.asarray(object_mesh_world(spec.object(name)).convex_hull.vertices, float)
            for name in members
        ]
    )
    position, look_at = _solve(spec, points, framing)
    camera = dataclasses.replace(
        spec.camera,
        position=tuple(float(v) for v in position),
        look_at=tuple(float(v) for v in look_at),
        framing=dataclasses.replace(framing, solved=True),
    )
    if camera.depth_of_field is not None:
        camera.depth_of_field = dataclasses.replace(
            camera.depth_of_field, focus_distance=float(np.linalg.norm(position - look_at))
        )
    return dataclasses.replace(spec, camera=camera).normalised()


def _solve(
    spec: SceneSpec, points: np.ndarray, framing: FramingSpec
) -> tuple[np.ndarray, np.ndarray]:
    """Camera position and look-at for the world ``points`` (N, 3) that stand for the framed
    object(s): the camera sits on the viewing direction from their box's centre (above it for
    positive elevations) at the distance that sets the size, and turns (yaw and pitch; the
    camera's ``roll`` stays as the recipe drew it) to put the box centre at the offset. Both
    are iterated together, since an off-centre object projects a little larger."""
    centre = (points.min(axis=0) + points.max(axis=0)) / 2
    width, height = (int(v) for v in spec.resolution)
    fx = spec.camera.focal_length / spec.camera.sensor_width * width
    direction = np.array(
        [
            math.cos(framing.elevation) * math.cos(framing.azimuth),
            math.cos(framing.elevation) * math.sin(framing.azimuth),
            math.sin(framing.elevation),
        ]
    )
    if abs(direction[2]) > 0.999:
        raise SpecError(
            "camera.framing.elevation must stay below 90 degrees (straight down has "
            "no defined image orientation with +Z up)."
        )
    radius = float(np.linalg.norm(points - centre, axis=1).max())
    distance = max(fx * 2 * radius / (framing.size * max(width, height)), radius + NEAR)
    goal = np.array(
        [width / 2 + framing.offset[0] * width, height / 2 + framing.offset[1] * height]
    )
    angles = np.array([framing.azimuth + math.pi, -framing.elevation])  # yaw, pitch: at the target
    roll = spec.camera.roll
    camera = None
    for _ in range(ITERATIONS):
        position = centre + distance * direction
        if np.min((points - position) @ -direction) < NEAR:
            distance *= 1.5
            continue
        angles = _aim(position, points, goal, angles, fx, width, height, roll)
        camera = LookAtCamera(position, position + _forward(angles), fx, width, height, roll)
        size, box_centre = projected_size(camera, points)
        error = np.abs(box_centre - goal) / np.array([width, height])
        if abs(size / framing.size - 1) < TOLERANCE and error.max() < TOLERANCE:
            break
        distance = max(distance * size / framing.size, radius + NEAR)
    return camera.position, camera.look_at


def _forward(angles: np.ndarray) -> np.ndarray:
    """Unit viewing direction from (yaw about +Z from +X, pitch above the XY plane), radians."""
    yaw, pitch = angles
    return np.array(
        [math.cos(pitch) * math.cos(yaw), math.cos(pitch) * math.sin(yaw), math.sin(pitch)]
    )


def _aim(
    position: np.ndarray,
    points: np.ndarray,
    goal: np.ndarray,
    angles: np.ndarray,
    fx: float,
    width: int,
    height: int,
    roll: float = 0.0,
    steps: int = 8,
) -> np.ndarray:
    """Yaw and pitch that put the centre of the projected box of ``points`` at pixel ``goal``
    for a camera turned by ``roll`` (Newton's method with a finite-difference Jacobian; pitch kept within +-88 degrees)."""
    limit = math.radians(88)

    def box_centre(trial: np.ndarray) -> np.ndarray:
        camera = LookAtCamera(position, position + _forward(trial), fx, width, height, roll)
        return projected_size(camera, points)[1]

    for _ in range(steps):
        current = box_centre(angles)
        residual = current - goal
        if np.abs(residual).max() < 1e-3:
            break
        step = 1e-4
        jacobian = np.column_stack(
            [(box_centre(angles + step * unit) - current) / step for unit in np.eye(2)]
        )
        try:
            delta = np.linalg.solve(jacobian, -residual)
        except np.linalg.LinAlgError:
            break
        angles = angles + np.clip(delta, -0.3, 0.3)
        angles[1] = min(max(angles[1], -limit), limit)
    return angles
