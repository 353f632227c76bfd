"""Assets: the procedural library, user mesh folders, Blender's HDRIs, the mesh cache."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import trimesh

from assets.errors import AssetError
from assets.hdri import BLENDER_LICENCE, blender_hdris, check_hdri_readable, resolve_hdri
from assets.meshes import MeshCache, load_mesh_file, read_render_ply, scan_mesh_folder
from assets.procedural import LICENCE, PROCEDURAL_CLASSES, procedural_class
from scenes.randomizers import BLENDER_HDRI_NAMES

ROOT = Path(__file__).resolve().parents[1]


def test_at_least_ten_distinct_watertight_classes_in_metres_centred():
    assert len(PROCEDURAL_CLASSES) >= 10
    rng = np.random.default_rng(0)
    signatures = {}
    for name, shape in PROCEDURAL_CLASSES.items():
        mesh = shape.build(shape.sample_params(rng))
        assert mesh.is_watertight and mesh.volume > 0, name
        assert np.allclose(mesh.bounds.mean(axis=0), 0.0, atol=1e-9), name
        assert 0.005 < mesh.extents.max() < 0.3, name  # table-top sized, metres
        # distinct shapes: how full the bounding box is and its proportions differ
        fill = mesh.volume / np.prod(mesh.extents)
        signatures[name] = (
            round(fill, 2),
            tuple(np.round(np.sort(mesh.extents) / mesh.extents.max(), 1)),
        )
    assert len(set(signatures.values())) == len(signatures), signatures
    assert LICENCE == "CC0-1.0"


def test_upright_shapes_open_towards_plus_z():
    """Vessels are hollow (a fraction of the enclosing cylinder's volume) and open on top: a
    mug's solid bottom pulls its centre of mass low; a bowl is widest at its rim; a bottle's
    narrow neck is at the top."""
    for name in ("mug", "bowl"):
        mesh = procedural_class(name).build({})
        cylinder = np.pi * (mesh.extents[1] / 2) ** 2 * mesh.extents[2]
        assert mesh.volume < 0.5 * cylinder, name
    mug = procedural_class("mug").build({})
    assert mug.center_mass[2] < -0.03 * mug.extents[2]
    bowl = procedural_class("bowl").build({})
    radial = np.linalg.norm(bowl.vertices[:, :2], axis=1)
    assert bowl.vertices[np.argmax(radial), 2] > bowl.bounds[1, 2] - 0.01
    bottle = procedural_class("bottle").build({"radius": 0.03, "height": 0.2})
    near_top = bottle.vertices[bottle.vertices[:, 2] > bottle.bounds[1, 2] - 0.01]
    assert np.abs(near_top[:, :2]).max() < 0.02  # the neck, not the 3 cm body, is at the top
    assert bottle.center_mass[2] < 0


def _write_folder(root: Path) -> Path:
    (root / "cup").mkdir(parents=True)
    (root / "bolt").mkdir()
    trimesh.creation.cylinder(radius=0.03, height=0.08).export(root / "cup" / "a.obj")
    trimesh.creation.box(extents=(10, 20, 30)).export(root / "bolt" / "b.stl")
    trimesh.creation.box(extents=(0.1, 0.2, 0.3)).export(root / "cup" / "c.glb")
    (root / "manifest.json").write_text(
        json.dumps(
            {
                "licence": "CC-BY-4.0",
                "source": "test scans",
                "files": {
                    "bolt/b.stl": {"units_to_metres": 0.001, "licence": "CC0-1.0"},
                    "cup/c.glb": {"category": "carton"},
                },
            }
        )
    )
    return root


def test_user_mesh_folder_classes_manifest_units_and_axes(tmp_path):
    found = {m.path.name: m for m in scan_mesh_folder(_write_folder(tmp_path / "meshes"))}
    assert found["a.obj"].category == "cup" and found["a.obj"].licence == "CC-BY-4.0"
    assert found["b.stl"].category == "bolt" and found["b.stl"].licence == "CC0-1.0"
    assert found["c.glb"].category == "carton" and found["c.glb"].up == "Y"
    bolt = load_mesh_file(found["b.stl"].path, found["b.stl"].up, found["b.stl"].units_to_metres)
    assert np.allclose(bolt.extents, (0.01, 0.02, 0.03))
    carton = load_mesh_file(found["c.glb"].path, "Y")
    assert np.allclose(np.sort(carton.extents), (0.1, 0.2, 0.3))
    assert carton.extents[2] == pytest.approx(0.2)  # glTF's +Y became +Z


def test_mesh_folder_objects_reach_the_spec_with_provenance(tmp_path):
    from scenes import sample_spec

    folder = _write_folder(tmp_path / "meshes")
    spec = sample_spec("tabletop", 0, {"objects.folder": str(folder), "objects.count": "6"})
    objects = spec.labelled_objects()
    assert {o.category for o in objects} <= {"cup", "bolt", "carton"}
    for obj in objects:
        assert obj.asset.kind == "file" and len(obj.asset.sha256) == 64
        assert obj.asset.licence in ("CC-BY-4.0", "CC0-1.0")


def test_broken_mesh_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.obj"
    bad.write_text("this is not a mesh\n")
    with pytest.raises(AssetError, match=f"mesh {bad}"):
        load_mesh_file(bad)


def test_blender_hdris_found_without_importing_bpy():
    code = (
        "import sys; from assets.hdri import blender_hdris; "
        "print(sorted(h.name for h in blender_hdris()), 'bpy' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == f"{sorted(BLENDER_HDRI_NAMES)} False"
    maps = blender_hdris()
    assert all(h.licence == BLENDER_LICENCE for h in maps)
    for hdri in maps:
        check_hdri_readable(hdri.path)
    assert resolve_hdri("forest").name == "forest.exr"
    with pytest.raises(AssetError, match="not one of Blender's bundled maps"):
        resolve_hdri("moon")


def test_mesh_cache_writes_a_ply_and_a_urdf_pybullet_loads(tmp_path):
    import pybullet

    mesh = procedural_class("torus").build({})
    cached = MeshCache(tmp_path).get("abc", lambda: mesh, mass=0.2)
    again = MeshCache(tmp_path).get("abc", lambda: pytest.fail("rebuilt a cached mesh"), mass=0.2)
    assert again == cached
    assert np.allclose(trimesh.load(cached.render_path, force="mesh").bounds, mesh.bounds)
    # a URDF for another mass is made from the stored hull numbers, not a rebuilt mesh
    heavier = MeshCache(tmp_path).get("abc", lambda: pytest.fail("rebuilt"), mass=0.4)
    assert heavier.urdf_path != cached.urdf_path and heavier.render_path == cached.render_path
    client = pybullet.connect(pybullet.DIRECT)
    try:
        body = pybullet.loadURDF(str(cached.urdf_path), physicsClientId=client)
        assert body >= 0
        assert pybullet.getDynamicsInfo(body, -1, physicsClientId=client)[0] == pytest.approx(0.2)
        low, high = pybullet.getAABB(body, physicsClientId=client)
        assert np.allclose(np.array(high) - low, mesh.extents, atol=0.01)  # the hull, + margin
    finally:
        pybullet.disconnect(client)


def test_mesh_cache_prunes_least_recently_used_files(tmp_path):
    import os
    import time

    cache = MeshCache(tmp_path)
    for index, name in enumerate(("box", "cone", "gear")):
        cache.get(name, lambda n=name: procedural_class(n).build({}), mass=0.1)
        for path in tmp_path.glob(f"{name}*"):
            os.utime(path, (time.time() - 100 + index, time.time() - 100 + index))
    newest = sum(p.stat().st_size for p in tmp_path.glob("gear*"))
    deleted = cache.prune(newest)
    assert deleted > 0 and {p.name.split("_")[0].split(".")[0] for p in tmp_path.iterdir()} == {
        "gear"
    }


def test_fast_ply_reader_matches_trimesh_and_declines_other_layouts(tmp_path):
    mesh = procedural_class("mug").build({})
    cached = MeshCache(tmp_path).get("mug", lambda: mesh, mass=0.3)
    vertices, triangles, normals = read_render_ply(cached.render_path)
    reference = trimesh.load(cached.render_path, force="mesh", process=False)
    assert np.array_equal(vertices, reference.vertices.astype(np.float32))
    assert np.array_equal(triangles, reference.faces)
    assert np.allclose(normals, mesh.vertex_normals, atol=1e-6)
    ascii_ply = tmp_path / "ascii.ply"
    ascii_ply.write_bytes(trimesh.exchange.ply.export_ply(mesh, encoding="ascii"))
    assert read_render_ply(ascii_ply) is None
    no_normals = tmp_path / "plain.ply"
    no_normals.write_bytes(trimesh.exchange.ply.export_ply(mesh, vertex_normal=False))
    assert read_render_ply(no_normals) is None
    truncated = tmp_path / "cut.ply"
    truncated.write_bytes(cached.render_path.read_bytes()[:-7])
    assert read_render_ply(truncated) is None
