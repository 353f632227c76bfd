"""Exact label passes from a triangle-index raster.

The GPU pass (shaders/segmentation.frag) writes, at every pixel centre, the global index of the
one triangle covering it (MSAA off, flat 24-bit integer in RGB). Everything else is computed here
in float64 from that triangle and the pixel-centre ray, so it does not depend on depth-buffer
precision or colour quantisation:

* instance id: the instance owning the triangle;
* depth: planar z of the intersection of the pixel-centre ray with the triangle's plane
  (camera frame, metres);
* object coordinates: the hit point in the object's own frame, normalised to [0, 1] over the
  mesh's bounding box (Blender's "Generated" coordinates; 0.5 along a zero-size axis);
* normal: the world-frame shading normal at that point: the face normal for flat-shaded meshes,
  the barycentric interpolation of vertex normals (renormalised) for smooth ones (as Blender's
  Normal pass with ``shade_smooth``). Back faces are drawn as a reversed copy of each triangle,
  so a back face reports the normal facing the camera side it is seen from (as Cycles flips).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from labels.passes import CameraModel

MAX_TRIANGLE_INDEX = (1 << 24) - 1


@dataclasses.dataclass
class TriangleTable:
    """All labelled triangles of a frame, in world coordinates.

    Mesh ``k`` occupies label indices ``[offsets[k], offsets[k] + 2 * face_counts[k])``: its
    faces, then the same faces reversed (drawn so back faces are labelled too).

    Attributes:
      vertices: (V, 3) world positions of all meshes, concatenated.
      vertex_normals: (V, 3) world shading normals at the vertices (used when smooth).
      faces: (F, 3) indices into ``vertices`` (already offset), concatenated per mesh.
      face_offsets: (K,) first row of mesh k in ``faces``.
      face_counts: (K,) number of faces of mesh k.
      instance_ids: (K,) instance id of mesh k.
      smooth: (K,) bool, interpolate vertex normals for mesh k.
      world_to_object: (K, 4, 4) inverse pose (incl. scale) of mesh k.
      bounds_min, bounds_size: (K, 3) bounding box of mesh k in its own frame (before scale).
    """

    vertices: np.ndarray
    vertex_normals: np.ndarray
    faces: np.ndarray
    face_offsets: np.ndarray
    face_counts: np.ndarray
    instance_ids: np.ndarray
    smooth: np.ndarray
    world_to_object: np.ndarray
    bounds_min: np.ndarray
    bounds_size: np.ndarray

    @property
    def label_offsets(self) -> np.ndarray:
        """(K,) first label index (0-based) of mesh k: each face is drawn twice."""
        return 2 * self.face_offsets

    def check_capacity(self) -> None:
        total = 2 * int(self.face_counts.sum())
        if total > MAX_TRIANGLE_INDEX:
            raise ValueError(
                f"the scene has {total // 2} triangles; the raster label pass indexes at most "
                f"{MAX_TRIANGLE_INDEX // 2}. Decimate the meshes or use --engine cycles."
            )


def offset_colour(offset: int) -> np.ndarray:
    """The per-node 'colour' (three bytes, 0-255) that tells the shader a mesh's label offset."""
    return np.array([offset & 255, (offset >> 8) & 255, (offset >> 16) & 255], float)


