"""Blender/Kubric materials and lights -> pyrender, for the RGB pass (labels never depend on it).

Mapping, each an approximation of Cycles:

* Principled BSDF colour/metallic/roughness/emission -> MetallicRoughnessMaterial (linear colour,
  double sided); specular and IOR are ignored; transmission t > 0 becomes alpha blending with
  opacity 1 - 0.85 t sqrt(luminance of the colour) (clear glass
  lets most light through, dark tinted glass little; no refraction); spec textures as in textures.py.
  FlatMaterial -> emissive colour only (``holdout``: the view makes its pixels transparent).
  No material (UndefinedMaterial): Blender's default grey (0.8, roughness 0.5).
* Sun strength S (W/m^2) -> DirectionalLight intensity S; point/spot power P (W) ->
  intensity P / (4 pi) (Cycles' point-light radiance on a Lambertian surface). Spot cone:
  outer = spot_size / 2, inner = outer * (1 - spot_blend). RectAreaLight -> a spot light at its
  centre facing its -Z, outer cone 89 deg, intensity P / pi (a Lambertian emitter's on-axis
  intensity); soft shadows and the area's extent are not modelled.
* ``exposure``: the factor 2 ** EV scales every light and emission, as Blender's view exposure.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any, Callable, Optional

import numpy as np

import kubric as kb

from renderer.raster import textures

BLENDER_DEFAULT_COLOUR = (0.8, 0.8, 0.8, 1.0)
BLENDER_DEFAULT_ROUGHNESS = 0.5
DISPLAY_GAMMA = 2.2  # pyrender's mesh.frag encodes with pow(1 / 2.2)
MAX_CONE = math.radians(89.0)
TRANSMISSION_CLARITY = 0.85  # opacity of a fully transmissive surface: 1 - 0.85

ValueAt = Callable[[kb.Asset, str], Any]  # (asset, trait name) -> value at the rendered frame


@dataclasses.dataclass(frozen=True)
class MaterialState:
    """Everything a colour mesh depends on; the view rebuilds the mesh when it changes."""

    kind: str  # "principled", "flat" or "undefined"
    colour: tuple = BLENDER_DEFAULT_COLOUR  # linear RGBA
    metallic: float = 0.0
    roughness: float = BLENDER_DEFAULT_ROUGHNESS
    emission: tuple = (0.0, 0.0, 0.0)  # linear RGB
    holdout: bool = False
    exposure: float = 1.0
    texture_json: str = "null"  # material.metadata["texture"] as JSON
    transmission: float = 0.0

    @property
    def texture(self) -> Optional[dict]:
        return json.loads(self.texture_json)

    @property
    def image_texture(self) -> Optional[dict]:
        """The image texture of a Principled material, else None."""
        texture = self.texture
        return texture if self.kind == "principled" and textures.is_image(texture) else None


def _floats(value) -> tuple:
    return tuple(np.ravel(value).astype(float).tolist())


def material_state(material: kb.Material, value_at: ValueAt, exposure: float) -> MaterialState:
    """The state of ``material`` at the rendered frame."""
    texture = (material.metadata or {}).get("texture")
    texture_json = json.dumps(texture, sort_keys=True, default=str)
    if isinstance(material, kb.PrincipledBSDFMaterial):
        return MaterialState(
            kind="principled",
            colour=_floats(value_at(material, "color")),
            metallic=float(value_at(material, "metallic")),
            roughness=float(value_at(material, "roughness")),
            emission=_floats(value_at(material, "emission"))[:3],
            exposure=exposure,
            texture_json=texture_json,
            transmission=float(value_at(material, "transmission")),
        )
    if isinstance(material, kb.FlatMaterial):
        return MaterialState(
            kind="flat",
            colour=_floats(value_at(material, "color")),
            holdout=bool(value_at(material, "holdout")),
            exposure=exposure,
            texture_json=texture_json,
        )
    return MaterialState(kind="undefined")


def description_state(description: dict, exposure: float) -> MaterialState:
    """The state of a part material given as a MaterialSpec dict (see scenes/build.py)."""
    return MaterialState(
        kind="principled",
        colour=tuple(map(float, description["color"])),
        metallic=float(description["metallic"]),
        roughness=float(description["roughness"]),
        emission=tuple(map(float, description["emission"]))[:3],
        exposure=exposure,
        texture_json=json.dumps(description.get("texture"), sort_keys=True, default=str),
        transmission=float(description.get("transmission", 0.0)),
    )


def emissive_factor(colour) -> np.ndarray:
    """pyrender's mesh.frag multiplies the emissive factor in twice (emissive * emissive_factor
    with emissive = emissive_factor), so the factor that emits ``colour`` is its square root."""
    return np.sqrt(np.clip(np.asarray(colour, float), 0.0, None))


def pyrender_material(pyrender, state: MaterialState, base_colour_texture=None):
    """MetallicRoughnessMaterial for ``state``; ``base_colour_texture`` from textures.py."""
    if state.kind == "principled":
        colour = state.colour
        if base_colour_texture is not None:
            colour = (1.0, 1.0, 1.0, colour[3])
        blend = {}
        if state.transmission > 0:
            luminance = float(np.dot(np.clip(colour[:3], 0.0, 1.0), (0.2126, 0.7152, 0.0722)))
            opacity = 1.0 - TRANSMISSION_CLARITY * min(state.transmission, 1.0) * luminance**0.5
            colour = (*colour[:3], colour[3] * opacity)
            blend = {"alphaMode": "BLEND"}
        return pyrender.MetallicRoughnessMaterial(
            baseColorFactor=textures.procedural_base_colour(colour, state.texture),
            baseColorTexture=base_colour_texture,
            metallicFactor=state.metallic,
            roughnessFactor=state.roughness,
            emissiveFactor=emissive_factor(state.exposure * np.asarray(state.emission)),
            doubleSided=True,
            **blend,
        )
    if state.kind == "flat":
        colour = textures.procedural_base_colour(state.colour, state.texture)[:3]
        return pyrender.MetallicRoughnessMaterial(
            baseColorFactor=(0.0, 0.0, 0.0, 1.0),
            metallicFactor=0.0,
            roughnessFactor=1.0,
            emissiveFactor=emissive_factor(state.exposure * np.asarray(colour)),
            doubleSided=True,
        )
    return pyrender.MetallicRoughnessMaterial(
        baseColorFactor=BLENDER_DEFAULT_COLOUR,
        metallicFactor=0.0,
        roughnessFactor=BLENDER_DEFAULT_ROUGHNESS,
        doubleSided=True,
    )


def pyrender_light(pyrender, light: kb.Light, value_at: ValueAt, exposure: float):
    """The pyrender light standing in for ``light`` (see module docstring)."""
    colour = np.asarray(value_at(light, "color"), float)[:3]
    power = float(value_at(light, "intensity")) * exposure
    if isinstance(light, kb.DirectionalLight):
        return pyrender.DirectionalLight(color=colour, intensity=power)
    if isinstance(light, kb.SpotLight):
        outer = min(float(value_at(light, "spot_size")) / 2.0, MAX_CONE)
        blend = float(np.clip(value_at(light, "spot_blend"), 0.0, 1.0))
        return pyrender.SpotLight(
            color=colour,
            intensity=power / (4 * math.pi),
            innerConeAngle=outer * (1.0 - blend) * 0.999,
            outerConeAngle=outer,
        )
    if isinstance(light, kb.RectAreaLight):
        return pyrender.SpotLight(
            color=colour, intensity=power / math.pi, innerConeAngle=0.0, outerConeAngle=MAX_CONE
        )
    return pyrender.PointLight(color=colour, intensity=power / (4 * math.pi))


def copy_light_parameters(source, target) -> None:
    """Update ``target`` in place (it keeps its shadow map) from a light of the same type."""
    for name in ("color", "intensity", "innerConeAngle", "outerConeAngle"):
        if hasattr(source, name):
            setattr(target, name, getattr(source, name))


def display_encode(linear: np.ndarray) -> np.ndarray:
    """Linear radiance -> [0, 1] display values, as pyrender's shader encodes surfaces."""
    return np.clip(np.clip(linear, 0.0, None) ** (1.0 / DISPLAY_GAMMA), 0.0, 1.0)
