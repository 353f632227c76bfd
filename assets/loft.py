"""Mesh parts with UVs: lofted cross-sections (revolved profiles, prisms) and swept tubes.

A :class:`Part` is one named piece of an object (a bottle's glass shell, its cap, its label...),
a triangle mesh in metres (+Z up) with

* **per-vertex UVs**: ``u`` runs once around the section (0 at +X, counter-clockwise seen from
  +Z, so a print wraps around a body), ``v`` is the height ``(z - zmin) / (zmax - zmin)`` of the
  part (a label image stands upright); the seam (u = 0 and 1) and sharp profile corners have
  duplicated vertices, so the render mesh is *closed by position*, not by index:
  :func:`welded` merges coincident vertices into the watertight, consistently wound volume;
* **analytic vertex normals** (smooth along curved profiles, split at sharp corners).

Profiles are ``(scale, z)`` polylines traversed counter-clockwise in the (radius, z) half plane:
from the axis at the bottom outwards, up the outside, and back inwards/down the inside; a point
with ``scale == 0`` at either end closes the part on the axis (a pole), a profile whose last
point equals its first is a closed ring (a torus-like rim).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Sequence

import numpy as np
import trimesh

SECTIONS = 48  # points around a revolved section
SHARP_DEGREES = 40.0  # profile turns sharper than this get split normals
WELD_DIGITS = 7  # coincident vertices: equal when rounded to 0.1 um


@dataclasses.dataclass(frozen=True)
class Part:
    """One part: ``vertices`` (N, 3) m, ``faces`` (M, 3), ``uv`` (N, 2), ``normals`` (N, 3)."""

    name: str
    vertices: np.ndarray
    faces: np.ndarray
    uv: np.ndarray
    normals: np.ndarray

    def translated(self, offset: Sequence[float]) -> "Part":
        return dataclasses.replace(self, vertices=self.vertices + np.asarray(offset, float))


def welded(part: Part) -> trimesh.Trimesh:
    """The part as a watertight trimesh: coincident vertices (seam, corners) merged."""
    _, index, inverse = np.unique(
        np.round(part.vertices, WELD_DIGITS), axis=0, return_index=True, return_inverse=True
    )
    return trimesh.Trimesh(part.vertices[index], inverse.reshape(-1)[part.faces], process=True)


def circle_section(sections: int = SECTIONS) -> tuple[np.ndarray, np.ndarray]:
    """Unit circle as a closed loop (first point repeated last) and its outward normals."""
    angles = np.linspace(0.0, 2 * math.pi, sections + 1)
    points = np.column_stack([np.cos(angles), np.sin(angles)])
    return points, points.copy()


def polygon_section(
    corners: Sequence[tuple[float, float]], per_side: int = 4
) -> tuple[np.ndarray, np.ndarray]:
    """A closed counter-clockwise polygon as a section loop (first corner repeated last),
    corners duplicated so each side has its own outward normal."""
    corners = [np.asarray(c, float) for c in corners] + [np.asarray(corners[0], float)]
    points, normals = [], []
    for start, end in zip(corners[:-1], corners[1:]):
        direction = (end - start) / np.linalg.norm(end - start)
        for t in np.linspace(0.0, 1.0, per_side + 1):
            points.append(start + t * (end - start))
            normals.append((direction[1], -direction[0]))
    return np.array(points, float), np.array(normals, float)


def rectangle_section(
    width: float, depth: float, per_side: int = 4
) -> tuple[np.ndarray, np.ndarray]:
    """A width x depth rectangle (scale 1 = these sizes) as a closed loop starting at the middle
    of the +X side, corners duplicated so each side has its own normal."""
    hw, hd = width / 2, depth / 2
    return polygon_section([(hw, 0.0), (hw, hd), (-hw, hd), (-hw, -hd), (hw, -hd)], per_side)


def lying(part: Part, z: float) -> Part:
    """A part lofted along +Z turned to lie along +X (axes cycled: x, y, z -> y, z, x), then
    raised by ``z``: a prism whose section stands in the YZ plane."""
    cycle = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    return dataclasses.replace(
        part, vertices=part.vertices @ cycle.T + (0.0, 0.0, z), normals=part.normals @ cycle.T
    )


def scaled_radially(part: Part, factor) -> Part:
    """``part`` with every vertex's distance from the Z axis multiplied by
    ``factor(theta, z)`` (vectorised; theta = atan2(y, x) in radians, z in m; points on the axis
    stay), and vertex normals recomputed from the moved faces. Coincident vertices that shared a
    normal before (the UV seam, a pole) share one after; split corners stay split. Nested parts
    scaled by the same ``factor`` stay nested: a label outside its body, liquid inside."""
    x, y, z = part.vertices.T
    scale = np.asarray(factor(np.arctan2(y, x), z), float)
    vertices = np.column_stack([x * scale, y * scale, z])
    corners = vertices[part.faces]
    face_normals = _unit_rows(
        np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    )
    summed = np.zeros_like(vertices)
    for corner in range(3):  # each face weighted by its angle at the vertex (no strip bias)
        along = _unit_rows(corners[:, (corner + 1) % 3] - corners[:, corner])
        back = _unit_rows(corners[:, (corner + 2) % 3] - corners[:, corner])
        angle = np.arccos(np.clip(np.einsum("ij,ij->i", along, back), -1.0, 1.0))
        np.add.at(summed, part.faces[:, corner], face_normals * angle[:, None])
    shared = np.column_stack([np.round(part.vertices, WELD_DIGITS), np.round(part.normals, 2)])
    _, group = np.unique(shared, axis=0, return_inverse=True)
    group = group.reshape(-1)
    pooled = np.zeros((group.max() + 1, 3))
    np.add.at(pooled, group, summed)
    normals = pooled[group]
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    normals = np.where(length > 1e-12, normals / np.maximum(length, 1e-12), part.normals)
    return dataclasses.replace(part, vertices=vertices, normals=normals)


def loft(
    name: str,
    profile: Sequence[tuple[float, float]],
    section: tuple[np.ndarray, np.ndarray] | None = None,
) -> Part:
    """Sweep the closed ``section`` loop (default: unit circle) along ``profile``: ring i is the
    section scaled by ``profile[i][0]`` at height ``profile[i][1]`` (see module docstring)."""
    points, section_normals = section if section is not None else circle_section()
    profile = _drop_repeats(np.asarray(profile, float))
    closed = np.allclose(profile[0], profile[-1])
    rings = _profile_rings(profile, closed)
    lengths = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
    u = lengths / lengths[-1]
    count = len(points)
    z_low, z_high = profile[:, 1].min(), profile[:, 1].max()
    height = max(z_high - z_low, 1e-9)
    pole_u = (u + u[np.minimum(np.arange(count) + 1, count - 1)]) / 2  # segment middles
    vertices, uvs, normals = [], [], []
    for scale, z, (normal_r, normal_z) in rings:
        if scale == 0.0:  # a pole: one vertex per segment, u at the segment middle
            xy, ring_u = np.zeros((count, 2)), pole_u
        else:
            xy, ring_u = points * scale, u
        vertices.append(np.column_stack([xy, np.full(count, z)]))
        uvs.append(np.column_stack([ring_u, np.full(count, (z - z_low) / height)]))
        normals.append(np.column_stack([normal_r * section_normals, np.full(count, normal_z)]))
    normals = _unit_rows(np.concatenate(normals))
    repeated_corner = np.isclose(points[:-1], points[1:]).all(axis=1)  # np.allclose per pair
    faces = []
    for ring in range(len(rings) - 1):
        a0, b0 = ring * count, (ring + 1) * count
        if rings[ring][0] == rings[ring + 1][0] == 0.0 or (
            rings[ring][1] == rings[ring + 1][1] and rings[ring][0] == rings[ring + 1][0]
        ):
            continue  # a split corner: both rings coincide
        for k in np.flatnonzero(~repeated_corner):
            a, b, c, d = a0 + k, a0 + k + 1, b0 + k, b0 + k + 1
            if rings[ring][0] == 0.0:
                faces.append((a, d, c))
            elif rings[ring + 1][0] == 0.0:
                faces.append((a, b, c))
            else:
                faces += [(a, b, d), (a, d, c)]
    vertices, uvs = np.concatenate(vertices), np.concatenate(uvs)
    return _oriented_part(name, vertices, faces, uvs, normals)


def _profile_rings(profile: np.ndarray, closed: bool) -> list[tuple[float, float, tuple]]:
    """(scale, z, profile normal) per ring; sharp corners give two rings (one per side)."""
    segments = np.diff(profile, axis=0)
    tangents = segments / np.linalg.norm(segments, axis=1, keepdims=True)
    normals = np.column_stack([tangents[:, 1], -tangents[:, 0]])  # right of the direction
    rings = []
    last = len(profile) - 1
    for i, (scale, z) in enumerate(profile):
        before = normals[i - 1] if i > 0 else (normals[-1] if closed else None)
        after = normals[i] if i < last else (normals[0] if closed else None)
        if before is None or after is None:
            rings.append((scale, z, tuple(after if before is None else before)))
            continue
        turn = math.degrees(math.acos(float(np.clip(np.dot(before, after), -1.0, 1.0))))
        if turn > SHARP_DEGREES:
            rings.append((scale, z, tuple(before)))
            rings.append((scale, z, tuple(after)))
        else:
            rings.append((scale, z, tuple(_unit(before + after))))
    return rings


def sweep_tube(
    name: str, path: np.ndarray, half_width: float, half_depth: float, sides: int = 16
) -> Part:
    """An elliptical tube (``half_width`` in the path's plane, ``half_depth`` along +Y) swept
    along a polyline ``path`` (K, 3) lying in the XZ plane; flat caps at both ends."""
    path = np.asarray(path, float)
    tangents = np.gradient(path, axis=0)
    tangents /= np.linalg.norm(tangents, axis=1, keepdims=True)
    side_axis = np.array([0.0, 1.0, 0.0])
    in_plane = np.cross(side_axis, tangents)
    in_plane /= np.linalg.norm(in_plane, axis=1, keepdims=True)
    angles = np.linspace(0.0, 2 * math.pi, sides + 1)
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])
    vertices, uvs, normals, faces = [], [], [], []
    for i, centre in enumerate(path):
        for angle in angles:
            offset = (
                half_width * math.cos(angle) * in_plane[i]
                + half_depth * math.sin(angle) * side_axis
            )
            vertices.append(centre + offset)
            uvs.append((angle / (2 * math.pi), arc[i] / arc[-1]))
            normals.append(
                _unit(
                    half_depth * math.cos(angle) * in_plane[i]
                    + half_width * math.sin(angle) * side_axis
                )
            )
    ring = sides + 1
    for i in range(len(path) - 1):
        for k in range(sides):
            a, b = i * ring + k, i * ring + k + 1
            faces += [(a, b, b + ring), (a, b + ring, a + ring)]
    for end, sign in ((0, -1.0), (len(path) - 1, 1.0)):
        centre_index = len(vertices)
        vertices.append(path[end])
        uvs.append((0.5, float(end > 0)))
        normals.append(sign * tangents[end])
        first = len(vertices)
        for k in range(sides):
            vertices.append(vertices[end * ring + k])
            uvs.append(uvs[end * ring + k])
            normals.append(sign * tangents[end])
        for k in range(sides):
            faces.append((centre_index, first + k, first + (k + 1) % sides))
    return _oriented_part(name, vertices, faces, uvs, normals)


def _oriented_part(name: str, vertices: list, faces: list, uvs: list, normals: list) -> Part:
    """A part from vertex/face/UV/normal lists, every face oriented so that its normal agrees
    with the analytic vertex normals."""
    part = Part(
        name,
        np.array(vertices, float),
        np.array(faces, np.int64),
        np.array(uvs, float),
        np.array(normals, float),
    )
    corners = part.vertices[part.faces]
    face_normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    expected = part.normals[part.faces].sum(axis=1)
    flip = np.einsum("ij,ij->i", face_normals, expected) < 0
    faces = part.faces.copy()
    faces[flip] = faces[flip][:, ::-1]
    return dataclasses.replace(part, faces=faces)


def _drop_repeats(profile: np.ndarray) -> np.ndarray:
    keep = [0] + [
        i for i in range(1, len(profile)) if np.linalg.norm(profile[i] - profile[i - 1]) > 1e-9
    ]
    return profile[keep]


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def _unit(vector) -> np.ndarray:
    vector = np.asarray(vector, float)
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def merged(parts: Sequence[Part]) -> trimesh.Trimesh:
    """All parts as one render mesh (no vertex merging, face order = parts order) carrying
    ``vertex_attributes["uv"]`` (N, 2), ``vertex_attributes["normal"]`` (N, 3, the analytic
    normals: they survive transforms, unlike trimesh's cached ones), ``face_attributes["part"]``
    (M,) part index, and ``metadata["parts"]`` (part names in order)."""
    offsets = np.cumsum([0] + [len(p.vertices) for p in parts[:-1]])
    vertices = np.concatenate([p.vertices for p in parts])
    faces = np.concatenate([p.faces + o for p, o in zip(parts, offsets)])
    part_index = np.concatenate([np.full(len(p.faces), i, np.int64) for i, p in enumerate(parts)])
    normals = np.concatenate([p.normals for p in parts])
    mesh = trimesh.Trimesh(
        vertices,
        faces,
        process=False,
        vertex_normals=normals,
        vertex_attributes={"uv": np.concatenate([p.uv for p in parts]), "normal": normals},
        face_attributes={"part": part_index},
    )
    mesh.metadata["parts"] = [p.name for p in parts]
    return mesh
