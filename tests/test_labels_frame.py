"""Per-frame labels against closed-form ground truth (exact ray-cast spheres and boxes, no Blender)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from labels import analytic
from labels.analytic import Box, Sphere
from labels.boxes import box_contains, mask_box
from labels.frame import compute_frame_labels
from labels.geometry import clip_triangles_near, project_mesh, rasterize_triangles
from labels.passes import CameraModel

SIZE = 64
FOCAL = 60.0
DISTANCE = 5.0


def camera(
    eye=(0.0, -DISTANCE, 0.0),
    target=(0.0, 0.0, 0.0),
    width=SIZE,
    height=SIZE,
    focal=FOCAL,
    orthographic=False,
) -> CameraModel:
    return CameraModel(
        K=analytic.intrinsics(width, height, focal),
        world_to_camera=analytic.look_at(eye, target),
        width=width,
        height=height,
        orthographic=orthographic,
    )


def disc_radius_px(radius: float, distance: float = DISTANCE, focal: float = FOCAL) -> float:
    """Image radius of the silhouette of an on-axis sphere (tangent cone)."""
    return focal * radius / math.sqrt(distance**2 - radius**2)


def centres_inside_disc(rho: float, margin: float = 0.0) -> np.ndarray:
    cols, rows = np.meshgrid(np.arange(SIZE) + 0.5, np.arange(SIZE) + 0.5)
    return np.hypot(cols - SIZE / 2, rows - SIZE / 2) < rho + margin


def test_visible_mask_is_the_projected_disc_at_pixel_centres():
    frame = compute_frame_labels(analytic.render(camera(), [Sphere((0, 0, 0), 1.0)]))
    sphere = frame.instance(1)
    rho = disc_radius_px(1.0)
    # Pixel-centre sampling: every centre clearly inside the disc is in, every one clearly out is out.
    assert np.all(sphere.visible_mask[centres_inside_disc(rho, -1e-3)])
    assert not np.any(sphere.visible_mask[~centres_inside_disc(rho, 1e-3)])
    boundary_pixels = 2 * math.pi * rho
    assert abs(sphere.visible_pixels - math.pi * rho**2) < 0.5 * boundary_pixels
    # The amodal mask (rasterized icosphere) matches the disc too, and nothing occludes it.
    assert abs(sphere.amodal_pixels - math.pi * rho**2) < 0.5 * boundary_pixels
    assert sphere.visible_fraction == pytest.approx(sphere.visible_pixels / sphere.amodal_pixels)
    assert sphere.visible_fraction > 0.97
    assert not sphere.truncated


def test_box_convention_is_pixel_edges():
    mask = np.zeros((10, 10), dtype=bool)
    mask[2, 3:6] = True
    assert mask_box(mask) == (3, 2, 6, 3)
    assert mask_box(np.zeros((4, 4), dtype=bool)) is None


def test_tight_box_matches_disc_extent():
    frame = compute_frame_labels(analytic.render(camera(), [Sphere((0, 0, 0), 1.0)]))
    rho = disc_radius_px(1.0)
    x0, y0, x1, y1 = frame.instance(1).box
    # Column c is in the mask iff its centre c + 0.5 lies within rho of the centre (row 31/32).
    first = math.ceil(SIZE / 2 - rho - 0.5)
    assert (x0, y0, x1, y1) == (first, first, SIZE - first, SIZE - first)


def test_depth_and_ray_distance_at_known_points():
    frame = compute_frame_labels(
        analytic.render(camera(), [Sphere((0, 0, 0), 1.0)]), with_ray_distance=True
    )
    for row, col in [(31, 31), (32, 36), (28, 40)]:
        # Ray through the pixel centre, camera frame: direction (x, y, 1); sphere centre (0,0,d).
        x = (col + 0.5 - SIZE / 2) / FOCAL
        y = (row + 0.5 - SIZE / 2) / FOCAL
        a = x * x + y * y + 1
        t = (DISTANCE - math.sqrt(DISTANCE**2 - a * (DISTANCE**2 - 1.0))) / a
        assert frame.depth[row, col] == pytest.approx(t, rel=1e-3)
        assert frame.ray_distance[row, col] == pytest.approx(t * math.sqrt(a), rel=1e-3)
    assert np.isinf(frame.depth[0, 0]) and np.isinf(frame.ray_distance[0, 0])


def test_normals_are_in_the_opencv_camera_frame():
    frame = compute_frame_labels(analytic.render(camera(), [Sphere((0, 0, 0), 1.0)]))
    # Pixels left of / above the centre see surface facing left (-X) / up (-Y) and the camera (-Z).
    centre = frame.normals[31, 31]
    assert centre[2] < -0.99
    assert frame.normals[32, 20][0] < -0.5 and frame.normals[20, 32][1] < -0.5
    assert np.allclose(np.linalg.norm(frame.normals[frame.instance_map > 0], axis=-1), 1, atol=1e-5)
    assert np.all(frame.normals[frame.instance_map == 0] == 0)


def test_occluded_object_amodal_box_contains_tight_box():
    cam = camera()
    sphere = Sphere((0, 0, 0), 1.0)
    occluder = Box((0.6, -2.0, 0.0), (0.6, 0.6, 0.6))
    alone = compute_frame_labels(analytic.render(cam, [sphere])).instance(1)
    frame = compute_frame_labels(analytic.render(cam, [sphere, occluder]))
    hidden = frame.instance(1)
    assert 0.5 < hidden.visible_fraction < 0.95
    assert box_contains(hidden.amodal_box, hidden.box)
    assert hidden.box != hidden.amodal_box
    assert hidden.visible_fraction == pytest.approx(hidden.visible_pixels / hidden.amodal_pixels)
    # The amodal mask ignores occluders; the visible mask is the unoccluded one minus the box.
    assert np.array_equal(hidden.amodal_mask, alone.amodal_mask)
    occluder_mask = frame.instance(2).visible_mask
    assert np.array_equal(hidden.visible_mask, alone.visible_mask & ~occluder_mask)
    assert np.all(hidden.visible_mask <= hidden.amodal_mask)


def test_every_pixel_has_one_id_and_maps_agree():
    shapes = [
        Sphere((0, 0, 0), 1.0, category="ball"),
        Box((0.6, -2, 0), (0.6, 0.6, 0.6)),
        Sphere((1.5, 0.5, 0.4), 0.5, category="ball"),
    ]
    frame = compute_frame_labels(
        analytic.render(camera(), shapes), category_ids={"ball": 3, "box": 7}
    )
    stacked = np.stack([item.visible_mask for item in frame.instances]).sum(axis=0)
    assert np.array_equal(stacked, (frame.instance_map > 0).astype(int))
    expected_semantic = np.zeros_like(frame.semantic_map)
    for item in frame.instances:
        expected_semantic[item.visible_mask] = item.category_id
    assert np.array_equal(frame.semantic_map, expected_semantic)
    assert frame.instance_map.dtype == np.uint16 and frame.semantic_map.dtype == np.uint16
    assert {item.category_id for item in frame.instances} == {3, 7}


def test_unlabelled_distractor_occludes_but_gets_no_record():
    cam = camera()
    shapes = [Sphere((0, 0, 0), 1.0), Box((0.6, -2.0, 0.0), (0.6, 0.6, 0.6), category=None)]
    frame = compute_frame_labels(analytic.render(cam, shapes))
    assert [item.instance_id for item in frame.instances] == [1]
    assert not np.any(frame.instance_map == 2)
    assert frame.instance(1).visible_fraction < 0.95
    assert set(frame.categories) == {"sphere"}


def test_truncated_flag_and_amodal_extent():
    cam = camera()
    inside = Sphere((0, 0, 0), 0.5)
    cut = Sphere((2.6, 0, 0), 0.5)  # centre projects to u = 32 + 60 * 2.6 / 5 = 63.2
    frame = compute_frame_labels(analytic.render(cam, [inside, cut]))
    assert not frame.instance(1).truncated
    cut_labels = frame.instance(2)
    assert cut_labels.truncated
    assert cut_labels.amodal_extent[2] > SIZE  # unclipped extent leaves the image
    assert cut_labels.amodal_box[2] == SIZE  # the amodal box stops at the border
    assert box_contains(cut_labels.amodal_box, cut_labels.box)
    assert 0.3 < cut_labels.visible_fraction <= 1.0


def test_geometry_behind_the_camera_is_clipped_exactly():
    # A floor slab under and behind the camera: its mesh crosses the camera plane.
    cam = camera(eye=(0, -DISTANCE, 1.0), target=(0, 0, 0.6))
    floor = Box((0, 0, -0.05), (8, 20, 0.1), category="floor")
    raw = analytic.render(cam, [floor])
    triangles, behind = project_mesh(cam, raw.instances[0].vertices_world, raw.instances[0].faces)
    assert behind
    rasterized = rasterize_triangles(triangles, SIZE, SIZE)
    ray_cast = raw.instance_ids == 1
    assert rasterized.sum() > 200
    assert np.array_equal(rasterized, ray_cast)
    assert compute_frame_labels(raw).instance(1).truncated


def test_near_plane_clipping_keeps_only_the_front_part():
    triangle = np.array([[[0, 0, 2.0], [1, 0, 2.0], [0, 1, -2.0]]])
    clipped = clip_triangles_near(triangle, near=0.5)
    assert clipped.shape == (2, 3, 3)
    assert np.all(clipped[:, :, 2] >= 0.5 - 1e-12)
    one_in_front = clip_triangles_near(np.array([[[0, 0, 2.0], [1, 0, -2.0], [0, 1, -2.0]]]), 0.5)
    assert one_in_front.shape == (1, 3, 3)
    assert clip_triangles_near(-triangle, near=10).shape == (0, 3, 3)


@pytest.mark.parametrize("eye", [(3.0, -4.0, 2.5), (-2.0, -3.0, -1.5)])
def test_rasterized_box_equals_ray_cast_box(eye):
    cam = camera(eye=eye, target=(0.2, 0.1, 0.0))
    raw = analytic.render(cam, [Box((0.2, 0.1, 0.0), (1.5, 1.0, 0.7))])
    triangles, _ = project_mesh(cam, raw.instances[0].vertices_world, raw.instances[0].faces)
    assert np.array_equal(rasterize_triangles(triangles, SIZE, SIZE), raw.instance_ids == 1)


def test_orthographic_sphere_projects_to_radius_f_times_r():
    focal = 20.0  # pixels per metre
    cam = camera(focal=focal, orthographic=True)
    frame = compute_frame_labels(
        analytic.render(cam, [Sphere((0, 0, 0), 1.0)]), with_ray_distance=True
    )
    rho = focal * 1.0
    assert abs(frame.instance(1).visible_pixels - math.pi * rho**2) < math.pi * rho
    assert frame.depth[31, 31] == pytest.approx(DISTANCE - 1.0, rel=1e-3)
    assert np.array_equal(frame.ray_distance, frame.depth)


def test_3d_box_corners_in_world_and_camera_frames():
    cam = camera()
    raw = analytic.render(cam, [Box((0.3, 0.2, 0.1), (1.0, 0.6, 0.4))])
    rotation = np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1]], dtype=float)  # 90 deg about +Z
    geometry = raw.instances[0]
    geometry.object_to_world = geometry.object_to_world.copy()
    geometry.object_to_world[:3, :3] = rotation
    item = compute_frame_labels(raw).instance(1)
    corners = item.box3d_world
    assert corners.shape == (8, 3)
    assert np.allclose(corners.min(axis=0), [-0.2, -0.1, -0.1])
    assert np.allclose(corners.max(axis=0), [0.8, 0.5, 0.3])
    # Corner 0 is (min, min, min) in the object frame, which is rotated 90 degrees about +Z.
    local = (np.linalg.inv(geometry.object_to_world) @ np.append(corners[7], 1))[:3]
    assert np.allclose(local, [0.3, 0.5, 0.2])
    homogeneous = np.column_stack([corners, np.ones(8)])
    assert np.allclose(item.box3d_camera, (cam.world_to_camera @ homogeneous.T).T[:, :3])
    assert np.allclose(item.object_to_camera, cam.world_to_camera @ geometry.object_to_world)
    # The projected 3-D box encloses the amodal extent.
    u = FOCAL * item.box3d_camera[:, 0] / item.box3d_camera[:, 2] + SIZE / 2
    assert u.min() <= item.amodal_extent[0] + 1e-9 and u.max() >= item.amodal_extent[2] - 1e-9


def test_instance_fully_hidden_or_out_of_view():
    cam = camera()
    shapes = [Sphere((0, 0, 0), 1.0), Sphere((0, 3, 0), 0.3), Sphere((0, 0, 20), 0.3)]
    frame = compute_frame_labels(analytic.render(cam, shapes))
    hidden, outside = frame.instance(2), frame.instance(3)
    assert hidden.visible_pixels == 0 and hidden.box is None and hidden.amodal_pixels > 0
    assert hidden.visible_fraction == 0.0 and not hidden.truncated
    assert outside.amodal_pixels == 0 and outside.amodal_box is None and outside.truncated
