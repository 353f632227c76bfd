"""Blender/Cycles backend: a Kubric view for Blender 4.5 LTS (see :mod:`renderer.blender.view`).

``open_view(scene, settings, extras)`` is this backend's entry point of the contract in
:mod:`renderer.backend` (the view with every spec extra applied); ``Blender(scene)`` is the bare
Kubric view.
"""

from renderer.blender.device import DeviceInfo, GpuUnavailableError, configure_device
from renderer.blender.extras import open_view
from renderer.blender.view import Blender, validate_resolution

__all__ = [
    "Blender",
    "DeviceInfo",
    "GpuUnavailableError",
    "configure_device",
    "open_view",
    "validate_resolution",
]
