"""Kubric materials as Blender 4.x node materials.

Kubric's ``PrincipledBSDFMaterial`` was written for Blender 2.9x/3.x Principled BSDF inputs;
Blender 4 renamed or changed several. The mapping used here:

=======================  ==========================  ======================================
Kubric trait             Blender 4 input             conversion
=======================  ==========================  ======================================
color                    Base Color                  RGBA as is
metallic                 Metallic                    as is
roughness                Roughness                   as is
ior                      IOR                         as is
specular (0..1)          Specular IOR Level          as is (0.5 is neutral in both)
specular_tint (float)    Specular Tint (colour)      lerp(white, base colour, tint)
transmission             Transmission Weight         as is
transmission_roughness   (removed in Blender 4)      ignored; Roughness applies to both lobes
emission (RGBA)          Emission Color              as is, Emission Strength 1 (black = off)
=======================  ==========================  ======================================
"""

from __future__ import annotations

import bpy
import kubric as kb

from renderer.blender.bindings import bind

LABEL_OVERRIDE_NAME = "synthscene_label_override"
PRINCIPLED_INPUTS = {  # kubric trait -> Blender 4 Principled BSDF input
    "color": "Base Color",
    "metallic": "Metallic",
    "roughness": "Roughness",
    "ior": "IOR",
    "specular": "Specular IOR Level",
    "transmission": "Transmission Weight",
    "emission": "Emission Color",
}


def _rgba(value) -> tuple[float, float, float, float]:
    return tuple(float(c) for c in tuple(value)[:4])


def make_principled(material: kb.PrincipledBSDFMaterial) -> "bpy.types.Material":
    """Create a node material whose inputs follow ``material``'s traits (and keyframes)."""
    mat = bpy.data.materials.new(material.uid)
    mat.use_nodes = True
    bsdf = mat.node_tree.nodes["Principled BSDF"]
    for trait, socket in PRINCIPLED_INPUTS.items():
        converter = _rgba if socket.endswith("Color") else float
        bind(material, trait, bsdf.inputs[socket], "default_value", converter)
    bsdf.inputs["Emission Strength"].default_value = 1.0

    def tint_colour(tint: float):
        base = _rgba(material.color)
        return tuple((1 - tint) + tint * c for c in base[:3]) + (1.0,)

    bind(material, "specular_tint", bsdf.inputs["Specular Tint"], "default_value", tint_colour)
    return mat


def set_principled_inputs(bsdf, values: dict) -> None:
    """Set a Principled BSDF's inputs from Kubric trait values by name (a MaterialSpec dict:
    color, metallic, roughness, ior, specular, transmission, emission, specular_tint)."""
    for trait, socket in PRINCIPLED_INPUTS.items():
        if trait in values:
            converter = _rgba if socket.endswith("Color") else float
            bsdf.inputs[socket].default_value = converter(values[trait])
    bsdf.inputs["Emission Strength"].default_value = 1.0
    tint = float(values.get("specular_tint", 0.0))
    base = _rgba(values.get("color", (0.8, 0.8, 0.8, 1.0)))
    bsdf.inputs["Specular Tint"].default_value = tuple((1 - tint) + tint * c for c in base[:3]) + (
        1.0,
    )


def make_flat(material: kb.FlatMaterial) -> "bpy.types.Material":
    """Uniform colour, optionally a holdout, optionally invisible to indirect rays (Kubric's)."""
    mat = bpy.data.materials.new(material.uid)
    mat.use_nodes = True
    tree = mat.node_tree
    tree.nodes.remove(tree.nodes["Principled BSDF"])
    output = tree.nodes["Material Output"]
    light_path = tree.nodes.new("ShaderNodeLightPath")
    holdout = tree.nodes.new("ShaderNodeHoldout")
    transparent = tree.nodes.new("ShaderNodeBsdfTransparent")
    emission = tree.nodes.new("ShaderNodeEmission")
    holdout_mix = tree.nodes.new("ShaderNodeMixShader")
    indirect_mix = tree.nodes.new("ShaderNodeMixShader")
    camera_mix = tree.nodes.new("ShaderNodeMixShader")
    links = tree.links
    links.new(transparent.outputs["BSDF"], indirect_mix.inputs[1])
    links.new(emission.outputs["Emission"], indirect_mix.inputs[2])
    links.new(emission.outputs["Emission"], holdout_mix.inputs[1])
    links.new(holdout.outputs["Holdout"], holdout_mix.inputs[2])
    links.new(light_path.outputs["Is Camera Ray"], camera_mix.inputs["Fac"])
    links.new(indirect_mix.outputs["Shader"], camera_mix.inputs[1])
    links.new(holdout_mix.outputs["Shader"], camera_mix.inputs[2])
    links.new(camera_mix.outputs["Shader"], output.inputs["Surface"])
    bind(material, "color", emission.inputs["Color"], "default_value", _rgba)
    bind(material, "holdout", holdout_mix.inputs["Fac"], "default_value", float)
    bind(material, "indirect_visibility", indirect_mix.inputs["Fac"], "default_value", float)
    return mat


def make_object_coordinates_override() -> "bpy.types.Material":
    """Material used for the label pass: writes Generated coordinates into the AOV
    ``ObjectCoordinates`` (position inside the object's bounding box, [0, 1] per axis)."""
    mat = bpy.data.materials.new(LABEL_OVERRIDE_NAME)
    mat.use_nodes = True
    tree = mat.node_tree
    tree.nodes.remove(tree.nodes["Principled BSDF"])
    coords = tree.nodes.new("ShaderNodeTexCoord")
    aov = tree.nodes.new("ShaderNodeOutputAOV")
    aov.aov_name = "ObjectCoordinates"
    diffuse = tree.nodes.new("ShaderNodeBsdfDiffuse")
    tree.links.new(coords.outputs["Generated"], aov.inputs["Color"])
    tree.links.new(diffuse.outputs["BSDF"], tree.nodes["Material Output"].inputs["Surface"])
    return mat
