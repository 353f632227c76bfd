"""Raster backend HDRI world: Blender's equirectangular mapping, ambient from the map."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import kubric as kb

from renderer.backend import open_view
from renderer.raster import Raster
from renderer.raster.environment import Environment, euler_xyz, load_equirectangular


@pytest.fixture()
def coordinate_map(tmp_path):
    """A Radiance .hdr whose red channel is the texel's u and green its v (v = 0 at bottom)."""
    height, width = 64, 128
    u = (np.arange(width) + 0.5) / width
    v = 1.0 - (np.arange(height) + 0.5) / height
    rgb = np.zeros((height, width, 3), np.float32)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = u[None, :], v[:, None], 0.25
    path = tmp_path / "coords.hdr"
    assert cv2.imwrite(str(path), rgb[..., ::-1])
    return path


def test_lookup_follows_blender_equirectangular_convention(coordinate_map):
    env = Environment(load_equirectangular(str(coordinate_map)), np.eye(3))
    # +X -> centre of the map; +Y -> u = 0.25 (Blender's u decreases with azimuth); up -> top
    texels = env.lookup(np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]]))
    np.testing.assert_allclose(texels[:, 0][:2], [0.5, 0.25], atol=0.02)
    np.testing.assert_allclose(texels[:, 1], [0.5, 0.5, 1.0], atol=0.02)
    # Mapping-node rotation of +90 degrees about Z: direction +X now reads what +Y read before
    rotated = Environment(env.radiance, euler_xyz((0, 0, np.pi / 2)))
    np.testing.assert_allclose(
        rotated.lookup(np.array([[1.0, 0, 0]])), env.lookup(np.array([[0, 1.0, 0]])), atol=1e-6
    )


def test_background_pixels_show_the_map_along_each_ray(coordinate_map):
    scene = kb.Scene(resolution=(33, 33))
    scene.camera = kb.PerspectiveCamera(position=(0, 0, 0), look_at=(1, 0, 0))  # along +X
    view = Raster(scene)
    view.set_hdri(coordinate_map, strength=1.0, as_ambient=False)
    raw = view.render_raw()
    centre = raw.rgba[16, 16, :3] / 255.0
    np.testing.assert_allclose(centre**2.2, [0.5, 0.5, 0.25], atol=0.03)
    # looking along +X, image right is world -Y: u grows to the right, v drops downwards
    red, green = raw.rgba[16, :, 0].astype(int), raw.rgba[:, 16, 1].astype(int)
    assert np.all(np.diff(red) >= 0) and red[-1] > red[0]
    assert np.all(np.diff(green) <= 0) and green[0] > green[-1]


def test_ambient_is_the_solid_angle_mean(coordinate_map):
    env = Environment(load_equirectangular(str(coordinate_map)), np.eye(3), strength=2.0)
    mean = env.mean_radiance()
    np.testing.assert_allclose(mean[0], 2 * 0.5, atol=0.02)  # u is uniform over azimuth
    np.testing.assert_allclose(mean[1], 2 * 0.5, atol=0.02)  # v symmetric about the equator
    np.testing.assert_allclose(mean[2], 2 * 0.25, atol=0.01)


def test_missing_hdri_names_the_file(tmp_path):
    scene = kb.Scene(resolution=(8, 8))
    scene.camera = kb.PerspectiveCamera()
    with pytest.raises(FileNotFoundError, match="nope.exr"):
        Raster(scene).set_hdri(tmp_path / "nope.exr")


def test_background_image_is_stretched_to_the_frame(tmp_path):
    image = np.zeros((10, 20, 3), np.uint8)
    image[:, 10:] = (255, 0, 0)  # BGR: right half blue
    cv2.imwrite(str(tmp_path / "bg.png"), image)
    scene = kb.Scene(resolution=(16, 8))
    scene.camera = kb.PerspectiveCamera()
    scene.metadata["synthscene"] = {
        "world": {"background": "image", "image": str(tmp_path / "bg.png")}
    }
    raw = open_view("raster", scene).render_raw()  # applied from the spec extras
    np.testing.assert_array_equal(raw.rgba[:, :8, :3], 0)
    np.testing.assert_array_equal(raw.rgba[:, 8:, 2], 255)
    assert np.all(raw.rgba[:, 8:, :2] == 0)


def test_bright_spot_becomes_a_directional_light_and_energy_is_kept():
    height, width = 64, 128
    radiance = np.full((height, width, 3), 0.2, np.float32)
    # a 2x2-texel sun at azimuth 0 (u = 0.5: world +X), elevation ~45 degrees (v = 0.75)
    radiance[15:17, 63:65] = 400.0
    env = Environment(radiance, np.eye(3), strength=1.5)
    ambient, towards_sun, irradiance = env.split
    np.testing.assert_allclose(ambient, 1.5 * 0.2, rtol=0.01)  # the sun texels left out
    np.testing.assert_allclose(towards_sun, [np.cos(np.pi / 4), 0, np.sin(np.pi / 4)], atol=0.03)
    # ambient (uniform radiance over 4 pi) + sun irradiance / 4 pi == the map's mean radiance
    np.testing.assert_allclose(ambient + irradiance / (4 * np.pi), env.mean_radiance(), rtol=1e-4)
    # rotating the map about Z rotates the sun direction the other way (lookup uses R @ d)
    turned = Environment(radiance, euler_xyz((0, 0, np.pi / 2)), strength=1.5)
    np.testing.assert_allclose(
        turned.split[1], [0, -np.cos(np.pi / 4), np.sin(np.pi / 4)], atol=0.03
    )
    assert Environment(np.full((8, 16, 3), 0.3, np.float32), np.eye(3)).split[1] is None
