"""Raster backend RGB: materials, lights, background, holdout, asset removal."""

from __future__ import annotations

import numpy as np
import pytest

import kubric as kb

from renderer.backend import open_view
from renderer.raster import Raster


def _box_scene(material=None, light=None, background=(0.0, 0.0, 0.0, 1.0)):
    scene = kb.Scene(resolution=(32, 32))
    box = kb.Cube(
        name="box",
        position=(0, 0, 0),
        scale=(0.8,) * 3,
        material=material or kb.PrincipledBSDFMaterial(color=kb.Color(0.8, 0.8, 0.8)),
    )
    scene += box
    if light is not None:
        scene += light
    scene.background = kb.Color(*background)
    scene.ambient_illumination = kb.Color(0, 0, 0, 1)
    scene.camera = kb.PerspectiveCamera(position=(3, -4, 3), look_at=(0, 0, 0))
    return scene, box


def _eroded(mask):
    return (
        mask
        & np.roll(mask, 1, 0)
        & np.roll(mask, -1, 0)
        & np.roll(mask, 1, 1)
        & np.roll(mask, -1, 1)
    )


def test_flat_material_and_background_are_display_encoded_colours():
    flat = kb.FlatMaterial(color=kb.Color(0.25, 0.5, 1.0, 1.0))
    scene, box = _box_scene(material=flat, background=(0.2, 0.0, 0.6, 1.0))
    raw = Raster(scene, shadows=False).render_raw()
    inside = raw.instance_ids == scene.assets.index(box) + 1
    interior, outside = _eroded(inside), _eroded(~inside)  # away from MSAA edges
    expected = np.round(255 * np.array([0.25, 0.5, 1.0]) ** (1 / 2.2))
    np.testing.assert_allclose(
        raw.rgba[interior][:, :3], np.tile(expected, (interior.sum(), 1)), atol=2
    )
    background = np.round(255 * np.array([0.2, 0.0, 0.6]) ** (1 / 2.2))
    np.testing.assert_allclose(
        raw.rgba[outside][:, :3], np.tile(background, (outside.sum(), 1)), atol=1
    )
    assert np.all(raw.rgba[..., 3] == 255)


def test_holdout_and_transparent_background_set_alpha_only():
    holdout = kb.FlatMaterial(color=kb.Color(1, 1, 1, 1), holdout=True)
    scene, box = _box_scene(material=holdout)
    raw = Raster(scene, background_transparency=True).render_raw()
    assert np.all(raw.rgba[..., 3] == 0)
    assert (raw.instance_ids == scene.assets.index(box) + 1).sum() > 50  # still labelled


@pytest.mark.parametrize(
    "light",
    [
        kb.DirectionalLight(position=(3, -4, 5), look_at=(0, 0, 0), intensity=3.0),
        kb.PointLight(position=(3, -4, 5), intensity=800.0),
        kb.SpotLight(position=(3, -4, 5), look_at=(0, 0, 0), intensity=800.0, spot_size=0.6),
        kb.RectAreaLight(position=(3, -4, 5), look_at=(0, 0, 0), intensity=300.0),
    ],
    ids=["sun", "point", "spot", "area"],
)
def test_each_light_type_lights_the_box(light):
    scene, box = _box_scene(light=light)
    view = Raster(scene, shadows=True)
    lit = view.render_raw()
    intensity, light.intensity = light.intensity, 0.0
    dark = view.render_raw()
    light.intensity = intensity
    mask = lit.instance_ids == scene.assets.index(box) + 1
    assert lit.rgba[mask][:, :3].astype(float).mean() > 20
    assert dark.rgba[mask][:, :3].astype(float).mean() < 1


def test_light_intensity_changes_are_picked_up_between_frames():
    sun = kb.DirectionalLight(position=(3, -4, 5), look_at=(0, 0, 0), intensity=0.0)
    scene, box = _box_scene(light=sun)
    view = Raster(scene)
    means = []
    for intensity in (0.0, 0.5, 2.0):
        sun.intensity = intensity
        raw = view.render_raw()
        means.append(raw.rgba[raw.instance_ids > 0][:, :3].astype(float).mean())
    assert means[0] < 1.0 < means[1] < means[2]


def test_material_changes_and_removed_assets_are_mirrored():
    material = kb.PrincipledBSDFMaterial(color=kb.Color(1.0, 0.0, 0.0))
    sun = kb.DirectionalLight(position=(3, -4, 5), look_at=(0, 0, 0), intensity=3.0)
    scene, box = _box_scene(material=material, light=sun)
    view = Raster(scene)
    red = view.render_raw().rgba[..., :3].astype(int).sum(axis=(0, 1))
    material.color = kb.Color(0.0, 0.0, 1.0)
    blue = view.render_raw().rgba[..., :3].astype(int).sum(axis=(0, 1))
    assert red[0] > 10 * red[2] and blue[2] > 10 * blue[0]
    scene.remove(box)
    raw = view.render_raw()
    assert not raw.instance_ids.any() and raw.instances == []


def test_spec_exposure_scales_all_radiance():
    flat = kb.FlatMaterial(color=kb.Color(0.1, 0.2, 0.3, 1.0))
    scene, box = _box_scene(material=flat, background=(0.05, 0.05, 0.05, 1.0))
    plain = open_view("raster", scene).render_raw()
    scene.metadata["synthscene"] = {"camera": {"exposure": 1.0}}  # +1 EV: twice the light
    brighter = open_view("raster", scene).render_raw()
    inside = _eroded(plain.instance_ids > 0)
    outside = _eroded(plain.instance_ids == 0)
    for mask, linear in ((inside, [0.1, 0.2, 0.3]), (outside, [0.05] * 3)):
        expected = np.round(255 * (2 * np.array(linear)) ** (1 / 2.2))
        np.testing.assert_allclose(brighter.rgba[mask][:, :3].mean(0), expected, atol=2)
        assert np.all(brighter.rgba[mask][:, :3].mean(0) > plain.rgba[mask][:, :3].mean(0))


@pytest.mark.parametrize("extension", ["glb", "obj"])
def test_file_mesh_without_material_keeps_its_own_image_texture(tmp_path, extension):
    import PIL.Image  # pylint: disable=import-outside-toplevel
    import trimesh  # pylint: disable=import-outside-toplevel

    image = np.zeros((8, 8, 3), np.uint8)
    image[:, :4], image[:, 4:] = (255, 0, 0), (0, 0, 255)  # left red, right blue
    quad = trimesh.Trimesh(
        [[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]], [[0, 1, 2], [0, 2, 3]], process=False
    )
    quad.visual = trimesh.visual.TextureVisuals(
        uv=[[0, 0], [1, 0], [1, 1], [0, 1]], image=PIL.Image.fromarray(image)
    )
    path = tmp_path / f"quad.{extension}"
    quad.export(str(path))
    scene = kb.Scene(resolution=(16, 16))
    scene += kb.FileBasedObject(name="quad", render_filename=str(path), asset_id="quad")
    scene.ambient_illumination = kb.Color(1, 1, 1, 1)
    scene.camera = kb.OrthographicCamera(
        orthographic_scale=2.0, position=(0, -0.001, 5), look_at=(0, 0, 0)
    )
    raw = Raster(scene).render_raw()
    left, right = raw.rgba[4:12, 1:6, :3].reshape(-1, 3), raw.rgba[4:12, 10:15, :3].reshape(-1, 3)
    assert np.all(left[:, 0] > 100) and np.all(left[:, 2] < 10)
    assert np.all(right[:, 2] > 100) and np.all(right[:, 0] < 10)
