"""Cycles render passes: the colour pass, the pixel-centre label pass, and their conversions.

The label pass EXR holds (per pixel centre, first surface hit):

* ``Depth.Z``: planar z-depth in metres (Cycles writes 1e10 for the background);
* ``IndexOB.X``: the object's ``pass_index`` = Kubric asset index + 1, 0 for background;
* ``Normal.XYZ``: world-space shading normal;
* ``UV.UV``: first UV map; ``Vector.XYZW``: motion to the previous / next frame in pixels
  (these two only when rendered with ``motion_and_uv``);
* ``ObjectCoordinates``: the AOV written by the override material, [0, 1] per bounding-box axis.

EXR rows are stored top row first, which matches the arrays' ``[row, col]`` indexing with pixel
(0, 0) at the top-left.
"""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path
from typing import Optional

import bpy
import cv2
import numpy as np
import OpenEXR

from labels.passes import CameraModel, InstanceGeometry, RawPasses
from renderer.blender.objects import world_triangles
from renderer.kubric_layers import KUBRIC_LAYERS as SHARED_KUBRIC_LAYERS
from renderer.kubric_layers import category_of, instance_metadata, unit_to_uint16
from renderer.kubric_layers import kubric_layer as shared_kubric_layer

VIEW_LAYER = "ViewLayer"
BACKGROUND_Z = 1e9  # anything at or beyond this planar depth (metres) is background
KUBRIC_LAYERS = SHARED_KUBRIC_LAYERS + ("uv", "forward_flow", "backward_flow")


@dataclasses.dataclass
class FramePasses:
    """One rendered frame: the colour image and the label-pass EXR layers (float32)."""

    frame: int
    rgba: np.ndarray
    layers: dict
    timings: dict


@contextlib.contextmanager
def _settings(scene: "bpy.types.Scene", **changes):
    """Temporarily set nested scene attributes; ``cycles__samples=1`` sets scene.cycles.samples."""
    saved = []
    for dotted, value in changes.items():
        *path, attribute = dotted.split("__")
        target = scene
        for part in path:
            target = getattr(target, part)
        saved.append((target, attribute, getattr(target, attribute)))
        setattr(target, attribute, value)
    try:
        yield
    finally:
        for target, attribute, value in reversed(saved):
            setattr(target, attribute, value)


MOTION_AND_UV_LAYERS = ("uv", "forward_flow", "backward_flow")


def _set_label_passes(view_layer, enabled: bool, motion_and_uv: bool = True) -> None:
    for name in ("use_pass_z", "use_pass_normal", "use_pass_object_index"):
        setattr(view_layer, name, enabled)
    for name in ("use_pass_uv", "use_pass_vector"):
        setattr(view_layer, name, enabled and motion_and_uv)
    has_aov = any(aov.name == "ObjectCoordinates" for aov in view_layer.aovs)
    if enabled and not has_aov:
        view_layer.aovs.add().name = "ObjectCoordinates"
    elif not enabled and has_aov:
        view_layer.aovs.remove(next(a for a in view_layer.aovs if a.name == "ObjectCoordinates"))


def render_color(
    scene: "bpy.types.Scene", png_path: Path, motion_blur: Optional[float]
) -> np.ndarray:
    """Render the colour pass to ``png_path``; return it as uint8 RGBA (H, W, 4)."""
    _set_label_passes(scene.view_layers[VIEW_LAYER], False)
    image = scene.render.image_settings
    with _settings(
        scene,
        render__filepath=str(png_path),
        render__use_motion_blur=motion_blur is not None,
        render__motion_blur_shutter=float(motion_blur or 0.5),
    ):
        image.file_format, image.color_mode, image.color_depth = "PNG", "RGBA", "8"
        bpy.ops.render.render(write_still=True)
    bgra = cv2.imread(str(png_path), cv2.IMREAD_UNCHANGED)
    if bgra is None:
        raise RuntimeError(f"Cycles did not write {png_path}; see the Blender log (verbose=True)")
    return cv2.cvtColor(bgra, cv2.COLOR_BGRA2RGBA)


