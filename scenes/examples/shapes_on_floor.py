"""A few shapes dropped on a floor, lit and seen at random: a complete recipe in 20 lines."""
from synthscene import (Param, PhysicsSpec, SceneSpec, balanced_categories, procedural_object,
                        random_camera, random_lights, random_world, recipe, scatter,
                        support_box)


@recipe(params={"count": Param(4, low=1, high=12, help="objects per scene")})
def shapes(rng, params):
    """Boxes, cylinders and mugs on a floor."""
    classes = balanced_categories(rng, ["box", "cylinder", "mug"], params.count)
    objects = [procedural_object(rng, name, f"{name}_{i}") for i, name in enumerate(classes)]
    floor = support_box("floor", (2.0, 2.0), top=0.0)
    return SceneSpec(
        resolution=(128, 128),
        objects=[floor] + scatter(rng, objects, region=(-0.3, 0.3, -0.3, 0.3)),
        lights=random_lights(rng, 2),
        world=random_world(rng),
        camera=random_camera(rng, distance=1.0),
        physics=PhysicsSpec(settle=True, support_height=0.0))
