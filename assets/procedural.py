"""The embedded procedural mesh library: everyday shapes built with trimesh, no files needed.

Conventions for every mesh returned here:

* units are **metres**; shapes are table-top sized (about 3-25 cm);
* **+Z is the object's natural up** (a mug stands upright, its opening towards +Z);
* the mesh is **centred on its axis-aligned bounding-box centre** (like ``kb.Cube``/``kb.Sphere``),
  so an upright object rests on a support at height ``h`` when its position z is
  ``h + extents_z / 2``;
* meshes are watertight, consistently wound closed volumes; ``mug`` is two such shells (body and
  handle) that overlap where the handle meets the body (no boolean engine is installed);
* licence: generated here from parameters, so CC0 (no third-party data).

A class is a :class:`ProceduralClass`: a name, the ranges (metres) of its shape parameters, and a
builder ``params -> trimesh.Trimesh``. ``PROCEDURAL_CLASSES`` maps class names to them.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable, Mapping

import numpy as np
import trimesh

SOURCE = "synthscene procedural library (assets/procedural.py)"
LICENCE = "CC0-1.0"
SECTIONS = 48  # facets around a revolved shape


@dataclasses.dataclass(frozen=True)
class ProceduralClass:
    """One object class of the procedural library.

    Attributes:
      name: class name used as the label category.
      ranges: shape parameter name -> (low, high) in metres (counts are rounded to int).
      builder: maps a dict of shape parameters to an uncentred trimesh.
    """

    name: str
    ranges: Mapping[str, tuple[float, float]]
    builder: Callable[[Mapping[str, float]], trimesh.Trimesh]

    def sample_params(self, rng: np.random.Generator) -> dict[str, float]:
        """Uniformly sample each shape parameter within its range (sorted keys, fixed order)."""
        return {key: float(rng.uniform(*self.ranges[key])) for key in sorted(self.ranges)}

    def build(self, params: Mapping[str, float]) -> trimesh.Trimesh:
        """Build the mesh for ``params`` (missing keys take the middle of their range), centred."""
        full = {key: float(params.get(key, sum(rng) / 2)) for key, rng in self.ranges.items()}
        mesh = self.builder(full)
        return centre_on_bounds(mesh)


def centre_on_bounds(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """Translate ``mesh`` so that its axis-aligned bounding-box centre is the origin."""
    mesh = mesh.copy()
    mesh.apply_translation(-mesh.bounds.mean(axis=0))
    return mesh


def _revolve(profile: list[tuple[float, float]]) -> trimesh.Trimesh:
    """Revolve a closed (radius, z) profile that starts and ends on the axis around +Z."""
    return trimesh.creation.revolve(np.asarray(profile, float), sections=SECTIONS)


def _box(p):
    return trimesh.creation.box(extents=(p["width"], p["depth"], p["height"]))


def _cylinder(p):
    return trimesh.creation.cylinder(radius=p["radius"], height=p["height"], sections=SECTIONS)


def _cone(p):
    return trimesh.creation.cone(radius=p["radius"], height=p["height"], sections=SECTIONS)


def _pyramid(p):
    return trimesh.creation.cone(radius=p["radius"], height=p["height"], sections=4)


def _sphere(p):
    return trimesh.creation.icosphere(subdivisions=3, radius=p["radius"])


def _torus(p):
    return trimesh.creation.torus(
        major_radius=p["major_radius"],
        minor_radius=p["minor_radius"],
        major_sections=SECTIONS,
        minor_sections=16,
    )


def _capsule(p):
    return trimesh.creation.capsule(height=p["length"], radius=p["radius"], count=[16, 16])


def _ring(p):
    return trimesh.creation.annulus(
        r_min=p["inner_radius"],
        r_max=p["inner_radius"] + p["wall"],
        height=p["height"],
        sections=SECTIONS,
    )


def _bowl(p):
    """A hemispherical shell with a flat foot; opening towards +Z."""
    outer, wall = p["radius"], p["wall"]
    inner = outer - wall
    profile = [(0.0, 0.0), (outer * 0.45, 0.0)]
    for angle in np.linspace(-math.pi / 2 + 0.5, 0.0, 10):
        profile.append((outer * math.cos(angle), outer + outer * math.sin(angle) - outer * 0.12))
    top_z = profile[-1][1]
    for angle in np.linspace(0.0, -math.pi / 2, 10):
        profile.append((inner * math.cos(angle), top_z + inner * math.sin(angle)))
    profile[-1] = (0.0, profile[-1][1])
    return _revolve(_drop_duplicates(profile))


def _drop_duplicates(profile):
    cleaned = [profile[0]]
    for point in profile[1:]:
        if math.dist(point, cleaned[-1]) > 1e-6:
            cleaned.append(point)
    return cleaned


def _cup_body(radius: float, height: float, wall: float) -> trimesh.Trimesh:
    inner = radius - wall
    return _revolve(
        [(0.0, 0.0), (radius, 0.0), (radius, height), (inner, height), (inner, wall), (0.0, wall)]
    )


def _mug(p):
    """A cup body plus a half-torus handle on its +X side."""
    body = _cup_body(p["radius"], p["height"], p["wall"])
    return trimesh.util.concatenate([body, _mug_handle(p)])


def _mug_handle(p) -> trimesh.Trimesh:
    """A closed C-shaped handle: a torus swept over 200 degrees with capped ends."""
    handle_radius, tube = p["height"] * 0.3, max(p["wall"] * 1.2, 0.004)
    angles = np.linspace(-math.radians(100), math.radians(100), 24)
    circle = np.linspace(0, 2 * math.pi, 12, endpoint=False)
    rings = []
    for angle in angles:
        centre = np.array([handle_radius * math.cos(angle), 0.0, handle_radius * math.sin(angle)])
        radial = np.array([math.cos(angle), 0.0, math.sin(angle)])
        rings.append(
            [
                centre + tube * (math.cos(c) * radial + math.sin(c) * np.array([0, 1, 0]))
                for c in circle
            ]
        )
    vertices = np.array(rings).reshape(-1, 3)
    count, n = len(angles), len(circle)
    faces = []
    for i in range(count - 1):
        for j in range(n):
            a, b = i * n + j, i * n + (j + 1) % n
            c, d = a + n, b + n
            faces += [[a, b, d], [a, d, c]]
    start_centre, end_centre = len(vertices), len(vertices) + 1
    caps = np.array([np.mean(rings[0], axis=0), np.mean(rings[-1], axis=0)])
    vertices = np.vstack([vertices, caps])
    for j in range(n):
        faces.append([start_centre, (j + 1) % n, j])
        last = (count - 1) * n
        faces.append([end_centre, last + j, last + (j + 1) % n])
    handle = trimesh.Trimesh(vertices, np.array(faces), process=True)
    handle.fix_normals()
    handle.apply_translation([p["radius"] - tube * 0.5, 0.0, p["height"] * 0.5])
    return handle


def _bottle(p):
    """A solid wine-bottle-like body: cylinder, rounded shoulder, neck, lip."""
    r, h = p["radius"], p["height"]
    neck_r = max(r * 0.35, 0.006)
    shoulder_z = h * 0.6
    neck_z = h * 0.78
    profile = [(0.0, 0.0), (r, 0.0), (r, shoulder_z)]
    for t in np.linspace(0.2, 1.0, 6):
        profile.append(
            (r + (neck_r - r) * t, shoulder_z + (neck_z - shoulder_z) * math.sin(t * math.pi / 2))
        )
    profile += [(neck_r, h * 0.97), (neck_r * 1.2, h * 0.97), (neck_r * 1.2, h), (0.0, h)]
    return _revolve(_drop_duplicates(profile))


def _gear(p):
    """A spur gear: a toothed star-shaped outline extruded along Z (closed, watertight)."""
    teeth = int(round(p["teeth"]))
    outer, root = p["radius"], p["radius"] * 0.8
    outline = []
    for tooth in range(teeth):
        base = 2 * math.pi * tooth / teeth
        step = 2 * math.pi / teeth
        for fraction, radius in ((0.0, root), (0.2, outer), (0.5, outer), (0.7, root)):
            angle = base + fraction * step
            outline.append((radius * math.cos(angle), radius * math.sin(angle)))
    return _extrude_star(np.array(outline), p["thickness"])


def _extrude_star(outline: np.ndarray, thickness: float) -> trimesh.Trimesh:
    """Extrude a polygon that is star-shaped about the origin (fan-triangulated caps)."""
    n = len(outline)
    bottom = np.column_stack([outline, np.zeros(n)])
    top = np.column_stack([outline, np.full(n, thickness)])
    vertices = np.vstack([bottom, top, [[0, 0, 0], [0, 0, thickness]]])
    centre_bottom, centre_top = 2 * n, 2 * n + 1
    faces = []
    for i in range(n):
        j = (i + 1) % n
        faces += [[i, j, n + j], [i, n + j, n + i]]
        faces += [[centre_bottom, j, i], [centre_top, n + i, n + j]]
    mesh = trimesh.Trimesh(vertices, np.array(faces), process=True)
    mesh.fix_normals()
    return mesh


def _hex_nut(p):
    """A hexagonal prism with a round hole (watertight)."""
    outer = trimesh.creation.annulus(
        r_min=p["hole_radius"], r_max=p["hole_radius"] + p["wall"], height=p["height"], sections=6
    )
    return outer


PROCEDURAL_CLASSES: dict[str, ProceduralClass] = {
    c.name: c
    for c in [
        ProceduralClass(
            "box", {"width": (0.04, 0.16), "depth": (0.04, 0.16), "height": (0.03, 0.12)}, _box
        ),
        ProceduralClass("cylinder", {"radius": (0.02, 0.06), "height": (0.04, 0.15)}, _cylinder),
        ProceduralClass("cone", {"radius": (0.025, 0.06), "height": (0.05, 0.14)}, _cone),
        ProceduralClass("pyramid", {"radius": (0.03, 0.07), "height": (0.04, 0.1)}, _pyramid),
        ProceduralClass("sphere", {"radius": (0.02, 0.06)}, _sphere),
        ProceduralClass(
            "torus", {"major_radius": (0.03, 0.06), "minor_radius": (0.008, 0.018)}, _torus
        ),
        ProceduralClass("capsule", {"radius": (0.015, 0.035), "length": (0.04, 0.12)}, _capsule),
        ProceduralClass(
            "ring",
            {"inner_radius": (0.02, 0.05), "wall": (0.005, 0.012), "height": (0.008, 0.025)},
            _ring,
        ),
        ProceduralClass("bowl", {"radius": (0.05, 0.09), "wall": (0.004, 0.008)}, _bowl),
        ProceduralClass(
            "mug", {"radius": (0.03, 0.045), "height": (0.08, 0.11), "wall": (0.004, 0.007)}, _mug
        ),
        ProceduralClass("bottle", {"radius": (0.025, 0.045), "height": (0.16, 0.26)}, _bottle),
        ProceduralClass(
            "gear", {"radius": (0.03, 0.07), "thickness": (0.008, 0.02), "teeth": (8, 16)}, _gear
        ),
        ProceduralClass(
            "hex_nut",
            {"hole_radius": (0.008, 0.02), "wall": (0.008, 0.018), "height": (0.01, 0.025)},
            _hex_nut,
        ),
    ]
}


def procedural_class(name: str) -> ProceduralClass:
    """Look up a class by name; raises KeyError naming the known classes."""
    try:
        return PROCEDURAL_CLASSES[name]
    except KeyError:
        raise KeyError(
            f"unknown procedural class {name!r}; known: {', '.join(sorted(PROCEDURAL_CLASSES))}"
        ) from None
