"""Apply what a synthscene spec holds beyond Kubric's scene model to the raster view.

The raster side of :func:`renderer.backend.open_view`: HDRI lighting/background and image
background (:func:`renderer.backend.apply_world`) and the camera's exposure. Materials' textures
(``material.metadata["texture"]``) are part of each material's state, read at render time by
:mod:`renderer.raster.shading`/:mod:`renderer.raster.textures`. Depth of field and motion blur
have no raster counterpart (the colour pass stays sharp; labels are exact either way).
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from renderer.backend import ViewSettings, apply_world, exposure_ev, view_extras


def open_view(
    scene: Any, settings: ViewSettings = ViewSettings(), extras: Optional[Mapping] = None
):
    """A :class:`renderer.raster.Raster` view of ``scene`` with every spec extra applied."""
    from renderer.raster.view import Raster  # pylint: disable=import-outside-toplevel

    view = Raster(
        scene, background_transparency=settings.background_transparency, shadows=settings.shadows
    )
    extras = view_extras(scene, extras)
    apply_world(view, extras)
    view.exposure = exposure_ev(extras)
    return view
