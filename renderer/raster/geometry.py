"""Triangle meshes for Kubric's renderable objects, in the object's own frame (before scale).

Both backends should tessellate the same way, so these are the reference shapes:

* ``kb.Cube``: Blender's default cube, vertices at +-1 (2 x 2 x 2 m before ``scale``), flat shaded.
* ``kb.Sphere``: ``trimesh.creation.icosphere(subdivisions=5)``, radius 1 m, smooth shaded
  (Blender's ``primitive_ico_sphere_add(subdivisions=5)`` is a 2562-vertex ico-sphere with a
  different orientation; a backend wanting identical triangles builds its sphere from
  :func:`sphere_mesh`).
* ``kb.FileBasedObject``: ``render_filename`` loaded with trimesh (obj, glb, gltf, ply, stl),
  smooth shaded with the file's vertex normals if it has them (else flat), in the file's own
  coordinates read as +Z up, for every format, as
  ``renderer.blender`` does (and PyBullet): Blender's OBJ/PLY/STL importers run with
  ``forward_axis="Y", up_axis="Z"`` and its glTF Y-up -> Z-up conversion is undone, like Kubric.
  trimesh applies no axis conversion, so its vertices are used as loaded (glTF node transforms
  are baked in; parts are kept separate for their materials and textures).
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import trimesh

import kubric as kb

from assets.meshes import read_parted_ply
from renderer.kubric_layers import check_mesh_file

SPHERE_SUBDIVISIONS = 5


@dataclasses.dataclass(frozen=True)
class ObjectMesh:
    """Geometry of one Kubric object in its own frame (metres, before ``asset.scale``).

    Attributes:
      parts: meshes as loaded (with their own visuals/textures for file-based objects).
      smooth: shade with interpolated vertex normals (True) or flat face normals (False).
      part_names: for a mesh of named parts (a PLY from ``assets.meshes.parted_ply_bytes``),
        the name of each part, in order; each part then carries its UVs
        (``visual.uv``) and gets its own material (renderer/raster/parts.py). Empty otherwise.
    """

    parts: tuple[trimesh.Trimesh, ...]
    smooth: bool
    part_names: tuple[str, ...] = ()

    @functools.cached_property
    def merged(self) -> trimesh.Trimesh:
        """All parts as one mesh (vertices/faces only, no visuals), face order = parts order."""
        offsets = np.cumsum([0] + [len(p.vertices) for p in self.parts[:-1]])
        vertices = np.concatenate([p.vertices for p in self.parts])
        faces = np.concatenate([p.faces + o for p, o in zip(self.parts, offsets)])
        normals = np.concatenate([p.vertex_normals for p in self.parts]) if self.smooth else None
        return trimesh.Trimesh(vertices, faces, vertex_normals=normals, process=False)


@functools.lru_cache(maxsize=None)
def cube_mesh() -> trimesh.Trimesh:
    """Blender's default cube: corners at +-1 m, 12 outward-facing triangles."""
    return trimesh.creation.box(extents=(2.0, 2.0, 2.0))


@functools.lru_cache(maxsize=None)
def sphere_mesh() -> trimesh.Trimesh:
    """Unit ico-sphere (radius 1 m, 10242 vertices, 20480 triangles), shared by all backends."""
    return trimesh.creation.icosphere(subdivisions=SPHERE_SUBDIVISIONS, radius=1.0)


def _has_file_normals(mesh: trimesh.Trimesh) -> bool:
    """True when the loader stored vertex normals read from the file (trimesh keeps them in
    its cache; computed normals would only appear there after first use)."""
    return "vertex_normals" in mesh._cache.cache  # pylint: disable=protected-access


def _placed_part(
    mesh: trimesh.Trimesh, transform: np.ndarray, with_normals: bool
) -> trimesh.Trimesh:
    """``mesh`` moved by its scene-graph ``transform``, keeping visuals (and file normals)."""
    vertices = mesh.vertices @ transform[:3, :3].T + transform[:3, 3]
    normals = None
    if with_normals:
        normals = mesh.vertex_normals @ np.linalg.inv(transform[:3, :3])
        normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    return trimesh.Trimesh(
        vertices, mesh.faces, vertex_normals=normals, visual=mesh.visual.copy(), process=False
    )


@functools.lru_cache(maxsize=16)  # a warm worker reuses meshes; bounded memory
def _load_file_parts(path: str, mtime: float) -> tuple[tuple[trimesh.Trimesh, ...], bool]:
    """(parts in file coordinates, smooth): smooth when every part has normals in the file."""
    del mtime  # part of the cache key only: a rewritten file is loaded again
    loaded = trimesh.load(path, force="scene", process=False)
    found = []
    for node in loaded.graph.nodes_geometry:
        transform, geometry_name = loaded.graph[node]
        mesh = loaded.geometry[geometry_name]
        if isinstance(mesh, trimesh.Trimesh) and len(mesh.faces):
            found.append((mesh, np.asarray(transform, float)))
    if not found:
        raise ValueError(
            f"{path}: no triangles found; give render_filename a mesh file "
            "(obj, glb, gltf, ply, stl) with faces"
        )
    smooth = all(_has_file_normals(mesh) for mesh, _ in found)
    return tuple(_placed_part(mesh, transform, smooth) for mesh, transform in found), smooth


@functools.lru_cache(maxsize=16)
def _load_parted(path: str, mtime: float) -> ObjectMesh | None:
    """The named parts of a parted PLY (UVs and normals from the file), or None."""
    del mtime  # part of the cache key only
    parted = read_parted_ply(path)
    if parted is None:
        return None
    parts = []
    for index in range(len(parted.names)):
        faces = parted.faces[parted.part == index]
        used, local = np.unique(faces, return_inverse=True)
        parts.append(
            trimesh.Trimesh(
                parted.vertices[used].astype(float),
                local.reshape(-1, 3),
                process=False,
                vertex_normals=parted.normals[used].astype(float),
                visual=trimesh.visual.TextureVisuals(uv=parted.uv[used].astype(float)),
            )
        )
    return ObjectMesh(parts=tuple(parts), smooth=True, part_names=parted.names)


def load_file_mesh(path: str) -> ObjectMesh:
    """Load ``path`` in file coordinates (see module docstring); one mesh per part; smooth
    shaded with the file's vertex normals when it has them (as Blender's importers), else flat."""
    file_path = check_mesh_file(path)
    if file_path.suffix.lower() == ".ply":
        parted = _load_parted(str(file_path.resolve()), file_path.stat().st_mtime)
        if parted is not None:
            return parted
    parts, smooth = _load_file_parts(str(file_path.resolve()), file_path.stat().st_mtime)
    return ObjectMesh(parts=parts, smooth=smooth)


def object_mesh(asset: kb.Asset) -> ObjectMesh | None:
    """The mesh to render for ``asset``, or None when it has no geometry."""
    if isinstance(asset, kb.Cube):
        return ObjectMesh(parts=(cube_mesh(),), smooth=False)
    if isinstance(asset, kb.Sphere):
        return ObjectMesh(parts=(sphere_mesh(),), smooth=True)
    if isinstance(asset, kb.FileBasedObject):
        if not asset.render_filename:
            return None
        return load_file_mesh(asset.render_filename)
    return None
