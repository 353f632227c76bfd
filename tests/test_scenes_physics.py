"""Drop-and-settle with Kubric's PyBullet simulator, and the spec -> kubric.Scene mapping."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scenes import build_kubric_scene, sample_spec, scene_extras, settle
from scenes.checks import contact_report, lowest_points
from scenes.geometry import object_mesh_world
from scenes.recipes import bin as bin_recipe

PENETRATION_TOLERANCE = 0.002  # m
CONTACT_GAP = 0.003  # m: a resting object is this close to something


@pytest.mark.parametrize("recipe,seed", [("tabletop", 0), ("tabletop", 1), ("bin", 0)])
def test_settled_objects_touch_without_interpenetrating(recipe, seed, tmp_path):
    spec = sample_spec(recipe, seed)
    before = contact_report(spec)
    assert before.floating(CONTACT_GAP), "objects start above the support (dropped)"
    settled = settle(spec, tmp_path)
    assert settled.physics.settled and not spec.physics.settled and settled.physics.at_rest
    report = contact_report(settled)
    assert report.penetrations(PENETRATION_TOLERANCE) == {}
    assert report.floating(CONTACT_GAP) == []
    support = spec.physics.support_height
    kept = [o.name for o in settled.objects if not o.static]
    assert set(kept) | set(settled.physics.removed) == {
        o.name for o in spec.objects if not o.static
    }
    assert all(z >= support - PENETRATION_TOLERANCE for z in lowest_points(settled).values())
    assert len(settled.physics.removed) <= 1


def test_objects_dropped_into_the_bin_stay_inside_it(tmp_path):
    settled = settle(sample_spec("bin", 2), tmp_path)
    inner_x, inner_y = bin_recipe.INNER_X / 2, bin_recipe.INNER_Y / 2
    for obj in settled.labelled_objects():
        low, high = object_mesh_world(obj).bounds
        assert -inner_x - 1e-3 <= low[0] and high[0] <= inner_x + 1e-3, obj.name
        assert -inner_y - 1e-3 <= low[1] and high[1] <= inner_y + 1e-3, obj.name
        assert low[2] >= bin_recipe.BIN_FLOOR - PENETRATION_TOLERANCE


def test_settle_is_deterministic_and_idempotent(tmp_path):
    spec = sample_spec("tabletop", 4)
    first = settle(spec, tmp_path / "a")
    second = settle(spec, tmp_path / "b")
    assert first.to_json() == second.to_json()
    assert settle(first, tmp_path / "c") is first  # already settled: unchanged


def test_settle_frees_its_physics_world_at_once(tmp_path):
    """No PyBullet world outlives settle(), even with the cyclic garbage collector off (Kubric's
    simulator and scene reference each other: left to __del__, dead worlds piled up in warm
    workers), and an old simulator's late __del__ does not disconnect a newer world that got its
    reused client id."""
    import gc  # pylint: disable=import-outside-toplevel
    import pybullet  # pylint: disable=import-outside-toplevel

    gc.collect()
    gc.disable()
    try:
        first = settle(sample_spec("tabletop", 0), tmp_path)
        assert not any(pybullet.isConnected(client) for client in range(16))
        world = pybullet.connect(pybullet.DIRECT)  # gets the id the settled world had
        gc.collect()  # runs the dead simulator's __del__
        assert pybullet.isConnected(world)
        pybullet.disconnect(world)
    finally:
        gc.enable()
    assert settle(sample_spec("tabletop", 0), tmp_path) == first


def test_kubric_scene_mirrors_the_spec(tmp_path):
    import kubric as kb

    spec = settle(sample_spec("tabletop", 6, {"distractors.max": "4"}), tmp_path)
    scene = build_kubric_scene(spec, tmp_path)
    assert scene.resolution == tuple(spec.resolution)
    physical = [a for a in scene.assets if isinstance(a, kb.PhysicalObject)]
    assert [a.name for a in physical] == [o.name for o in spec.objects]
    for asset, obj in zip(physical, spec.objects):
        assert np.allclose(asset.position, obj.position) and np.allclose(
            asset.quaternion, obj.quaternion
        )
        assert asset.metadata["category"] == (obj.category if obj.labelled else None)
        assert asset.metadata["licence"] and asset.metadata["source"]
        if obj.role == "distractor":
            assert asset.metadata["distractor"] is True
        if isinstance(asset, kb.FileBasedObject):
            assert Path(asset.render_filename).exists() and asset.simulation_filename.endswith(
                ".urdf"
            )
        assert isinstance(asset.material, (kb.PrincipledBSDFMaterial, kb.FlatMaterial))
    assert isinstance(scene.camera, kb.PerspectiveCamera)
    assert scene.camera.focal_length == spec.camera.focal_length
    lights = [a for a in scene.assets if isinstance(a, kb.Light)]
    assert len(lights) == len(spec.lights)
    extras = scene_extras(scene)
    assert extras["spec_hash"] == spec.hash()
    hdri = extras["world"]["hdri"]
    assert Path(hdri["path"]).is_file() and Path(hdri["path"]).stem == spec.world.hdri.name


def test_render_mesh_file_is_the_spec_geometry(tmp_path):
    """The OBJ written for the renderer, posed like the Kubric object, equals the spec's mesh."""
    import kubric as kb
    import trimesh

    spec = sample_spec("tabletop", 8)
    scene = build_kubric_scene(spec, tmp_path)
    for asset in scene.assets:
        if isinstance(asset, kb.FileBasedObject):
            mesh = trimesh.load(asset.render_filename, force="mesh")
            mesh.apply_scale(asset.scale[0])
            mesh.apply_transform(asset.matrix_world)
            expected = object_mesh_world(spec.object(asset.name))
            assert np.allclose(mesh.bounds, expected.bounds, atol=1e-6)
            assert np.allclose(
                np.array(asset.bounds),
                trimesh.load(asset.render_filename, force="mesh").bounds,
                atol=1e-9,
            )


