"""Materials of objects made of parts (``asset.metadata["parts"]``, see scenes/build.py).

The object is one Blender mesh object (one ``pass_index``, so every pixel of every part carries
the object's id in the label pass) with one material slot per part: slot 0 holds the Kubric
material (bound to its traits like any object's), slot i > 0 a material built here from part i's
description; each face's material index is its part index (renderer/blender/objects.py).
"""

from __future__ import annotations

import bpy

from renderer.blender.extras import add_surface, add_texture
from renderer.blender.materials import set_principled_inputs


def add_part_materials(obj: "bpy.types.Object", parts: list[dict]) -> None:
    """Give ``obj`` one slot per part: slot 0 empty (the Kubric material goes there), the
    others materials made from the parts' descriptions."""
    mesh = obj.data
    mesh.materials.append(None)
    for part in parts[1:]:
        mesh.materials.append(part_material(f"{obj.name}_{part['name']}", part["material"]))
    obj.active_material_index = 0


def part_material(name: str, description: dict) -> "bpy.types.Material":
    """A Principled BSDF material from a MaterialSpec dict (texture resolved, ``surface``)."""
    material = bpy.data.materials.new(name)
    material.use_nodes = True
    set_principled_inputs(material.node_tree.nodes["Principled BSDF"], description)
    if description.get("texture"):
        add_texture(material, description["texture"])
    if description.get("surface"):
        add_surface(material, description["surface"])
    return material
