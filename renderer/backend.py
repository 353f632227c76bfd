"""The backend contract: one way to get a view of a scene built from a spec, for every backend.

Every caller (batch worker, bench, preview, inspect's re-render, refiner proxy, demo) asks for a
view here::

    view = open_view("cycles" | "raster", kubric_scene, ViewSettings(samples_per_pixel=16))
    raw = view.render_raw()            # labels.passes.RawPasses

and gets a view that already applies everything the spec says beyond Kubric's scene model
(``scene.metadata["synthscene"]``, see :mod:`scenes.extras`): HDRI lighting/background, image
background, exposure, depth of field and motion blur, and the materials' textures. Each backend
package exposes ``open_view(scene, settings, extras)`` (:func:`renderer.blender.open_view`,
:func:`renderer.raster.open_view`); constructing ``Blender(scene)`` or ``Raster(scene)`` directly
gives a bare Kubric view that ignores those extras.

Nothing here imports bpy or pyrender: the backend is imported when its view is opened.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Mapping, Optional, Protocol, Sequence, runtime_checkable

from scenes.extras import scene_extras

ENGINES = ("cycles", "raster")


@dataclasses.dataclass(frozen=True)
class ViewSettings:
    """How a view renders (not what: that is the scene and its extras).

    samples_per_pixel: Cycles colour-pass samples per pixel (raster: fixed 4x MSAA, ignored).
    device: "auto", "gpu" or "cpu" (Cycles; raster: OpenGL picks the device).
    scratch_dir: folder for Blender's intermediate files (None: a temporary one; raster: unused).
    reset: how Blender is emptied first, "factory" or "purge" (see renderer.blender.Blender).
    use_denoising: denoise the Cycles colour pass.
    shadows: raster shadow maps (Cycles always traces shadows).
    background_transparency: alpha 0 where the background shows.
    """

    samples_per_pixel: int = 128
    device: str = "auto"
    scratch_dir: Optional[str | os.PathLike] = None
    reset: str = "factory"
    use_denoising: bool = True
    shadows: bool = True
    background_transparency: bool = False


@runtime_checkable
class View(Protocol):
    """What every backend's view offers (both are ``kubric.core.View`` subclasses)."""

    scene: Any

    def render_raw(self, frame: Optional[int] = None) -> Any:
        """Render one frame (default ``scene.frame_start``) as ``labels.passes.RawPasses``."""

    def render_still(
        self,
        frame: Optional[int] = None,
        ignore_missing_textures: bool = False,
        return_layers: Sequence[str] = (),
    ) -> dict:
        """One frame as Kubric's layer dictionary."""

    def set_hdri(
        self,
        path: str | os.PathLike,
        rotation: Sequence[float] = (0.0, 0.0, 0.0),
        strength: float = 1.0,
        as_background: bool = True,
        as_ambient: bool = True,
    ) -> None:
        """Light with / show an equirectangular HDRI (rotation: XYZ Euler, radians)."""

    def set_background_image(self, path: str | os.PathLike) -> None:
        """Show an image behind the scene, stretched to the frame."""


def open_view(
    engine: str,
    scene: Any,
    settings: ViewSettings = ViewSettings(),
    extras: Optional[Mapping] = None,
) -> View:
    """The ``engine``'s view of ``scene`` with every spec extra applied.

    ``extras`` defaults to the scene's own (``scene.metadata["synthscene"]``); pass a dict of
    the same shape for a scene not built from a spec (e.g. ``{"world": {"hdri": ...}}``).
    """
    if engine == "cycles":
        from renderer.blender import open_view as backend_open  # pylint: disable=import-outside-toplevel
    elif engine == "raster":
        from renderer.raster import open_view as backend_open  # pylint: disable=import-outside-toplevel
    else:
        raise ValueError(f"engine {engine!r} is unknown; use one of {', '.join(ENGINES)}")
    return backend_open(scene, settings, extras)


def view_extras(scene: Any, extras: Optional[Mapping]) -> Mapping:
    """``extras`` if given, else the scene's own."""
    return scene_extras(scene) if extras is None else extras


def apply_world(view: View, extras: Mapping) -> None:
    """The spec's world on any backend: HDRI lighting (rotation about +Z, radians), shown as the
    background when the spec asks for an HDRI background; else an image background if asked."""
    world = extras.get("world") or {}
    hdri = world.get("hdri")
    if hdri:
        view.set_hdri(
            hdri["path"],
            rotation=(0.0, 0.0, float(hdri["rotation"])),
            strength=float(hdri["strength"]),
            as_background=world.get("background") == "hdri",
        )
    if world.get("background") == "image" and world.get("image"):
        view.set_background_image(Path(world["image"]))


def exposure_ev(extras: Mapping) -> float:
    """The spec camera's exposure in EV (0 when not given)."""
    return float((extras.get("camera") or {}).get("exposure") or 0.0)