def test_hello_matches_kubric_helloworld(tmp_path):
    import kubric as kb

    scene = build_kubric_scene(sample_spec("hello", 0), tmp_path)
    floor, ball = [a for a in scene.assets if isinstance(a, kb.PhysicalObject)]
    assert isinstance(floor, kb.Cube) and np.allclose(floor.scale, (10, 10, 0.1))
    assert np.allclose(floor.position, (0, 0, -0.1))
    assert isinstance(ball, kb.Sphere) and np.allclose(ball.position, (0, 0, 0.5))
    sun = next(a for a in scene.assets if isinstance(a, kb.DirectionalLight))
    assert sun.intensity == 1.5 and np.allclose(sun.position, (-1, -0.5, 3))
    assert np.allclose(scene.camera.position, (2, -0.5, 4))
    assert ball.metadata["category"] == "sphere" and floor.metadata["category"] is None


def test_object_dropped_beside_the_table_is_removed_and_named(tmp_path):
    import dataclasses

    spec = sample_spec("tabletop", 3, {"distractors.max": "0"})
    lost = spec.labelled_objects()[0]
    moved = dataclasses.replace(lost, position=(1.5, 0.0, 0.3))  # table is 1.6 m x 1.2 m
    spec = dataclasses.replace(
        spec, objects=[moved if o.name == lost.name else o for o in spec.objects]
    )
    settled = settle(spec, tmp_path)
    assert lost.name in settled.physics.removed
    assert lost.name not in [o.name for o in settled.objects]


@pytest.mark.slow
def test_crowded_bin_of_thirty_objects_settles_cleanly(tmp_path):
    spec = sample_spec("bin", 11, {"objects.count": "30", "physics.seconds": "6"})
    settled = settle(spec, tmp_path)
    report = contact_report(settled)
    assert report.penetrations(PENETRATION_TOLERANCE) == {}
    assert report.floating(CONTACT_GAP) == []
    assert len(settled.physics.removed) <= 2


@pytest.mark.slow
@pytest.mark.parametrize("recipe", ["tabletop", "bin"])
def test_forty_settled_scenes_are_clean_and_at_rest(recipe, tmp_path):
    at_rest = 0
    for seed in range(100, 140):
        settled = settle(sample_spec(recipe, seed), tmp_path)
        report = contact_report(settled)
        assert report.penetrations(PENETRATION_TOLERANCE) == {}, seed
        assert report.floating(CONTACT_GAP) == [], seed
        at_rest += bool(settled.physics.at_rest)
    assert at_rest >= 38
