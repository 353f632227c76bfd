"""``Raster``: a Kubric view that mirrors a ``kubric.Scene`` into pyrender.

Drop-in next to ``renderer.blender.Blender``: ``Raster(scene)`` links to the scene like any
Kubric view (a bare one: :func:`renderer.raster.open_view` applies the spec's extras); ``render_raw(frame)`` returns :class:`labels.passes.RawPasses`; ``render_still()`` /
``render()`` return Kubric-style dicts. The scene state (poses, materials, lights, camera) is
read from the Kubric assets at render time (keyframed values at ``frame``), so nothing is
pushed through trait observers and several views may share one scene.

RGB is an approximation of Cycles (shading.py: materials, lights, exposure; textures.py: spec
textures; environment.py: HDRI); the labels are exact (label_pass.py). The scene's ambient
illumination becomes pyrender's uniform ambient light (no occlusion), its background colour the
clear colour. Shadows: directional and spot shadow maps (pyrender has no point-light shadows).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import time
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
import trimesh

import kubric as kb
from kubric.core.assets import UndefinedAsset
from kubric.core.view import View

from labels.passes import CameraModel, InstanceGeometry, RawPasses
from renderer.raster import camera as camera_conversion
from renderer.raster import environment, geometry, label_pass, platform, shading, textures
from renderer.raster import parts as part_meshes
from renderer.kubric_layers import (
    KUBRIC_LAYERS,
    category_of,
    check_layer_names,
    instance_metadata,
    kubric_layer,
)
from scenes.geometry import pose_matrix

SHADER_DIR = Path(__file__).parent / "shaders"


def _value(asset: kb.Asset, name: str, frame: Optional[int]) -> Any:
    """Trait ``name`` of ``asset`` at ``frame`` (keyframed value if animated), without setting it."""
    if frame is not None and name in asset.keyframes:
        return asset.get_value_at(name, frame)
    return getattr(asset, name)


def _pose(asset: kb.Object3D, frame: Optional[int], with_scale: bool) -> np.ndarray:
    scale = _value(asset, "scale", frame) if with_scale else (1.0, 1.0, 1.0)
    return pose_matrix(_value(asset, "position", frame), _value(asset, "quaternion", frame), scale)


@dataclasses.dataclass
class _ObjectRecord:
    """pyrender state of one Kubric object with geometry."""

    asset: kb.PhysicalObject
    mesh: geometry.ObjectMesh
    colour_node: Any = None
    label_node: Any = None
    material: Optional[shading.MaterialState | tuple] = None  # a tuple: one per part


@dataclasses.dataclass
class _LightRecord:
    asset: kb.Light
    node: Any = None


class Raster(View):
    """pyrender (OpenGL rasterizer) rendering backend for Kubric scenes, headless.

    Args:
      scene: the Kubric scene to mirror.
      background_transparency: background alpha 0 in ``rgba`` (Blender's ``film_transparent``).
      shadows: render directional/spot shadow maps in the RGB pass.
      scratch_dir, samples_per_pixel, adaptive_sampling, use_denoising, verbose, device,
        view_transform, motion_blur: accepted so the class is a drop-in for
        ``renderer.blender.Blender``; unused (no scratch files; RGB uses 4x MSAA, labels one
        sample at each pixel centre; OpenGL picks the device; display gamma 2.2; no blur).
        ``custom_scene`` (a .blend file) is refused.
    """

    def __init__(
        self,
        scene: kb.Scene,
        background_transparency: bool = False,
        shadows: bool = True,
        scratch_dir=None,
        samples_per_pixel=None,
        adaptive_sampling=None,
        use_denoising=None,
        verbose: bool = False,
        device: str = "auto",
        view_transform: str = "Standard",
        custom_scene: Optional[str] = None,
        motion_blur: Optional[float] = None,
    ):
        del scratch_dir, samples_per_pixel, adaptive_sampling, use_denoising, verbose, device
        del view_transform, motion_blur
        if custom_scene is not None:
            raise ValueError(
                f"custom_scene={custom_scene!r}: the raster backend cannot load "
                ".blend files; use --engine cycles for custom Blender scenes"
            )
        width, height = scene.resolution
        self.pyrender, self._offscreen = platform.shared_offscreen_renderer(width, height)
        self.background_transparency = background_transparency
        self.shadows = shadows
        self._gl_scene = self.pyrender.Scene()
        self._objects: dict[kb.Asset, _ObjectRecord] = {}
        self._lights: dict[kb.Asset, _LightRecord] = {}
        self._camera_node = None
        self._ambient_map: Optional[environment.Environment] = None
        self._background_map: Optional[environment.Environment] = None
        self._background_image: Optional[str] = None
        self.exposure = 0.0  # EV, Blender's view exposure (renderer.raster.open_view sets it)
        self._hdri_sun_node = None
        self._label_programs = _label_program_cache(self.pyrender)
        super().__init__(scene, scene_observers={})

    # ------------------------------------------------------------------ kubric View interface
    def add_asset(self, asset: kb.Asset) -> Any:
        """Register ``asset``; geometry is loaded now, everything else is read at render time."""
        if isinstance(asset, UndefinedAsset):
            return None
        if isinstance(asset, kb.PhysicalObject):
            mesh = geometry.object_mesh(asset)
            if mesh is None:
                return None
            record = _ObjectRecord(asset=asset, mesh=mesh)
            record.label_node = self._gl_scene.add(
                self._label_mesh(mesh), name=f"{asset.uid}:label"
            )
            self._objects[asset] = record
            return record
        if isinstance(asset, kb.Light):
            record = _LightRecord(asset=asset)
            self._lights[asset] = record
            return record
        return None  # cameras, materials: read from the scene at render time

    def remove_asset(self, asset: kb.Asset) -> None:
        record = self._objects.pop(asset, None) or self._lights.pop(asset, None)
        if record is None:
            return
        for node in (
            getattr(record, "colour_node", None),
            getattr(record, "label_node", None),
            getattr(record, "node", None),
        ):
            if node is not None and self._gl_scene.has_node(node):
                self._gl_scene.remove_node(node)

    # ------------------------------------------------------------------ world
    def set_hdri(
        self,
        path,
        rotation: Sequence[float] = (0.0, 0.0, 0.0),
        strength: float = 1.0,
        as_background: bool = True,
        as_ambient: bool = True,
    ) -> None:
        """Light the scene and/or fill the background with an equirectangular HDRI (same
        arguments and mapping as renderer.blender; lighting becomes a sun + uniform ambient, see
        renderer/raster/environment.py). It replaces ambient_illumination / background until
        :meth:`clear_hdri`."""
        placed = environment.Environment(
            radiance=environment.load_equirectangular(str(path)),
            rotation=environment.euler_xyz(rotation),
            strength=float(strength),
        )
        if as_ambient:
            self._ambient_map = placed
        if as_background:
            self._background_map = placed

    def set_background_image(self, path) -> None:
        """Show an image behind the scene, stretched to the frame (as renderer.blender)."""
        self._background_image = str(path)
        textures.load_background_image(self._background_image, 1, 1)  # fail early if unreadable

    def clear_hdri(self) -> None:
        """Back to the scene's uniform ambient_illumination and background colours."""
        self._ambient_map = self._background_map = None

    def _set_ambient_light_hdri(
        self, hdri_filepath=None, hdri_rotation=(0.0, 0.0, 0.0), strength=1.0
    ):
        """Kubric's name for :meth:`set_hdri` (lighting only)."""
        self.set_hdri(hdri_filepath, hdri_rotation, strength, as_background=False)

    def _set_background_hdri(self, hdri_filepath=None, hdri_rotation=(0.0, 0.0, 0.0)):
        """Kubric's name for :meth:`set_hdri` (visible background only)."""
        self.set_hdri(hdri_filepath, hdri_rotation, as_ambient=False)

    # ------------------------------------------------------------------ rendering
    def render_raw(self, frame: Optional[int] = None) -> RawPasses:
        """Render one frame (default ``scene.frame_start``) into the labels contract."""
        frame = self.scene.frame_start if frame is None else frame
        started = time.perf_counter()
        camera = self._sync_camera(frame)
        self._sync_lights(frame)
        table, instances = self._sync_objects(frame)
        synced = time.perf_counter()
        rgba = self._render_colour()
        coloured = time.perf_counter()
        indices, gl_depth = self._render_label_indices(table)
        labels = label_pass.label_passes(indices, table, camera, gl_depth)
        self._fill_background(rgba, labels.instance_ids, camera)
        self._finish_alpha(rgba, labels.instance_ids)
        done = time.perf_counter()
        return RawPasses(
            rgba=rgba,
            instance_ids=labels.instance_ids,
            depth=labels.depth,
            normals=labels.normals,
            camera=camera,
            instances=instances,
            object_coordinates=labels.object_coordinates,
            backend="raster",
            render_info=self._render_info(
                frame,
                {
                    "sync_s": synced - started,
                    "rgb_s": coloured - synced,
                    "labels_s": done - coloured,
                    "total_s": done - started,
                },
            ),
        )

    def render_still(
        self,
        frame: Optional[int] = None,
        ignore_missing_textures: bool = False,
        return_layers: Sequence[str] = KUBRIC_LAYERS,
    ) -> dict:
        """One frame (default ``frame_start``) as Kubric's layers, in Kubric's dtypes/encodings
        (same as renderer.blender): rgba (H,W,4) uint8, rgb (H,W,3), segmentation (H,W,1)
        uint32, depth (H,W,1) float32 distance to the camera centre, z (H,W,1) planar depth,
        normal (H,W,3) uint16 = (n + 1) / 2 * 65535 (world frame), object_coordinates (H,W,3)
        uint16 = c * 65535 (see renderer.kubric_layers). Flow and uv are not rendered by this backend."""
        del ignore_missing_textures  # missing files fail loudly when loaded
        check_layer_names(return_layers, KUBRIC_LAYERS)
        raw = self.render_raw(frame)
        return {name: kubric_layer(name, raw) for name in return_layers}

    def render(
        self,
        frames: Optional[Sequence[int]] = None,
        ignore_missing_textures: bool = False,
        return_layers: Sequence[str] = KUBRIC_LAYERS,
    ) -> dict:
        """Layers of :meth:`render_still` stacked over ``frames`` (default: all scene frames)."""
        if frames is None:
            frames = range(self.scene.frame_start, self.scene.frame_end + 1)
        stills = [
            self.render_still(frame, ignore_missing_textures, return_layers) for frame in frames
        ]
        return {name: np.stack([still[name] for still in stills]) for name in return_layers}

    def close(self) -> None:
        """Unlink from the scene and drop this view's meshes (the process-wide GL context stays:
        see platform.shared_offscreen_renderer)."""
        if self._scene is not None:
            self._scene.unlink_view(self)
            self._scene = None
        self._gl_scene = self.pyrender.Scene()

    # ------------------------------------------------------------------ scene synchronisation
    def _sync_camera(self, frame: Optional[int]) -> CameraModel:
        kb_camera = self.scene.camera
        if kb_camera is None or isinstance(kb_camera, UndefinedAsset):
            raise ValueError(
                "the scene has no camera; add a kb.PerspectiveCamera or "
                "kb.OrthographicCamera to it before rendering"
            )
        width, height = self.scene.resolution
        names = (
            "focal_length",
            "sensor_width",
            "shift_x",
            "shift_y",
            "orthographic_scale",
            "min_render_distance",
            "max_render_distance",
        )
        values = {n: _value(kb_camera, n, frame) for n in names if hasattr(kb_camera, n)}
        blender_pose = _pose(kb_camera, frame, with_scale=False)
        model = camera_conversion.camera_model(kb_camera, width, height, blender_pose, values)
        gl_camera = camera_conversion.pyrender_camera(
            self.pyrender, model, values["min_render_distance"], values["max_render_distance"]
        )
        if self._camera_node is not None:
            self._gl_scene.remove_node(self._camera_node)
        self._camera_node = self._gl_scene.add(gl_camera, pose=blender_pose)
        self._offscreen.viewport_width, self._offscreen.viewport_height = width, height
        return model

    def exposure_scale(self) -> float:
        """2 ** ``self.exposure`` (EV; Blender's view exposure). Applied to every light,
        ambient, emission and background radiance."""
        return float(2.0 ** float(self.exposure))

    def _value_at(self, frame: Optional[int]) -> shading.ValueAt:
        return lambda asset, name: _value(asset, name, frame)

    def _sync_lights(self, frame: Optional[int]) -> None:
        scene = self.scene
        exposure = self.exposure_scale()
        ambient = np.asarray(scene.ambient_illumination, float)
        background = np.asarray(scene.background, float)
        self._gl_scene.ambient_light = exposure * (
            self._ambient_map.split[0]
            if self._ambient_map is not None
            else ambient[:3] * (ambient[3] if len(ambient) > 3 else 1.0)
        )
        self._sync_hdri_sun(exposure)
        alpha = 0.0 if self.background_transparency else 1.0
        self._gl_scene.bg_color = np.append(
            shading.display_encode(exposure * background[:3]), alpha
        )
        for record in self._lights.values():
            light = shading.pyrender_light(
                self.pyrender, record.asset, self._value_at(frame), exposure
            )
            pose = _pose(record.asset, frame, False)
            if record.node is not None and type(record.node.light) is type(light):
                shading.copy_light_parameters(light, record.node.light)  # keeps its shadow map
                self._gl_scene.set_pose(record.node, pose)
                continue
            if record.node is not None:
                self._gl_scene.remove_node(record.node)
            record.node = self._gl_scene.add(light, pose=pose)

    def _sync_hdri_sun(self, exposure: float) -> None:
        """The HDRI's sun as a directional light (see environment.py), or none."""
        if self._hdri_sun_node is not None:
            self._gl_scene.remove_node(self._hdri_sun_node)
            self._hdri_sun_node = None
        if self._ambient_map is None or self._ambient_map.split[1] is None:
            return
        _, towards_sun, irradiance = self._ambient_map.split
        strongest = float(np.max(irradiance))
        light = self.pyrender.DirectionalLight(
            color=irradiance / strongest, intensity=strongest * exposure
        )
        self._hdri_sun_node = self._gl_scene.add(light, pose=environment.facing(towards_sun))

    def _sync_objects(self, frame: Optional[int]):
        """Pose/material of every object; returns the frame's TriangleTable and instances."""
        assets = self.scene.assets
        vertices, normals, faces, counts, ids, smooth, instances = [], [], [], [], [], [], []
        to_object, bounds_min, bounds_size = [], [], []
        vertex_total = 0
        for asset, record in self._objects.items():
            object_to_world = _pose(asset, frame, with_scale=True)
            self._sync_colour_mesh(record, frame)
            self._gl_scene.set_pose(record.colour_node, object_to_world)
            self._gl_scene.set_pose(record.label_node, object_to_world)
            merged = record.mesh.merged
            world_vertices = merged.vertices @ object_to_world[:3, :3].T + object_to_world[:3, 3]
            normal_matrix = camera_conversion.normal_matrix(
                _value(asset, "quaternion", frame), _value(asset, "scale", frame)
            )
            vertices.append(world_vertices)
            normals.append(
                merged.vertex_normals @ normal_matrix.T
                if record.mesh.smooth
                else np.zeros_like(world_vertices)
            )
            faces.append(merged.faces + vertex_total)
            vertex_total += len(world_vertices)
            counts.append(len(merged.faces))
            instance_id = assets.index(asset) + 1
            ids.append(instance_id)
            smooth.append(record.mesh.smooth)
            to_object.append(
                camera_conversion.pose_inverse(
                    _value(asset, "position", frame),
                    _value(asset, "quaternion", frame),
                    _value(asset, "scale", frame),
                )
            )
            bounds_min.append(merged.vertices.min(axis=0))
            bounds_size.append(np.ptp(merged.vertices, axis=0))
            instances.append(
                self._instance_geometry(
                    asset, instance_id, world_vertices, merged.faces, object_to_world
                )
            )
        counts_array = np.array(counts, np.int64)
        table = label_pass.TriangleTable(
            vertices=np.concatenate(vertices) if vertices else np.zeros((0, 3)),
            vertex_normals=np.concatenate(normals) if normals else np.zeros((0, 3)),
            faces=np.concatenate(faces) if faces else np.zeros((0, 3), np.int64),
            face_offsets=np.concatenate([[0], np.cumsum(counts_array)[:-1]]).astype(np.int64)
            if counts
            else np.zeros(0, np.int64),
            face_counts=counts_array,
            instance_ids=np.array(ids, np.int64),
            smooth=np.array(smooth, bool),
            world_to_object=np.array(to_object).reshape(-1, 4, 4),
            bounds_min=np.array(bounds_min).reshape(-1, 3),
            bounds_size=np.array(bounds_size).reshape(-1, 3),
        )
        table.check_capacity()
        return table, instances

    @staticmethod
    def _instance_geometry(asset, instance_id, world_vertices, faces, object_to_world):
        return InstanceGeometry(
            instance_id=instance_id,
            uid=asset.uid,
            category=category_of(asset),
            vertices_world=world_vertices,
            faces=np.asarray(faces),
            object_to_world=object_to_world,
            metadata=instance_metadata(asset),
        )

    # ------------------------------------------------------------------ meshes and materials
    def _label_mesh(self, mesh: geometry.ObjectMesh):
        """Label geometry: the faces, then the same faces reversed (so back faces are seen)."""
        merged = mesh.merged
        both_sides = np.concatenate([merged.faces, merged.faces[:, ::-1]]).astype(np.uint32)
        primitive = self.pyrender.Primitive(
            positions=np.asarray(merged.vertices, np.float32), indices=both_sides, mode=4
        )  # GL_TRIANGLES
        return self.pyrender.Mesh([primitive])

    def _textured_parts(self, mesh: geometry.ObjectMesh, state: shading.MaterialState):
        """Parts with Generated-coordinate UVs and the baked base-colour texture, for a
        Principled material with an image texture; else (parts, None)."""
        texture = state.image_texture
        if texture is None:
            return list(mesh.parts), None
        merged = mesh.merged
        bounds_min, bounds_size = merged.vertices.min(axis=0), np.ptp(merged.vertices, axis=0)
        parts = []
        for part in mesh.parts:
            uv = textures.generated_uv(
                part.vertices, bounds_min, bounds_size, texture.get("rotation")
            )
            parts.append(
                trimesh.Trimesh(
                    part.vertices,
                    part.faces,
                    process=False,
                    vertex_normals=part.vertex_normals if mesh.smooth else None,
                    visual=trimesh.visual.TextureVisuals(uv=uv),
                )
            )
        image = textures.baked_image(state.colour, texture)
        sampler = self.pyrender.Sampler()  # repeat wrapping, linear filtering
        return parts, self.pyrender.Texture(source=image, source_channels="RGB", sampler=sampler)

    def _sync_colour_mesh(self, record: _ObjectRecord, frame: Optional[int]) -> None:
        state = shading.material_state(
            _value(record.asset, "material", frame), self._value_at(frame), self.exposure_scale()
        )
        described = (record.asset.metadata or {}).get("parts")
        if record.mesh.part_names and described:
            state = part_meshes.part_states(state, described, self.exposure_scale())
        if record.colour_node is not None and state == record.material:
            return
        if record.colour_node is not None:
            self._gl_scene.remove_node(record.colour_node)
        if isinstance(state, tuple):
            gl_mesh = part_meshes.colour_mesh(self.pyrender, record.mesh.parts, state)
            record.colour_node = self._gl_scene.add(gl_mesh, name=f"{record.asset.uid}:colour")
            record.material = state
            return
        own_visuals = state.kind == "undefined" and isinstance(record.asset, kb.FileBasedObject)
        parts, base_colour_texture = self._textured_parts(record.mesh, state)
        material = (
            None
            if own_visuals
            else shading.pyrender_material(self.pyrender, state, base_colour_texture)
        )
        gl_mesh = self.pyrender.Mesh.from_trimesh(
            parts, material=material, smooth=record.mesh.smooth
        )
        for primitive in gl_mesh.primitives:
            primitive.material.doubleSided = True
        record.colour_node = self._gl_scene.add(gl_mesh, name=f"{record.asset.uid}:colour")
        record.material = state

    # ------------------------------------------------------------------ passes
    def _set_visible(self, colour: bool) -> None:
        for record in self._objects.values():
            record.colour_node.mesh.is_visible = colour
            record.label_node.mesh.is_visible = not colour

    def _render_colour(self) -> np.ndarray:
        flags = self.pyrender.RenderFlags.RGBA
        if self.shadows and self._objects:  # pyrender's shadow camera needs some geometry
            flags |= self.pyrender.RenderFlags.SHADOWS_DIRECTIONAL
            flags |= self.pyrender.RenderFlags.SHADOWS_SPOT
        self._set_visible(colour=True)
        colour, _ = self._offscreen.render(self._gl_scene, flags=flags)
        return np.array(colour, np.uint8)

    def _render_label_indices(self, table: label_pass.TriangleTable):
        """Triangle index + 1 at each pixel centre (int64, 0 = empty) and GL planar depth."""
        seg_map = {
            record.label_node: label_pass.offset_colour(int(offset))
            for record, offset in zip(self._objects.values(), table.label_offsets)
        }
        self._set_visible(colour=False)
        renderer = self._offscreen._renderer  # pylint: disable=protected-access
        stock_programs = renderer._program_cache  # pylint: disable=protected-access
        renderer._program_cache = self._label_programs  # pylint: disable=protected-access
        try:
            rgb, gl_depth = self._offscreen.render(
                self._gl_scene, flags=self.pyrender.RenderFlags.SEG, seg_node_map=seg_map
            )
        finally:
            renderer._program_cache = stock_programs  # pylint: disable=protected-access
        return label_pass.decode_indices(np.asarray(rgb)), np.asarray(gl_depth)

    def _fill_background(
        self, rgba: np.ndarray, instance_ids: np.ndarray, camera: CameraModel
    ) -> None:
        """Background pixels from the background image or HDRI, display-encoded like pyrender's
        shading."""
        image_path = self._background_image
        if self._background_map is None and image_path is None:
            return
        rows, cols = np.nonzero(instance_ids == 0)
        if image_path is not None:
            radiance = textures.load_background_image(image_path, camera.width, camera.height)[
                rows, cols
            ]
        else:
            radiance = self._background_map.background(camera, rows, cols)
        radiance = radiance * self.exposure_scale()
        rgba[rows, cols, :3] = np.round(shading.display_encode(radiance) * 255).astype(np.uint8)

    def _finish_alpha(self, rgba: np.ndarray, instance_ids: np.ndarray) -> None:
        """Alpha from the exact coverage: 255 on objects, background per transparency; holdout."""
        background_alpha = 0 if self.background_transparency else 255
        rgba[..., 3] = np.where(instance_ids > 0, 255, background_alpha)
        for asset, record in self._objects.items():
            if isinstance(record.material, shading.MaterialState) and record.material.holdout:
                rgba[instance_ids == self.scene.assets.index(asset) + 1, 3] = 0

    def _render_info(self, frame: Optional[int], timings: dict) -> dict:
        return {
            "engine": "pyrender",
            "frame": frame,
            **_gl_description(),
            "rgb_msaa_samples": 4,
            "label_samples": 1,
            "shadows": self.shadows,
            "timings": {k: round(v, 6) for k, v in timings.items()},
        }


@functools.lru_cache(maxsize=1)
def _label_program_cache(pyrender):
    """One cache (so one compiled label program) for the process-wide GL context."""
    return pyrender.shader_program.ShaderProgramCache(shader_dir=str(SHADER_DIR))


@functools.lru_cache(maxsize=1)
def _gl_description() -> dict:
    """OpenGL platform and renderer of the shared context (call after a render); ``device`` has
    the shape of renderer.blender's (backend + device names)."""
    from OpenGL import GL  # pylint: disable=import-outside-toplevel

    renderer_name = GL.glGetString(GL.GL_RENDERER).decode(errors="replace")
    opengl_platform = os.environ.get(platform.PLATFORM_VARIABLE, "")
    software = any(name in renderer_name.lower() for name in ("llvmpipe", "softpipe", "swrast"))
    return {
        "opengl_platform": opengl_platform,
        "gl_renderer": renderer_name,
        "gl_version": GL.glGetString(GL.GL_VERSION).decode(errors="replace"),
        "device": {
            "backend": f"OPENGL-{opengl_platform.upper()}" + ("-CPU" if software else "-GPU"),
            "names": [renderer_name],
        },
    }
