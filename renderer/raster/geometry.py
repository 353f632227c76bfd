"""Triangle meshes for Kubric's renderable objects, in the object's own frame (before scale).

Both backends should tessellate the same way, so these are the reference shapes:

* ``kb.Cube``: Blender's default cube, vertices at +-1 (2 x 2 x 2 m before ``scale``), flat shaded.
* ``kb.Sphere``: ``trimesh.creation.icosphere(subdivisions=5)``, radius 1 m, smooth shaded
  (Blender's ``primitive_ico_sphere_add(subdivisions=5)`` is a 2562-vertex ico-sphere with a
  different orientation; a backend wanting identical triangles builds its sphere from
  :func:`sphere_mesh`).
* ``kb.FileBasedObject``: ``render_filename`` loaded with trimesh (obj, glb, gltf, ply, stl),
  flat shaded, in the file's own coordinates read as +Z up, for every format, as
  ``renderer.blender`` does (and PyBullet): Blender's OBJ/PLY/STL importers run with
  ``forward_axis="Y", up_axis="Z"`` and its glTF Y-up -> Z-up conversion is undone, like Kubric.
  trimesh applies no axis conversion, so its vertices are used as loaded (glTF node transforms
  are baked in; parts are kept separate for their materials and textures).
"""
from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import numpy as np
import trimesh

import kubric as kb

SPHERE_SUBDIVISIONS = 5


@dataclasses.dataclass(frozen=True)
class ObjectMesh:
    """Geometry of one Kubric object in its own frame (metres, before ``asset.scale``).

    Attributes:
      parts: meshes as loaded (with their own visuals/textures for file-based objects).
      smooth: shade with interpolated vertex normals (True) or flat face normals (False).
    """
    parts: tuple[trimesh.Trimesh, ...]
    smooth: bool

    @functools.cached_property
    def merged(self) -> trimesh.Trimesh:
        """All parts as one mesh (vertices/faces only, no visuals), face order = parts order."""
        if len(self.parts) == 1:
            part = self.parts[0]
            return trimesh.Trimesh(part.vertices, part.faces, process=False)
        offsets = np.cumsum([0] + [len(p.vertices) for p in self.parts[:-1]])
        vertices = np.concatenate([p.vertices for p in self.parts])
        faces = np.concatenate([p.faces + o for p, o in zip(self.parts, offsets)])
        return trimesh.Trimesh(vertices, faces, process=False)


@functools.lru_cache(maxsize=None)
def cube_mesh() -> trimesh.Trimesh:
    """Blender's default cube: corners at +-1 m, 12 outward-facing triangles."""
    return trimesh.creation.box(extents=(2.0, 2.0, 2.0))


@functools.lru_cache(maxsize=None)
def sphere_mesh() -> trimesh.Trimesh:
    """Unit ico-sphere (radius 1 m, 10242 vertices, 20480 triangles), shared by all backends."""
    return trimesh.creation.icosphere(subdivisions=SPHERE_SUBDIVISIONS, radius=1.0)


@functools.lru_cache(maxsize=64)
def _load_file_parts(path: str, mtime: float) -> tuple[trimesh.Trimesh, ...]:
    del mtime  # part of the cache key only: a rewritten file is loaded again
    loaded = trimesh.load(path, force="scene", process=False)
    parts = tuple(m for m in loaded.dump(concatenate=False) if isinstance(m, trimesh.Trimesh)
                  and len(m.faces))
    if not parts:
        raise ValueError(f"{path}: no triangles found; give render_filename a mesh file "
                         "(obj, glb, gltf, ply, stl) with faces")
    return parts


MESH_EXTENSIONS = (".obj", ".glb", ".gltf", ".ply", ".stl")


def load_file_mesh(path: str) -> tuple[trimesh.Trimesh, ...]:
    """Load ``path`` in file coordinates (see module docstring); one mesh per part."""
    file_path = Path(path)
    if file_path.suffix.lower() not in MESH_EXTENSIONS:
        raise ValueError(f"mesh file {path!r} has unsupported extension {file_path.suffix!r}; "
                         f"supported: {', '.join(MESH_EXTENSIONS)}")
    if not file_path.is_file():
        raise FileNotFoundError(f"mesh file {path!r} does not exist; check the "
                                "FileBasedObject's render_filename")
    return _load_file_parts(str(file_path.resolve()), file_path.stat().st_mtime)


def object_mesh(asset: kb.Asset) -> ObjectMesh | None:
    """The mesh to render for ``asset``, or None when it has no geometry."""
    if isinstance(asset, kb.Cube):
        return ObjectMesh(parts=(cube_mesh(),), smooth=False)
    if isinstance(asset, kb.Sphere):
        return ObjectMesh(parts=(sphere_mesh(),), smooth=True)
    if isinstance(asset, kb.FileBasedObject):
        if not asset.render_filename:
            return None
        return ObjectMesh(parts=load_file_mesh(asset.render_filename), smooth=False)
    return None
