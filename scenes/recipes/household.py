"""``household``: everyday objects where they live, framed and photographed like real photos.

Everything issue 15 asks a render to carry, on by default:

* **objects**: the household library (:mod:`scenes.household`: bottle, cup, can, bowl, carton,
  jar, made of parts with glass, PET, liquid, glaze, metal, paper and printed labels;
  ``objects.classes``, ``mug`` = cups of the mug sub-type), ``objects.count`` - 2 to
  ``objects.count`` labelled per scene (at least 1), close together, settled with PyBullet (``objects.library=basic`` uses the old
  single-mesh procedural shapes instead, for ablations);
* **framing** (:mod:`scenes.framing`): the camera is solved after physics. ``objects.framing``
  picks, per frame, a *group* frame (the union of all labelled objects' boxes spans
  ``objects.group_size`` of the frame, all of them inside it, seen from 15-65 degrees above;
  the objects then stand in a loose row across the view so they hide each other little) or a
  *single* close-up (one labelled object, the target, spans ``objects.pixel_size``, log-uniform
  over LOW-HIGH, seen from 5-80 degrees above, a third of the views steeper than 45 degrees as
  phone photos of things on a table often are, sometimes cut by the border); ``mixed`` (the
  default) = 70 % group frames, so a batch has several well-sized, whole objects per frame
  *and* close-ups;
* **camera roll** (off by default): in ``camera.roll_share`` of the frames the camera is
  turned about its viewing axis, uniformly within +-``camera.roll_max`` degrees (a phone held
  askew or sideways); the framing is solved for the turned camera;
* **sensor** (:mod:`scenes.sensor`): exposure and white-balance error, lens blur, defocus, motion
  blur, chromatic aberration, vignetting, shot + read noise, JPEG, on the RGB only; centred on
  the user's photos with ``sensor.match_photos=DIR`` (``render --match-photos DIR``);
* **context** (:mod:`scenes.context`): wood/stone/laminate/tile/cloth surfaces, a wall or a
  shelf behind, unlabelled clutter (other household classes and odd shapes), indoor HDRIs and,
  with ``background.folder``, real photos behind the scene;
* **hands** (:mod:`scenes.hands`, off by default): in ``hands.share`` of the frames a hand
  grips one labelled object standing on the table, the forearm leaving away from the camera: an
  unlabelled occluder, as in phone photos of things people hold. At 0.3 it measured no better
  on the real photos (docs/transfer.md), so the default is 0.

Each part can be switched off (``framing.enabled``, ``sensor.enabled``, ``context.enabled``)
for ablations. The sensor is sampled last and hands and roll from their own streams, so
switching the sensor off, or hands or roll on, changes nothing else. ``objects.upright_share``
(0.9) of the labelled objects stand, the rest lie on their side (clutter: always 0.9).
``objects.dent_share`` (off by default) of the PET water and soda bottles are squashed and
dented as used bottles are, ``objects.stack_share`` (off by default) of the plastic, paper
and reusable cups are stacks of 2-7 nested cups (one labelled cup), ``objects.reusable_share``
(off by default) of the cups are tall frosted reusable festival cups, and
``camera.eye_level_share`` (off by default) of the framed views are taken from 0-10 degrees
above the target, and ``context.floor_share`` (off by default) of the frames are on a floor or
the ground (soil, gravel, asphalt, tiles, stone, wood; no wall, any bundled map), 70 % of the
labelled objects lying, seen from 45-80 degrees above (never at eye level); each draws from
its own stream. ``objects.subtype_weights`` (e.g. ``bottle.jug=1.5,bottle.squeeze=1.5``)
replaces the library's sub-type weights, here to draw the jugs and squeeze bottles that have
weight 0 by default; it changes the recipe's own draws.
"""

from __future__ import annotations

import math


from assets.household import household_class_names
from scenes.context import FLOOR_KINDS, back_wall, indoor_hdri_choice, table
from scenes.distributions import Choice, LogUniform, RandInt, Uniform, side_stream
from scenes.errors import ParameterError
from scenes.geometry import asset_extents
from scenes.hands import hand_holding
from scenes.household import ShapeVariants, parse_subtype_weights
from scenes.framing import parse_group_share, parse_size_range, random_framing, random_group_framing
from scenes.params import Param
from scenes.randomizers import (
    footprint_radius,
    household_object,
    is_upright,
    procedural_object,
    random_camera,
    random_lights,
    random_material,
    random_world,
    scatter,
    support_box,
)
from scenes.recipe_api import recipe
from scenes.sensor import sensor_for
from scenes.spec import PhysicsSpec, SceneSpec

