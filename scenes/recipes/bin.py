"""``bin``: objects dropped into an open box (bin picking), settled with PyBullet.

A ground slab (top z = 0) holds a bin: bottom plate and four walls, static Kubric cubes; inner
size 0.40 m x 0.30 m, walls 0.15 m high. Objects (procedural classes, class-balanced, random
full rotations) fall from a column above the bin and settle. Camera looks down into the bin.
"""

from __future__ import annotations

import math

from scenes.distributions import Uniform
from scenes.params import Param
from scenes.randomizers import (
    balanced_categories,
    procedural_object,
    random_camera,
    random_lights,
    random_material,
    random_world,
    scatter,
    support_box,
)
from scenes.recipe_api import recipe
from scenes.recipes.tabletop import chosen_classes
from scenes.spec import MaterialSpec, PhysicsSpec, SceneSpec

INNER_X, INNER_Y, WALL_HEIGHT, WALL = 0.40, 0.30, 0.15, 0.01
BIN_FLOOR = 0.01  # top of the bin's bottom plate


def bin_parts(material: MaterialSpec) -> list:
    """Ground, bin bottom and four walls as static supports."""
    half_x, half_y = INNER_X / 2 + WALL / 2, INNER_Y / 2 + WALL / 2
    wall_top = BIN_FLOOR + WALL_HEIGHT
    return [
        support_box(
            "ground",
            (3.0, 3.0),
            top=0.0,
            thickness=0.05,
            material=MaterialSpec(color=(0.35, 0.35, 0.33, 1.0), roughness=0.9),
        ),
        support_box(
            "bin_bottom",
            (INNER_X + 2 * WALL, INNER_Y + 2 * WALL),
            top=BIN_FLOOR,
            thickness=WALL,
            material=material,
        ),
        support_box(
            "bin_wall_px",
            (WALL, INNER_Y + 2 * WALL),
            top=wall_top,
            thickness=WALL_HEIGHT,
            center=(half_x, 0.0),
            material=material,
        ),
        support_box(
            "bin_wall_nx",
            (WALL, INNER_Y + 2 * WALL),
            top=wall_top,
            thickness=WALL_HEIGHT,
            center=(-half_x, 0.0),
            material=material,
        ),
        support_box(
            "bin_wall_py",
            (INNER_X, WALL),
            top=wall_top,
            thickness=WALL_HEIGHT,
            center=(0.0, half_y),
            material=material,
        ),
        support_box(
            "bin_wall_ny",
            (INNER_X, WALL),
            top=wall_top,
            thickness=WALL_HEIGHT,
            center=(0.0, -half_y),
            material=material,
        ),
    ]


@recipe(
    params={
        "objects.count": Param(8, low=1, high=30),
        "objects.classes": Param("", help="comma-separated procedural classes"),
        "lights.max": Param(2, low=0, high=8),
        "physics.seconds": Param(4.0, low=0.1, high=20.0),
        "resolution": Param(256, low=16, high=4096, help="image width = height (px)"),
    }
)
def bin_picking(rng, params) -> SceneSpec:
    """Objects dropped into a bin."""
    bin_material = random_material(rng, metallic=0.0, texture_probability=0.0, name="bin")
    categories = balanced_categories(
        rng, chosen_classes(params["objects.classes"]), params["objects.count"]
    )
    objects = [
        procedural_object(rng, c, f"{c}_{i}", upright=False, scale=Uniform(0.6, 0.9))
        for i, c in enumerate(categories)
    ]
    region = (-INNER_X / 2, INNER_X / 2, -INNER_Y / 2, INNER_Y / 2)
    placed = scatter(rng, objects, region, support_height=BIN_FLOOR + 0.05)
    camera = random_camera(
        rng,
        look_at=(0.0, 0.0, BIN_FLOOR + 0.03),
        distance=Uniform(0.7, 1.1),
        elevation=Uniform(math.radians(60), math.radians(88)),
        focal_length=Uniform(30.0, 45.0),
        look_at_jitter=0.02,
    )
    lights = random_lights(
        rng, int(rng.integers(0, params["lights.max"] + 1)), target=(0.0, 0.0, BIN_FLOOR)
    )
    world = random_world(rng)
    return SceneSpec(
        resolution=(params.resolution, params.resolution),
        camera=camera,
        lights=lights,
        world=world,
        objects=bin_parts(bin_material) + placed,
        physics=PhysicsSpec(
            settle=True, seconds=params["physics.seconds"], support_height=BIN_FLOOR
        ),
    )
