"""Blender mesh objects for Kubric's ``Cube``, ``Sphere`` and ``FileBasedObject``.

Geometry conventions: metres, +Z up. ``Cube`` is Kubric's 2 x 2 x 2 cube centred at the origin,
``Sphere`` an ico-sphere (5 subdivisions) of radius 1, both before ``scale``. Mesh files are used
in their own coordinates, read as +Z up, for every format — the same coordinates PyBullet uses for
the simulation — so Blender's Y-up -> Z-up import conversion is switched off (OBJ, PLY, STL) or
undone (glTF/GLB, like Kubric does).
"""

from __future__ import annotations

import os
from pathlib import Path

import bmesh
import bpy
import numpy as np

from assets.meshes import read_parted_ply, read_render_ply
from renderer.blender.stdout import silenced_stdout
from renderer.kubric_layers import check_mesh_file


def _new_object(name: str, mesh: "bpy.types.Mesh") -> "bpy.types.Object":
    obj = bpy.data.objects.new(name, mesh)
    bpy.context.scene.collection.objects.link(obj)
    return obj


def make_cube(name: str) -> "bpy.types.Object":
    mesh = bpy.data.meshes.new(name)
    bm = bmesh.new()
    bmesh.ops.create_cube(bm, size=2.0)
    bm.to_mesh(mesh)
    bm.free()
    return _new_object(name, mesh)


def make_sphere(name: str) -> "bpy.types.Object":
    mesh = bpy.data.meshes.new(name)
    bm = bmesh.new()
    bmesh.ops.create_icosphere(bm, subdivisions=5, radius=1.0, calc_uvs=True)
    bm.to_mesh(mesh)
    bm.free()
    mesh.shade_smooth()
    return _new_object(name, mesh)


def _run_importer(file: Path, import_kwargs: dict) -> None:
    ext = file.suffix.lower()
    with silenced_stdout():
        if ext == ".obj":
            bpy.ops.wm.obj_import(
                filepath=str(file), forward_axis="Y", up_axis="Z", **import_kwargs
            )
        elif ext in (".glb", ".gltf"):
            bpy.ops.import_scene.gltf(filepath=str(file), **import_kwargs)
        elif ext == ".ply":
            bpy.ops.wm.ply_import(
                filepath=str(file), forward_axis="Y", up_axis="Z", **import_kwargs
            )
        else:  # .stl
            bpy.ops.wm.stl_import(
                filepath=str(file), forward_axis="Y", up_axis="Z", **import_kwargs
            )


def import_mesh_file(
    name: str, path: str | os.PathLike, import_kwargs: dict | None = None
) -> "bpy.types.Object":
    """Import ``path`` as one mesh object named ``name`` (parts are joined).

    A PLY laid out as the mesh cache writes it is read with numpy and built through Blender's
    data API, ~4x faster than the importer operator; its vertex normals become custom normals
    (smooth shading), as the OBJ importer makes them. A PLY of parts (``parted_ply_bytes``)
    also brings its UVs (UV map "UVMap") and each face's part index as its material index (slot
    i = part i, see renderer/blender/parts.py). Any other file goes through Blender's
    importer."""
    file = check_mesh_file(path)
    if file.suffix.lower() == ".ply" and not import_kwargs:
        parted = read_parted_ply(file)
        if parted is not None:
            return _new_object(
                name,
                _mesh_from_arrays(
                    name, parted.vertices, parted.faces, parted.normals, parted.uv, parted.part
                ),
            )
        triangles = read_render_ply(file)
        if triangles is not None:
            return _new_object(name, _mesh_from_arrays(name, *triangles))
    before = set(bpy.data.objects)
    _run_importer(file, dict(import_kwargs or {}))
    new = [o for o in bpy.data.objects if o not in before]
    meshes = [o for o in new if o.type == "MESH"]
    if not meshes:
        raise ValueError(f"mesh file {str(file)!r} contains no mesh; export it with geometry")
    for extra in (o for o in new if o.type != "MESH"):
        bpy.data.objects.remove(extra, do_unlink=True)
    obj = _join(meshes)
    if file.suffix.lower() in (".glb", ".gltf"):
        _undo_gltf_axis_conversion(obj)
    obj.name = name
    obj.parent = None
    return obj


def _mesh_from_arrays(
    name: str,
    vertices: np.ndarray,
    faces: np.ndarray,
    normals: np.ndarray,
    uv: np.ndarray | None = None,
    material_index: np.ndarray | None = None,
) -> "bpy.types.Mesh":
    """A Blender mesh of triangles; ``normals`` (per vertex) become custom normals; optional
    per-vertex ``uv`` (N, 2) and per-face ``material_index`` (M,)."""
    mesh = bpy.data.meshes.new(name)
    mesh.vertices.add(len(vertices))
    mesh.vertices.foreach_set("co", np.ascontiguousarray(vertices, np.float32).ravel())
    mesh.loops.add(faces.size)
    mesh.loops.foreach_set("vertex_index", np.ascontiguousarray(faces, np.int32).ravel())
    mesh.polygons.add(len(faces))
    mesh.polygons.foreach_set("loop_start", np.arange(0, faces.size, 3, dtype=np.int32))
    if uv is not None:
        layer = mesh.uv_layers.new(name="UVMap")
        layer.data.foreach_set("uv", np.asarray(uv, np.float32)[np.asarray(faces).ravel()].ravel())
    mesh.update(calc_edges=True)
    mesh.shade_smooth()
    mesh.normals_split_custom_set_from_vertices(np.asarray(normals, np.float32))
    mesh.validate()
    if material_index is not None and len(mesh.polygons) == len(material_index):
        mesh.polygons.foreach_set("material_index", np.asarray(material_index, np.int32))
    return mesh


def _join(meshes: list) -> "bpy.types.Object":
    """Bake each part's transform into its mesh and join them into the first part."""
    for obj in meshes:
        world = obj.matrix_world.copy()
        obj.parent = None
        obj.data.transform(world)
        obj.matrix_world.identity()
    if len(meshes) == 1:
        return meshes[0]
    with bpy.context.temp_override(
        active_object=meshes[0], selected_editable_objects=meshes, object=meshes[0]
    ):
        bpy.ops.object.join()
    return meshes[0]


def _undo_gltf_axis_conversion(obj: "bpy.types.Object") -> None:
    """Blender's glTF importer maps file (x, y, z) to (x, -z, y); map it back."""
    from mathutils import Matrix  # pylint: disable=import-outside-toplevel

    obj.data.transform(Matrix.Rotation(-np.pi / 2, 4, "X"))


def world_triangles(
    obj: "bpy.types.Object", depsgraph: "bpy.types.Depsgraph"
) -> tuple[np.ndarray, np.ndarray]:
    """Evaluated mesh of ``obj`` at the current frame: world-space vertices (N, 3) float64 in
    metres and triangle indices (M, 3) int64."""
    evaluated = obj.evaluated_get(depsgraph)
    mesh = evaluated.to_mesh()
    try:
        mesh.calc_loop_triangles()
        vertices = np.empty(len(mesh.vertices) * 3, np.float64)
        mesh.vertices.foreach_get("co", vertices)
        faces = np.empty(len(mesh.loop_triangles) * 3, np.int64)
        mesh.loop_triangles.foreach_get("vertices", faces)
    finally:
        evaluated.to_mesh_clear()
    vertices = vertices.reshape(-1, 3)
    matrix = np.array(evaluated.matrix_world, dtype=np.float64)
    vertices = vertices @ matrix[:3, :3].T + matrix[:3, 3]
    return vertices, faces.reshape(-1, 3)
