"""User mesh folders and the on-disk mesh cache (render OBJ + PyBullet URDF with a convex hull).

User mesh folder layout (OBJ, GLB/glTF, PLY, STL)::

    my_meshes/
      manifest.json        optional
      mug/a.obj            class "mug" (class = first sub-folder name)
      mug/b.glb
      bolt/x.stl           class "bolt"

``manifest.json`` (all keys optional)::

    {"licence": "CC-BY-4.0", "source": "my scans", "up": "Z", "units_to_metres": 1.0,
     "files": {"mug/b.glb": {"category": "cup", "licence": "CC0-1.0", "source": "..."}}}

``up`` is the file's up axis ("Z" or "Y"; glTF files are Y-up by their format) and
``units_to_metres`` scales the file to metres. Loaded meshes follow the procedural library's
conventions: metres, +Z up, centred on their bounding-box centre.

Mesh cache: :class:`MeshCache` writes, for a mesh key (a hash of what determines the geometry),
``<key>.ply`` (render mesh, binary, float32 vertices with vertex normals, Z-up coordinates as-is:
import into Blender with ``forward_axis="Y", up_axis="Z"``), ``<key>_hull.obj`` (its convex hull), ``<key>.json``
(bounds and the hull's mass properties) and ``<key>_m<mass>.urdf`` (PyBullet body: the hull as
collision shape, inertia of the hull). Files are written atomically.
Concave shapes (mug, bowl, torus) therefore collide as their convex hull: nothing enters them.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import trimesh

from assets.errors import AssetError
from assets.formats import MESH_EXTENSIONS
from assets.procedural import centre_on_bounds
from fileio.atomic import write_bytes_atomic

# the mesh cache is rebuilt from its key on a miss, so its files skip the fsync
write_cache_file = functools.partial(write_bytes_atomic, durable=False)
UNKNOWN_LICENCE = "user supplied (licence not stated)"


@dataclasses.dataclass(frozen=True)
class MeshAsset:
    """One mesh file of a user folder with its class and provenance."""

    category: str
    path: Path
    source: str
    licence: str
    up: str = "Z"
    units_to_metres: float = 1.0


def scan_mesh_folder(folder: str | Path) -> list[MeshAsset]:
    """All mesh files below ``folder`` (sorted by path), classed by sub-folder or manifest."""
    folder = Path(folder)
    if not folder.is_dir():
        raise AssetError(
            f"mesh folder {folder} does not exist; pass a folder with one "
            "sub-folder of meshes per class."
        )
    manifest = _read_manifest(folder)
    entries = manifest.get("files", {})
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in MESH_EXTENSIONS):
        relative = path.relative_to(folder).as_posix()
        entry = entries.get(relative, {})
        default_category = (
            path.relative_to(folder).parts[0]
            if len(path.relative_to(folder).parts) > 1
            else path.stem
        )
        default_up = "Y" if path.suffix.lower() in (".glb", ".gltf") else "Z"
        found.append(
            MeshAsset(
                category=str(entry.get("category", default_category)),
                path=path,
                source=str(entry.get("source", manifest.get("source", f"user folder {folder}"))),
                licence=str(entry.get("licence", manifest.get("licence", UNKNOWN_LICENCE))),
                up=str(entry.get("up", manifest.get("up", default_up))).upper(),
                units_to_metres=float(
                    entry.get("units_to_metres", manifest.get("units_to_metres", 1.0))
                ),
            )
        )
    if not found:
        raise AssetError(
            f"mesh folder {folder} holds no meshes ({', '.join(MESH_EXTENSIONS)}); "
            "put one sub-folder per class with mesh files in it."
        )
    unclassed = [
        a.path.name
        for a in found
        if a.path.parent == folder and "category" not in entries.get(a.path.name, {})
    ]
    if unclassed:
        raise AssetError(
            f"mesh folder {folder} has mesh files directly in it "
            f"({', '.join(unclassed[:3])}{', ...' if len(unclassed) > 3 else ''}): "
            "the class is the name of the sub-folder a mesh is in, so each would be "
            f"its own class ({', '.join(repr(Path(n).stem) for n in unclassed[:3])})"
            f"; move them into one sub-folder per class ({folder}/mug/a.obj) or "
            'name their class in manifest.json ("files": {"a.obj": '
            '{"category": "mug"}}).'
        )
    return found


def _read_manifest(folder: Path) -> dict:
    path = folder / "manifest.json"
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise AssetError(f"cannot read {path}: {error}; fix the JSON or remove the file.") from None


def load_mesh_file(
    path: str | Path, up: str = "Z", units_to_metres: float = 1.0
) -> trimesh.Trimesh:
    """Load a mesh file as one Trimesh in metres, +Z up, centred; AssetError when unusable."""
    path = Path(path)
    try:
        mesh = trimesh.load(path, force="mesh")
    except Exception as error:  # trimesh raises many types for broken files
        raise AssetError(
            f"cannot read mesh {path}: {error}; re-export it as OBJ/GLB/PLY/STL."
        ) from None
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0:
        raise AssetError(f"mesh {path} has no triangles; re-export it with its geometry.")
    if flat_axis := _flatness(mesh):
        raise AssetError(
            f"mesh {path} is flat ({flat_axis}): it has no volume, so it has no "
            "convex hull for physics and no mass; give it thickness (solidify) "
            "and re-export it."
        )
    mesh = mesh.copy()
    if up == "Y":
        mesh.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [1, 0, 0]))
    elif up != "Z":
        raise AssetError(f'mesh {path}: up axis {up!r} is not supported; use "Z" or "Y".')
    mesh.apply_scale(units_to_metres)
    return centre_on_bounds(mesh)


FLAT_RATIO = 1e-6  # thinnest / largest extent below this: a sheet, not a solid


def _flatness(mesh: trimesh.Trimesh) -> str:
    """'' for a solid; else how it is degenerate (all vertices on a plane, line or point)."""
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    if not np.all(np.isfinite(vertices)):
        return "non-finite vertex coordinates"
    centred = vertices - vertices.mean(axis=0)
    singular = np.linalg.svd(centred, compute_uv=False) if len(vertices) >= 3 else np.zeros(3)
    if singular[0] <= 0:
        return "all vertices at one point"
    if len(singular) < 3 or singular[2] <= FLAT_RATIO * singular[0]:
        return "all vertices lie in one plane"
    return ""


@dataclasses.dataclass(frozen=True)
class CachedMesh:
    """Files of one cached mesh and its bounds (metres, object frame)."""

    render_path: Path
    hull_path: Path
    urdf_path: Path
    bounds: tuple[tuple[float, float, float], tuple[float, float, float]]


@dataclasses.dataclass(frozen=True)
class HullMassProperties:
    """A convex hull's volume (m^3), centre of mass (m) and inertia tensor about it at unit
    density (kg m^2 per kg/m^3), as stored in ``<key>.json``: every URDF of a key is made from
    these stored numbers, so it is the same whether the mesh was just built or found cached."""

    volume: float
    center_mass: tuple[float, float, float]
    inertia: tuple[tuple[float, float, float], ...]

    @classmethod
    def of(cls, hull: trimesh.Trimesh) -> "HullMassProperties":
        return cls(
            volume=float(hull.volume),
            center_mass=tuple(map(float, hull.center_mass)),
            inertia=tuple(tuple(map(float, row)) for row in hull.moment_inertia),
        )


class MeshCache:
    """A folder of render meshes and URDFs keyed by a geometry hash; reused when present."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def get(
        self,
        key: str,
        make_mesh: Callable[[], trimesh.Trimesh],
        mass: float,
        friction: float = 0.5,
        make_hull: Optional[Callable[[], trimesh.Trimesh]] = None,
    ) -> CachedMesh:
        """Files for ``key``, building them with ``make_mesh()`` (and ``make_hull()``, default:
        the mesh's convex hull) when not cached yet.

        Safe with several processes sharing the folder: files appear atomically, and a file
        pruned by another process between the check and its use is simply rebuilt."""
        try:
            return self._get(key, make_mesh, make_hull, mass, friction)
        except FileNotFoundError:
            return self._get(key, make_mesh, make_hull, mass, friction)

    def _get(self, key, make_mesh, make_hull, mass, friction) -> CachedMesh:
        render_path = self.folder / f"{key}.ply"
        hull_path = self.folder / f"{key}_hull.obj"
        urdf_path = self.folder / f"{key}_m{mass:.6g}.urdf"
        info_path = self.folder / f"{key}.json"
        if render_path.exists() and hull_path.exists() and info_path.exists():
            info = json.loads(info_path.read_text())
        else:
            info = self._build(make_mesh, make_hull, render_path, hull_path, info_path)
        if not urdf_path.exists():
            hull = HullMassProperties(
                info["hull"]["volume"],
                tuple(info["hull"]["center_mass"]),
                tuple(map(tuple, info["hull"]["inertia"])),
            )
            write_cache_file(
                urdf_path, urdf_text(key, hull_path.name, hull, mass, friction).encode()
            )
        for path in (render_path, hull_path, urdf_path, info_path):
            os.utime(path)  # recently used: pruned last
        lower, upper = info["bounds"]
        return CachedMesh(render_path, hull_path, urdf_path, (tuple(lower), tuple(upper)))

    @staticmethod
    def _build(make_mesh, make_hull, render_path: Path, hull_path: Path, info_path: Path) -> dict:
        mesh = make_mesh()
        hull = make_hull() if make_hull else mesh.convex_hull
        if "part" in mesh.face_attributes:
            write_cache_file(render_path, parted_ply_bytes(mesh))
        else:
            write_cache_file(
                render_path,
                trimesh.exchange.ply.export_ply(
                    mesh, encoding="binary", vertex_normal=True, include_attributes=False
                ),
            )
        write_cache_file(
            hull_path,
            trimesh.exchange.obj.export_obj(
                hull, include_normals=False, include_texture=False
            ).encode(),
        )
        stored = mesh.vertices.astype(np.float32)  # as the PLY holds them
        info = {
            "bounds": [stored.min(axis=0).tolist(), stored.max(axis=0).tolist()],
            "hull": dataclasses.asdict(HullMassProperties.of(hull)),
        }
        write_cache_file(info_path, json.dumps(info).encode())
        return json.loads(json.dumps(info))  # exactly what a later reader gets

    def prune(self, max_bytes: int) -> int:
        """Delete the least recently used files until the folder holds at most ``max_bytes``;
        returns the number of files deleted."""
        if not self.folder.is_dir():
            return 0
        files = []
        for path in self.folder.iterdir():
            try:
                info = path.stat()
            except FileNotFoundError:  # removed by another worker meanwhile
                continue
            files.append((info.st_mtime, info.st_size, path))
        total = sum(size for _, size, _ in files)
        deleted = 0
        for _, size, path in sorted(files):
            if total <= max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size
            deleted += 1
        return deleted


