"""Apply what a synthscene spec holds beyond Kubric's scene model to the Blender view.

``scenes.build`` stores it in ``scene.metadata["synthscene"]`` (world: HDRI / image / colour
background; camera: depth of field, motion blur, exposure) and in each material's
``metadata["texture"]`` (procedural or image texture mixed into the base colour; a "print" is
an RGBA image laid over the base colour by the mesh's UV map) and ``metadata["surface"]``
(coat weight, noise bump, roughness noise). Texture
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
    "noise": "ShaderNodeTexNoise",
    "voronoi": "ShaderNodeTexVoronoi",
    "wave": "ShaderNodeTexWave",
    "checker": "ShaderNodeTexChecker",
    "brick": "ShaderNodeTexBrick",
    "magic": "ShaderNodeTexMagic",
    "gradient": "ShaderNodeTexGradient",
    "image": "ShaderNodeTexImage",
}


def open_view(
    scene: core.Scene, settings: ViewSettings = ViewSettings(), extras: Optional[Mapping] = None
):
    """A :class:`renderer.blender.Blender` view of ``scene`` with every spec extra applied
    (the Cycles side of :func:`renderer.backend.open_view`)."""
    from renderer.blender.view import Blender  # pylint: disable=import-outside-toplevel

    view = Blender(
        scene,
        scratch_dir=settings.scratch_dir,
        samples_per_pixel=settings.samples_per_pixel,
        device=settings.device,
        use_denoising=settings.use_denoising,
        background_transparency=settings.background_transparency,
        reset=settings.reset,
    )
    apply_scene_extras(view, scene, extras)
    return view


def apply_scene_extras(view, scene: core.Scene, extras: Optional[Mapping] = None) -> None:
    """Configure ``view`` (a :class:`renderer.blender.Blender`) from the materials' textures and
    the scene's extras (``extras`` if given, else ``scene.metadata["synthscene"]``)."""
    for material in _materials(scene):
        if view not in material.linked_objects:
            continue
        texture = material.metadata.get("texture")
        if texture:
            add_texture(material.linked_objects[view], texture)
        if material.metadata.get("surface"):
            add_surface(material.linked_objects[view], material.metadata["surface"])
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
    if kind == "print":
        return add_print(material, texture)
    if kind not in TEXTURE_NODES:
        raise ValueError(f"texture kind {kind!r} is unknown; use one of {', '.join(TEXTURE_NODES)}")
    node = tree.nodes.new(TEXTURE_NODES[kind])
    coords = tree.nodes.new("ShaderNodeTexCoord")
    mapping = tree.nodes.new("ShaderNodeMapping")
    mapping.inputs["Rotation"].default_value = tuple(texture.get("rotation") or (0, 0, 0))
    tree.links.new(
        coords.outputs["Generated" if kind == "image" else "Object"], mapping.inputs["Vector"]
    )
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


def add_print(material: "bpy.types.Material", texture: dict) -> Optional["bpy.types.Node"]:
    """Lay an RGBA image over the base colour by the mesh's UV map: mix(base, image, alpha)."""
    tree = material.node_tree
    shader = tree.nodes.get("Principled BSDF")
    if shader is None:
        return None
    socket = shader.inputs["Base Color"]
    coords = tree.nodes.new("ShaderNodeTexCoord")
    node = tree.nodes.new("ShaderNodeTexImage")
    node.image = bpy.data.images.load(texture["image"], check_existing=True)
    node.extension = "REPEAT"
    tree.links.new(coords.outputs["UV"], node.inputs["Vector"])
    mix = tree.nodes.new("ShaderNodeMix")
    mix.data_type = "RGBA"
    _socket(mix.inputs, "A", "RGBA").default_value = tuple(socket.default_value)
    tree.links.new(node.outputs["Color"], _socket(mix.inputs, "B", "RGBA"))
    tree.links.new(node.outputs["Alpha"], _socket(mix.inputs, "Factor", "VALUE"))
    tree.links.new(_socket(mix.outputs, "Result", "RGBA"), socket)
    return node


def add_surface(material: "bpy.types.Material", surface: dict) -> None:
    """Coat weight, a noise bump (strength ``bump``, ``bump_scale`` cycles per metre in object
    coordinates) and a noise on the roughness (amplitude ``roughness_noise``)."""
    tree = material.node_tree
    shader = tree.nodes.get("Principled BSDF")
    if shader is None:
        return
    shader.inputs["Coat Weight"].default_value = float(surface.get("coat", 0.0))
    coords = tree.nodes.new("ShaderNodeTexCoord")
    if surface.get("bump"):
        noise = tree.nodes.new("ShaderNodeTexNoise")
        noise.inputs["Scale"].default_value = float(surface.get("bump_scale", 2000.0))
        noise.inputs["Detail"].default_value = 4.0
        tree.links.new(coords.outputs["Object"], noise.inputs["Vector"])
        bump = tree.nodes.new("ShaderNodeBump")
        bump.inputs["Strength"].default_value = float(surface["bump"])
        bump.inputs["Distance"].default_value = 0.0005
        tree.links.new(noise.outputs["Fac"], bump.inputs["Height"])
        tree.links.new(bump.outputs["Normal"], shader.inputs["Normal"])
    if surface.get("roughness_noise"):
        noise = tree.nodes.new("ShaderNodeTexNoise")
        noise.inputs["Scale"].default_value = float(surface.get("bump_scale", 2000.0)) / 20
        tree.links.new(coords.outputs["Object"], noise.inputs["Vector"])
        spread = tree.nodes.new("ShaderNodeMapRange")  # Fac 0..1 -> roughness +- amplitude
        base = float(shader.inputs["Roughness"].default_value)
        amplitude = float(surface["roughness_noise"])
        spread.inputs["To Min"].default_value = max(0.0, base - amplitude)
        spread.inputs["To Max"].default_value = min(1.0, base + amplitude)
        tree.links.new(noise.outputs["Fac"], spread.inputs["Value"])
        tree.links.new(spread.outputs["Result"], shader.inputs["Roughness"])


def _socket(sockets, name: str, socket_type: str):
    """The mix node has one socket per data type under the same name; pick by type."""
    return next(s for s in sockets if s.name == name and s.type == socket_type)
