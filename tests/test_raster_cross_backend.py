"""Raster (pyrender) vs Blender/Cycles label passes on the same seeded recipe scenes.

Both views observe one kubric.Scene; the labels must agree: ids on >= 99% of pixels with every
disagreement on an object boundary, depth within 0.1% where both see the same instance, tight
boxes within 1 px, the same camera model.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("bpy")

from renderer.blender import Blender  # noqa: E402
from renderer.raster import Raster  # noqa: E402
from scenes import instantiate, sample_spec  # noqa: E402

CASES = [("clevr", 1), ("tabletop", 3)]


def _boundary(ids: np.ndarray) -> np.ndarray:
    """Pixels with a differently labelled 8-neighbour (image borders count as inside)."""
    padded = np.pad(ids, 1, mode="edge")
    height, width = ids.shape
    found = np.zeros(ids.shape, bool)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            found |= padded[1 + dr : 1 + dr + height, 1 + dc : 1 + dc + width] != ids
    return found


def _tight_box(mask: np.ndarray):
    rows, cols = np.nonzero(mask)
    return np.array([cols.min(), rows.min(), cols.max(), rows.max()])


@pytest.fixture(scope="module", params=CASES, ids=[f"{r}-{s}" for r, s in CASES])
def both_backends(request, tmp_path_factory):
    recipe, seed = request.param
    scratch = tmp_path_factory.mktemp(f"{recipe}{seed}")
    _, scene = instantiate(sample_spec(recipe, seed, {"resolution": 64}), scratch)
    cycles = Blender(scene, scratch_dir=scratch, samples_per_pixel=1).render_raw()
    raster = Raster(scene).render_raw()
    return cycles, raster


def test_camera_models_are_identical(both_backends):
    cycles, raster = both_backends
    assert (cycles.camera.width, cycles.camera.height) == (
        raster.camera.width,
        raster.camera.height,
    )
    assert cycles.camera.orthographic == raster.camera.orthographic
    # Blender stores lens / sensor / transforms as float32: equal to that precision
    np.testing.assert_allclose(raster.camera.K, cycles.camera.K, rtol=1e-6)
    np.testing.assert_allclose(
        raster.camera.world_to_camera, cycles.camera.world_to_camera, atol=1e-5
    )


def test_instance_ids_agree_except_on_boundaries(both_backends):
    cycles, raster = both_backends
    assert len(np.unique(cycles.instance_ids)) >= 3  # the scene shows several objects
    same = cycles.instance_ids == raster.instance_ids
    assert same.mean() >= 0.99
    disagree = ~same
    assert not np.any(disagree & ~_boundary(cycles.instance_ids))


def test_depth_agrees_where_both_see_the_same_instance(both_backends):
    cycles, raster = both_backends
    both = (cycles.instance_ids == raster.instance_ids) & (cycles.instance_ids > 0)
    relative = np.abs(raster.depth[both] - cycles.depth[both]) / cycles.depth[both]
    assert relative.max() < 1e-3
    background = (cycles.instance_ids == 0) & (raster.instance_ids == 0)
    assert np.all(np.isinf(raster.depth[background])) and np.all(np.isinf(cycles.depth[background]))


def test_tight_boxes_agree_within_one_pixel(both_backends):
    cycles, raster = both_backends
    for instance_id in set(np.unique(cycles.instance_ids)) - {0}:
        cycles_mask, raster_mask = (
            cycles.instance_ids == instance_id,
            raster.instance_ids == instance_id,
        )
        if cycles_mask.sum() < 4:
            continue  # a sliver: boundary only
        assert raster_mask.any(), f"instance {instance_id} missing in the raster render"
        difference = np.abs(_tight_box(cycles_mask) - _tight_box(raster_mask))
        assert difference.max() <= 1, (instance_id, difference)


def test_instances_match(both_backends):
    cycles, raster = both_backends
    by_id = {inst.instance_id: inst for inst in raster.instances}
    assert sorted(by_id) == sorted(inst.instance_id for inst in cycles.instances)
    for inst in cycles.instances:
        mine = by_id[inst.instance_id]
        assert (mine.uid, mine.category) == (inst.uid, inst.category)
        np.testing.assert_allclose(mine.object_to_world, inst.object_to_world, atol=1e-5)


def test_world_normals_agree(both_backends):
    # Same smooth/flat shading rule (file normals, smooth spheres, flat cubes); the two sphere
    # tessellations differ, so smooth normals may differ by a fraction of a degree.
    cycles, raster = both_backends
    both = (cycles.instance_ids == raster.instance_ids) & (cycles.instance_ids > 0)
    cosine = np.einsum("pi,pi->p", cycles.normals[both], raster.normals[both])
    angle = np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0)))
    assert np.median(angle) < 0.1
    assert np.quantile(angle, 0.99) < 1.0 and angle.max() < 5.0


def test_object_coordinates_agree(both_backends):
    cycles, raster = both_backends
    both = (cycles.instance_ids == raster.instance_ids) & (cycles.instance_ids > 0)
    difference = np.abs(cycles.object_coordinates[both] - raster.object_coordinates[both])
    assert np.median(difference) < 1e-3 and np.quantile(difference, 0.99) < 0.02


def test_hdri_background_matches_blender_mapping(tmp_path):
    import kubric as kb  # pylint: disable=import-outside-toplevel
    from assets.hdri import resolve_hdri  # pylint: disable=import-outside-toplevel

    scene = kb.Scene(resolution=(48, 32))
    scene += kb.Sphere(name="ball", position=(0, 0, 1), scale=(0.4,) * 3)
    scene.camera = kb.PerspectiveCamera(focal_length=20, position=(1, -6, 1.5), look_at=(0, 0, 1))
    cycles_view = Blender(scene, scratch_dir=tmp_path, samples_per_pixel=4)
    raster_view = Raster(scene)
    for view in (cycles_view, raster_view):
        view.set_hdri(resolve_hdri("sunset"), rotation=(0, 0, 1.0))
    cycles, raster = cycles_view.render_raw(), raster_view.render_raw()
    background = (cycles.instance_ids == 0) & (raster.instance_ids == 0)
    a = cycles.rgba[background][:, :3].astype(float).ravel()
    b = raster.rgba[background][:, :3].astype(float).ravel()
    assert np.corrcoef(a, b)[0, 1] > 0.9  # a wrong axis or rotation gives ~0
    assert abs(a.mean() - b.mean()) < 10  # same brightness (8-bit levels)


def test_image_texture_matches_blender_mapping(tmp_path):
    import cv2  # pylint: disable=import-outside-toplevel
    import kubric as kb  # pylint: disable=import-outside-toplevel
    from renderer.blender.extras import add_texture  # pylint: disable=import-outside-toplevel

    image = np.zeros((64, 64, 3), np.uint8)
    image[:, 32:] = 255  # right half: factor 1 (color2)
    image[:16, :] = 128  # top band: in between
    cv2.imwrite(str(tmp_path / "texture.png"), image)
    texture = {
        "kind": "image",
        "image": str(tmp_path / "texture.png"),
        "scale": 1.0,
        "color2": (0.1, 0.1, 0.8, 1.0),
        "rotation": (0.0, 0.0, 0.3),
    }
    material = kb.PrincipledBSDFMaterial(
        color=kb.Color(0.8, 0.1, 0.1), roughness=1.0, metadata={"texture": texture}
    )
    scene = kb.Scene(resolution=(48, 48))
    scene += kb.Cube(name="box", material=material)
    scene += kb.DirectionalLight(position=(0, 0, 10), look_at=(0, 0, 0), intensity=3)
    scene.ambient_illumination = kb.Color(0.3, 0.3, 0.3, 1)
    scene.camera = kb.OrthographicCamera(
        orthographic_scale=2.4, position=(0, 0, 10), look_at=(0, 0, 0)
    )
    cycles_view = Blender(scene, scratch_dir=tmp_path, samples_per_pixel=16)
    add_texture(material.linked_objects[cycles_view], texture)
    cycles, raster = cycles_view.render_raw(), Raster(scene).render_raw()
    both = (cycles.instance_ids > 0) & (raster.instance_ids > 0)
    red_minus_blue = [p.rgba[..., 0].astype(float) - p.rgba[..., 2] for p in (cycles, raster)]
    # the red/blue pattern (image position, rotation, orientation) is the same
    assert np.corrcoef(red_minus_blue[0][both], red_minus_blue[1][both])[0, 1] > 0.95
