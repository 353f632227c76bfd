"""Meshes behind a spec's assets (for placement, the mesh cache and tests).

``asset_mesh(asset)`` returns the object-frame mesh in metres, +Z up, *before*
``ObjectSpec.scale``: kb.Cube is the cube [-1, 1]^3 and kb.Sphere the unit sphere (Kubric's
primitives), procedural and household classes are built from ``asset.params`` (a household
mesh is its parts merged, see :func:`assets.loft.merged`: UVs per vertex and the part index per
face ride along as trimesh attributes) and user files are loaded (their sha256 must match the
spec's, so a spec always means the same geometry).

**Object origin = centre of mass** of the mesh's convex hull (uniform density) for procedural
and file meshes. PyBullet reports and sets a body's pose at its centre of mass, so with this
origin ``ObjectSpec.position`` means the same thing to the simulator, the renderer and the
labels. (For a symmetric shape such as a box or sphere this is also the bounding-box centre.)
"""

from __future__ import annotations

import dataclasses
import functools
import json

import numpy as np
import trimesh

from assets.errors import AssetError
from assets.household import build_parts
from assets.loft import merged
from assets.meshes import load_mesh_file, mesh_key
from fileio.digest import sha256_file
from assets.procedural import procedural_class
from scenes.spec import AssetSpec, ObjectSpec, canonical


def asset_description(asset: AssetSpec) -> dict:
    """The fields that determine an asset's geometry (input to the cache key), with numbers
    rounded as the spec stores them: the mesh a recipe sees while sampling and the one built
    from the stored (normalised) spec are then the same object, computed once."""
    return canonical(
        {
            "kind": asset.kind,
            "name": asset.name,
            "params": asset.params,
            "path": asset.path,
            "sha256": asset.sha256,
            "up": asset.up,
            "units_to_metres": asset.units_to_metres,
        }
    )


def asset_key(asset: AssetSpec) -> str:
    """Stable cache key for an asset's mesh."""
    return mesh_key(asset_description(asset), asset.sha256)


def asset_part_names(asset: AssetSpec) -> list[str]:
    """Names of the asset's parts in mesh order ([] for single-mesh assets)."""
    return list(_cached_geometry(_description_json(asset)).mesh.metadata.get("parts", []))


def asset_mesh(asset: AssetSpec) -> trimesh.Trimesh:
    """Object-frame mesh of ``asset`` (a copy; see module docstring)."""
    return _cached_geometry(_description_json(asset)).mesh.copy()


def asset_hull(asset: AssetSpec) -> trimesh.Trimesh:
    """Convex hull of :func:`asset_mesh` (same frame; a copy)."""
    return _cached_geometry(_description_json(asset)).hull.copy()


def asset_extents(asset: AssetSpec) -> np.ndarray:
    """Axis-aligned extents (m) of :func:`asset_mesh`, without copying the mesh."""
    return _cached_geometry(_description_json(asset)).extents.copy()


def asset_origin(asset: AssetSpec) -> np.ndarray:
    """Where the object origin (see module docstring) lies in the frame the asset's builder
    used (m): a point the builder placed at ``b`` is at ``b - asset_origin(asset)`` in
    :func:`asset_mesh`."""
    return _cached_geometry(_description_json(asset)).origin.copy()


def asset_volume(asset: AssetSpec) -> float:
    """Volume (m^3) of :func:`asset_mesh` (absolute value), without copying the mesh."""
    return _cached_geometry(_description_json(asset)).volume


@dataclasses.dataclass(frozen=True)
class _Geometry:
    """An asset's mesh and convex hull (object frame) with the properties samplers ask for."""

    mesh: trimesh.Trimesh
    hull: trimesh.Trimesh
    extents: np.ndarray
    volume: float
    origin: np.ndarray  # the object origin in the builder's frame (m)


def _description_json(asset: AssetSpec) -> str:
    return json.dumps(asset_description(asset), sort_keys=True)


# Meshes repeat within a frame (sampling, settle, build, renderer), rarely across frames: random
# parameters make each scene's meshes new. A small cache keeps a warm worker's memory flat.
@functools.lru_cache(maxsize=32)
def _cached_geometry(description_json: str) -> _Geometry:
    description = json.loads(description_json)
    mesh = _built_mesh(description)
    hull = mesh.convex_hull
    origin = np.zeros(3)
    if description["kind"] != "primitive":  # Kubric's cube and sphere are centred already
        origin = np.array(hull.center_mass, dtype=float)
        mesh.apply_translation(-origin)
        hull.apply_translation(-origin)
    return _Geometry(
        mesh=mesh,
        hull=hull,
        extents=np.array(mesh.extents, dtype=float),
        volume=abs(float(mesh.volume)),
        origin=origin,
    )


def _built_mesh(description: dict) -> trimesh.Trimesh:
    """The mesh a description stands for (procedural and file meshes not centred yet)."""
    kind, name = description["kind"], description["name"]
    if kind == "primitive":
        if name == "cube":
            return trimesh.creation.box(extents=(2.0, 2.0, 2.0))
        if name == "sphere":
            return trimesh.creation.icosphere(subdivisions=4, radius=1.0)
        raise AssetError(f"unknown primitive {name!r}; use 'cube' or 'sphere'.")
    if kind == "procedural":
        try:
            return procedural_class(name).build(description["params"])
        except KeyError as error:
            raise AssetError(str(error.args[0])) from None
    if kind == "household":
        try:
            return merged(build_parts(name, description["params"]))
        except KeyError as error:
            raise AssetError(str(error.args[0])) from None
    if kind == "file":
        path = description["path"]
        try:
            digest = sha256_file(path)
        except OSError as error:
            raise AssetError(
                f"cannot read mesh {path}: {error.strerror}; check the path."
            ) from None
        if description["sha256"] and digest != description["sha256"]:
            raise AssetError(
                f"mesh {path} changed since the spec was made (sha256 differs); "
                "re-sample the spec or restore the file."
            )
        return load_mesh_file(path, description["up"], description["units_to_metres"])
    raise AssetError(f"unknown asset kind {kind!r}; use primitive, procedural or file.")


def object_mesh_world(obj: ObjectSpec) -> trimesh.Trimesh:
    """The object's mesh scaled and posed in the world frame (metres)."""
    mesh = asset_mesh(obj.asset)
    mesh.apply_transform(np.diag([*np.asarray(obj.scale, float), 1.0]))
    mesh.apply_transform(pose_matrix(obj.position, obj.quaternion))
    return mesh


def scaled_extents(obj: ObjectSpec) -> np.ndarray:
    """Axis-aligned extents (m) of the scaled, unrotated object."""
    return asset_extents(obj.asset) * np.asarray(obj.scale, float)


def pose_matrix(position, quaternion, scale=(1.0, 1.0, 1.0)) -> np.ndarray:
    """4x4 object-to-world from a position (m), a (w, x, y, z) quaternion (normalised here) and a
    per-axis scale: ``T @ R @ diag(scale)``. The one pose formula of synthscene (the raster
    backend poses its meshes and lights with it)."""
    w, x, y, z = np.asarray(quaternion, float) / np.linalg.norm(quaternion)
    rotation = np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
        ]
    )
    matrix = np.eye(4)
    matrix[:3, :3] = rotation * np.asarray(scale, float)[None, :]
    matrix[:3, 3] = position
    return matrix