def decode_indices(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 from the label pass -> (H, W) int64 label index + 1 (0 = nothing)."""
    rgb = rgb.astype(np.int64)
    return rgb[..., 0] | (rgb[..., 1] << 8) | (rgb[..., 2] << 16)


def pixel_rays(
    camera: CameraModel, rows: np.ndarray, cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Ray origins and directions (camera frame, direction z = 1) through pixel centres."""
    u, v = cols + 0.5, rows + 0.5
    K = camera.K
    x, y = (u - K[0, 2]) / K[0, 0], (v - K[1, 2]) / K[1, 1]
    zeros, ones = np.zeros_like(x), np.ones_like(x)
    if camera.orthographic:
        return np.stack([x, y, zeros], -1), np.stack([zeros, zeros, ones], -1)
    return np.zeros((len(x), 3)), np.stack([x, y, ones], -1)


@dataclasses.dataclass
class LabelPasses:
    instance_ids: np.ndarray  # uint16 (H, W)
    depth: np.ndarray  # float32 (H, W), +inf background
    normals: np.ndarray  # float32 (H, W, 3), world frame, 0 background
    object_coordinates: np.ndarray  # float32 (H, W, 3) in [0, 1], 0 background


def _locate(table: TriangleTable, label: np.ndarray):
    """label index (0-based) -> (mesh k, face row in table.faces, flipped?)."""
    mesh = np.searchsorted(table.label_offsets, label, side="right") - 1
    local = label - table.label_offsets[mesh]
    flipped = local >= table.face_counts[mesh]
    face = np.where(flipped, local - table.face_counts[mesh], local)
    return mesh, table.face_offsets[mesh] + face, flipped


@dataclasses.dataclass
class _Triangles:
    """Per-triangle quantities of the distinct triangles seen in a frame (U of them)."""

    mesh: np.ndarray  # (U,) mesh index
    corners: np.ndarray  # (U, 3) vertex indices
    flipped: np.ndarray  # (U,) bool: the reversed (back-face) copy was hit
    points: np.ndarray  # (U, 3, 3) corners in the camera frame
    plane_normal: np.ndarray  # (U, 3) camera frame, unnormalised
    plane_offset: np.ndarray  # (U,) plane_normal . corner0


def _seen_triangles(table: TriangleTable, labels: np.ndarray, camera: CameraModel) -> _Triangles:
    mesh, face_row, flipped = _locate(table, labels)
    corners = table.faces[face_row]
    rotation, translation = camera.world_to_camera[:3, :3], camera.world_to_camera[:3, 3]
    points = table.vertices[corners] @ rotation.T + translation
    plane_normal = np.cross(points[:, 1] - points[:, 0], points[:, 2] - points[:, 0])
    plane_offset = np.einsum("ui,ui->u", plane_normal, points[:, 0])
    return _Triangles(mesh, corners, flipped, points, plane_normal, plane_offset)


def label_passes(
    indices: np.ndarray,
    table: TriangleTable,
    camera: CameraModel,
    gl_depth: np.ndarray | None = None,
) -> LabelPasses:
    """Instance ids, depth, normals and object coordinates from the decoded label pass (see
    module docstring). Per-triangle work is done once per distinct triangle seen.

    ``gl_depth`` (planar z from the depth buffer, 0 where empty) is the fallback for the rare
    pixels where the ray grazes its triangle's plane and the intersection is ill-conditioned.
    """
    height, width = indices.shape
    instance_ids = np.zeros((height, width), np.uint16)
    depth = np.full((height, width), np.inf, np.float32)
    normals = np.zeros((height, width, 3), np.float32)
    object_coordinates = np.zeros((height, width, 3), np.float32)
    rows, cols = np.nonzero(indices)
    if len(rows) == 0:
        return LabelPasses(instance_ids, depth, normals, object_coordinates)
    seen, pixel_triangle = np.unique(indices[rows, cols] - 1, return_inverse=True)
    triangles = _seen_triangles(table, seen, camera)
    instance_ids[rows, cols] = table.instance_ids[triangles.mesh][pixel_triangle]

    origins, directions = pixel_rays(camera, rows, cols)
    plane_normal = triangles.plane_normal[pixel_triangle]
    denominator = np.einsum("pi,pi->p", plane_normal, directions)
    numerator = triangles.plane_offset[pixel_triangle]
    if camera.orthographic:
        numerator = numerator - np.einsum("pi,pi->p", plane_normal, origins)
    with np.errstate(divide="ignore", invalid="ignore"):
        distance = numerator / denominator
    hits = origins + distance[:, None] * directions
    pixel_depth = hits[:, 2]
    if gl_depth is not None and not camera.orthographic:  # pyrender linearises perspective only
        fallback = gl_depth[rows, cols].astype(np.float64)
        bad = ~np.isfinite(pixel_depth) | (np.abs(pixel_depth - fallback) > 0.01 * fallback)
        pixel_depth = np.where(bad, fallback, pixel_depth)
    depth[rows, cols] = pixel_depth

    normals[rows, cols] = _shading_normals(table, triangles, pixel_triangle, hits, camera)
    object_coordinates[rows, cols] = _generated_coordinates(
        table, triangles, pixel_triangle, hits, camera
    )
    return LabelPasses(instance_ids, depth, normals, object_coordinates)


def _generated_coordinates(
    table: TriangleTable,
    triangles: _Triangles,
    pixel_triangle: np.ndarray,
    hits: np.ndarray,
    camera: CameraModel,
) -> np.ndarray:
    """Hit points (camera frame) as [0, 1] positions inside each object's own bounding box."""
    meshes, mesh_of_triangle = np.unique(triangles.mesh, return_inverse=True)
    size = table.bounds_size[meshes]
    scale = np.where(size > 0, 1.0 / np.where(size > 0, size, 1.0), 0.0)
    # affine map camera frame -> generated coordinates, per mesh: A @ hit + b
    camera_to_object = table.world_to_object[meshes] @ camera.camera_to_world
    linear = scale[:, :, None] * camera_to_object[:, :3, :3]
    offset = scale * (camera_to_object[:, :3, 3] - table.bounds_min[meshes]) + np.where(
        size > 0, 0.0, 0.5
    )
    per_pixel = mesh_of_triangle[pixel_triangle]
    coords = np.einsum("pij,pj->pi", linear[per_pixel], hits) + offset[per_pixel]
    return np.clip(coords, 0.0, 1.0)


def _shading_normals(
    table: TriangleTable,
    triangles: _Triangles,
    pixel_triangle: np.ndarray,
    hits: np.ndarray,
    camera: CameraModel,
) -> np.ndarray:
    """World shading normals at ``hits``: face normals, or interpolated vertex normals for
    smooth meshes; negated on reversed (back-face) copies."""
    world_points = table.vertices[triangles.corners]
    face_normal = np.cross(
        world_points[:, 1] - world_points[:, 0], world_points[:, 2] - world_points[:, 0]
    )
    face_normal /= np.maximum(np.linalg.norm(face_normal, axis=1, keepdims=True), 1e-300)
    sign = np.where(triangles.flipped, -1.0, 1.0)[:, None]
    result = (face_normal * sign)[pixel_triangle]
    smooth_pixel = table.smooth[triangles.mesh][pixel_triangle]
    if smooth_pixel.any():
        triangle = pixel_triangle[smooth_pixel]
        weights = _barycentric(hits[smooth_pixel], triangles.points[triangle])
        corner_normals = table.vertex_normals[triangles.corners[triangle]]
        result[smooth_pixel] = np.einsum("pk,pki->pi", weights, corner_normals) * sign[triangle]
    length = np.linalg.norm(result, axis=1, keepdims=True)
    return np.divide(result, length, out=np.zeros_like(result), where=length > 0)


def _barycentric(hits: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(P, 3) barycentric weights of ``hits`` in triangles ``points`` (P, 3, 3)."""
    v0, v1, v2 = points[:, 1] - points[:, 0], points[:, 2] - points[:, 0], hits - points[:, 0]
    d00, d01, d11 = (np.einsum("pi,pi->p", a, b) for a, b in ((v0, v0), (v0, v1), (v1, v1)))
    d20, d21 = np.einsum("pi,pi->p", v2, v0), np.einsum("pi,pi->p", v2, v1)
    denominator = d00 * d11 - d01 * d01
    with np.errstate(divide="ignore", invalid="ignore"):
        w1 = (d11 * d20 - d01 * d21) / denominator
        w2 = (d00 * d21 - d01 * d20) / denominator
    weights = np.stack([1.0 - w1 - w2, w1, w2], axis=1)
    weights = np.nan_to_num(weights, nan=1.0 / 3.0)
    return np.clip(weights, 0.0, 1.0)
