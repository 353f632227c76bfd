"""``hello``: Kubric's hello-world scene as a recipe (examples/helloworld.py), nothing random.

A 20 m x 20 m floor slab (kb.Cube scale (10, 10, 0.1) at z = -0.1), a unit sphere at z = 0.5
(half sunk into the floor, as in Kubric's example), a sun at (-1, -0.5, 3) of strength 1.5 aimed
at the origin, and a 50 mm / 36 mm camera at (2, -0.5, 4) aimed at the origin.
"""

from __future__ import annotations

from scenes.params import Param
from scenes.recipe_api import recipe
from scenes.spec import AssetSpec, CameraSpec, LightSpec, ObjectSpec, SceneSpec, WorldSpec

KUBRIC_PRIMITIVE = dict(source="kubric primitive", licence="Apache-2.0")


@recipe(params={"resolution": Param(256, low=16, high=4096, help="image width = height (px)")})
def hello(rng, params) -> SceneSpec:
    """Kubric's hello world: floor, ball, sun, camera."""
    del rng  # deterministic scene
    floor = ObjectSpec(
        name="floor",
        asset=AssetSpec("primitive", "cube", **KUBRIC_PRIMITIVE),
        position=(0.0, 0.0, -0.1),
        scale=(10.0, 10.0, 0.1),
        role="support",
        static=True,
    )
    ball = ObjectSpec(
        name="ball",
        asset=AssetSpec("primitive", "sphere", **KUBRIC_PRIMITIVE),
        position=(0.0, 0.0, 0.5),
        scale=(1.0, 1.0, 1.0),
        category="sphere",
    )
    sun = LightSpec(
        kind="sun", name="sun", position=(-1.0, -0.5, 3.0), look_at=(0.0, 0.0, 0.0), intensity=1.5
    )
    camera = CameraSpec(
        position=(2.0, -0.5, 4.0), look_at=(0.0, 0.0, 0.0), focal_length=50.0, sensor_width=36.0
    )
    return SceneSpec(
        resolution=(params.resolution, params.resolution),
        camera=camera,
        lights=[sun],
        objects=[floor, ball],
        world=WorldSpec(background="color", color=(0.0, 0.0, 0.0, 1.0)),
    )
