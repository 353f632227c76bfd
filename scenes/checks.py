"""Physical sanity checks of a (settled) spec, with PyBullet distance queries.

Each object becomes a PyBullet collision shape in its spec pose: cubes as boxes, spheres as
spheres, meshes as their convex hull (what the simulator used; a hull contains its mesh, so hulls
that do not overlap mean meshes that do not overlap either). Distances are signed, in metres:
negative means penetration depth.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np

from scenes.geometry import asset_hull
from scenes.spec import ObjectSpec, SceneSpec


@dataclasses.dataclass
class ContactReport:
    """``min_distance[(a, b)]``: signed closest distance between each pair of bodies that come
    within ``query`` metres of each other; ``nearest[name]``: the smallest distance of a dynamic
    object to any other body (inf when nothing is within ``query``)."""

    min_distance: dict
    nearest: dict

    def penetrations(self, tolerance: float = 0.002) -> dict:
        """Pairs overlapping by more than ``tolerance`` metres."""
        return {pair: d for pair, d in self.min_distance.items() if d < -tolerance}

    def floating(self, gap: float = 0.003) -> list[str]:
        """Dynamic objects farther than ``gap`` metres from every other body."""
        return sorted(name for name, d in self.nearest.items() if d > gap)


def contact_report(spec: SceneSpec, query: float = 0.05) -> ContactReport:
    """Signed closest distances between all bodies of ``spec`` (see module docstring)."""
    import pybullet

    client = pybullet.connect(pybullet.DIRECT)
    try:
        bodies = {obj.name: _body(pybullet, client, obj) for obj in spec.objects}
        distances = {}
        for (name_a, a), (name_b, b) in itertools.combinations(bodies.items(), 2):
            points = pybullet.getClosestPoints(a, b, distance=query, physicsClientId=client)
            if points:
                distances[(name_a, name_b)] = min(p[8] for p in points)
        nearest = {}
        for obj in spec.objects:
            if obj.static:
                continue
            near = [d for pair, d in distances.items() if obj.name in pair]
            nearest[obj.name] = min(near) if near else float("inf")
        return ContactReport(distances, nearest)
    finally:
        pybullet.disconnect(client)


def _body(pybullet, client, obj: ObjectSpec) -> int:
    scale = np.asarray(obj.scale, float)
    if obj.asset.kind == "primitive" and obj.asset.name == "cube":
        shape = pybullet.createCollisionShape(
            pybullet.GEOM_BOX, halfExtents=scale.tolist(), physicsClientId=client
        )
    elif obj.asset.kind == "primitive" and obj.asset.name == "sphere":
        shape = pybullet.createCollisionShape(
            pybullet.GEOM_SPHERE, radius=float(scale[0]), physicsClientId=client
        )
    else:
        hull = asset_hull(obj.asset)
        shape = pybullet.createCollisionShape(
            pybullet.GEOM_MESH, vertices=(hull.vertices * scale).tolist(), physicsClientId=client
        )
    w, x, y, z = obj.quaternion
    return pybullet.createMultiBody(
        0, shape, -1, list(obj.position), [x, y, z, w], physicsClientId=client
    )


def lowest_points(spec: SceneSpec) -> dict[str, float]:
    """World z (m) of each dynamic object's lowest vertex."""
    from scenes.geometry import object_mesh_world

    return {o.name: float(object_mesh_world(o).bounds[0, 2]) for o in spec.objects if not o.static}