# household class -> the single-mesh class of assets.procedural standing for it (library basic)
BASIC_STAND_INS = {
    "bottle": "bottle",
    "cup": "mug",
    "mug": "mug",
    "can": "cylinder",
    "bowl": "bowl",
    "carton": "box",
    "jar": "cylinder",
}
LIBRARIES = ("household", "basic")
ODD_SHAPES = ("sphere", "torus", "gear", "capsule", "cone", "ring", "hex_nut", "pyramid")
TABLE_TOP = 0.0

# Default share of objects stood upright (the rest drop and lie on their side). A quarter of the
# bottles lying (14 % of the DataCluster phone photos' bottle boxes are wider than tall) changed
# balanced accuracy on real crops by -0.05 on the development set and +0.05 on the second real
# set (docs/transfer.md): no gain on average, so every class keeps 0.9.
UPRIGHT_SHARE = 0.9
# Floor frames (``context.floor_share``): things on a floor or the ground lie more often than
# they stand (litter, a dropped bottle, the recycling), and are seen from standing height.
FLOOR_UPRIGHT_SHARE = 0.3
# Steep views (radians above the target): a third of the single close-ups, every floor frame.
STEEP_ELEVATION = Uniform(math.radians(45), math.radians(80))

PARAMS = {
    "objects.classes": Param("", help="comma-separated household classes (default: all)"),
    "objects.count": Param(
        4, low=1, high=12, help="count-2 .. count labelled objects per scene (at least 1)"
    ),
    "objects.library": Param(
        "household",
        choices=LIBRARIES,
        help="household (parts, glass, liquid, prints) or basic shapes",
    ),
    "objects.pixel_size": Param(
        "0.15-0.8", help="target object size, LOW-HIGH fraction of the frame side (log-uniform)"
    ),
    "objects.cut_probability": Param(
        0.2, low=0.0, high=1.0, help="chance per axis that the border cuts the target"
    ),
    "objects.framing": Param(
        "mixed",
        help="group (all labelled objects framed together), "
        "single (one close-up), mixed (70 % group) or the "
        "share of group frames",
    ),
    "objects.group_size": Param(
        "0.7-0.95",
        help="group frames: size of the union of the labelled boxes, LOW-HIGH fraction of the side",
    ),
    "objects.upright_share": Param(
        UPRIGHT_SHARE, low=0.0, high=1.0, help="share of labelled objects stood up (the rest lie)"
    ),
    "objects.dent_share": Param(
        ShapeVariants.dent_share,
        low=0.0,
        high=1.0,
        help="share of PET bottles squashed and dented by use",
    ),
    "objects.stack_share": Param(
        ShapeVariants.stack_share,
        low=0.0,
        high=1.0,
        help="share of plastic, paper and reusable cups that are stacks of 2-7 nested cups",
    ),
    "objects.reusable_share": Param(
        ShapeVariants.reusable_share,
        low=0.0,
        high=1.0,
        help="share of cups that are tall frosted reusable (festival) cups",
    ),
    "objects.subtype_weights": Param(
        "",
        help="sub-type weights replacing the library's, e.g. bottle.jug=1,bottle.squeeze=1 "
        "(jugs and squeeze bottles have weight 0 by default)",
    ),
    "framing.enabled": Param(True, help="solve the camera for objects.pixel_size"),
    "distractors.max": Param(4, low=0, high=20, help="up to this many unlabelled clutter items"),
    "context.enabled": Param(True, help="room context (surfaces, walls, clutter, indoor maps)"),
    "context.floor_share": Param(
        0.0,
        low=0.0,
        high=1.0,
        help="share of frames on a floor or the ground, seen from 45-80 degrees above, "
        "objects mostly lying",
    ),
    "background.folder": Param("", help="folder of real photos shown behind the scene"),
    "hdri.folder": Param("", help="folder of .exr/.hdr maps (default: Blender's bundled)"),
    "textures.folder": Param("", help="folder of images for prints and surfaces"),
    "lights.max": Param(2, low=0, high=8, help="0..max extra lights besides the HDRI"),
    "hands.share": Param(
        0.0, low=0.0, high=1.0, help="share of frames where a hand grips a labelled object"
    ),
    "camera.roll_share": Param(
        0.0, low=0.0, high=1.0, help="share of frames taken with the camera turned (rolled)"
    ),
    "camera.eye_level_share": Param(
        0.0,
        low=0.0,
        high=1.0,
        help="share of framed frames seen from 0-10 degrees above the target (eye level)",
    ),
    "camera.roll_max": Param(
        90.0, low=0.0, high=180.0, help="turned frames: roll uniform in +-this, degrees"
    ),
    "sensor.enabled": Param(True, help="camera/sensor model on the rendered RGB"),
    "sensor.match_photos": Param("", help="centre the sensor ranges on this photo folder"),
    "physics.seconds": Param(2.0, low=0.1, high=20.0, help="max settle time (s)"),
    "resolution": Param(256, low=16, high=4096, help="image width = height (px)"),
}


