"""Raster backend: Kubric scenes rendered with pyrender (OpenGL), headless, with exact labels.

Public API:
  Raster(scene, ...)            Kubric view; ``render_raw(frame) -> labels.passes.RawPasses``,
                                ``render_still()`` / ``render()`` (Kubric-style dicts).
  OpenGLUnavailableError        raised when neither EGL nor OSMesa can create a context.
  intrinsics(camera, w, h)      the 3x3 K both backends use for a Kubric camera.
  sphere_mesh(), cube_mesh()    the reference tessellations of kb.Sphere / kb.Cube.

See renderer/raster/view.py for the Blender -> pyrender mapping and label_pass.py for how the
labels are computed exactly.
"""
from renderer.raster.camera import intrinsics
from renderer.raster.geometry import cube_mesh, sphere_mesh
from renderer.raster.platform import OpenGLUnavailableError
from renderer.raster.view import Raster

__all__ = ["Raster", "OpenGLUnavailableError", "intrinsics", "sphere_mesh", "cube_mesh"]