def urdf_text(
    name: str, collision_file: str, hull: HullMassProperties, mass: float, friction: float = 0.5
) -> str:
    """A one-link URDF: collision = convex hull mesh, inertia of a solid hull of ``mass`` kg."""
    inertia = np.asarray(hull.inertia) * (
        mass / max(hull.volume, 1e-12)
    )  # about the centre of mass
    com = hull.center_mass
    return f"""<?xml version="1.0"?>
<robot name="{name}">
  <link name="base">
    <contact>
      <lateral_friction value="{friction:.6g}"/>
      <rolling_friction value="0.002"/>
      <spinning_friction value="0.002"/>
    </contact>
    <inertial>
      <origin xyz="{com[0]:.9g} {com[1]:.9g} {com[2]:.9g}" rpy="0 0 0"/>
      <mass value="{mass:.9g}"/>
      <inertia ixx="{inertia[0, 0]:.9g}" ixy="{inertia[0, 1]:.9g}" ixz="{inertia[0, 2]:.9g}"
               iyy="{inertia[1, 1]:.9g}" iyz="{inertia[1, 2]:.9g}" izz="{inertia[2, 2]:.9g}"/>
    </inertial>
    <collision>
      <origin xyz="0 0 0" rpy="0 0 0"/>
      <geometry><mesh filename="{collision_file}" scale="1 1 1"/></geometry>
    </collision>
  </link>
</robot>
"""