def chosen_classes(text: str) -> list[str]:
    """Parse ``objects.classes``; ParameterError naming unknown classes."""
    known = household_class_names()
    classes = [c.strip() for c in text.split(",") if c.strip()] or [c for c in known if c != "mug"]
    unknown = [c for c in classes if c not in known]
    if unknown:
        raise ParameterError(
            f"parameter 'objects.classes': unknown class(es) "
            f"{', '.join(unknown)}; household classes: {', '.join(known)}."
        )
    return classes


def everyday_object(
    rng,
    category: str,
    name: str,
    library: str,
    textures: str | None,
    role: str = "object",
    upright_share: float = UPRIGHT_SHARE,
    variants: ShapeVariants = ShapeVariants(),
):
    """One object of household ``category`` (labelled, or clutter with ``role="distractor"``):
    from the household library (real sizes, a material per part), or a basic stand-in; stood
    on the support with probability ``upright_share``, else dropped to lie on its side."""
    upright = rng.uniform() < upright_share
    if library == "household":
        return household_object(
            rng,
            category,
            name,
            role=role,
            upright=upright,
            image_folder=textures,
            variants=variants,
        )
    material = random_material(rng, texture_probability=0.5, image_folder=textures)
    obj = procedural_object(
        rng,
        BASIC_STAND_INS[category],
        name,
        material=material,
        scale=Uniform(0.8, 1.2),
        role=role,
        upright=upright,
    )
    obj.category = category if role == "object" else None
    return obj


@recipe(params=PARAMS, classes=lambda params: chosen_classes(params["objects.classes"]))
def household(rng, params) -> SceneSpec:
    """Household objects on real-looking surfaces, framed to a size, through a camera model."""
    classes = chosen_classes(params["objects.classes"])
    textures = params["textures.folder"] or None
    context, library = params["context.enabled"], params["objects.library"]
    most = int(params["objects.count"])
    count = int(RandInt(max(1, most - 2), most).sample(rng))
    group = params["framing.enabled"] and rng.uniform() < parse_group_share(
        params["objects.framing"]
    )
    categories = [str(Choice(tuple(classes)).sample(rng)) for _ in range(count)]
    floor = context and side_stream(rng, "floor").uniform() < params["context.floor_share"]
    upright_share = FLOOR_UPRIGHT_SHARE if floor else params["objects.upright_share"]
    variants = ShapeVariants(
        params["objects.dent_share"],
        params["objects.stack_share"],
        params["objects.reusable_share"],
        parse_subtype_weights(params["objects.subtype_weights"]),
    )
    objects = [
        everyday_object(
            rng,
            c,
            f"{c}_{i}",
            library,
            textures,
            upright_share=upright_share,
            variants=variants,
        )
        for i, c in enumerate(categories)
    ]
    distractors = _clutter(rng, classes, params["distractors.max"], library, textures, context)
    view_azimuth = float(rng.uniform(0, 2 * math.pi))
    if group:
        # a compact row: about 1.1x the objects' summed footprints, so each spans a fair part
        # of the group frame instead of a few pixels of a wide table
        half_width = 0.03 + 0.55 * sum(2 * footprint_radius(obj) for obj in objects)
        depth = 0.06 + 0.02 * len(objects)
        placed = _across_view(rng, objects, (-half_width, half_width, -depth, depth), view_azimuth)
        placed += _across_view(rng, distractors, (-0.7, 0.7, 0.2, 0.6), view_azimuth)
    else:
        placed = scatter(
            rng, objects, (-0.2, 0.2, -0.15, 0.15), support_height=TABLE_TOP, stand_upright=True
        )
        placed += scatter(
            rng, distractors, (-0.4, 0.4, -0.3, 0.3), support_height=TABLE_TOP, stand_upright=True
        )
    surroundings = _surroundings(rng, context, textures, view_azimuth, floor)
    world = _world(rng, params, context, floor)
    lights = random_lights(
        rng, int(RandInt(0, params["lights.max"]).sample(rng)), target=(0.0, 0.0, TABLE_TOP)
    )
    camera = random_camera(
        rng,
        look_at=(0.0, 0.0, TABLE_TOP + 0.05),
        distance=Uniform(0.5, 1.0),
        elevation=Uniform(math.radians(15), math.radians(60)),
        azimuth=view_azimuth,
        focal_length=Uniform(24.0, 55.0),
        exposure=Uniform(-0.3, 0.3),
    )
    camera.roll = _roll(rng, params["camera.roll_share"], params["camera.roll_max"])
    labelled = [obj for obj in placed if obj.labelled]
    hands = _hands(rng, params["hands.share"], placed, view_azimuth)
    if group and labelled:
        low, high = parse_size_range(params["objects.group_size"], "objects.group_size")
        camera.framing = random_group_framing(
            rng,
            [obj.name for obj in labelled],
            size=Uniform(low, high),
            requested=(low, high),
            azimuth=view_azimuth,
            elevation=_view_elevation(
                rng, params, Uniform(math.radians(15), math.radians(65)), floor
            ),
            focal_ratio=camera.focal_length / camera.sensor_width,
            roll=camera.roll,
        )
    elif params["framing.enabled"] and labelled:
        camera.framing = _framing(rng, params, labelled, camera, view_azimuth, floor)
    sensor = sensor_for(
        rng,
        params["sensor.enabled"],
        params["sensor.match_photos"] or None,
        scale=params.resolution,
    )
    return SceneSpec(
        resolution=(params.resolution, params.resolution),
        camera=camera,
        lights=lights,
        world=world,
        objects=surroundings + placed + hands,
        sensor=sensor,
        physics=PhysicsSpec(
            settle=True, seconds=params["physics.seconds"], support_height=TABLE_TOP
        ),
    )