def render_labels(
    scene: "bpy.types.Scene", exr_path: Path, label_material, motion_and_uv: bool = True
) -> dict:
    """Render the pixel-centre label pass to ``exr_path``; return its layers (see module doc).
    Without ``motion_and_uv`` the UV and Vector passes are skipped (labels need neither; Kubric's
    uv/flow layers do), which makes the pass ~15% cheaper. The world and the lights are off
    during the pass: no label depends on lighting, and Cycles would otherwise rebuild the HDRI
    importance map and the light tree for it (~40% of the pass at 128x128)."""
    view_layer = scene.view_layers[VIEW_LAYER]
    _set_label_passes(view_layer, True, motion_and_uv)
    image = scene.render.image_settings
    saved_format = (image.file_format, image.color_mode, image.color_depth, image.exr_codec)
    try:
        with (
            _settings(
                scene,
                render__filepath=str(exr_path),
                render__use_motion_blur=False,
                cycles__samples=1,
                cycles__use_adaptive_sampling=False,
                cycles__use_denoising=False,
                cycles__filter_width=0.01,
                cycles__max_bounces=0,
                cycles__sample_offset=0,
                cycles__use_light_tree=False,
                world=None,
            ),
            _lights_hidden(scene),
        ):
            view_layer.material_override = label_material
            image.file_format, image.color_mode, image.color_depth = (
                "OPEN_EXR_MULTILAYER",
                "RGBA",
                "32",
            )
            image.exr_codec = "NONE"  # a scratch file read back at once: compressing only costs
            bpy.ops.render.render(write_still=True)
    finally:
        view_layer.material_override = None
        image.file_format, image.color_mode, image.color_depth, image.exr_codec = saved_format
        _set_label_passes(view_layer, False)
    return read_exr_layers(exr_path)


@contextlib.contextmanager
def _lights_hidden(scene: "bpy.types.Scene"):
    """Hide the scene's visible lights from the render, then show them again."""
    lights = [o for o in scene.objects if o.type == "LIGHT" and not o.hide_render]
    for light in lights:
        light.hide_render = True
    try:
        yield
    finally:
        for light in lights:
            light.hide_render = False


def read_exr_layers(exr_path: Path) -> dict:
    """Read the label-pass EXR into named float32 arrays (H, W[, C])."""
    channels = OpenEXR.File(str(exr_path)).parts[0].channels
    prefix = VIEW_LAYER + "."

    def stack(*names):
        return np.stack([channels[prefix + n].pixels for n in names], axis=-1).astype(np.float32)

    layers = {
        "z": channels[prefix + "Depth.Z"].pixels.astype(np.float32),
        "object_index": channels[prefix + "IndexOB.X"].pixels.astype(np.float32),
        "normal": stack("Normal.X", "Normal.Y", "Normal.Z"),
        "object_coordinates": channels[prefix + "ObjectCoordinates"]
        .pixels[..., :3]
        .astype(np.float32),
    }
    if prefix + "Vector.X" in channels:
        layers["vector"] = stack("Vector.X", "Vector.Y", "Vector.Z", "Vector.W")
    uv_names = [n for n in ("UV.U", "UV.V", "UV.A") if prefix + n in channels]
    layers["uv"] = stack(*uv_names) if uv_names else np.zeros(layers["normal"].shape, np.float32)
    return layers


def instance_ids(layers: dict) -> np.ndarray:
    """uint16 (H, W) instance map from the object-index pass (exact integers)."""
    return np.rint(layers["object_index"]).astype(np.uint16)


def planar_depth(layers: dict) -> np.ndarray:
    """float32 (H, W) planar depth in metres, +inf for background."""
    z = layers["z"].copy()
    z[(z >= BACKGROUND_Z) | (instance_ids(layers) == 0)] = np.inf
    return z


def kubric_layer(key: str, rendered: FramePasses, camera: CameraModel) -> np.ndarray:
    """One of Kubric's output layers (:data:`KUBRIC_LAYERS`), in Kubric's dtype and encoding."""
    layers = rendered.layers
    if key == "uv":
        return unit_to_uint16(layers["uv"])
    if key in ("backward_flow", "forward_flow"):
        vector = layers["vector"]  # Blender: (-d_col, d_row) to the previous frame, then the next
        if key == "backward_flow":
            return np.stack([vector[..., 1], -vector[..., 0]], axis=-1)
        return np.stack([vector[..., 3], -vector[..., 2]], axis=-1)
    return shared_kubric_layer(key, raw_passes(rendered, camera, [], {}))


def instance_geometry(instance_id: int, asset, blender_object, depsgraph) -> InstanceGeometry:
    vertices, faces = world_triangles(blender_object, depsgraph)
    return InstanceGeometry(
        instance_id=instance_id,
        uid=asset.uid,
        category=category_of(asset),
        vertices_world=vertices,
        faces=faces,
        object_to_world=np.array(blender_object.matrix_world, dtype=np.float64),
        metadata=instance_metadata(asset),
    )


def raw_passes(
    rendered: FramePasses, camera: CameraModel, instances: list, render_info: dict
) -> RawPasses:
    layers = rendered.layers
    background = instance_ids(layers) == 0
    normals = layers["normal"].copy()
    normals[background] = 0.0
    return RawPasses(
        rgba=rendered.rgba,
        instance_ids=instance_ids(layers),
        depth=planar_depth(layers),
        normals=normals,
        camera=camera,
        instances=instances,
        object_coordinates=layers["object_coordinates"],
        backend="cycles",
        render_info=render_info,
    )
