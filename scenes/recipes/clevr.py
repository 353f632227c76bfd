"""``clevr``: CLEVR-like scenes (Johnson et al. 2017): cubes, spheres and cylinders in two sizes,
eight colours and two materials (rubber, metal) resting on a grey floor, three jittered lights
(key, fill, back) and a jittered camera. Units follow CLEVR (a large object is 1.4 m across).

Labels: category = shape; the material name records "<colour> <rubber|metal> <size>".
"""

from __future__ import annotations

import math

from scenes.distributions import Choice, RandInt, Uniform
from scenes.params import Param
from scenes.randomizers import random_rotation, scatter, shell_position, support_box
from scenes.recipe_api import recipe
from scenes.spec import (
    AssetSpec,
    CameraSpec,
    LightSpec,
    MaterialSpec,
    ObjectSpec,
    SceneSpec,
    WorldSpec,
)

COLORS_SRGB = {
    "gray": (87, 87, 87),
    "red": (173, 35, 35),
    "blue": (42, 75, 215),
    "green": (29, 105, 20),
    "brown": (129, 74, 25),
    "purple": (129, 38, 192),
    "cyan": (41, 208, 208),
    "yellow": (255, 238, 51),
}
SIZES = {"small": 0.35, "large": 0.7}
SHAPES = ("cube", "sphere", "cylinder")
MATERIALS = {
    "rubber": dict(metallic=0.0, roughness=0.7, specular=0.33),
    "metal": dict(metallic=1.0, roughness=0.2, specular=0.5),
}
PRIMITIVE = dict(source="kubric primitive", licence="Apache-2.0")


def srgb_to_linear(channel: int) -> float:
    """One 0-255 sRGB channel to linear [0, 1]."""
    value = channel / 255.0
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def clevr_object(rng, index: int) -> ObjectSpec:
    """One CLEVR object resting on z = 0 (position z = half height), random yaw."""
    shape, size_name = Choice(SHAPES).sample(rng), Choice(tuple(SIZES)).sample(rng)
    color_name, material_name = (
        Choice(tuple(COLORS_SRGB)).sample(rng),
        Choice(tuple(MATERIALS)).sample(rng),
    )
    size = SIZES[size_name]
    color = tuple(srgb_to_linear(c) for c in COLORS_SRGB[color_name]) + (1.0,)
    material = MaterialSpec(
        color=color, name=f"{color_name} {material_name} {size_name}", **MATERIALS[material_name]
    )
    if shape == "cylinder":
        asset = AssetSpec(
            "procedural",
            "cylinder",
            params={"radius": size, "height": 2 * size},
            source="synthscene procedural library (assets/procedural.py)",
            licence="CC0-1.0",
        )
        scale = (1.0, 1.0, 1.0)
    else:
        asset = AssetSpec("primitive", shape, **PRIMITIVE)
        scale = (size, size, size)
    return ObjectSpec(
        name=f"{shape}_{index}",
        asset=asset,
        scale=scale,
        material=material,
        category=shape,
        quaternion=random_rotation(rng, upright=True),
        mass=1.0,
        friction=0.5,
        restitution=0.1,
    )


@recipe(
    params={
        "objects.min": Param(3, low=1, high=10),
        "objects.max": Param(10, low=1, high=15),
        "resolution": Param(256, low=16, high=4096, help="image width = height (px)"),
    }
)
def clevr(rng, params) -> SceneSpec:
    """CLEVR-like shapes and materials on a grey floor."""
    low, high = sorted((params["objects.min"], params["objects.max"]))
    objects = [clevr_object(rng, i) for i in range(RandInt(low, high).sample(rng))]
    placed = scatter(
        rng, objects, (-3.0, 3.0, -3.0, 3.0), support_height=0.0, drop=False, clearance=0.25
    )
    floor = support_box(
        "floor",
        (40.0, 40.0),
        top=0.0,
        thickness=0.1,
        material=MaterialSpec(color=(0.3, 0.3, 0.3, 1.0), roughness=0.8),
    )
    jitter = lambda: rng.uniform(-0.5, 0.5)  # noqa: E731  CLEVR jitters every position by +-0.5
    camera = CameraSpec(
        position=(7.48 + jitter(), -6.51 + jitter(), 5.34 + jitter()),
        look_at=(0.0, 0.0, 0.0),
        focal_length=35.0,
        sensor_width=32.0,
    )
    lights = [
        LightSpec(
            kind="area",
            name="key",
            position=shell_position(
                (0, 0, 0),
                8.0,
                math.radians(50) + jitter() * 0.1,
                math.radians(-60) + jitter() * 0.1,
            ),
            intensity=Uniform(900.0, 1100.0).sample(rng),
            width=1.5,
            height=1.5,
        ),
        LightSpec(
            kind="area",
            name="fill",
            position=shell_position(
                (0, 0, 0), 8.0, math.radians(30) + jitter() * 0.1, math.radians(40) + jitter() * 0.1
            ),
            intensity=Uniform(250.0, 350.0).sample(rng),
            width=2.0,
            height=2.0,
        ),
        LightSpec(
            kind="area",
            name="back",
            position=shell_position(
                (0, 0, 0),
                8.0,
                math.radians(60) + jitter() * 0.1,
                math.radians(130) + jitter() * 0.1,
            ),
            intensity=Uniform(450.0, 550.0).sample(rng),
            width=1.0,
            height=1.0,
        ),
    ]
    return SceneSpec(
        resolution=(params.resolution, params.resolution),
        camera=camera,
        lights=lights,
        objects=[floor] + placed,
        world=WorldSpec(
            background="color",
            color=(0.05, 0.05, 0.05, 1.0),
            ambient_illumination=(0.05, 0.05, 0.05, 1.0),
        ),
    )
