"""Hands gripping objects: unlabelled occluders, as in phone photos of things people hold.

``hand_holding(rng, held, "hand_0", away_azimuth)`` returns a hand (``assets/household.py``,
class ``hand``: palm, four fingers, thumb, forearm) whose palm and fingers wrap the upright
object ``held`` around its body, 2 mm clear of it, at 25-60 % of its height (fingers never
below its base), its forearm leaving towards ``away_azimuth`` +- 100 degrees (world azimuth in
radians, counter-clockwise from +X seen from +Z, the world's up axis), in the direction of
those tried that keeps clearest of the other objects. Skin is any tone from dark to light; the
forearm is bare or in a sleeve. The hand is static, and so is the object it
holds from then on: physics settles the other objects around them, so the grip stays where it
was placed. The held object keeps its labels; the hand only hides part of it (its visible
fraction drops, as the label definition counts it).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import trimesh

from assets.household import HAND_GAP, LICENCE, SOURCE, household_class
from scenes.geometry import asset_mesh, asset_origin, pose_matrix
from scenes.household import hand_materials
from scenes.randomizers import footprint_radius, is_upright
from scenes.spec import AssetSpec, ObjectSpec

GRIP_HEIGHT = (0.25, 0.6)  # share of the held object's height where the palm's centre sits
FOREARM_SPREAD = math.radians(100)  # the forearm leaves within this of ``away_azimuth``
YAW_DRAWS = 12  # forearm directions tried; the one clearest of the other objects is kept


def hand_holding(
    rng: np.random.Generator,
    held: ObjectSpec,
    name: str,
    away_azimuth: float,
    support_height: float,
    others: Sequence[ObjectSpec] = (),
) -> ObjectSpec:
    """A static hand gripping the upright ``held`` (whose rotation is a yaw about +Z), which is
    stood with its base on the support at ``support_height`` (m) and marked static. Of
    ``YAW_DRAWS`` forearm directions the one passing farthest from ``others`` (seen from above)
    is kept, so the arm rarely knocks into what stands around. Raises ValueError for an object
    that does not stand upright."""
    if not is_upright(held):
        raise ValueError(f"hand_holding: {held.name} does not stand upright")
    base = float(asset_mesh(held.asset).bounds[0][2]) * float(held.scale[2])
    held.position = (*held.position[:2], support_height - base)
    shape = household_class("hand").subtype("grip")
    params = shape.sample_params(rng)
    grip_local, radius = _grip(rng, held, params)
    params["grip_radius"] = radius
    asset = AssetSpec(kind="household", name="hand", params=params, source=SOURCE, licence=LICENCE)
    grip_world = pose_matrix(held.position, held.quaternion, held.scale) @ (*grip_local, 1.0)
    yaw = _clearest_yaw(rng, grip_world[:2], params, away_azimuth, others)
    quaternion = (math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2))
    turn = pose_matrix((0.0, 0.0, 0.0), quaternion)[:3, :3]
    # the hand's builder put the grip at its origin (0, 0, 0): that point must land on grip_world
    position = grip_world[:3] + turn @ asset_origin(asset)
    parts = hand_materials(rng, asset)
    held.static = True
    return ObjectSpec(
        name=name,
        asset=asset,
        position=tuple(float(v) for v in position),
        quaternion=quaternion,
        material=parts[0].material,
        parts=parts,
        role="distractor",
        static=True,
    )


def _clearest_yaw(
    rng, grip_xy: np.ndarray, params: dict, away_azimuth: float, others: Sequence[ObjectSpec]
) -> float:
    """Of ``YAW_DRAWS`` forearm azimuths within ``FOREARM_SPREAD`` of ``away_azimuth``, the one
    whose forearm (a segment seen from above) keeps farthest from ``others``' footprint circles."""
    yaws = away_azimuth + rng.uniform(-FOREARM_SPREAD, FOREARM_SPREAD, YAW_DRAWS)
    if not others:
        return float(yaws[0])
    start = params["grip_radius"] + HAND_GAP + params["palm_thickness"] / 2
    length = params["forearm_length"] * math.cos(params["forearm_rise"])
    centres = np.array([obj.position[:2] for obj in others], float)
    radii = np.array([footprint_radius(obj) for obj in others])

    def clearance(yaw: float) -> float:
        direction = np.array([math.cos(yaw), math.sin(yaw)])
        first = np.asarray(grip_xy, float) + start * direction
        along = np.clip((centres - first) @ direction, 0.0, length)
        nearest = first + along[:, None] * direction
        return float((np.linalg.norm(centres - nearest, axis=1) - radii).min())

    return float(max(yaws, key=clearance))


def _grip(rng, held: ObjectSpec, params: dict) -> tuple[np.ndarray, float]:
    """The grip point on ``held``'s axis (its object frame, before scale) and the largest radius
    (m, scaled) of its body over the height the hand covers (handles left out: fingers may
    pass through a mug's handle), so no finger enters the body."""
    mesh = asset_mesh(held.asset)
    origin = asset_origin(held.asset)  # the builder's axis is x = y = 0
    parts = mesh.metadata.get("parts", [])
    if "handle" in parts:
        body = ~np.isin(mesh.face_attributes["part"], [parts.index("handle")])
        mesh = mesh.submesh([np.flatnonzero(body)], append=True)
    bottom, top = mesh.bounds[:, 2] + origin[2]
    pitch = 2 * params["finger_radius"] + 0.001  # as the hand's builder stacks the fingers
    reach = 2 * pitch  # the palm spans this above and below the grip
    height = max(bottom + float(rng.uniform(*GRIP_HEIGHT)) * (top - bottom), bottom + reach + 0.002)
    radius = 0.0
    for z in np.linspace(height - reach, min(height + reach, top - 1e-4), 9):
        lines = trimesh.intersections.mesh_plane(mesh, (0.0, 0.0, 1.0), (0.0, 0.0, z - origin[2]))
        if len(lines):
            points = lines.reshape(-1, 3)[:, :2] + origin[:2]
            radius = max(radius, float(np.hypot(points[:, 0], points[:, 1]).max()))
    grip_local = np.array([0.0, 0.0, height]) - origin
    return grip_local, radius * float(held.scale[0])
