"""``tabletop``: labelled objects and unlabelled clutter dropped on a table, everything randomized.

Table: a 1.6 m x 1.2 m slab, top at z = 0, random (often textured) material. Objects: procedural
classes (or a user mesh folder), class-balanced, random size/shape/material/yaw, dropped inside
a 0.7 m x 0.5 m area and settled with PyBullet. Distractors: small boxes and spheres of random
materials, unlabelled. Lighting: an HDRI (Blender's bundled maps or a folder) plus 0..N random
sun/point/area/spot lights. Background: the HDRI, a plain colour or (with a folder) an image.
Camera: on a shell around the table centre, with look-at jitter, optional DoF / motion blur.
"""

from __future__ import annotations

import math

from scenes.distributions import Choice, RandInt, Uniform
from scenes.errors import ParameterError
from scenes.params import Param
from scenes.randomizers import (
    balanced_categories,
    kubric_source_objects,
    mesh_folder_objects,
    procedural_classes,
    procedural_object,
    random_camera,
    random_lights,
    random_material,
    random_world,
    scatter,
    support_box,
)
from scenes.recipe_api import recipe
from scenes.spec import PhysicsSpec, SceneSpec

PARAMS = {
    "objects.count": Param(6, low=1, high=30, help="labelled objects per scene"),
    "objects.classes": Param("", help="comma-separated procedural classes (default: all)"),
    "objects.library": Param(
        "basic",
        choices=("basic", "household"),
        help="procedural library: basic shapes or household objects made "
        "of parts (glass, liquid, caps, printed labels)",
    ),
    "objects.folder": Param("", help="user mesh folder (one sub-folder per class) instead"),
    "objects.kubric_source": Param(
        "",
        help="local Kubric asset source manifest (KuBasic/GSO/"
        "ShapeNet format) to draw labelled objects from",
    ),
    "distractors.max": Param(3, low=0, high=20, help="up to this many unlabelled clutter items"),
    "distractors.kubric_source": Param(
        "",
        help="local Kubric asset source manifest to draw "
        "the clutter from (default: boxes and spheres)",
    ),
    "lights.max": Param(2, low=0, high=8, help="0..max extra lights besides the HDRI"),
    "lights.strength": Param(1.0, low=0.0, high=10.0, help="multiplier of all light intensities"),
    "hdri.folder": Param("", help="folder of .exr/.hdr maps (default: Blender's 8 bundled)"),
    "textures.folder": Param("", help="folder of images for image textures"),
    "background.folder": Param("", help="folder of background images"),
    "camera.distance": Param(1.0, low=0.3, high=5.0, help="mean camera distance (m)"),
    "camera.dof": Param(0.0, low=0.0, high=1.0, help="probability of depth of field"),
    "camera.motion_blur": Param(0.0, low=0.0, high=1.0, help="probability of motion blur"),
    "physics.seconds": Param(3.0, low=0.1, high=20.0, help="max settle time (s)"),
    "resolution": Param(256, low=16, high=4096, help="image width = height (px)"),
}
TABLE_TOP = 0.0
DROP_REGION = (-0.35, 0.35, -0.25, 0.25)


def chosen_classes(text: str, library: str = "basic") -> list[str]:
    """Parse ``objects.classes``; ParameterError naming unknown classes."""
    known = procedural_classes(library)
    if not text.strip():
        return known
    classes = [c.strip() for c in text.split(",") if c.strip()]
    unknown = [c for c in classes if c not in known]
    if unknown:
        raise ParameterError(
            f"parameter 'objects.classes': unknown class(es) "
            f"{', '.join(unknown)}; known: {', '.join(known)}."
        )
    return classes


@recipe(params=PARAMS)
def tabletop(rng, params) -> SceneSpec:
    """Clutter on a table with full domain randomization (lights, textures, camera, pose)."""
    textures = params["textures.folder"] or None
    table = support_box(
        "table",
        (1.6, 1.2),
        top=TABLE_TOP,
        thickness=0.05,
        material=random_material(rng, texture_probability=0.7, image_folder=textures, name="table"),
    )
    if params["objects.kubric_source"]:
        objects = kubric_source_objects(
            rng, params["objects.kubric_source"], params["objects.count"], scale=Uniform(0.8, 1.2)
        )
    elif params["objects.folder"]:
        objects = mesh_folder_objects(rng, params["objects.folder"], params["objects.count"])
    else:
        library = params["objects.library"]
        categories = balanced_categories(
            rng, chosen_classes(params["objects.classes"], library), params["objects.count"]
        )
        if library == "household":
            objects = [
                procedural_object(
                    rng,
                    c,
                    f"{c}_{i}",
                    upright=rng.uniform() < 0.7,
                    scale=Uniform(0.9, 1.1),
                    library=library,
                    image_folder=textures,
                )
                for i, c in enumerate(categories)
            ]
        else:
            objects = [
                procedural_object(
                    rng,
                    c,
                    f"{c}_{i}",
                    upright=rng.uniform() < 0.7,
                    material=random_material(rng, image_folder=textures),
                    scale=Uniform(0.8, 1.2),
                )
                for i, c in enumerate(categories)
            ]
    distractor_count = RandInt(0, params["distractors.max"]).sample(rng)
    if params["distractors.kubric_source"]:
        distractors = kubric_source_objects(
            rng,
            params["distractors.kubric_source"],
            distractor_count,
            role="distractor",
            name_prefix="distractor",
            scale=Uniform(0.3, 0.6),
        )
    else:
        distractors = [
            procedural_object(
                rng,
                Choice(("box", "sphere")).sample(rng),
                f"distractor_{i}",
                role="distractor",
                scale=Uniform(0.3, 0.6),
                material=random_material(rng, texture_probability=0.6, image_folder=textures),
            )
            for i in range(distractor_count)
        ]
    placed = scatter(rng, objects + distractors, DROP_REGION, support_height=TABLE_TOP)
    strength = params["lights.strength"]
    backgrounds = ("hdri", "color", "image") if params["background.folder"] else ("hdri", "color")
    world = random_world(
        rng,
        background=Choice(backgrounds),
        hdri_folder=params["hdri.folder"] or None,
        image_folder=params["background.folder"] or None,
    )
    world.hdri.strength *= strength
    lights = random_lights(
        rng,
        RandInt(0, params["lights.max"]).sample(rng),
        target=(0.0, 0.0, TABLE_TOP),
        strength=strength,
    )
    distance = params["camera.distance"]
    camera = random_camera(
        rng,
        look_at=(0.0, 0.0, TABLE_TOP + 0.03),
        distance=Uniform(0.8 * distance, 1.2 * distance),
        elevation=Uniform(math.radians(25), math.radians(75)),
        depth_of_field_probability=params["camera.dof"],
        motion_blur_probability=params["camera.motion_blur"],
        exposure=Uniform(-0.5, 0.5),
    )
    return SceneSpec(
        resolution=(params.resolution, params.resolution),
        camera=camera,
        lights=lights,
        world=world,
        objects=[table] + placed,
        physics=PhysicsSpec(
            settle=True, seconds=params["physics.seconds"], support_height=TABLE_TOP
        ),
    )
