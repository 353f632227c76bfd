"""Raster backend (pyrender) against closed-form geometry: depth, ids, intrinsics, normals."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import kubric as kb

from renderer.raster import Raster, intrinsics


def _scene(width: int, height: int, camera: kb.Camera, *assets) -> kb.Scene:
    scene = kb.Scene(resolution=(width, height))
    scene += kb.DirectionalLight(name="sun", position=(3, -3, 10), look_at=(0, 0, 0))
    for asset in assets:
        scene += asset
    scene.camera = camera
    return scene


def _rays(camera_model):
    """Unit-free ray directions (camera frame, z = 1) through every pixel centre."""
    height, width = camera_model.height, camera_model.width
    cols, rows = np.meshgrid(np.arange(width) + 0.5, np.arange(height) + 0.5)
    K = camera_model.K
    return np.stack(
        [(cols - K[0, 2]) / K[0, 0], (rows - K[1, 2]) / K[1, 1], np.ones_like(cols)], axis=-1
    )


def _analytic_sphere_depth(camera_model, centre_world, radius):
    """Planar depth of the first ray/sphere intersection per pixel (inf on a miss), and the
    normalised distance of each ray from the sphere centre (1 = silhouette)."""
    centre = (
        camera_model.world_to_camera[:3, :3] @ centre_world + camera_model.world_to_camera[:3, 3]
    )
    d = _rays(camera_model)
    a = np.einsum("hwi,hwi->hw", d, d)
    b = -2 * d @ centre
    c = centre @ centre - radius**2
    disc = b * b - 4 * a * c
    t = (-b - np.sqrt(np.maximum(disc, 0))) / (2 * a)
    depth = np.where(disc >= 0, t, np.inf)  # d has z = 1, so t is planar depth
    closest = np.linalg.norm(np.cross(d / np.sqrt(a)[..., None], centre), axis=-1) / radius
    return depth, closest


@pytest.fixture(scope="module")
def on_axis_sphere():
    camera = kb.PerspectiveCamera(
        name="cam", focal_length=35, sensor_width=32, position=(0, -6, 0), look_at=(0, 0, 0)
    )
    scene = _scene(64, 64, camera, kb.Sphere(name="ball", position=(0, 0, 0), scale=(1.5,) * 3))
    return scene, Raster(scene).render_raw()


def test_centre_pixel_depth_matches_analytic_sphere():
    camera = kb.PerspectiveCamera(
        focal_length=50, sensor_width=36, position=(0, -10, 0), look_at=(0, 0, 0)
    )
    scene = _scene(33, 33, camera, kb.Sphere(name="ball", position=(0, 0, 0), scale=(2, 2, 2)))
    raw = Raster(scene).render_raw()
    # 33 px: pixel (16, 16) has its centre on the optical axis, which hits the sphere at 10 - 2.
    assert raw.depth[16, 16] == pytest.approx(8.0, rel=1e-3)
    assert raw.instance_ids[16, 16] == scene.assets.index(scene.assets[1]) + 1


def test_depth_matches_ray_sphere_intersection_everywhere_inside(on_axis_sphere):
    scene, raw = on_axis_sphere
    expected, closest = _analytic_sphere_depth(raw.camera, np.zeros(3), 1.5)
    inside = closest < 0.9
    assert inside.sum() > 500
    np.testing.assert_allclose(raw.depth[inside], expected[inside], rtol=1e-3)
    assert np.all(np.isinf(raw.depth[closest > 1.05]))


def test_pixels_mirrored_about_image_centre_have_identical_depth(on_axis_sphere):
    # The ico-sphere has 180-degree symmetry about the camera axis (world Y). The rasterizer's
    # fixed-point edge tests can give a silhouette pixel the neighbouring triangle (depth off by
    # ~1e-5 relative); a principal point off by half a pixel breaks the symmetry by > 1e-3.
    _, raw = on_axis_sphere
    mirrored = raw.depth[::-1, ::-1]
    hit = np.isfinite(raw.depth)
    assert np.array_equal(hit, np.isfinite(mirrored))
    relative = np.abs(raw.depth[hit] - mirrored[hit]) / raw.depth[hit]
    assert relative.max() < 1e-4
    assert np.mean(relative < 1e-6) > 0.95
    assert raw.depth[31, 31] == raw.depth[32, 32] == raw.depth[31, 32] == raw.depth[32, 31]
    # the same test catches a half-pixel principal-point error
    shifted = dataclasses.replace(
        raw.camera, K=raw.camera.K + [[0, 0, 0.5], [0, 0, 0.5], [0, 0, 0]]
    )
    expected, _ = _analytic_sphere_depth(shifted, np.zeros(3), 1.5)
    both = np.isfinite(expected) & np.isfinite(expected[::-1, ::-1])
    assert np.max(np.abs(expected - expected[::-1, ::-1])[both] / expected[both]) > 1e-3


def test_smooth_sphere_normals_point_out_of_the_sphere(on_axis_sphere):
    _, raw = on_axis_sphere
    hit = np.isfinite(raw.depth)
    rays = _rays(raw.camera)[hit] * raw.depth[hit][:, None]  # camera-frame points
    camera_to_world = raw.camera.camera_to_world
    points_world = rays @ camera_to_world[:3, :3].T + camera_to_world[:3, 3]
    expected = points_world / np.linalg.norm(points_world, axis=1, keepdims=True)
    normals = raw.normals[hit]
    np.testing.assert_allclose(np.linalg.norm(normals, axis=1), 1.0, atol=1e-5)
    cosine = np.einsum("pi,pi->p", normals, expected)
    assert cosine.min() > np.cos(np.radians(1.0))
    assert np.all(raw.normals[~hit] == 0)


def test_ids_are_exact_and_background_is_zero():
    camera = kb.PerspectiveCamera(
        focal_length=35, sensor_width=32, position=(0, -12, 2), look_at=(0, 0, 0)
    )
    spheres = [
        kb.Sphere(name=f"s{i}", position=(x, y, 0), scale=(0.8,) * 3)
        for i, (x, y) in enumerate([(-2.2, 0), (0, 2), (2.2, -1)])
    ]
    scene = _scene(48, 48, camera, *spheres)
    raw = Raster(scene).render_raw()
    ids = {scene.assets.index(s) + 1: s for s in spheres}
    assert set(np.unique(raw.instance_ids)) == {0} | set(ids)
    assert raw.instance_ids.dtype == np.uint16
    depths, closest = {}, {}
    for instance_id, sphere in ids.items():
        depths[instance_id], closest[instance_id] = _analytic_sphere_depth(
            raw.camera, np.array(sphere.position), 0.8
        )
    stacked = np.stack([depths[i] for i in ids])
    front = np.array(list(ids))[np.argmin(stacked, axis=0)]
    inside = np.any(np.stack([closest[i] < 0.95 for i in ids]), axis=0)
    outside = np.all(np.stack([closest[i] > 1.05 for i in ids]), axis=0)
    # interior pixels: the front-most analytic sphere; clear misses: background
    np.testing.assert_array_equal(raw.instance_ids[inside], front[inside])
    assert np.all(raw.instance_ids[outside] == 0)
    assert np.all(np.isinf(raw.depth[raw.instance_ids == 0]))
    assert np.all(np.isfinite(raw.depth[raw.instance_ids > 0]))


def test_perspective_intrinsics_follow_blender_formula_and_projection():
    camera = kb.PerspectiveCamera(
        focal_length=35, sensor_width=32, position=(0, -10, 0), look_at=(0, 0, 0)
    )
    ball = kb.Sphere(name="ball", position=(1.5, 0, -1.0), scale=(0.6,) * 3)
    scene = _scene(64, 48, camera, ball)
    raw = Raster(scene).render_raw()
    f = 35 / 32 * 64
    np.testing.assert_allclose(raw.camera.K, [[f, 0, 32], [0, f, 24], [0, 0, 1]])
    np.testing.assert_allclose(intrinsics(camera, 64, 48), raw.camera.K)
    # Blender camera looks along -Z: world +Z (up) is image up, i.e. OpenCV -Y
    np.testing.assert_allclose(raw.camera.world_to_camera[1, :3], [0, 0, -1], atol=1e-6)
    # off-axis sphere: the rendered silhouette is the analytic one through K and the pose
    _, closest = _analytic_sphere_depth(raw.camera, np.array(ball.position), 0.6)
    mask = raw.instance_ids == scene.assets.index(ball) + 1
    assert mask[closest < 0.95].all() and not mask[closest > 1.05].any()
    assert mask.sum() > 50


@pytest.mark.parametrize("width,height", [(64, 32), (32, 64)])
def test_orthographic_scale_spans_the_larger_side(width, height):
    camera = kb.OrthographicCamera(orthographic_scale=4.0, position=(0, 0, 10), look_at=(0, 0, 0))
    cube = kb.Cube(name="box", position=(0, 0, 0), scale=(0.5, 0.5, 0.5))  # 1 m wide
    scene = _scene(width, height, camera, cube)
    raw = Raster(scene).render_raw()
    pixels_per_metre = max(width, height) / 4.0
    assert raw.camera.orthographic
    np.testing.assert_allclose(raw.camera.K[[0, 1], [0, 1]], pixels_per_metre)
    mask = raw.instance_ids == scene.assets.index(cube) + 1
    rows, cols = np.nonzero(mask)
    assert cols.max() - cols.min() + 1 == pixels_per_metre
    assert rows.max() - rows.min() + 1 == pixels_per_metre
    assert (cols.min() + cols.max() + 1) / 2 == width / 2  # centred on the principal point
    np.testing.assert_allclose(raw.depth[mask], 9.5, rtol=1e-6)  # top face at z = 0.5
    np.testing.assert_allclose(raw.normals[mask], np.tile([0, 0, 1.0], (mask.sum(), 1)), atol=1e-6)
    # object coordinates: the top face is z = 1 of the box; x, y span (0, 1) at pixel centres
    coords = raw.object_coordinates[mask]
    np.testing.assert_allclose(coords[:, 2], 1.0, atol=1e-6)
    half_pixel = 0.5 / pixels_per_metre
    np.testing.assert_allclose(coords[:, :2].min(axis=0), half_pixel, atol=1e-6)
    np.testing.assert_allclose(coords[:, :2].max(axis=0), 1 - half_pixel, atol=1e-6)


def test_instances_carry_world_geometry_and_category():
    camera = kb.PerspectiveCamera(position=(0, -8, 3), look_at=(0, 0, 0))
    cube = kb.Cube(
        name="box",
        position=(1, 2, 0.5),
        scale=(0.5, 1.0, 0.25),
        quaternion=kb.Quaternion(axis=[0, 0, 1], degrees=90),
    )
    cube.metadata["category"] = "crate"
    sphere = kb.Sphere(name="ball", position=(0, 0, 0))
    sphere.metadata["category"] = None  # unlabelled distractor
    scene = _scene(32, 32, camera, cube, sphere)
    raw = Raster(scene).render_raw()
    by_uid = {inst.uid: inst for inst in raw.instances}
    box = by_uid[cube.uid]
    assert box.category == "crate" and by_uid[sphere.uid].category is None
    assert box.instance_id == scene.assets.index(cube) + 1
    # rotated 90 deg about Z: the box's x extent (0.5) now lies along world y
    np.testing.assert_allclose(box.vertices_world.min(axis=0), [0.0, 1.5, 0.25], atol=1e-6)
    np.testing.assert_allclose(box.vertices_world.max(axis=0), [2.0, 2.5, 0.75], atol=1e-6)
    assert box.faces.shape == (12, 3)


def test_keyframed_position_is_rendered_at_the_requested_frame():
    camera = kb.OrthographicCamera(
        orthographic_scale=8.0, position=(0, -10, 0), look_at=(0, 0, 0)
    )  # image x = world x
    cube = kb.Cube(name="box", position=(-2, 0, 0), scale=(0.5,) * 3)
    scene = _scene(32, 32, camera, cube)
    scene.frame_start, scene.frame_end = 1, 2
    cube.keyframe_insert("position", 1)
    cube.position = (2, 0, 0)
    cube.keyframe_insert("position", 2)
    layers = Raster(scene).render(return_layers=("segmentation", "z"))
    assert layers["segmentation"].shape == (2, 32, 32, 1)
    cols = [np.nonzero(layers["segmentation"][f, ..., 0])[1] for f in range(2)]
    assert cols[0].mean() + 0.5 == pytest.approx(16 - 2 * 4)  # 4 px per metre
    assert cols[1].mean() + 0.5 == pytest.approx(16 + 2 * 4)


def test_open_mesh_file_is_labelled_from_both_sides(tmp_path):
    # a 2 x 2 m quad at z = 0 in file coordinates (files are read as +Z up, like renderer.blender)
    quad = tmp_path / "quad.obj"
    quad.write_text("v -1 -1 0\nv 1 -1 0\nv 1 1 0\nv -1 1 0\nf 1 2 3\nf 1 3 4\n")
    for height, normal_z in ((5.0, 1.0), (-5.0, -1.0)):
        camera = kb.OrthographicCamera(
            orthographic_scale=4.0, position=(0, 0, height), look_at=(0, 0, 0), up="Y"
        )
        obj = kb.FileBasedObject(name="quad", render_filename=str(quad), asset_id="quad")
        scene = _scene(16, 16, camera, obj)
        raw = Raster(scene).render_raw()
        mask = raw.instance_ids > 0
        assert mask.sum() == 8 * 8
        np.testing.assert_allclose(raw.depth[mask], 5.0, rtol=1e-6)
        np.testing.assert_allclose(raw.normals[mask][:, 2], normal_z, atol=1e-6)
        assert raw.instances[0].category == "quad"


def test_kubric_layers_match_the_raw_passes(on_axis_sphere):
    scene, raw = on_axis_sphere
    view = scene.views[0]
    layers = view.render_still(return_layers=("rgba", "segmentation", "z", "depth", "normal"))
    np.testing.assert_array_equal(layers["segmentation"][..., 0], raw.instance_ids)
    hit = np.isfinite(raw.depth)
    np.testing.assert_array_equal(layers["z"][..., 0][hit], raw.depth[hit])
    assert np.all(layers["z"][..., 0][~hit] == 1e10)  # Kubric's background depth
    assert np.all(layers["depth"][..., 0][hit] >= raw.depth[hit])  # ray length >= planar z
    assert layers["normal"].dtype == np.uint16
    assert layers["rgba"][hit].mean() > layers["rgba"][~hit][..., :3].mean()
    with pytest.raises(ValueError, match="forward_flow"):
        view.render_still(return_layers=("forward_flow",))


def test_unavailable_opengl_platform_gives_one_clear_message():
    code = textwrap.dedent("""
        import kubric as kb
        from renderer.raster import Raster, OpenGLUnavailableError
        scene = kb.Scene(resolution=(8, 8))
        scene += kb.PerspectiveCamera()
        try:
            Raster(scene)
        except OpenGLUnavailableError as error:
            print("MESSAGE:", error)
    """)
    env = dict(os.environ, PYOPENGL_PLATFORM="no-such-platform")
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "MESSAGE:" in result.stdout, result.stderr[-2000:]
    for option in ("egl", "osmesa", "libosmesa6", "libegl1", "PYOPENGL_PLATFORM"):
        assert option in result.stdout
