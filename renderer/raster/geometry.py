"""Triangle meshes for Kubric's renderable objects, in the object's own frame (before scale).

Both backends should tessellate the same way, so these are the reference shapes:

* ``kb.Cube``: Blender's default cube, vertices at +-1 (2 x 2 x 2 m before ``scale``), flat shaded.
* ``kb.Sphere``: ``trimesh.creation.icosphere(subdivisions=5)``, radius 1 m, smooth shaded
  (Blender's ``primitive_ico_sphere_add(subdivisions=5)`` is a 2562-vertex ico-sphere with a
  different orientation; a backend wanting identical triangles builds its sphere from
  :func:`sphere_mesh`).
* ``kb.FileBasedObject``: ``render_filename`` loaded with trimesh (obj, glb, gltf, ply, stl, off),
  flat shaded. Axis conventions follow what Kubric's Blender view ends up with: OBJ files go
  through Blender's importer axis conversion (default forward ``-Z``, up ``Y``: file +Y becomes
  world +Z), overridable with ``render_import_kwargs`` ``forward_axis``/``up_axis`` (or Blender 2.x
  ``axis_forward``/``axis_up``); glTF vertices stay in file coordinates (Kubric rotates the
  Blender glTF import back by -90 degrees about X, cancelling the importer's Y-up to Z-up
  conversion, so Blender and PyBullet agree); PLY/STL/OFF stay in file coordinates.
"""
from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import numpy as np
import trimesh

import kubric as kb

SPHERE_SUBDIVISIONS = 5
_AXES = {"X": (1, 0, 0), "Y": (0, 1, 0), "Z": (0, 0, 1)}


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


def _signed_axis(name: str) -> np.ndarray:
    name = name.upper().replace("NEGATIVE_", "-")
    sign = -1.0 if name.startswith("-") else 1.0
    return sign * np.array(_AXES[name.lstrip("-")], float)


def axis_conversion(forward: str = "-Z", up: str = "Y") -> np.ndarray:
    """3x3 rotation taking a file's ``forward``/``up`` axes to Blender's +Y forward / +Z up."""
    forward_axis, up_axis = _signed_axis(forward), _signed_axis(up)
    source = np.stack([forward_axis, up_axis, np.cross(forward_axis, up_axis)], axis=1)
    target = np.stack([_signed_axis("Y"), _signed_axis("Z"), _signed_axis("X")], axis=1)
    return target @ source.T


def _obj_rotation(import_kwargs: dict) -> np.ndarray:
    forward = import_kwargs.get("forward_axis", import_kwargs.get("axis_forward", "-Z"))
    up = import_kwargs.get("up_axis", import_kwargs.get("axis_up", "Y"))
    return axis_conversion(forward, up)


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


def load_file_mesh(path: str, import_kwargs: dict | None = None) -> tuple[trimesh.Trimesh, ...]:
    """Load ``path`` as Kubric's Blender view would place it (see module docstring)."""
    file_path = Path(path)
    if not file_path.is_file():
        raise FileNotFoundError(f"render_filename {path!r} does not exist; check the asset path")
    parts = _load_file_parts(str(file_path.resolve()), file_path.stat().st_mtime)
    if file_path.suffix.lower() != ".obj":
        return parts
    rotation = np.eye(4)
    rotation[:3, :3] = _obj_rotation(dict(import_kwargs or {}))
    rotated = []
    for part in parts:
        part = part.copy()
        part.apply_transform(rotation)
        rotated.append(part)
    return tuple(rotated)


def object_mesh(asset: kb.Asset) -> ObjectMesh | None:
    """The mesh to render for ``asset``, or None when it has no geometry."""
    if isinstance(asset, kb.Cube):
        return ObjectMesh(parts=(cube_mesh(),), smooth=False)
    if isinstance(asset, kb.Sphere):
        return ObjectMesh(parts=(sphere_mesh(),), smooth=True)
    if isinstance(asset, kb.FileBasedObject):
        if not asset.render_filename:
            return None
        return ObjectMesh(parts=load_file_mesh(asset.render_filename,
                                               asset.render_import_kwargs),
                          smooth=False)
    return None