_RENDER_PLY_HEADER = re.compile(
    rb"ply\nformat binary_little_endian 1\.0\n(?:comment [^\n]*\n)*element vertex (\d+)\n"
    rb"property float x\nproperty float y\nproperty float z\n"
    rb"property float nx\nproperty float ny\nproperty float nz\n"
    rb"element face (\d+)\nproperty list uchar int vertex_indices\nend_header\n"
)
_PLY_TRIANGLE = np.dtype([("count", "u1"), ("indices", "<i4", (3,))])


def read_render_ply(path: str | Path):
    """``(vertices (N, 3), triangles (M, 3), vertex_normals (N, 3))`` of a PLY laid out as
    :class:`MeshCache` writes it (binary little-endian float32 positions and normals, triangles);
    None for any other PLY. (trimesh reads these files too, but spends ~1 ms per file parsing
    the header; a renderer reads a dozen per scene.)"""
    data = Path(path).read_bytes()
    header = _RENDER_PLY_HEADER.match(data)
    if header is None:
        return None
    vertex_count, triangle_count = int(header.group(1)), int(header.group(2))
    vertex_bytes = vertex_count * 6 * 4
    if len(data) != header.end() + vertex_bytes + triangle_count * _PLY_TRIANGLE.itemsize:
        return None
    vertices = np.frombuffer(data, "<f4", vertex_count * 6, header.end()).reshape(-1, 6)
    triangles = np.frombuffer(data, _PLY_TRIANGLE, triangle_count, header.end() + vertex_bytes)
    if triangle_count == 0 or (triangles["count"] != 3).any():
        return None
    return vertices[:, :3], triangles["indices"], vertices[:, 3:]


