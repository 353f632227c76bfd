"""Projecting meshes into the image and rasterizing them at pixel centres (pure numpy).

Conventions are those of :mod:`labels.passes`: camera frame OpenCV (+Z forward, metres), pixel
(row r, column c) covers ``[c, c+1) x [r, r+1)`` with its centre at ``(c + 0.5, r + 0.5)``.

Geometry behind the camera: triangles are clipped against the near plane ``Z = near`` in the
camera frame before projection (Sutherland-Hodgman against one plane), so the part of an object
in front of the camera projects exactly and the part behind it is dropped.
"""

from __future__ import annotations

import numpy as np

from labels.passes import CameraModel

#: Default near plane in metres for clipping geometry that reaches behind the camera.
DEFAULT_NEAR = 1e-3

#: Upper bound on (triangle, row) pairs rasterized at once, to bound memory.
_ROWS_PER_CHUNK = 1_000_000


def transform_points(transform: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply a 4x4 homogeneous ``transform`` to (N, 3) ``points``; returns (N, 3) float64."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    transform = np.asarray(transform, dtype=np.float64)
    return points @ transform[:3, :3].T + transform[:3, 3]


def project_points(camera: CameraModel, points_camera: np.ndarray) -> np.ndarray:
    """Project (N, 3) camera-frame points to continuous pixel coordinates (N, 2) ``(u, v)``.

    Pinhole: ``(u, v, 1) ~ K (X/Z, Y/Z, 1)``; orthographic: ``(u, v, 1) = K (X, Y, 1)``.
    Points must have ``Z > 0`` for a pinhole camera (clip first).
    """
    points_camera = np.asarray(points_camera, dtype=np.float64).reshape(-1, 3)
    if camera.orthographic:
        plane = np.column_stack([points_camera[:, :2], np.ones(len(points_camera))])
    else:
        plane = points_camera / points_camera[:, 2:3]
    return (plane @ np.asarray(camera.K, dtype=np.float64).T)[:, :2]


def clip_triangles_near(triangles: np.ndarray, near: float = DEFAULT_NEAR) -> np.ndarray:
    """Clip camera-frame triangles (T, 3, 3) to the half-space ``Z >= near``.

    Triangles fully in front are kept, fully behind are dropped, and the others are cut into
    one or two triangles. Returns (T', 3, 3) float64.
    """
    triangles = np.asarray(triangles, dtype=np.float64).reshape(-1, 3, 3)
    in_front = triangles[:, :, 2] >= near
    count = in_front.sum(axis=1)
    kept = [triangles[count == 3]]
    for triangle, front in zip(
        triangles[(count == 1) | (count == 2)], in_front[(count == 1) | (count == 2)]
    ):
        polygon = _clip_polygon_near(triangle, front, near)
        kept.extend(
            np.stack([polygon[0], polygon[i], polygon[i + 1]])[None]
            for i in range(1, len(polygon) - 1)
        )
    return np.concatenate(kept, axis=0) if kept else np.zeros((0, 3, 3))


def _clip_polygon_near(polygon: np.ndarray, in_front: np.ndarray, near: float) -> np.ndarray:
    """Sutherland-Hodgman step of one convex polygon against ``Z >= near``."""
    output = []
    for i in range(len(polygon)):
        current, following = polygon[i], polygon[(i + 1) % len(polygon)]
        current_in, following_in = in_front[i], in_front[(i + 1) % len(polygon)]
        if current_in:
            output.append(current)
        if current_in != following_in:
            t = (near - current[2]) / (following[2] - current[2])
            output.append(current + t * (following - current))
    return np.array(output)


def project_mesh(
    camera: CameraModel, vertices_world: np.ndarray, faces: np.ndarray, near: float = DEFAULT_NEAR
) -> tuple[np.ndarray, bool]:
    """Project a world-frame triangle mesh into the image.

    Returns ``(triangles_2d, clipped)``: (T, 3, 2) continuous pixel coordinates of the triangles
    after near-plane clipping, and whether any geometry lay behind the near plane.
    """
    vertices_camera = transform_points(camera.world_to_camera, vertices_world)
    faces = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
    triangles = vertices_camera[faces]
    clipped_triangles = clip_triangles_near(triangles, near)
    clipped = bool(len(faces)) and bool(np.any(triangles[:, :, 2] < near))
    points_2d = project_points(camera, clipped_triangles.reshape(-1, 3))
    return points_2d.reshape(-1, 3, 2), clipped


def rasterize_triangles(triangles_2d: np.ndarray, width: int, height: int) -> np.ndarray:
    """Mask (height, width) bool of pixels whose centre lies inside or on any triangle.

    Triangles are (T, 3, 2) continuous pixel coordinates ``(u, v)``; either winding is accepted;
    zero-area triangles cover nothing. Scanline rasterization in float64: for every row a
    triangle spans, the three edge half-planes cut the line ``v = row + 0.5`` to an interval of
    ``u``, and the pixel centres ``col + 0.5`` inside it are filled. Cost grows with the rows
    covered, not the pixels.
    """
    triangles = np.asarray(triangles_2d, dtype=np.float64).reshape(-1, 3, 2)
    a, b, c = triangles[:, 0], triangles[:, 1], triangles[:, 2]
    doubled_area = _cross(b - a, c - a)
    keep = np.abs(doubled_area) > 1e-12
    triangles, orientation = triangles[keep], np.sign(doubled_area[keep])
    row_min = np.clip(np.ceil(triangles[:, :, 1].min(axis=1) - 0.5), 0, height).astype(np.int64)
    row_max = np.clip(np.floor(triangles[:, :, 1].max(axis=1) - 0.5), -1, height - 1).astype(
        np.int64
    )
    rows_per_triangle = np.maximum(row_max - row_min + 1, 0)
    span_starts = np.zeros(height * (width + 1) + 1, dtype=np.int64)
    span_ends = np.zeros_like(span_starts)
    cumulative = np.cumsum(rows_per_triangle)
    first = 0
    while first < len(triangles):
        done = cumulative[first - 1] if first else 0
        last = max(
            int(np.searchsorted(cumulative, done + _ROWS_PER_CHUNK, side="right")), first + 1
        )
        chunk = np.arange(first, last)
        owner = np.repeat(chunk, rows_per_triangle[chunk])
        if len(owner):
            rows = (
                row_min[owner]
                + np.arange(len(owner))
                - np.repeat(
                    cumulative[chunk] - rows_per_triangle[chunk] - done, rows_per_triangle[chunk]
                )
            )
            col_lo, col_hi = _row_spans(triangles[owner], orientation[owner], rows + 0.5, width)
            filled = col_lo <= col_hi
            index = rows[filled] * (width + 1)
            span_starts += np.bincount(index + col_lo[filled], minlength=len(span_starts))
            span_ends += np.bincount(index + col_hi[filled] + 1, minlength=len(span_ends))
        first = last
    coverage = np.cumsum((span_starts - span_ends)[:-1].reshape(height, width + 1), axis=1)
    return coverage[:, :width] > 0


def _row_spans(
    corners: np.ndarray, orientation: np.ndarray, v: np.ndarray, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """First and last pixel column whose centre on line ``v`` is inside each triangle."""
    lower = np.full(len(v), -np.inf)
    upper = np.full(len(v), np.inf)
    for i in range(3):
        start, end = corners[:, i], corners[:, (i + 1) % 3]
        # Inside the edge: orientation * cross(end - start, (u, v) - start) >= 0, i.e.
        # slope * u + offset >= 0 with:
        slope = -orientation * (end[:, 1] - start[:, 1])
        offset = orientation * (
            (end[:, 0] - start[:, 0]) * (v - start[:, 1]) + (end[:, 1] - start[:, 1]) * start[:, 0]
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = -offset / slope
        lower = np.where(slope > 0, np.maximum(lower, bound), lower)
        upper = np.where(slope < 0, np.minimum(upper, bound), upper)
        upper = np.where((slope == 0) & (offset < 0), -np.inf, upper)  # line outside the edge
    col_lo = np.clip(np.ceil(lower - 0.5), 0, width).astype(np.int64)
    col_hi = np.clip(np.floor(upper - 0.5), -1, width - 1).astype(np.int64)
    return col_lo, col_hi


def _cross(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """z component of the 2-D cross product of row vectors."""
    return first[..., 0] * second[..., 1] - first[..., 1] * second[..., 0]


def pixel_ray_lengths(camera: CameraModel) -> np.ndarray:
    """(H, W) float32 factor turning planar z-depth into distance along the pixel-centre ray.

    Pinhole: ``|K^-1 (c + 0.5, r + 0.5, 1)|``; orthographic rays are parallel, the factor is 1.
    """
    if camera.orthographic:
        return np.ones((camera.height, camera.width), dtype=np.float32)
    cols, rows = np.meshgrid(np.arange(camera.width) + 0.5, np.arange(camera.height) + 0.5)
    pixels = np.stack([cols, rows, np.ones_like(cols)], axis=-1)
    directions = pixels @ np.linalg.inv(np.asarray(camera.K, dtype=np.float64)).T
    return np.linalg.norm(directions, axis=-1).astype(np.float32)
