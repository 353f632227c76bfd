"""The Blender 4.5 backend against analytic ground truth (small images, few samples)."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

import kubric as kb

from assets.meshes import MeshCache, read_render_ply
from renderer.blender import Blender, GpuUnavailableError
from renderer.demo import build_hello_scene

RES = 64


def project(point, camera) -> np.ndarray:
    """World point -> continuous pixel coordinates (u, v) with the labels.passes convention."""
    p = camera.world_to_camera @ np.append(point, 1.0)
    if camera.orthographic:
        return (camera.K @ np.array([p[0], p[1], 1.0]))[:2]
    return (camera.K @ (p[:3] / p[2]))[:2]


@pytest.fixture(scope="module")
def hello():
    scene = build_hello_scene((RES, RES))
    renderer = Blender(scene, samples_per_pixel=4, use_denoising=False)
    return scene, renderer, renderer.render_still(), renderer.render_raw()


def test_hello_world_outputs_have_kubric_keys_and_shapes(hello):
    _, _, frame, _ = hello
    expected = {
        "rgba": ((RES, RES, 4), np.uint8),
        "segmentation": ((RES, RES, 1), np.uint32),
        "depth": ((RES, RES, 1), np.float32),
        "normal": ((RES, RES, 3), np.uint16),
        "object_coordinates": ((RES, RES, 3), np.uint16),
        "forward_flow": ((RES, RES, 2), np.float32),
        "backward_flow": ((RES, RES, 2), np.float32),
    }
    assert set(frame) == set(expected)
    for key, (shape, dtype) in expected.items():
        assert frame[key].shape == shape and frame[key].dtype == dtype, key


def test_hello_world_has_two_ids_plus_background(hello):
    scene, _, frame, _ = hello
    ids = set(np.unique(frame["segmentation"]).tolist())
    floor, ball = (scene.assets.index(scene.assets[i]) + 1 for i in range(2))
    assert ids - {0} == {floor, ball} == {1, 2}


def test_depth_at_sphere_nearest_point_is_analytic(hello):
    scene, _, frame, raw = hello
    camera_position = np.array(scene.camera.position)
    centre, radius = np.array([0.0, 0.0, 1.0]), 1.0
    to_camera = camera_position - centre
    nearest = centre + radius * to_camera / np.linalg.norm(to_camera)
    u, v = project(nearest, raw.camera)
    col, row = int(u), int(v)
    expected = np.linalg.norm(camera_position - nearest)
    assert frame["depth"][row, col, 0] == pytest.approx(expected, rel=0.01)
    # the planar depth of RawPasses is the camera-frame z of that surface point
    z = (raw.camera.world_to_camera @ np.append(nearest, 1.0))[2]
    assert raw.depth[row, col] == pytest.approx(z, rel=0.01)


def test_floor_normal_points_up(hello):
    _, _, frame, raw = hello
    floor = raw.instance_ids == 1
    assert floor.sum() > 100
    assert np.allclose(raw.normals[floor], [0.0, 0.0, 1.0], atol=1e-3)
    decoded = frame["normal"].astype(np.float64) / 65535 * 2 - 1
    assert np.allclose(decoded[floor], [0.0, 0.0, 1.0], atol=1e-3)


def test_label_pass_samples_pixel_centres_exactly():
    """Orthographic view of a sphere: a pixel is 'sphere' iff its centre lies in the disc
    (up to the ico-sphere's tessellation, far below a pixel here)."""
    scene = kb.Scene(resolution=(RES, RES))
    renderer = Blender(scene, samples_per_pixel=1, use_denoising=False)
    scene += kb.Sphere(name="ball", scale=0.7, position=(0.13, -0.21, 0.0))
    scene += kb.OrthographicCamera(
        name="cam", position=(0, 0, 5), look_at=(0, 0, 0), orthographic_scale=2.0
    )
    raw = renderer.render_raw()
    u0, v0 = project(np.array([0.13, -0.21, 0.0]), raw.camera)
    radius_px = 0.7 * raw.camera.K[0, 0]
    cols, rows = np.meshgrid(np.arange(RES) + 0.5, np.arange(RES) + 0.5)
    distance = np.hypot(cols - u0, rows - v0)
    inside, outside = distance < radius_px - 0.02, distance > radius_px + 0.02
    assert (raw.instance_ids[inside] == 1).all()
    assert (raw.instance_ids[outside] == 0).all()
    undecided = RES * RES - inside.sum() - outside.sum()  # centres within 0.02 px of the rim
    assert undecided <= 0.1 * 2 * np.pi * radius_px
    # the off-centre disc matched pixel by pixel: the image is neither flipped nor transposed
    assert raw.instance_ids[int(v0), int(u0)] == 1


def test_off_centre_object_lands_where_it_projects():
    scene = kb.Scene(resolution=(RES, 48))
    renderer = Blender(scene, samples_per_pixel=1, use_denoising=False)
    corner = np.array([-1.0, 0.0, 0.6])  # left of and above the point the camera looks at
    scene += kb.Cube(name="box", scale=0.25, position=tuple(corner))
    scene += kb.PerspectiveCamera(name="cam", position=(0, -6, 0), look_at=(0, 0, 0))
    raw = renderer.render_raw()
    rows, cols = np.nonzero(raw.instance_ids == 1)
    u, v = project(corner, raw.camera)
    assert u < RES / 2 and v < 48 / 2  # world +Z is image-up, world +X image-right here
    assert abs(cols.mean() + 0.5 - u) < 1.0 and abs(rows.mean() + 0.5 - v) < 1.0
    assert raw.camera.K[0, 2] == RES / 2 and raw.camera.K[1, 2] == 24


@pytest.mark.parametrize("extension", [".obj", ".glb", ".ply", ".stl", "cache.ply"])
def test_file_based_objects_keep_their_file_coordinates(tmp_path, extension):
    box = trimesh.creation.box(extents=(0.4, 0.6, 0.2))
    box.apply_translation((0.1, 0.2, 0.3))  # an asymmetric placement reveals axis swaps
    if extension == "cache.ply":  # the mesh cache's layout: built without Blender's importer
        path = MeshCache(tmp_path).get("box", lambda: box, mass=1.0).render_path
        assert read_render_ply(path) is not None
    else:
        path = tmp_path / f"box{extension}"
        box.export(path)
    scene = kb.Scene(resolution=(32, 32))
    renderer = Blender(scene, samples_per_pixel=1, use_denoising=False)
    scene += kb.FileBasedObject(name="box", render_filename=str(path), position=(0, 0, 0))
    scene += kb.PerspectiveCamera(name="cam", position=(2, -2, 2), look_at=(0, 0, 0.3))
    raw = renderer.render_raw()
    (instance,) = raw.instances
    assert np.allclose(instance.vertices_world.min(0), box.bounds[0], atol=1e-5)
    assert np.allclose(instance.vertices_world.max(0), box.bounds[1], atol=1e-5)
    assert (raw.instance_ids == 1).sum() > 20


def test_all_light_types_and_flat_material_render():
    scene = kb.Scene(resolution=(32, 32))
    renderer = Blender(scene, samples_per_pixel=4, use_denoising=False)
    scene += kb.Cube(name="floor", scale=(3, 3, 0.1), position=(0, 0, -0.1))
    scene += kb.Sphere(
        name="flat",
        scale=0.3,
        position=(0.8, 0, 0.3),
        material=kb.FlatMaterial(color=kb.Color(0, 1, 0)),
    )
    scene += kb.PerspectiveCamera(name="cam", position=(0, -3, 3), look_at=(0, 0, 0))
    dark = renderer.render_still(return_layers=("rgba",))["rgba"][..., :3].astype(float)
    brightness = [dark.mean()]
    for light in (
        kb.DirectionalLight(position=(0, 0, 3), look_at=(0, 0, 0), intensity=2),
        kb.PointLight(position=(0, 0, 2), intensity=200),
        kb.SpotLight(position=(0, 0, 2), look_at=(0, 0, 0), intensity=300),
        kb.RectAreaLight(position=(0, 0, 2), look_at=(0, 0, 0), intensity=300, width=1, height=1),
    ):
        scene += light
        rgba = renderer.render_still(return_layers=("rgba",))["rgba"]
        brightness.append(rgba[..., :3].astype(float).mean())
        scene.remove(light)
    assert all(b > brightness[0] + 5 for b in brightness[1:]), brightness
    # the flat (emission) material shows its exact colour
    raw = renderer.render_raw()
    green = raw.rgba[raw.instance_ids == 2]
    assert np.median(green[:, 1]) >= 250 and np.median(green[:, 0]) <= 5


def test_keyframed_animation_moves_the_object():
    scene = kb.Scene(resolution=(32, 32), frame_start=1, frame_end=3)
    renderer = Blender(scene, samples_per_pixel=1, use_denoising=False)
    ball = kb.Sphere(name="ball", scale=0.3)
    scene += ball
    scene += kb.OrthographicCamera(
        name="cam", position=(0, -5, 0), look_at=(0, 0, 0), orthographic_scale=4.0
    )
    for frame, x in ((1, -1.0), (3, 1.0)):
        ball.position = (x, 0, 0)
        ball.keyframe_insert("position", frame)
    frames = renderer.render(return_layers=("segmentation", "rgba"))
    assert frames["segmentation"].shape == (3, 32, 32, 1)
    centroids = [np.nonzero(f[..., 0] == 1)[1].mean() for f in frames["segmentation"]]
    assert centroids[0] < 10 < 14 < centroids[1] < 18 < 22 < centroids[2]


def test_pybullet_simulation_drops_the_ball_onto_the_floor():
    scene = kb.Scene(resolution=(32, 32), frame_start=1, frame_end=12)
    renderer = Blender(scene, samples_per_pixel=1, use_denoising=False)
    from kubric.simulator.pybullet import PyBullet

    simulator = PyBullet(scene)
    scene += kb.Cube(name="floor", scale=(3, 3, 0.1), position=(0, 0, -0.1), static=True)
    ball = kb.Sphere(name="ball", scale=0.2, position=(0, 0, 1.0))
    scene += ball
    scene += kb.PerspectiveCamera(name="cam", position=(4, 0, 0.6), look_at=(0, 0, 0.6))
    simulator.run()
    first = renderer.render_raw(frame=1)
    last = renderer.render_raw(frame=12)
    top_row = [np.nonzero((r.instance_ids == 2).any(axis=1))[0].min() for r in (first, last)]
    assert top_row[1] > top_row[0] + 3  # the ball moved down the image
    (ball_geometry,) = [i for i in last.instances if i.uid == ball.uid]
    assert ball_geometry.vertices_world[:, 2].min() > -0.02  # not through the floor


def test_hdri_world_lights_the_background():
    from assets.hdri import resolve_hdri

    scene = kb.Scene(resolution=(32, 32))
    renderer = Blender(scene, samples_per_pixel=1, use_denoising=False)
    scene += kb.PerspectiveCamera(name="cam", position=(0, -3, 0.5), look_at=(0, 0, 0.5))
    black = renderer.render_still(return_layers=("rgba",))["rgba"]
    renderer.set_hdri(resolve_hdri("sunset"), rotation=(0, 0, 1.0))
    lit = renderer.render_still(return_layers=("rgba",))["rgba"]
    assert black[..., :3].max() == 0 and lit[..., :3].mean() > 20


def test_device_choice_is_recorded_and_gpu_fails_clearly():
    scene = kb.Scene(resolution=(32, 32))
    renderer = Blender(scene, device="auto")
    info = renderer.render_info()
    assert info["device"]["backend"] in ("OPTIX", "CUDA", "CPU") and info["device"]["names"]
    if info["device"]["backend"] == "CPU":
        with pytest.raises(GpuUnavailableError, match="device='gpu'.*device='auto'"):
            Blender(kb.Scene(resolution=(32, 32)), device="gpu")


def test_save_state_writes_a_blend_file_atomically(hello, tmp_path):
    _, renderer, _, _ = hello
    target = renderer.save_state(tmp_path / "sub" / "scene.blend")
    assert target.read_bytes()[:7] == b"BLENDER" or target.stat().st_size > 1000
    assert [p.name for p in target.parent.iterdir()] == ["scene.blend"]


def test_missing_mesh_file_names_the_path(tmp_path):
    scene = kb.Scene(resolution=(32, 32))
    Blender(scene)
    missing = tmp_path / "nope.obj"
    with pytest.raises(FileNotFoundError, match="nope.obj.*does not exist"):
        scene += kb.FileBasedObject(name="x", render_filename=str(missing))


def test_unsupported_mesh_extension_lists_the_accepted_ones(tmp_path):
    scene = kb.Scene(resolution=(32, 32))
    Blender(scene)
    odd = tmp_path / "mesh.xyz"
    odd.write_text("not a mesh")
    with pytest.raises(ValueError, match=r"mesh.xyz.*'\.xyz'.*\.obj, \.glb, \.gltf, \.ply, \.stl"):
        scene += kb.FileBasedObject(name="x", render_filename=str(odd))


@pytest.mark.parametrize("resolution", [(0, 64), (64, -1), (32.5, 32)])
def test_invalid_resolution_says_what_is_accepted(resolution):
    scene = kb.Scene(resolution=(32, 32))
    renderer = Blender(scene)
    scene += kb.PerspectiveCamera(name="cam", position=(0, -3, 0), look_at=(0, 0, 0))
    with pytest.raises((ValueError, Exception), match="two positive integers|expected an int"):
        scene.resolution = resolution
        renderer.render_still()


@pytest.mark.parametrize("resolution", [(32, 64), (64, 32)])
def test_camera_shift_moves_the_principal_point_as_rendered(resolution):
    scene = kb.Scene(resolution=resolution)
    renderer = Blender(scene, samples_per_pixel=1, use_denoising=False)
    scene += kb.Sphere(name="dot", scale=0.1, position=(0, 0, 0))
    scene += kb.PerspectiveCamera(
        name="cam", position=(0, -5, 0), look_at=(0, 0, 0), shift_x=0.1, shift_y=-0.15
    )
    raw = renderer.render_raw()
    rows, cols = np.nonzero(raw.instance_ids == 1)
    u, v = project(np.zeros(3), raw.camera)
    assert abs(cols.mean() + 0.5 - u) < 0.5 and abs(rows.mean() + 0.5 - v) < 0.5