_PARTED_PLY_HEADER = re.compile(
    rb"ply\nformat binary_little_endian 1\.0\ncomment synthscene parts: ([^\n]*)\n"
    rb"element vertex (\d+)\n"
    rb"property float x\nproperty float y\nproperty float z\n"
    rb"property float nx\nproperty float ny\nproperty float nz\n"
    rb"property float s\nproperty float t\n"
    rb"element face (\d+)\nproperty list uchar int vertex_indices\nproperty uchar part\n"
    rb"end_header\n"
)
_PARTED_TRIANGLE = np.dtype([("count", "u1"), ("indices", "<i4", (3,)), ("part", "u1")])


@dataclasses.dataclass(frozen=True)
class PartedMesh:
    """A render mesh made of parts, as :func:`read_parted_ply` returns it: float32 ``vertices``
    (N, 3) m, ``normals`` (N, 3), ``uv`` (N, 2), int32 ``faces`` (M, 3), uint8 ``part`` (M,)
    index into ``names``."""

    names: tuple[str, ...]
    vertices: np.ndarray
    normals: np.ndarray
    uv: np.ndarray
    faces: np.ndarray
    part: np.ndarray


def parted_ply_bytes(mesh: trimesh.Trimesh) -> bytes:
    """Binary PLY of a mesh from :func:`assets.loft.merged`: positions, normals, UVs (s, t) per
    vertex, the part index per face, part names in a ``comment synthscene parts:`` line."""
    names = ",".join(mesh.metadata["parts"])
    vertex = np.column_stack(
        [mesh.vertices, mesh.vertex_attributes["normal"], mesh.vertex_attributes["uv"]]
    ).astype("<f4")
    faces = np.zeros(len(mesh.faces), _PARTED_TRIANGLE)
    faces["count"], faces["indices"] = 3, mesh.faces
    faces["part"] = mesh.face_attributes["part"]
    header = (
        "ply\nformat binary_little_endian 1.0\n"
        f"comment synthscene parts: {names}\nelement vertex {len(vertex)}\n"
        + "".join(f"property float {n}\n" for n in ("x", "y", "z", "nx", "ny", "nz", "s", "t"))
        + f"element face {len(faces)}\nproperty list uchar int vertex_indices\n"
        "property uchar part\nend_header\n"
    )
    return header.encode() + vertex.tobytes() + faces.tobytes()


def read_parted_ply(path: str | Path) -> Optional[PartedMesh]:
    """The mesh of a PLY written by :func:`parted_ply_bytes`, or None for any other file."""
    data = Path(path).read_bytes()
    header = _PARTED_PLY_HEADER.match(data)
    if header is None:
        return None
    vertex_count, face_count = int(header.group(2)), int(header.group(3))
    vertex_bytes = vertex_count * 8 * 4
    if len(data) != header.end() + vertex_bytes + face_count * _PARTED_TRIANGLE.itemsize:
        return None
    vertex = np.frombuffer(data, "<f4", vertex_count * 8, header.end()).reshape(-1, 8)
    faces = np.frombuffer(data, _PARTED_TRIANGLE, face_count, header.end() + vertex_bytes)
    return PartedMesh(
        names=tuple(header.group(1).decode().split(",")),
        vertices=vertex[:, :3],
        normals=vertex[:, 3:6],
        uv=vertex[:, 6:],
        faces=faces["indices"],
        part=faces["part"],
    )


def mesh_key(description: dict, file_hash: Optional[str] = None) -> str:
    """Stable cache key: sha256 (first 24 hex) of the canonical JSON of what defines a mesh."""
    payload = json.dumps(
        {"mesh": description, "file": file_hash}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:24]
