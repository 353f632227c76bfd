"""Choosing the Cycles compute device: OptiX, else CUDA, else CPU.

``device="auto"`` takes the first GPU backend that lists a GPU, falling back to the CPU;
``"gpu"`` does the same but raises :class:`GpuUnavailableError` instead of falling back;
``"cpu"`` never probes GPUs. The choice is logged and returned as a :class:`DeviceInfo`, which the
renderer records with every frame.
"""

from __future__ import annotations

import dataclasses
import logging

import bpy

from renderer.errors import SetupError

logger = logging.getLogger(__name__)

GPU_BACKENDS = ("OPTIX", "CUDA")
DEVICE_CHOICES = ("auto", "cpu", "gpu")


class GpuUnavailableError(SetupError, RuntimeError):
    """``device="gpu"`` was asked for but Cycles sees no usable GPU (a batch stops at once)."""


@dataclasses.dataclass(frozen=True)
class DeviceInfo:
    """What rendered: ``backend`` is ``"OPTIX"``, ``"CUDA"`` or ``"CPU"``; ``names`` the devices."""

    backend: str
    names: tuple[str, ...]

    def to_json(self) -> dict:
        return {"backend": self.backend, "names": list(self.names)}


def _gpus_for(backend: str) -> list:
    prefs = bpy.context.preferences.addons["cycles"].preferences
    try:
        prefs.compute_device_type = backend
    except TypeError:  # this build has no such backend
        return []
    prefs.refresh_devices()
    return [d for d in prefs.devices if d.type == backend]


def configure_device(scene: "bpy.types.Scene", device: str = "auto") -> DeviceInfo:
    """Select the Cycles device for ``scene`` and return what was chosen."""
    if device not in DEVICE_CHOICES:
        raise ValueError(f"device={device!r} is not one of {', '.join(DEVICE_CHOICES)}")
    if device != "cpu":
        for backend in GPU_BACKENDS:
            gpus = _gpus_for(backend)
            if gpus:
                prefs = bpy.context.preferences.addons["cycles"].preferences
                for d in prefs.devices:
                    d.use = d.type == backend
                scene.cycles.device = "GPU"
                info = DeviceInfo(backend, tuple(d.name for d in gpus))
                logger.info("Cycles renders on %s: %s", backend, ", ".join(info.names))
                return info
        if device == "gpu":
            raise GpuUnavailableError(
                "device='gpu' (--device gpu) was requested but Cycles found no OptiX or CUDA "
                "GPU (check the NVIDIA driver with `nvidia-smi`); use device='auto' to fall "
                "back to the CPU or device='cpu'."
            )
    scene.cycles.device = "CPU"
    bpy.context.preferences.addons["cycles"].preferences.compute_device_type = "NONE"
    info = DeviceInfo("CPU", (_cpu_name(),))
    logger.info("Cycles renders on the CPU (%s)", info.names[0])
    return info


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "CPU"
