"""Labels of scenes rendered by the real backends (Blender/Cycles and the pyrender raster),
against analytic ground truth. Small images (64 px), one sample: label passes sample pixel centres.
"""

from __future__ import annotations

import contextlib
import io
import math

import numpy as np
import pytest

kb = pytest.importorskip("kubric")
blender = pytest.importorskip("renderer.blender")

from labels.boxes import box_contains  # noqa: E402
from labels.coco import write_coco  # noqa: E402
from labels.frame import compute_frame_labels  # noqa: E402
from labels.native import read_frame_arrays, write_frame  # noqa: E402

RES = 64
DISTANCE = 6.0
RADIUS = 1.0


BACKENDS = ["cycles", "raster"]


def make_view(backend: str, scene):
    if backend == "cycles":
        return blender.Blender(scene, samples_per_pixel=1, use_denoising=False)
    raster = pytest.importorskip("renderer.raster")
    try:
        return raster.Raster(scene)
    except raster.OpenGLUnavailableError as error:
        pytest.skip(f"no OpenGL context for the raster backend: {error}")


def render(objects, backend: str = "cycles", resolution=(RES, RES)):
    """Render ``objects`` (Kubric assets) seen from (0, -DISTANCE, 0) towards the origin."""
    scene = kb.Scene(resolution=resolution)
    renderer = make_view(backend, scene)
    for asset in objects:
        scene += asset
    scene += kb.PerspectiveCamera(name="cam", position=(0, -DISTANCE, 0), look_at=(0, 0, 0))
    scene += kb.DirectionalLight(name="sun", position=(1, -3, 3), look_at=(0, 0, 0))
    return renderer.render_raw()


def ball(scale: float = RADIUS):
    return kb.Sphere(name="ball", scale=scale, position=(0, 0, 0))


@pytest.fixture(scope="module", params=BACKENDS)
def occluded(request):
    """The ball partly hidden by a cube, and the same ball alone."""
    cube = kb.Cube(name="cube", scale=0.35, position=(0.8, -2.5, 0.0))  # hides the right rim
    hidden = compute_frame_labels(render([ball(), cube], request.param), with_ray_distance=True)
    alone = compute_frame_labels(render([ball()], request.param), with_ray_distance=True)
    return hidden, alone


def test_sphere_visible_area_is_the_projected_disc(occluded):
    _, alone = occluded
    sphere = alone.instance(1)
    focal = alone.camera.K[0, 0]
    rho = focal * RADIUS / math.sqrt(DISTANCE**2 - RADIUS**2)
    boundary = 2 * math.pi * rho
    assert abs(sphere.visible_pixels - math.pi * rho**2) <= 0.5 * boundary
    cols, rows = np.meshgrid(np.arange(RES) + 0.5, np.arange(RES) + 0.5)
    distance = np.hypot(cols - alone.camera.K[0, 2], rows - alone.camera.K[1, 2])
    assert sphere.visible_mask[distance < rho - 0.3].all()
    assert not sphere.visible_mask[distance > rho + 0.3].any()
    assert not sphere.truncated and sphere.visible_fraction > 0.97


def test_depth_at_known_points_within_a_tenth_of_a_percent(occluded):
    _, alone = occluded
    K = alone.camera.K
    checked = 0
    for row, col in [(31, 31), (32, 32), (30, 36), (35, 27), (24, 33)]:
        # Pixel-centre ray in the camera frame (x, y, 1) against the sphere centred at z = d.
        x = (col + 0.5 - K[0, 2]) / K[0, 0]
        y = (row + 0.5 - K[1, 2]) / K[1, 1]
        a = x * x + y * y + 1
        discriminant = DISTANCE**2 - a * (DISTANCE**2 - RADIUS**2)
        assert discriminant > 0
        t = (DISTANCE - math.sqrt(discriminant)) / a  # = planar depth z
        # Cycles intersects the 5-times subdivided ico-sphere: faces sit up to ~2e-4 r inside.
        assert alone.depth[row, col] == pytest.approx(t, rel=1e-3)
        assert alone.ray_distance[row, col] == pytest.approx(t * math.sqrt(a), rel=1e-3)
        checked += 1
    assert checked == 5
    assert np.isinf(alone.depth[0, 0])


def test_occluded_sphere_amodal_box_contains_tight_box(occluded):
    hidden, alone = occluded
    sphere = hidden.instance(1)
    assert 0.4 < sphere.visible_fraction < 0.95
    assert box_contains(sphere.amodal_box, sphere.box) and sphere.box != sphere.amodal_box
    assert sphere.visible_fraction == pytest.approx(sphere.visible_pixels / sphere.amodal_pixels)
    # The rasterized amodal mask of the occluded sphere matches what Cycles sees of it alone.
    disagreement = (sphere.amodal_mask != alone.instance(1).visible_mask).sum()
    assert disagreement <= 2
    cube = hidden.instance(2)
    assert np.array_equal(sphere.visible_mask, alone.instance(1).visible_mask & ~cube.visible_mask)
    assert hidden.categories == {"cube": 1, "sphere": 2}
    assert np.array_equal(hidden.semantic_map > 0, hidden.instance_map > 0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_object_cut_by_the_border_is_truncated(backend):
    cut = kb.Sphere(name="cut", scale=0.6, position=(2.6, 0, 0))  # centre projects near u = 64
    frame = compute_frame_labels(render([ball(scale=0.5), cut], backend))
    assert not frame.instance(1).truncated
    edge = frame.instance(2)
    assert edge.truncated and edge.box[2] == RES and edge.amodal_extent[2] > RES
    assert box_contains(edge.amodal_box, edge.box)


def test_rendered_frame_round_trips_through_coco(occluded, tmp_path):
    from pycocotools.coco import COCO

    hidden, _ = occluded
    write_frame(tmp_path, "000000", hidden, {"seed": 0, "spec_hash": "test"})
    write_coco([tmp_path], tmp_path / "coco.json")
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(str(tmp_path / "coco.json"))
    instance_map = read_frame_arrays(tmp_path, "000000")["instance"]
    annotations = coco.loadAnns(coco.getAnnIds())
    assert len(annotations) == 2
    for annotation in annotations:
        assert np.array_equal(
            coco.annToMask(annotation).astype(bool), instance_map == annotation["instance_map_id"]
        )
