"""Spec data beyond Kubric's scene model that every backend applies the same way.

``scenes.build`` stores it in ``scene.metadata["synthscene"]``; backend-specific parts (textures,
depth of field) live in that backend's package, e.g. :mod:`renderer.blender.extras`.
"""
from __future__ import annotations


def scene_extras(scene) -> dict:
    """``scene.metadata["synthscene"]``, or {} for a scene not built from a spec."""
    return (getattr(scene, "metadata", None) or {}).get("synthscene") or {}


def apply_hdri(view, scene) -> None:
    """Light with the spec's HDRI (rotation about +Z, radians) and show it as the background
    when the spec asks for an HDRI background. ``view`` is any backend with ``set_hdri``."""
    world = scene_extras(scene).get("world") or {}
    hdri = world.get("hdri")
    if hdri:
        view.set_hdri(hdri["path"], rotation=(0.0, 0.0, float(hdri["rotation"])),
                      strength=float(hdri["strength"]),
                      as_background=world.get("background") == "hdri")