def _clutter(
    rng, classes: list[str], most: int, library: str, textures: str | None, context: bool
) -> list:
    """0..``most`` unlabelled distractors: with context, 60 % are household objects of the
    classes not asked for (a can next to the bottles), the rest odd shapes."""
    others = [
        c
        for c in household_class_names()
        if c not in classes
        and not (c == "mug" and "cup" in classes)
        and not (c == "cup" and "mug" in classes)
    ]
    clutter = []
    for i in range(int(RandInt(0, most).sample(rng))):
        if others and context and rng.uniform() < 0.6:
            category = str(Choice(tuple(others)).sample(rng))
            clutter.append(
                everyday_object(rng, category, f"clutter_{i}", library, textures, role="distractor")
            )
        else:
            clutter.append(
                procedural_object(
                    rng,
                    str(Choice(ODD_SHAPES).sample(rng)),
                    f"clutter_{i}",
                    role="distractor",
                    scale=Uniform(0.4, 0.9),
                    material=random_material(rng, texture_probability=0.6, image_folder=textures),
                )
            )
    return clutter


def _hands(rng, share: float, placed: list, view_azimuth: float) -> list:
    """With probability ``share``, a hand grips one labelled object of ``placed`` standing on
    the table, its forearm leaving away from the camera (which looks from ``view_azimuth``) and
    clear of the other placed objects. Drawn from the ``hands`` side stream of the recipe's
    generator (:func:`scenes.distributions.side_stream`): every other draw of the frame is the same with hands on or off (``hands.share=0``)."""
    own = side_stream(rng, "hands")
    standing = [obj for obj in placed if obj.labelled and _stands_on_table(obj)]
    if not standing or own.uniform() >= share:
        return []
    held = standing[int(own.integers(len(standing)))]
    others = [obj for obj in placed if obj is not held]
    return [hand_holding(own, held, "hand_0", view_azimuth + math.pi, TABLE_TOP, others)]


def _roll(rng, share: float, most_degrees: float) -> float:
    """Camera roll (radians, ``CameraSpec.roll``): in ``share`` of the frames uniform in
    +-``most_degrees``, else 0 (level). Drawn from the ``roll`` side stream of the recipe's
    generator, so turning frames on or off changes no other draw of the frame."""
    own = side_stream(rng, "roll")
    if own.uniform() >= share:
        return 0.0
    return math.radians(float(own.uniform(-most_degrees, most_degrees)))


def _view_elevation(rng, params, usual: Uniform, floor: bool) -> Uniform:
    """The framing's elevation range (radians above the target): on a ``floor``
    :data:`STEEP_ELEVATION`, never eye level; else in ``camera.eye_level_share`` of the frames
    0-10 degrees (a camera at the objects' own height, as in photos of things on a shelf or a
    counter), otherwise ``usual``. Drawn from the ``eye_level`` side stream; either range is
    one uniform draw, so switching it on changes no other draw of the frame."""
    if floor:
        return STEEP_ELEVATION
    if side_stream(rng, "eye_level").uniform() < params["camera.eye_level_share"]:
        return Uniform(0.0, math.radians(10))
    return usual


