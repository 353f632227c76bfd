"""Raster backend: Kubric scenes rendered with pyrender (OpenGL), headless, with exact labels.

Public API:
  open_view(scene, settings, extras)
                                the contract of renderer.backend: a Raster view with every spec
                                extra applied (HDRI, background image, exposure).
  Raster(scene, ...)            Kubric view, drop-in for renderer.blender.Blender:
                                ``render_raw(frame) -> labels.passes.RawPasses``,
                                ``render_still()`` / ``render()`` (Kubric-style dicts),
                                ``set_hdri()``, ``set_background_image()``, ``close()``.
  OpenGLUnavailableError        raised when neither EGL nor OSMesa can create a context.
  intrinsics(camera, w, h)      the 3x3 K both backends use for a Kubric camera.
  sphere_mesh(), cube_mesh()    the reference tessellations of kb.Sphere / kb.Cube.

Modules: view.py (the view), label_pass.py (exact labels from a triangle-index pass),
camera.py (intrinsics/extrinsics), geometry.py (meshes), shading.py (materials, lights),
textures.py, environment.py (HDRI), platform.py (EGL/OSMesa), extras.py (open_view),
benchmark.py (``python -m renderer.raster.benchmark``).
"""

from renderer.raster.camera import intrinsics
from renderer.raster.extras import open_view
from renderer.raster.geometry import cube_mesh, sphere_mesh
from renderer.raster.platform import OpenGLUnavailableError
from renderer.raster.view import Raster

__all__ = [
    "Raster",
    "open_view",
    "OpenGLUnavailableError",
    "intrinsics",
    "sphere_mesh",
    "cube_mesh",
]
