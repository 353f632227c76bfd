"""2-D boxes from masks and projected geometry, 3-D boxes from meshes.

2-D box convention (every box in this package): **pixel-edge coordinates, xyxy**. A mask whose
pixels span columns ``c0..c1`` and rows ``r0..r1`` (inclusive) has the box
``(x0, y0, x1, y1) = (c0, r0, c1 + 1, r1 + 1)``: the outer edges of its pixels, so
``width = x1 - x0`` is the pixel count across. COCO's ``[x, y, w, h]`` is ``[x0, y0, x1-x0, y1-y0]``.

3-D box corner order: ``itertools.product`` over (min, max) of x, then y, then z in the object
frame, i.e. corner ``i`` takes the max of x if ``i & 4``, of y if ``i & 2``, of z if ``i & 1``.
"""

from __future__ import annotations

import itertools
from typing import Optional

import numpy as np

from labels.geometry import transform_points

Box = tuple[int, int, int, int]
FloatBox = tuple[float, float, float, float]


def mask_box(mask: np.ndarray) -> Optional[Box]:
    """Tight pixel-edge xyxy box of a boolean (H, W) mask; ``None`` if the mask is empty."""
    rows = np.flatnonzero(mask.any(axis=1))
    if not len(rows):
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def points_extent(points_2d: np.ndarray) -> Optional[FloatBox]:
    """Continuous xyxy extent ``(u_min, v_min, u_max, v_max)`` of (N, 2) pixel points."""
    points_2d = np.asarray(points_2d, dtype=np.float64).reshape(-1, 2)
    if not len(points_2d):
        return None
    low, high = points_2d.min(axis=0), points_2d.max(axis=0)
    return float(low[0]), float(low[1]), float(high[0]), float(high[1])


def extent_leaves_image(extent: FloatBox, width: int, height: int) -> bool:
    """True if a continuous extent reaches outside the image rectangle ``[0, W] x [0, H]``."""
    u_min, v_min, u_max, v_max = extent
    return u_min < 0 or v_min < 0 or u_max > width or v_max > height


def box_contains(outer: Box, inner: Box) -> bool:
    """True if xyxy box ``inner`` lies within xyxy box ``outer``."""
    return (
        outer[0] <= inner[0]
        and outer[1] <= inner[1]
        and outer[2] >= inner[2]
        and outer[3] >= inner[3]
    )


def box3d_corners(vertices_world: np.ndarray, object_to_world: np.ndarray) -> np.ndarray:
    """(8, 3) world-frame corners of the object-aligned bounding box of a mesh.

    The box is the min/max of the vertices expressed in the object frame (so it turns with the
    object), mapped back to the world; corner order as in the module docstring.
    """
    object_to_world = np.asarray(object_to_world, dtype=np.float64)
    vertices_object = transform_points(np.linalg.inv(object_to_world), vertices_world)
    low, high = vertices_object.min(axis=0), vertices_object.max(axis=0)
    corners_object = np.array(list(itertools.product(*zip(low, high))), dtype=np.float64)
    return transform_points(object_to_world, corners_object)
