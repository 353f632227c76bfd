"""The Blender world: Kubric's ambient illumination and background, or an HDRI.

Like Kubric, what the camera sees directly (``background``) and what lights the scene
(``ambient_illumination``) are separate: a Light Path node picks the background shader for camera
rays and the ambient one for all other rays. Either can be fed by an equirectangular HDRI, rotated
about the world axes (radians, XYZ Euler; rotation about +Z spins the environment horizontally).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import bpy

from assets.formats import ENVIRONMENT_MAP_EXTENSIONS

HDRI_IMPORTANCE_MAP_RESOLUTION = 256  # pixels


class World:
    """Owns the world node tree of one Blender scene."""

    def __init__(self, scene: "bpy.types.Scene"):
        if scene.world is None:
            scene.world = bpy.data.worlds.new("World")
        self.world = scene.world
        self.world.use_nodes = True
        tree = self.world.node_tree
        tree.nodes.clear()
        output = tree.nodes.new("ShaderNodeOutputWorld")
        mix = tree.nodes.new("ShaderNodeMixShader")
        light_path = tree.nodes.new("ShaderNodeLightPath")
        self.ambient = tree.nodes.new("ShaderNodeBackground")
        self.background = tree.nodes.new("ShaderNodeBackground")
        for node in (self.ambient, self.background):
            node.inputs["Color"].default_value = (0.0, 0.0, 0.0, 1.0)
        tree.links.new(light_path.outputs["Is Camera Ray"], mix.inputs["Fac"])
        tree.links.new(self.ambient.outputs["Background"], mix.inputs[1])
        tree.links.new(self.background.outputs["Background"], mix.inputs[2])
        tree.links.new(mix.outputs["Shader"], output.inputs["Surface"])
        coords = tree.nodes.new("ShaderNodeTexCoord")
        self.mapping = tree.nodes.new("ShaderNodeMapping")
        self.environment = tree.nodes.new("ShaderNodeTexEnvironment")
        tree.links.new(coords.outputs["Generated"], self.mapping.inputs["Vector"])
        tree.links.new(self.mapping.outputs["Vector"], self.environment.inputs["Vector"])

    def set_color(self, which: str, rgba: Sequence[float]) -> None:
        """Uniform colour for ``which`` in {"ambient", "background"} (disconnects any HDRI)."""
        node = self.ambient if which == "ambient" else self.background
        for link in list(node.inputs["Color"].links):
            self.world.node_tree.links.remove(link)
        node.inputs["Color"].default_value = tuple(float(c) for c in tuple(rgba)[:4])

    def set_hdri(
        self,
        path: str | Path,
        rotation: Sequence[float] = (0.0, 0.0, 0.0),
        strength: float = 1.0,
        as_background: bool = True,
        as_ambient: bool = True,
    ) -> None:
        """Use an equirectangular image for lighting and/or the visible background."""
        file = Path(path)
        if file.suffix.lower() not in ENVIRONMENT_MAP_EXTENSIONS:
            raise ValueError(
                f"HDRI {str(file)!r} has unsupported extension {file.suffix!r}; "
                f"supported: {', '.join(ENVIRONMENT_MAP_EXTENSIONS)}"
            )
        if not file.is_file():
            raise FileNotFoundError(
                f"HDRI {str(file)!r} does not exist; pass an existing equirectangular image"
            )
        known = len(bpy.data.images)
        image = bpy.data.images.load(str(file), check_existing=True)
        image.use_fake_user = True  # stays loaded across scenes of a warm worker
        # only a new image is checked: asking an image for its size after a render has freed its
        # pixels decodes the whole file again (5-11 ms per frame for these HDRIs)
        if len(bpy.data.images) > known and tuple(image.size) == (0, 0):
            bpy.data.images.remove(image)  # so the next scene using it is checked again
            raise ValueError(
                f"HDRI {str(file)!r} could not be read by Blender; re-export it as "
                "OpenEXR or Radiance .hdr"
            )
        self.environment.image = image
        # Cycles' automatic importance map takes ~2.5 s per render for a 1024 px HDRI on a CPU;
        # a 256 px map costs ~0.01 s and samples the sun of these maps just as well.
        self.world.cycles.sampling_method = "MANUAL"
        self.world.cycles.sample_map_resolution = HDRI_IMPORTANCE_MAP_RESOLUTION
        self.mapping.inputs["Rotation"].default_value = tuple(float(r) for r in rotation)
        for node, wanted in ((self.ambient, as_ambient), (self.background, as_background)):
            if wanted:
                self.world.node_tree.links.new(
                    self.environment.outputs["Color"], node.inputs["Color"]
                )
                node.inputs["Strength"].default_value = float(strength)

    def set_background_image(self, path: str | Path) -> None:
        """Show an image behind the scene (screen-aligned, stretched to the frame); lighting
        stays as it is."""
        file = Path(path)
        if not file.is_file():
            raise FileNotFoundError(f"background image {str(file)!r} does not exist")
        tree = self.world.node_tree
        coords = tree.nodes.new("ShaderNodeTexCoord")
        texture = tree.nodes.new("ShaderNodeTexImage")
        texture.image = bpy.data.images.load(str(file), check_existing=True)
        texture.extension = "EXTEND"
        tree.links.new(coords.outputs["Window"], texture.inputs["Vector"])
        tree.links.new(texture.outputs["Color"], self.background.inputs["Color"])
