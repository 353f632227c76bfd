"""File formats synthscene reads, by file-name suffix (lower case, with the dot): one list each.

Both backends and the asset scanners use these, so a format accepted in one place is accepted
everywhere it makes sense.
"""

from __future__ import annotations

MESH_EXTENSIONS = (".obj", ".glb", ".gltf", ".ply", ".stl")
"""Meshes: scanned in mesh folders, imported by the Blender and raster backends."""

HDRI_EXTENSIONS = (".exr", ".hdr")
"""High-dynamic-range environment maps picked up from a user's HDRI folder."""

ENVIRONMENT_MAP_EXTENSIONS = HDRI_EXTENSIONS + (".png", ".jpg", ".jpeg", ".tif", ".tiff")
"""What a backend's ``set_hdri`` loads (8-bit images are read as sRGB)."""

TEXTURE_IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".exr", ".tif", ".tiff", ".hdr")
"""Image textures and background images picked up from a user's texture folder."""
