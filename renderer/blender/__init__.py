"""Blender/Cycles backend: a Kubric view for Blender 4.5 LTS (see :mod:`renderer.blender.view`)."""
from renderer.blender.device import DeviceInfo, GpuUnavailableError, configure_device
from renderer.blender.view import Blender, validate_resolution

__all__ = ["Blender", "DeviceInfo", "GpuUnavailableError", "configure_device",
           "validate_resolution"]
