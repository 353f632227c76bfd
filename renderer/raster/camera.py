"""Kubric cameras -> the CameraModel contract (labels/passes.py) and pyrender cameras.

Intrinsics are exactly the Blender view's:

* ``kb.PerspectiveCamera`` (Blender ``sensor_fit = HORIZONTAL``, square pixels):
  ``fx = fy = focal_length / sensor_width * width`` pixels; principal point at the image centre
  ``(width / 2, height / 2)`` in the pixel-centre convention (pixel (0, 0) centre at (0.5, 0.5)),
  moved by Blender's ``shift_x``/``shift_y`` (fractions of the sensor width):
  ``cx = width / 2 - shift_x * width``, ``cy = height / 2 + shift_y * width``.
* ``kb.OrthographicCamera`` (Blender ``sensor_fit = AUTO``): ``orthographic_scale`` metres span
  the larger image side, so ``fx = fy = max(width, height) / orthographic_scale`` pixels per metre
  (for width >= height: the visible width is ``orthographic_scale``).

pyrender's OpenGL projection places window coordinate ``x`` = ``fx * X / Z + cx`` with pixel
centres at ``i + 0.5``, the same convention, so ``cx = width / 2`` needs no half-pixel shift.
Blender/pyrender cameras look along local -Z with +Y up; the OpenCV camera frame flips Y and Z.
"""

from __future__ import annotations

import functools

import numpy as np

import kubric as kb

from labels.passes import CameraModel
from scenes.geometry import pose_matrix

BLENDER_TO_OPENCV = np.diag([1.0, -1.0, -1.0, 1.0])


def intrinsics(
    camera: kb.Camera, width: int, height: int, values: dict | None = None
) -> np.ndarray:
    """3x3 K in pixels (see module docstring). ``values`` overrides camera traits (per frame)."""
    get = (lambda name: values[name]) if values else (lambda name: getattr(camera, name))
    if isinstance(camera, kb.PerspectiveCamera):
        focal = get("focal_length") / get("sensor_width") * width
        cx = width / 2.0 - get("shift_x") * width
        cy = height / 2.0 + get("shift_y") * width
    elif isinstance(camera, kb.OrthographicCamera):
        focal = max(width, height) / get("orthographic_scale")
        cx, cy = width / 2.0, height / 2.0
    else:
        raise TypeError(
            f"{type(camera).__name__}: the raster backend renders "
            "kb.PerspectiveCamera or kb.OrthographicCamera cameras"
        )
    return np.array([[focal, 0.0, cx], [0.0, focal, cy], [0.0, 0.0, 1.0]])


def rigid_inverse(transform: np.ndarray) -> np.ndarray:
    """Inverse of a 4x4 rotation + translation (no LAPACK call: cheap and exact)."""
    inverse = np.eye(4)
    inverse[:3, :3] = transform[:3, :3].T
    inverse[:3, 3] = -transform[:3, :3].T @ transform[:3, 3]
    return inverse


def pose_inverse(position, quaternion, scale) -> np.ndarray:
    """Inverse of :func:`pose_matrix`: world -> object frame, diag(1 / scale) @ R^T (p - t)."""
    rotation = pose_matrix((0.0, 0.0, 0.0), quaternion)[:3, :3]
    inverse = np.eye(4)
    inverse[:3, :3] = rotation.T / np.asarray(scale, float)[:, None]
    inverse[:3, 3] = -inverse[:3, :3] @ np.asarray(position, float)
    return inverse


def normal_matrix(quaternion, scale) -> np.ndarray:
    """3x3 matrix taking object-frame normals to the world frame: R @ diag(1 / scale)."""
    rotation = pose_matrix((0.0, 0.0, 0.0), quaternion)[:3, :3]
    return rotation / np.asarray(scale, float)[None, :]


def camera_model(
    camera: kb.Camera, width: int, height: int, blender_pose: np.ndarray, values: dict | None = None
) -> CameraModel:
    """CameraModel for ``camera`` whose Blender-convention camera-to-world is ``blender_pose``."""
    camera_to_world_cv = blender_pose @ BLENDER_TO_OPENCV
    return CameraModel(
        K=intrinsics(camera, width, height, values),
        world_to_camera=rigid_inverse(camera_to_world_cv),
        width=int(width),
        height=int(height),
        orthographic=isinstance(camera, kb.OrthographicCamera),
    )


def pyrender_camera(pyrender, model: CameraModel, znear: float, zfar: float):
    """A pyrender camera whose projection equals ``model.K`` for a ``width x height`` viewport."""
    fx, fy, cx, cy = model.K[0, 0], model.K[1, 1], model.K[0, 2], model.K[1, 2]
    if model.orthographic:
        camera = _orthographic_camera_class(pyrender)(xmag=1.0, ymag=1.0, znear=znear, zfar=zfar)
        camera.intrinsics = (fx, fy, cx, cy)
        return camera
    return pyrender.IntrinsicsCamera(fx=fx, fy=fy, cx=cx, cy=cy, znear=znear, zfar=zfar)


@functools.lru_cache(maxsize=None)
def _orthographic_camera_class(pyrender):
    """pyrender OrthographicCamera taking an explicit K (pyrender's own has no cx/cy)."""

    class IntrinsicsOrthographicCamera(pyrender.OrthographicCamera):
        intrinsics = (1.0, 1.0, 0.0, 0.0)

        def get_projection_matrix(self, width=None, height=None):
            fx, fy, cx, cy = self.intrinsics
            near, far = self.znear, self.zfar
            projection = np.zeros((4, 4))
            projection[0, 0] = 2.0 * fx / width
            projection[1, 1] = 2.0 * fy / height
            projection[0, 3] = 2.0 * cx / width - 1.0
            projection[1, 3] = 1.0 - 2.0 * cy / height
            projection[2, 2] = 2.0 / (near - far)
            projection[2, 3] = (far + near) / (near - far)
            projection[3, 3] = 1.0
            return projection

    return IntrinsicsOrthographicCamera