def _stands_on_table(obj) -> bool:
    """True for an upright object stood on the table by ``scatter`` (not dropped above others)."""
    height = float(asset_extents(obj.asset)[2] * obj.scale[2])
    return is_upright(obj) and math.isclose(obj.position[2], TABLE_TOP + height / 2, abs_tol=1e-6)


def _across_view(rng, objects: list, region: tuple, view_azimuth: float) -> list:
    """Scatter ``objects`` in ``region`` (x0, x1, y0, y1; m) of the view's frame: x across the
    view, y away from the camera that looks from ``view_azimuth``. Group frames put the
    labelled objects in a wide, shallow band there (side by side rather than one behind
    another; objects that do not fit its first layer drop onto it and settle) and the clutter
    behind them."""
    placed = scatter(
        rng, objects, region, support_height=TABLE_TOP, clearance=0.02, stand_upright=True
    )
    across = view_azimuth + math.pi / 2  # local x runs across the view
    cos, sin = math.cos(across), math.sin(across)
    for obj in placed:
        x, y, z = obj.position
        obj.position = (x * cos - y * sin, x * sin + y * cos, z)
    return placed


def _framing(rng, params, labelled: list, camera, view_azimuth: float, floor: bool = False):
    """Frame one labelled object at ``objects.pixel_size``; a third of the views steep (eye
    level in ``camera.eye_level_share``), on a ``floor`` all of them (45-80 degrees)."""
    low, high = parse_size_range(params["objects.pixel_size"])
    target = labelled[int(rng.integers(len(labelled)))].name
    steep = rng.uniform() < 0.35  # drawn on floors too: later draws stay in step
    usual = STEEP_ELEVATION if steep else Uniform(math.radians(5), math.radians(45))
    return random_framing(
        rng,
        target,
        size=LogUniform(low, high),
        requested=(low, high),
        azimuth=view_azimuth,
        elevation=_view_elevation(rng, params, usual, floor),
        focal_ratio=camera.focal_length / camera.sensor_width,
        cut_probability=params["objects.cut_probability"],
        roll=camera.roll,
    )


def _surroundings(
    rng, context: bool, textures: str | None, view_azimuth: float, floor: bool = False
) -> list:
    """The support, and with context a table/counter of a real surface material and, most of
    the time, a wall behind the objects as the camera (at ``view_azimuth``) sees them: close
    behind (a counter against the wall) or further away (a table in a room). A ``floor`` is a
    wide floor or ground (:data:`scenes.context.FLOOR_KINDS`) with no wall."""
    if floor:
        kind = str(Choice(FLOOR_KINDS).sample(rng))
        return [table(rng, TABLE_TOP, size=(5.0, 5.0), kind=kind)]
    if not context:
        return [
            support_box(
                "table",
                (1.6, 1.2),
                top=TABLE_TOP,
                thickness=0.05,
                material=random_material(
                    rng, texture_probability=0.7, image_folder=textures, name="table"
                ),
            )
        ]
    parts = [table(rng, TABLE_TOP, size=(3.0, 3.0))]
    if rng.uniform() < 0.75:
        behind = view_azimuth + math.pi + float(rng.uniform(-0.5, 0.5))
        parts.append(
            back_wall(
                rng,
                distance=float(Choice((0.45, 0.9)).sample(rng) * rng.uniform(1.0, 1.5)),
                azimuth=behind,
                top=TABLE_TOP,
            )
        )
    return parts


def _world(rng, params, context: bool, floor: bool = False):
    """Indoor maps (with context) light the scene; real photos sit behind it when given.
    Without context: any bundled map, shown or replaced by a plain colour (as ``tabletop``).
    A ``floor`` frame may be indoors or out: any bundled map, equally likely."""
    folder = params["background.folder"] or None
    if folder:
        backgrounds = Choice(("image", "hdri"), (0.7, 0.3))
    else:
        backgrounds = "hdri" if context else Choice(("hdri", "color"))
    world = random_world(
        rng,
        background=backgrounds,
        hdri_folder=params["hdri.folder"] or None,
        image_folder=folder,
        hdri_names=indoor_hdri_choice()
        if context and not floor and not params["hdri.folder"]
        else None,
    )
    return world
