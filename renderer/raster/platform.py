"""Headless OpenGL for pyrender: EGL first, OSMesa as the fallback, one clear error otherwise.

PyOpenGL reads ``PYOPENGL_PLATFORM`` once, when ``OpenGL`` is first imported, so the choice is
made here before pyrender is imported. If the user set ``PYOPENGL_PLATFORM`` we respect it and
only try that platform.

Debian/Ubuntu packages: EGL on Mesa needs ``libegl1`` + ``libegl-mesa0`` + ``libgl1-mesa-dri``
(software rendering via llvmpipe, or a GPU driver's EGL); OSMesa needs ``libosmesa6``.

PyOpenGL is pinned to 3.1.0, the version pyrender 0.1.45 declares (``PyOpenGL==3.1.0``): on
Python 3.11 with Mesa 22.3 it creates EGL contexts headless (llvmpipe) with no display, so no
newer release is needed. It still calls numpy's deprecated ``ndarray.tostring`` when reading
pixels back (a DeprecationWarning; removed in numpy 2, which is one more reason for numpy<2).
"""

from __future__ import annotations

import os
import sys
from types import ModuleType

PLATFORM_VARIABLE = "PYOPENGL_PLATFORM"
SHADOW_MAP_SIZE = 1024  # texels; pyrender's default 2048 costs 4x more on a CPU (llvmpipe)
HEADLESS_PLATFORMS = ("egl", "osmesa")


class OpenGLUnavailableError(RuntimeError):
    """No headless OpenGL platform could create an offscreen context."""


def _unavailable_message(failures: dict[str, str]) -> str:
    tried = "; ".join(f"{name}: {reason}" for name, reason in failures.items())
    return (
        "The raster backend (pyrender) found no headless OpenGL platform "
        f"(tried {tried}). Options: EGL (Debian/Ubuntu: apt-get install libegl1 libegl-mesa0 "
        "libgl1-mesa-dri, or a GPU driver with EGL), or OSMesa (apt-get install libosmesa6). "
        f"Choose one explicitly with the environment variable {PLATFORM_VARIABLE}=egl or "
        f"{PLATFORM_VARIABLE}=osmesa, or use --engine cycles."
    )


def _forget_opengl_modules() -> None:
    """Drop PyOpenGL/pyrender from ``sys.modules`` so the next import re-reads the platform."""
    for name in list(sys.modules):
        if name == "OpenGL" or name.startswith(("OpenGL.", "pyrender")):
            del sys.modules[name]


def _try_platform(platform: str, width: int, height: int):
    """Import pyrender on ``platform`` and create an offscreen renderer; raise on failure."""
    os.environ[PLATFORM_VARIABLE] = platform
    import pyrender  # pylint: disable=import-outside-toplevel

    # pyrender reads its shadow-map size from these module globals at render time
    pyrender.light.SHADOW_TEX_SZ = pyrender.renderer.SHADOW_TEX_SZ = SHADOW_MAP_SIZE
    return pyrender, pyrender.OffscreenRenderer(width, height)


_SHARED: dict[str, tuple[ModuleType, object]] = {}


def shared_offscreen_renderer(width: int, height: int) -> tuple[ModuleType, object]:
    """Return ``(pyrender_module, OffscreenRenderer)``, one per process, on a headless platform.

    One renderer (one OpenGL context) serves every Raster view in the process: pyrender's EGL
    teardown calls ``eglTerminate`` on the shared display, which breaks every other live context,
    so contexts are never created and destroyed per view. Callers set the viewport size before
    each render. Tries ``PYOPENGL_PLATFORM`` if set, else EGL then OSMesa; raises
    OpenGLUnavailableError naming the options when none works.
    """
    if "renderer" not in _SHARED:
        _SHARED["renderer"] = open_offscreen_renderer(width, height)
    return _SHARED["renderer"]


def open_offscreen_renderer(width: int, height: int) -> tuple[ModuleType, object]:
    """Create a new ``(pyrender_module, OffscreenRenderer)``; see shared_offscreen_renderer."""
    chosen = os.environ.get(PLATFORM_VARIABLE)
    candidates = (chosen,) if chosen else HEADLESS_PLATFORMS
    opengl_already_imported = "OpenGL" in sys.modules
    failures: dict[str, str] = {}
    for platform in candidates:
        try:
            return _try_platform(platform, width, height)
        except Exception as error:  # pylint: disable=broad-except  # any GL/EGL failure
            failures[platform] = f"{type(error).__name__}: {error}".strip()[:300]
            if opengl_already_imported:
                break  # PyOpenGL cannot switch platform inside this process
            _forget_opengl_modules()
    if chosen:
        os.environ[PLATFORM_VARIABLE] = chosen
    else:
        os.environ.pop(PLATFORM_VARIABLE, None)
    raise OpenGLUnavailableError(_unavailable_message(failures))
