"""Camera intrinsics and extrinsics of a Blender camera, in the conventions of labels.passes.

Blender cameras look along their local -Z with +Y up; the returned ``world_to_camera`` maps to the
OpenCV camera frame (+X right, +Y down, +Z forward). Intrinsics use the pixel-centre convention:
pixel (0, 0) is top-left and its centre is at (0.5, 0.5), so an unshifted camera has its principal
point at (width / 2, height / 2). Square pixels (pixel aspect 1) are assumed.
"""

from __future__ import annotations

import bpy
import numpy as np

from labels.passes import CameraModel

BLENDER_TO_OPENCV = np.diag([1.0, -1.0, -1.0, 1.0])


def _fit_pixels(camera: "bpy.types.Camera", width: int, height: int) -> tuple[float, str]:
    """The image extent (pixels) the sensor / ortho scale spans, and along which axis."""
    fit = camera.sensor_fit
    if fit == "AUTO":
        fit = "HORIZONTAL" if width >= height else "VERTICAL"
    return (float(width), fit) if fit == "HORIZONTAL" else (float(height), fit)


def intrinsics(camera: "bpy.types.Camera", width: int, height: int) -> np.ndarray:
    """3x3 K in pixels. Perspective: ``f_px = lens_mm / sensor_mm * fit_px``; orthographic:
    ``f_px = fit_px / ortho_scale`` (pixels per metre, applied without division by depth)."""
    fit_px, fit = _fit_pixels(camera, width, height)
    if camera.type == "ORTHO":
        focal = fit_px / camera.ortho_scale
    else:
        sensor = (
            camera.sensor_width
            if (fit == "HORIZONTAL" or camera.sensor_fit == "AUTO")
            else camera.sensor_height
        )
        focal = camera.lens / sensor * fit_px
    # shift is measured in units of the fitted image dimension (checked against renders)
    cx = width / 2.0 - camera.shift_x * fit_px
    cy = height / 2.0 + camera.shift_y * fit_px
    return np.array([[focal, 0.0, cx], [0.0, focal, cy], [0.0, 0.0, 1.0]])


def camera_model(scene: "bpy.types.Scene") -> CameraModel:
    """CameraModel of ``scene.camera`` at the scene's current frame."""
    camera_object = scene.camera
    width, height = scene.render.resolution_x, scene.render.resolution_y
    camera_to_world = np.array(camera_object.matrix_world, dtype=np.float64) @ BLENDER_TO_OPENCV
    return CameraModel(
        K=intrinsics(camera_object.data, width, height),
        world_to_camera=np.linalg.inv(camera_to_world),
        width=width,
        height=height,
        orthographic=camera_object.data.type == "ORTHO",
    )
