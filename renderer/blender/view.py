"""``Blender``: a Kubric view that renders a ``kubric.Scene`` with Cycles on Blender 4.5.

A drop-in for ``kubric.renderer.blender.Blender``: same constructor arguments, ``render()``,
``render_still()``, ``save_state()`` and the same output keys. In addition,
:meth:`Blender.render_raw` returns the exact label passes (:class:`labels.passes.RawPasses`).

Each frame is rendered twice:

1. the **colour pass**: ``samples_per_pixel`` samples, the usual 1.5 px pixel filter, optional
   denoising, written as an 8-bit sRGB PNG ("Standard" view transform);
2. the **label pass**: 1 sample through the pixel centre (pixel filter 0.01 px), no denoising,
   no bounces, one override material; it writes planar depth, object index, normals and object
   coordinates (plus UV and motion vectors when Kubric's uv/flow layers are asked for) to a
   float32 multilayer EXR. Because it samples pixel centres,
   every pixel carries exactly one object id (no blended edges).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Sequence

import bpy
import cv2
import numpy as np
from kubric import core

from assets.formats import MESH_EXTENSIONS
from fileio.atomic import write_atomic_with
from labels.passes import RawPasses
from renderer.blender import camera as camera_geometry
from renderer.blender import materials, objects, parts, passes
from renderer.blender.bindings import SetAttribute, bind, bind_object3d
from renderer.blender.device import DeviceInfo, configure_device
from renderer.blender.stdout import silenced_stdout
from renderer.blender.world import World
from renderer.kubric_layers import check_layer_names

logger = logging.getLogger(__name__)

DEFAULT_LAYERS = (
    "rgba",
    "backward_flow",
    "forward_flow",
    "depth",
    "normal",
    "object_coordinates",
    "segmentation",
)
LABEL_FILTER_WIDTH = 0.01  # pixels: Cycles' minimum; samples land on the pixel centre


def validate_resolution(resolution: Any) -> tuple[int, int]:
    """Return ``(width, height)`` or raise a ValueError that says what is accepted."""
    try:
        width, height = (int(v) for v in resolution)
        valid = width > 0 and height > 0 and (width, height) == tuple(resolution)
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ValueError(
            f"resolution {resolution!r} is invalid: give two positive integers "
            "(width, height) in pixels, e.g. (256, 256)"
        )
    return width, height


class Blender(core.View):
    """Render a Kubric scene with Cycles (Blender 4.5 LTS); see the module docstring."""

    def __init__(
        self,
        scene: core.Scene,
        scratch_dir: Optional[str | os.PathLike] = None,
        adaptive_sampling: bool = False,
        use_denoising: bool = True,
        samples_per_pixel: int = 128,
        background_transparency: bool = False,
        verbose: bool = False,
        custom_scene: Optional[str] = None,
        motion_blur: Optional[float] = None,
        device: str = "auto",
        view_transform: str = "Standard",
        reset: str = "factory",
    ):
        """
        Args:
          scene: the Kubric scene to observe.
          scratch_dir: folder for Blender's intermediate files (a temporary one if None).
          adaptive_sampling: Cycles adaptive sampling for the colour pass.
          use_denoising: denoise the colour pass (OpenImageDenoise on CPU).
          samples_per_pixel: colour-pass samples per pixel.
          background_transparency: transparent film (alpha 0 where the background shows).
          verbose: let Blender print its render log.
          custom_scene: a ``.blend`` file to start from instead of an empty scene.
          motion_blur: shutter length in frames for the colour pass (None = off).
          device: "auto" (OptiX, else CUDA, else CPU), "gpu" (fail without a GPU) or "cpu".
          view_transform: Blender colour view transform for the PNG ("Standard" = plain sRGB).
          reset: how Blender is emptied first: "factory" (factory settings, as Kubric does) or
            "purge" (delete every object, mesh, material, light, camera and action, then purge
            orphans; ~45 ms faster per frame and keeps loaded HDRIs cached — for warm workers
            that render many scenes in one process).
        """
        self.verbose = verbose
        self.scratch_dir = Path(
            tempfile.mkdtemp(prefix="synthscene-") if scratch_dir is None else scratch_dir
        )
        self.scratch_dir.mkdir(parents=True, exist_ok=True)
        if reset not in ("factory", "purge"):
            raise ValueError(f"reset={reset!r}: use 'factory' or 'purge'")
        if reset == "purge" and custom_scene is None and bpy.context.scene.world is not None:
            purge_scene_data()
        else:
            self.clear_and_reset_blender_scene(self.verbose, custom_scene)
        self.blender_scene = bpy.context.scene
        self.blender_scene.render.engine = "CYCLES"
        self.device_info: DeviceInfo = configure_device(self.blender_scene, device)
        self.world = World(self.blender_scene)
        self._configure_output(view_transform)
        self.adaptive_sampling = adaptive_sampling
        self.use_denoising = use_denoising
        self.samples_per_pixel = samples_per_pixel
        self.background_transparency = background_transparency
        self.motion_blur = motion_blur
        self._exr_prefix: Optional[str] = None
        self._label_material = (
            bpy.data.materials.get(materials.LABEL_OVERRIDE_NAME)
            or materials.make_object_coordinates_override()
        )
        self._label_material.use_fake_user = True
        self._add_asset_by_type: Dict[type, Callable] = {
            core.Cube: self._add_cube,
            core.Sphere: self._add_sphere,
            core.FileBasedObject: self._add_file_object,
            core.DirectionalLight: self._light_factory("SUN"),
            core.PointLight: self._light_factory("POINT"),
            core.SpotLight: self._light_factory("SPOT"),
            core.RectAreaLight: self._light_factory("AREA"),
            core.PerspectiveCamera: self._add_perspective_camera,
            core.OrthographicCamera: self._add_orthographic_camera,
            core.PrincipledBSDFMaterial: materials.make_principled,
            core.FlatMaterial: materials.make_flat,
        }
        render = self.blender_scene.render
        super().__init__(
            scene,
            scene_observers={
                "frame_start": [SetAttribute(self.blender_scene, "frame_start")],
                "frame_end": [SetAttribute(self.blender_scene, "frame_end")],
                "frame_rate": [SetAttribute(render, "fps")],
                "resolution": [
                    SetAttribute(render, "resolution_x", _width),
                    SetAttribute(render, "resolution_y", _height),
                ],
                "camera": [SetAttribute(self.blender_scene, "camera", self._blender_object)],
                "ambient_illumination": [lambda c: self.world.set_color("ambient", c.new)],
                "background": [lambda c: self.world.set_color("background", c.new)],
            },
        )

    # ------------------------------------------------------------------ Kubric-style settings
    @property
    def adaptive_sampling(self) -> bool:
        return self.blender_scene.cycles.use_adaptive_sampling

    @adaptive_sampling.setter
    def adaptive_sampling(self, value: bool) -> None:
        self.blender_scene.cycles.use_adaptive_sampling = bool(value)

    @property
    def use_denoising(self) -> bool:
        return self.blender_scene.cycles.use_denoising

    @use_denoising.setter
    def use_denoising(self, value: bool) -> None:
        self.blender_scene.cycles.use_denoising = bool(value)

    @property
    def samples_per_pixel(self) -> int:
        return self.blender_scene.cycles.samples

    @samples_per_pixel.setter
    def samples_per_pixel(self, value: int) -> None:
        if int(value) < 1:
            raise ValueError(f"samples_per_pixel={value!r}: give a positive integer")
        self.blender_scene.cycles.samples = int(value)

    @property
    def background_transparency(self) -> bool:
        return self.blender_scene.render.film_transparent

    @background_transparency.setter
    def background_transparency(self, value: bool) -> None:
        self.blender_scene.render.film_transparent = bool(value)

    @property
    def use_gpu(self) -> bool:
        return self.device_info.backend != "CPU"

    @use_gpu.setter
    def use_gpu(self, value: bool) -> None:
        """Kubric's switch: True renders on the GPU (OptiX, else CUDA), False on the CPU.
        Unlike Blender 2.93's silent CPU fallback, True without a GPU raises
        :class:`renderer.blender.device.GpuUnavailableError` naming the fix."""
        self.device_info = configure_device(self.blender_scene, "gpu" if value else "cpu")

    @staticmethod
    def clear_and_reset_blender_scene(
        verbose: bool = False, custom_scene: Optional[str] = None
    ) -> None:
        """Kubric's reset: Blender back to an empty scene with a World (or ``custom_scene``).
        A view made before the reset no longer has a scene to render: make a new one."""
        with silenced_stdout(not verbose):
            bpy.ops.wm.read_factory_settings(use_empty=True)
            if custom_scene is not None:
                if not Path(custom_scene).is_file():
                    raise FileNotFoundError(
                        f"custom_scene {custom_scene!r} does not exist; "
                        "pass the path of a .blend file"
                    )
                bpy.ops.wm.open_mainfile(filepath=str(custom_scene))
        if bpy.context.scene.world is None:
            bpy.context.scene.world = bpy.data.worlds.new("World")

    def set_exr_output_path(self, path_prefix: Optional[str | os.PathLike]) -> None:
        """Kubric's EXR output: each frame rendered from now on also writes its label-pass EXR
        as ``{path_prefix}{frame:04d}.exr`` and its colour PNG under the same name in
        ``images/`` beside the EXR folder (Kubric's ``exr/`` + ``images/`` layout, which
        :meth:`postprocess` reads). ``None`` turns it off. The EXR holds this backend's
        pixel-centre label layers (see :mod:`renderer.blender.passes`), not Kubric's."""
        self._exr_prefix = None if path_prefix is None else str(path_prefix)

    def postprocess(
        self, from_dir: str | os.PathLike, return_layers: Sequence[str] = DEFAULT_LAYERS
    ) -> Dict[str, np.ndarray]:
        """Kubric's post-processing: the layers of every ``from_dir/exr/*.exr`` frame (with its
        ``from_dir/images/<same name>.png``), stacked over frames as :meth:`render` returns them.
        Frame numbers come from the file names' last four digits."""
        check_layer_names(return_layers, passes.KUBRIC_LAYERS)
        from_dir = Path(from_dir)
        exr_files = sorted((from_dir / "exr").glob("*.exr"))
        if not exr_files:
            raise FileNotFoundError(
                f"{from_dir / 'exr'} holds no .exr files; call "
                "set_exr_output_path(DIR / 'exr' / 'frame_') before render()"
            )
        stacked: Dict[str, list] = {key: [] for key in return_layers}
        for exr_file in exr_files:
            frame = int(exr_file.stem[-4:])
            png = from_dir / "images" / f"{exr_file.stem}.png"
            bgra = cv2.imread(str(png), cv2.IMREAD_UNCHANGED)
            if bgra is None:
                raise FileNotFoundError(
                    f"{png} is missing or unreadable; postprocess needs the "
                    "colour PNG next to each EXR (Kubric layout)"
                )
            rendered = passes.FramePasses(
                frame=frame,
                rgba=cv2.cvtColor(bgra, cv2.COLOR_BGRA2RGBA),
                layers=passes.read_exr_layers(exr_file),
                timings={},
            )
            self.blender_scene.frame_set(frame)
            camera = self.camera_model()
            for key in return_layers:
                stacked[key].append(passes.kubric_layer(key, rendered, camera))
        return {key: np.stack(values) for key, values in stacked.items()}

    def _export_exr(self, frame: int, stem: Path) -> None:
        """Copy a rendered frame's EXR and PNG to the :meth:`set_exr_output_path` layout."""
        exr_target = Path(f"{self._exr_prefix}{frame:04d}.exr")
        png_target = exr_target.parent.parent / "images" / f"{exr_target.stem}.png"
        for source, target in (
            (stem.with_suffix(".exr"), exr_target),
            (stem.with_suffix(".png"), png_target),
        ):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)

    # ------------------------------------------------------------------------ scene set-up
    def _configure_output(self, view_transform: str) -> None:
        scene = self.blender_scene
        scene.render.resolution_percentage = 100
        scene.render.use_persistent_data = True
        scene.render.dither_intensity = 0.0  # exact colours, deterministic PNGs
        scene.view_settings.view_transform = view_transform
        scene.view_settings.look = "None"
        scene.cycles.use_animated_seed = False
        scene.view_layers[0].name = passes.VIEW_LAYER

    def _blender_object(self, asset: core.Asset):
        return asset.linked_objects[self]

    def add_asset(self, asset: core.Asset) -> Any:
        for asset_type in type(asset).__mro__:
            factory = self._add_asset_by_type.get(asset_type)
            if factory is not None:
                blender_data = factory(asset)
                blender_data.name = asset.uid
                return blender_data
        raise NotImplementedError(
            f"the Blender view cannot add {asset!r}; supported: "
            f"{', '.join(t.__name__ for t in self._add_asset_by_type)}"
        )

    def remove_asset(self, asset: core.Asset) -> None:
        blender_data = asset.linked_objects.get(self)
        if blender_data is None:
            return
        try:
            if isinstance(blender_data, bpy.types.Object):
                data = blender_data.data
                bpy.data.objects.remove(blender_data, do_unlink=True)
                if data is not None and data.users == 0:
                    _remove_datablock(data)
            elif isinstance(blender_data, bpy.types.Material):
                bpy.data.materials.remove(blender_data, do_unlink=True)
        except ReferenceError:
            pass  # already gone

    def _bind_physical(self, asset: core.PhysicalObject, obj: "bpy.types.Object"):
        bind_object3d(asset, obj)
        bind(asset, "scale", obj, "scale")
        asset.observe(SetAttribute(obj, "active_material", self._blender_object), "material")
        return obj

    def _add_cube(self, asset: core.Cube):
        return self._bind_physical(asset, objects.make_cube(asset.uid))

    def _add_sphere(self, asset: core.Sphere):
        return self._bind_physical(asset, objects.make_sphere(asset.uid))

    def _add_file_object(self, asset: core.FileBasedObject):
        if asset.render_filename is None:
            raise ValueError(
                f"{asset!r} has no render_filename; set it to a mesh file "
                f"({', '.join(MESH_EXTENSIONS)})"
            )
        obj = objects.import_mesh_file(asset.uid, asset.render_filename, asset.render_import_kwargs)
        if (asset.metadata or {}).get("parts"):
            parts.add_part_materials(obj, asset.metadata["parts"])
        return self._bind_physical(asset, obj)

    def _light_factory(self, light_type: str) -> Callable:
        def add_light(asset: core.Light):
            light = bpy.data.lights.new(asset.uid, light_type)
            obj = bpy.data.objects.new(asset.uid, light)
            self.blender_scene.collection.objects.link(obj)
            bind_object3d(asset, obj)
            bind(asset, "color", light, "color", lambda c: tuple(c)[:3])
            bind(asset, "intensity", light, "energy", float)
            if light_type == "SPOT":
                bind(asset, "spot_size", light, "spot_size", float)
                bind(asset, "spot_blend", light, "spot_blend", float)
            if light_type == "AREA":
                light.shape = "RECTANGLE"
                bind(asset, "width", light, "size", float)
                bind(asset, "height", light, "size_y", float)
            return obj

        return add_light

    def _add_camera(self, asset: core.Camera, camera_type: str):
        camera = bpy.data.cameras.new(asset.uid)
        camera.type = camera_type
        obj = bpy.data.objects.new(asset.uid, camera)
        self.blender_scene.collection.objects.link(obj)
        bind_object3d(asset, obj)
        bind(asset, "min_render_distance", camera, "clip_start", float)
        bind(asset, "max_render_distance", camera, "clip_end", float)
        return camera, obj

    def _add_perspective_camera(self, asset: core.PerspectiveCamera):
        camera, obj = self._add_camera(asset, "PERSP")
        camera.sensor_fit = "HORIZONTAL"
        bind(asset, "focal_length", camera, "lens", float)
        bind(asset, "sensor_width", camera, "sensor_width", float)
        bind(asset, "shift_x", camera, "shift_x", float)
        bind(asset, "shift_y", camera, "shift_y", float)
        return obj

    def _add_orthographic_camera(self, asset: core.OrthographicCamera):
        camera, obj = self._add_camera(asset, "ORTHO")
        bind(asset, "orthographic_scale", camera, "ortho_scale", float)
        return obj

    # ----------------------------------------------------------------------------- world
    def set_hdri(
        self,
        path: str | os.PathLike,
        rotation: Sequence[float] = (0.0, 0.0, 0.0),
        strength: float = 1.0,
        as_background: bool = True,
        as_ambient: bool = True,
    ) -> None:
        """Light the scene and/or fill the background with an equirectangular HDRI."""
        self.world.set_hdri(path, rotation, strength, as_background, as_ambient)

    def set_background_image(self, path: str | os.PathLike) -> None:
        """Show an image behind the scene, stretched to the frame; lighting stays as it is."""
        self.world.set_background_image(path)

    def _set_ambient_light_hdri(
        self, hdri_filepath=None, hdri_rotation=(0.0, 0.0, 0.0), strength=1.0
    ):
        """Kubric's name for :meth:`set_hdri` (lighting only)."""
        self.world.set_hdri(hdri_filepath, hdri_rotation, strength, as_background=False)

    def _set_background_hdri(self, hdri_filepath=None, hdri_rotation=(0.0, 0.0, 0.0)):
        """Kubric's name for :meth:`set_hdri` (visible background only)."""
        self.world.set_hdri(hdri_filepath, hdri_rotation, as_ambient=False)

    # ---------------------------------------------------------------------------- output
    def save_state(self, path: str | os.PathLike, pack_textures: bool = True) -> Path:
        """Write the scene as a ``.blend`` file (atomically; an existing file is replaced)."""

        def save(temporary: Path) -> None:
            with silenced_stdout(not self.verbose):
                if pack_textures and any(image.filepath for image in bpy.data.images):
                    bpy.ops.file.pack_all()
                bpy.ops.wm.save_as_mainfile(filepath=str(temporary), copy=True)

        target = write_atomic_with(path, save, durable=False)
        logger.info("Saved %s", target)
        return target

    def _check_missing_textures(self) -> None:
        missing = sorted(
            {img.filepath for img in bpy.data.images if tuple(img.size) == (0, 0) and img.filepath}
        )
        if missing:
            raise FileNotFoundError(
                f"missing textures: {missing}; fix the paths or pass ignore_missing_textures=True"
            )

    def _assign_object_indices(self) -> None:
        """Object index pass value = Kubric asset index + 1 (0 stays background)."""
        for index, asset in enumerate(self.scene.assets, start=1):
            blender_data = asset.linked_objects.get(self)
            if isinstance(blender_data, bpy.types.Object):
                blender_data.pass_index = index

    def _render_frame(self, frame: int, motion_and_uv: bool = False) -> passes.FramePasses:
        validate_resolution(self.scene.resolution)
        if self.blender_scene.camera is None:
            raise ValueError(
                "the scene has no camera; add one, e.g. "
                "scene.camera = kb.PerspectiveCamera(position=..., look_at=...)"
            )
        self.blender_scene.frame_set(frame)
        self._assign_object_indices()
        stem = self.scratch_dir / f"frame_{frame:04d}"
        with silenced_stdout(not self.verbose):
            started = time.perf_counter()
            rgba = passes.render_color(
                self.blender_scene, stem.with_suffix(".png"), self.motion_blur
            )
            color_seconds = time.perf_counter() - started
            layers = passes.render_labels(
                self.blender_scene, stem.with_suffix(".exr"), self._label_material, motion_and_uv
            )
        label_seconds = time.perf_counter() - started - color_seconds
        if self._exr_prefix is not None:
            self._export_exr(frame, stem)
        return passes.FramePasses(
            frame=frame,
            rgba=rgba,
            layers=layers,
            timings={"color_s": round(color_seconds, 4), "labels_s": round(label_seconds, 4)},
        )

    def render(
        self,
        frames: Optional[Sequence[int]] = None,
        ignore_missing_textures: bool = False,
        return_layers: Sequence[str] = DEFAULT_LAYERS,
    ) -> Dict[str, np.ndarray]:
        """Render ``frames`` (default: frame_start..frame_end) and return Kubric's layers,
        each stacked over frames: rgba (F,H,W,4) uint8, segmentation (F,H,W,1) uint32,
        depth (F,H,W,1) float32 (distance to the camera centre, like Kubric; background 1e10),
        z (planar depth),
        normal / object_coordinates / uv (F,H,W,3) uint16, forward_flow / backward_flow
        (F,H,W,2) float32 as (delta_row, delta_col)."""
        check_layer_names(return_layers, passes.KUBRIC_LAYERS)
        if not ignore_missing_textures:
            self._check_missing_textures()
        if frames is None:
            frames = range(self.scene.frame_start, self.scene.frame_end + 1)
        stacked: Dict[str, list] = {key: [] for key in return_layers}
        for frame in frames:
            rendered = self._render_frame(
                frame,
                motion_and_uv=any(key in passes.MOTION_AND_UV_LAYERS for key in return_layers),
            )
            camera = self.camera_model()
            for key in return_layers:
                stacked[key].append(passes.kubric_layer(key, rendered, camera))
        return {key: np.stack(values) for key, values in stacked.items()}

    def render_still(
        self,
        frame: Optional[int] = None,
        ignore_missing_textures: bool = False,
        return_layers: Sequence[str] = DEFAULT_LAYERS,
    ) -> Dict[str, np.ndarray]:
        """Render one frame (default: frame_start); layers as in :meth:`render`, without the
        leading frame axis."""
        frame = self.scene.frame_start if frame is None else frame
        result = self.render([frame], ignore_missing_textures, return_layers)
        return {key: value[0] for key, value in result.items()}

    def camera_model(self):
        """Intrinsics/extrinsics of the active camera at the current frame (OpenCV frame)."""
        return camera_geometry.camera_model(self.blender_scene)

    def render_raw(self, frame: Optional[int] = None) -> RawPasses:
        """Render one frame and return the exact label passes for :mod:`labels`."""
        frame = self.scene.frame_start if frame is None else frame
        rendered = self._render_frame(frame)
        return passes.raw_passes(
            rendered,
            self.camera_model(),
            self._instances(),
            render_info=self.render_info(rendered.timings),
        )

    def render_info(self, timings: Optional[dict] = None) -> dict:
        """Facts recorded with each frame: engine, Blender version, device, samples."""
        return {
            "engine": "cycles",
            "blender": bpy.app.version_string,
            "device": self.device_info.to_json(),
            "samples": self.samples_per_pixel,
            "denoising": self.use_denoising,
            "timings": dict(timings or {}),
        }

    def _instances(self):
        depsgraph = bpy.context.evaluated_depsgraph_get()
        found = []
        for index, asset in enumerate(self.scene.assets, start=1):
            blender_data = asset.linked_objects.get(self)
            if (
                isinstance(asset, core.PhysicalObject)
                and isinstance(blender_data, bpy.types.Object)
                and blender_data.type == "MESH"
            ):
                found.append(passes.instance_geometry(index, asset, blender_data, depsgraph))
        return found


def _width(resolution) -> int:
    return validate_resolution(resolution)[0]


def _height(resolution) -> int:
    return validate_resolution(resolution)[1]


def purge_scene_data() -> None:
    """Empty the current Blender scene without a factory reset: remove everything a Kubric
    scene creates, then every orphan. Images with a fake user (HDRIs) and the label-pass
    material stay."""
    for collection in (
        bpy.data.objects,
        bpy.data.meshes,
        bpy.data.materials,
        bpy.data.lights,
        bpy.data.cameras,
        bpy.data.actions,
    ):
        for item in list(collection):
            if not item.use_fake_user:
                collection.remove(item)
    bpy.data.orphans_purge(do_recursive=True)


def _remove_datablock(data) -> None:
    """Delete an object's data (mesh, light, camera) once nothing uses it."""
    for data_type, collection in (
        (bpy.types.Mesh, bpy.data.meshes),
        (bpy.types.Light, bpy.data.lights),
        (bpy.types.Camera, bpy.data.cameras),
    ):
        if isinstance(data, data_type):
            collection.remove(data)
            return
