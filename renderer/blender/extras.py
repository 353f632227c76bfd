"""Apply what a synthscene spec holds beyond Kubric's scene model to the Blender view.

``scenes.build`` stores it in ``scene.metadata["synthscene"]`` (world: HDRI / image / colour
background; camera: depth of field, motion blur, exposure) and in each material's
``metadata["texture"]`` (procedural or image texture mixed into the base colour). Texture
coordinates are the object's Generated coordinates ([0, 1] over its bounding box; image textures)
or Object coordinates (metres; procedural), rotated by ``texture.rotation`` (XYZ Euler, radians),
then scaled by ``texture.scale`` through the node's Scale input.
"""
from __future__ import annotations

from typing import Mapping, Optional

import bpy
from kubric import core

from renderer.backend import ViewSettings, apply_world, exposure_ev, view_extras

TEXTURE_NODES = {
    "noise": "ShaderNodeTexNoise", "voronoi": "ShaderNodeTexVoronoi",
    "wave": "ShaderNodeTexWave", "checker": "ShaderNodeTexChecker",
    "brick": "ShaderNodeTexBrick", "magic": "ShaderNodeTexMagic",
    "gradient": "ShaderNodeTexGradient", "image": "ShaderNodeTexImage",
}


def open_view(scene: core.Scene, settings: ViewSettings = ViewSettings(),
              extras: Optional[Mapping] = None):
    """A :class:`renderer.blender.Blender` view of ``scene`` with every spec extra applied
    (the Cycles side of :func:`renderer.backend.open_view`)."""
    from renderer.blender.view import Blender  # pylint: disable=import-outside-toplevel
    view = Blender(scene, scratch_dir=settings.scratch_dir,
                   samples_per_pixel=settings.samples_per_pixel, device=settings.device,
                   use_denoising=settings.use_denoising,
                   background_transparency=settings.background_transparency,
                   reset=settings.reset)
    apply_scene_extras(view, scene, extras)
    return view


def apply_scene_extras(view, scene: core.Scene, extras: Optional[Mapping] = None) -> None:
    """Configure ``view`` (a :class:`renderer.blender.Blender`) from the materials' textures and
    the scene's extras (``extras`` if given, else ``scene.metadata["synthscene"]``)."""
    for material in _materials(scene):
        texture = material.metadata.get("texture")
        if texture and view in material.linked_objects:
            add_texture(material.linked_objects[view], texture)
    extras = view_extras(scene, extras)
    apply_world(view, extras)
    _apply_camera(view, extras.get("camera") or {})


def _materials(scene: core.Scene) -> list:
    """Materials of the scene's objects (Kubric keeps them out of ``scene.assets``), once each."""
    found = {}
    for asset in scene.assets:
        material = getattr(asset, "material", None)
        if isinstance(material, core.Material):
            found[material.uid] = material
    return list(found.values())


def _apply_camera(view, camera: dict) -> None:
    blender_camera = view.blender_scene.camera.data
    dof = camera.get("depth_of_field")
    blender_camera.dof.use_dof = bool(dof)
    if dof:
        blender_camera.dof.focus_distance = float(dof["focus_distance"])
        blender_camera.dof.aperture_fstop = float(dof["fstop"])
    if camera.get("motion_blur") is not None:
        view.motion_blur = float(camera["motion_blur"])
    view.blender_scene.view_settings.exposure = exposure_ev({"camera": camera})


def add_texture(material: "bpy.types.Material", texture: dict) -> Optional["bpy.types.Node"]:
    """Mix a texture into ``material``'s base colour: mix(base, color2, texture factor)."""
    tree = material.node_tree
    shader = tree.nodes.get("Principled BSDF") or tree.nodes.get("Emission")
    if shader is None:
        return None
    socket = shader.inputs["Base Color" if shader.type == "BSDF_PRINCIPLED" else "Color"]
    kind = texture["kind"]
    if kind not in TEXTURE_NODES:
        raise ValueError(f"texture kind {kind!r} is unknown; use one of "
                         f"{', '.join(TEXTURE_NODES)}")
    node = tree.nodes.new(TEXTURE_NODES[kind])
    coords = tree.nodes.new("ShaderNodeTexCoord")
    mapping = tree.nodes.new("ShaderNodeMapping")
    mapping.inputs["Rotation"].default_value = tuple(texture.get("rotation") or (0, 0, 0))
    tree.links.new(coords.outputs["Generated" if kind == "image" else "Object"],
                   mapping.inputs["Vector"])
    tree.links.new(mapping.outputs["Vector"], node.inputs["Vector"])
    if kind == "image":
        node.image = bpy.data.images.load(texture["image"], check_existing=True)
        factor = tree.nodes.new("ShaderNodeRGBToBW")
        tree.links.new(node.outputs["Color"], factor.inputs["Color"])
        factor_output = factor.outputs["Val"]
    else:
        if "Scale" in node.inputs:
            node.inputs["Scale"].default_value = float(texture.get("scale", 5.0))
        for name, value in (texture.get("params") or {}).items():
            if name in node.inputs:
                node.inputs[name].default_value = value
        factor_output = node.outputs["Fac" if "Fac" in node.outputs else "Distance"]
    mix = tree.nodes.new("ShaderNodeMix")
    mix.data_type = "RGBA"
    colour_a, colour_b = (_socket(mix.inputs, name, "RGBA") for name in ("A", "B"))
    colour_a.default_value = tuple(socket.default_value)
    colour_b.default_value = tuple(texture.get("color2") or (0, 0, 0, 1))
    tree.links.new(factor_output, _socket(mix.inputs, "Factor", "VALUE"))
    tree.links.new(_socket(mix.outputs, "Result", "RGBA"), socket)
    return node


def _socket(sockets, name: str, socket_type: str):
    """The mix node has one socket per data type under the same name; pick by type."""
    return next(s for s in sockets if s.name == name and s.type == socket_type)
