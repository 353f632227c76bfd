"""Domain-randomization building blocks: each takes the recipe's seeded RNG and returns spec data.

Every argument that says ``Distribution`` also accepts a constant. Defaults suit table-top scenes
(objects of 3-25 cm, camera about a metre away). Units: metres, radians, mm for lenses, W for
point/spot/area lights, W/m^2 for the sun, Kelvin for colour temperature.

Draw order is fixed (keyword arguments are sampled in the order written here), so a recipe's
spec depends only on its seed and parameters.
"""

from __future__ import annotations

import math
from typing import Any, Optional, Sequence

import numpy as np

from assets.hdri import folder_hdris
from assets.kubric_source import scan_kubric_source
from assets.meshes import MeshAsset, scan_mesh_folder
from fileio.digest import sha256_file
from assets.procedural import LICENCE as PROCEDURAL_LICENCE
from assets.procedural import PROCEDURAL_CLASSES
from assets.procedural import SOURCE as PROCEDURAL_SOURCE
from assets.procedural import procedural_class
from assets.household import household_class_names
from assets.textures import folder_images
from scenes.distributions import (
    Choice,
    ColorHSV,
    Distribution,
    LogUniform,
    Uniform,
    kelvin_to_rgb,
    sample,
)
from scenes.errors import RecipeError
from scenes.geometry import asset_extents, asset_volume
from scenes.household import ShapeVariants, household_object_asset, part_materials
from scenes.spec import (
    AssetSpec,
    CameraSpec,
    DepthOfFieldSpec,
    HdriSpec,
    LightSpec,
    MaterialSpec,
    ObjectSpec,
    PartSpec,
    TextureSpec,
    Vec3,
    WorldSpec,
)

BLENDER_HDRI_NAMES = (
    "city",
    "courtyard",
    "forest",
    "interior",
    "night",
    "studio",
    "sunrise",
    "sunset",
)
BLENDER_HDRI_LICENCE = "CC0-1.0"
LIGHT_KINDS = ("sun", "point", "area", "spot")

# Blender texture nodes and the extra inputs (by socket name) randomized for each.
PROCEDURAL_TEXTURES: dict[str, dict[str, Distribution]] = {
    "noise": {
        "Detail": Uniform(0.0, 8.0),
        "Roughness": Uniform(0.3, 0.8),
        "Distortion": Uniform(0.0, 2.0),
    },
    "voronoi": {"Randomness": Uniform(0.5, 1.0)},
    "wave": {"Distortion": Uniform(0.0, 10.0), "Detail": Uniform(0.0, 4.0)},
    "checker": {},
    "brick": {"Mortar Size": Uniform(0.005, 0.03)},
    "magic": {"Distortion": Uniform(0.5, 2.0)},
    "gradient": {},
}

# Per light kind: intensity (W/m^2 for sun, W otherwise) for a table-top scene.
LIGHT_INTENSITY: dict[str, Distribution] = {
    "sun": LogUniform(0.5, 3.0),
    "point": LogUniform(20.0, 300.0),
    "area": LogUniform(20.0, 300.0),
    "spot": LogUniform(50.0, 600.0),
}
DEFAULT_DENSITY = 400.0  # kg/m^3, a light plastic/wood mix for procedural objects


def sample_dict(rng: np.random.Generator, distributions: dict[str, Any]) -> dict[str, Any]:
    """Sample each value of a dict (sorted keys, so the draw order is fixed)."""
    return {key: sample(distributions[key], rng) for key in sorted(distributions)}


# -- pose helpers ----------------------------------------------------------------------------
def shell_position(
    center: Sequence[float], distance: float, elevation: float, azimuth: float
) -> Vec3:
    """Point at ``distance`` from ``center``, ``elevation`` above the XY plane, ``azimuth``
    counter-clockwise from +X (radians)."""
    horizontal = distance * math.cos(elevation)
    return (
        float(center[0] + horizontal * math.cos(azimuth)),
        float(center[1] + horizontal * math.sin(azimuth)),
        float(center[2] + distance * math.sin(elevation)),
    )


def random_rotation(rng: np.random.Generator, upright: bool = True) -> tuple[float, ...]:
    """A (w, x, y, z) quaternion: yaw about +Z only when ``upright``, else uniform on SO(3)."""
    if upright:
        yaw = rng.uniform(0.0, 2 * math.pi)
        return (math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2))
    quaternion = rng.normal(size=4)
    quaternion /= np.linalg.norm(quaternion)
    if quaternion[0] < 0:
        quaternion = -quaternion
    return tuple(float(q) for q in quaternion)


# -- lighting ------------------------------------------------------------------------------
def random_hdri(
    rng: np.random.Generator,
    folder: Optional[str] = None,
    strength: Any = LogUniform(0.3, 1.5),
    rotation: Any = Uniform(0.0, 2 * math.pi),
    names: Any = None,
) -> HdriSpec:
    """An environment map: one of Blender's 8 bundled CC0 maps (uniformly, or drawn from
    ``names``, e.g. a weighted Choice of indoor maps), or of a user ``folder`` (each file there
    is checked readable; AssetError otherwise)."""
    if folder:
        maps = folder_hdris(folder)
        chosen = maps[int(rng.integers(len(maps)))]
        name, source, licence = chosen.name, "folder", chosen.licence
    else:
        name = (
            sample(names, rng)
            if names is not None
            else BLENDER_HDRI_NAMES[int(rng.integers(len(BLENDER_HDRI_NAMES)))]
        )
        if name not in BLENDER_HDRI_NAMES:
            raise RecipeError(
                f"HDRI {name!r} is not one of Blender's bundled maps: "
                f"{', '.join(BLENDER_HDRI_NAMES)}"
            )
        source, licence = "blender", BLENDER_HDRI_LICENCE
    return HdriSpec(
        name=name,
        source=source,
        folder=str(folder) if folder else None,
        rotation=sample(rotation, rng),
        strength=sample(strength, rng),
        licence=licence,
    )


def random_light(
    rng: np.random.Generator,
    name: str = "light",
    kind: Any = Choice(LIGHT_KINDS),
    target: Sequence[float] = (0.0, 0.0, 0.0),
    distance: Any = Uniform(1.5, 3.0),
    elevation: Any = Uniform(math.radians(25), math.radians(80)),
    azimuth: Any = Uniform(0.0, 2 * math.pi),
    temperature: Any = Uniform(2700.0, 7500.0),
    intensity: Any = None,
    strength: float = 1.0,
) -> LightSpec:
    """A sun/point/area/spot light on a shell around ``target``, aimed at it; colour from a
    black-body ``temperature``; ``intensity`` defaults per kind (LIGHT_INTENSITY) times
    ``strength``."""
    kind = sample(kind, rng)
    if kind not in LIGHT_KINDS:
        raise RecipeError(f"light kind {kind!r} unknown; use one of {', '.join(LIGHT_KINDS)}")
    position = shell_position(
        target, sample(distance, rng), sample(elevation, rng), sample(azimuth, rng)
    )
    kelvin = sample(temperature, rng)
    power = sample(intensity if intensity is not None else LIGHT_INTENSITY[kind], rng)
    light = LightSpec(
        kind=kind,
        name=name,
        position=position,
        look_at=tuple(target),
        intensity=float(power) * strength,
        color=kelvin_to_rgb(kelvin),
        temperature=kelvin,
    )
    if kind == "area":
        light.width, light.height = sample(Uniform(0.2, 1.0), rng), sample(Uniform(0.2, 1.0), rng)
    elif kind == "spot":
        light.spot_size = sample(Uniform(math.radians(30), math.radians(80)), rng)
        light.spot_blend = sample(Uniform(0.1, 0.9), rng)
    else:
        light.shadow_softness = sample(Uniform(0.0, 0.5), rng)
    return light


def random_lights(rng: np.random.Generator, count: int, **options: Any) -> list[LightSpec]:
    """``count`` independent :func:`random_light` lights named light0, light1, ..."""
    return [random_light(rng, name=f"light{i}", **options) for i in range(count)]


# -- materials -----------------------------------------------------------------------------
def random_texture(
    rng: np.random.Generator,
    kind: Any = Choice(tuple(PROCEDURAL_TEXTURES)),
    scale: Any = LogUniform(2.0, 40.0),
    color2: Any = ColorHSV(),
    image_folder: Optional[str] = None,
) -> TextureSpec:
    """A procedural Blender texture (noise, voronoi, wave, checker, brick, magic, gradient) with
    random inputs, or, when ``image_folder`` is given, an image from it."""
    if image_folder:
        images = folder_images(image_folder)
        image = images[int(rng.integers(len(images)))]
        return TextureSpec(
            kind="image",
            scale=1.0,
            image=image.as_posix(),
            rotation=(0.0, 0.0, sample(Uniform(0, 2 * math.pi), rng)),
        )
    kind = sample(kind, rng)
    if kind not in PROCEDURAL_TEXTURES:
        raise RecipeError(
            f"texture kind {kind!r} unknown; use one of "
            f"{', '.join(PROCEDURAL_TEXTURES)} (or an image folder)"
        )
    return TextureSpec(
        kind=kind,
        scale=sample(scale, rng),
        color2=sample(color2, rng),
        params=sample_dict(rng, PROCEDURAL_TEXTURES[kind]),
        rotation=tuple(sample(Uniform(0, 2 * math.pi), rng) for _ in range(3)),
    )


def random_material(
    rng: np.random.Generator,
    color: Any = ColorHSV(value=(0.15, 1.0)),
    roughness: Any = Uniform(0.05, 0.95),
    metallic: Any = Choice((0.0, 1.0), (0.8, 0.2)),
    specular: Any = Uniform(0.2, 0.8),
    ior: Any = Uniform(1.3, 1.7),
    texture_probability: float = 0.3,
    image_folder: Optional[str] = None,
    name: str = "",
) -> MaterialSpec:
    """A Principled BSDF material; with ``texture_probability`` a random texture modulates the
    base colour (an image texture when ``image_folder`` is given)."""
    material = MaterialSpec(
        color=sample(color, rng),
        roughness=sample(roughness, rng),
        metallic=sample(metallic, rng),
        specular=sample(specular, rng),
        ior=sample(ior, rng),
        name=name,
    )
    if rng.uniform() < texture_probability:
        material.texture = random_texture(rng, image_folder=image_folder)
    return material


# -- camera --------------------------------------------------------------------------------
def random_camera(
    rng: np.random.Generator,
    look_at: Sequence[float] = (0.0, 0.0, 0.0),
    distance: Any = Uniform(0.6, 1.2),
    elevation: Any = Uniform(math.radians(25), math.radians(70)),
    azimuth: Any = Uniform(0.0, 2 * math.pi),
    look_at_jitter: float = 0.05,
    focal_length: Any = Uniform(24.0, 60.0),
    sensor_width: float = 36.0,
    depth_of_field_probability: float = 0.0,
    fstop: Any = LogUniform(1.4, 8.0),
    motion_blur_probability: float = 0.0,
    shutter: Any = Uniform(0.1, 0.5),
    exposure: Any = 0.0,
) -> CameraSpec:
    """A perspective camera on a spherical shell around ``look_at`` (elevation above the XY
    plane, azimuth from +X), aimed at ``look_at`` plus a uniform jitter of up to
    ``look_at_jitter`` metres per axis; optional depth of field (focused on the aim point) and
    motion blur."""
    position = shell_position(
        look_at, sample(distance, rng), sample(elevation, rng), sample(azimuth, rng)
    )
    jitter = rng.uniform(-look_at_jitter, look_at_jitter, size=3)
    target = tuple(float(c + j) for c, j in zip(look_at, jitter))
    camera = CameraSpec(
        position=position,
        look_at=target,
        focal_length=sample(focal_length, rng),
        sensor_width=float(sensor_width),
        exposure=sample(exposure, rng),
    )
    if rng.uniform() < depth_of_field_probability:
        camera.depth_of_field = DepthOfFieldSpec(
            focus_distance=float(math.dist(position, target)), fstop=sample(fstop, rng)
        )
    if rng.uniform() < motion_blur_probability:
        camera.motion_blur = sample(shutter, rng)
    return camera


# -- world / background --------------------------------------------------------------------
def random_world(
    rng: np.random.Generator,
    background: Any = Choice(("hdri", "color")),
    hdri_folder: Optional[str] = None,
    image_folder: Optional[str] = None,
    color: Any = ColorHSV(value=(0.05, 0.9)),
    strength: Any = LogUniform(0.3, 1.5),
    hdri_names: Any = None,
) -> WorldSpec:
    """An HDRI that lights the scene, and what the camera sees behind it: the HDRI, a plain
    colour, or (with ``image_folder``) an image. ``hdri_names``: see :func:`random_hdri`."""
    hdri = random_hdri(rng, folder=hdri_folder, strength=strength, names=hdri_names)
    kind = sample(background, rng)
    world = WorldSpec(background=kind, hdri=hdri, color=sample(color, rng))
    if kind == "image":
        if not image_folder:
            raise RecipeError(
                "background 'image' needs an image folder (e.g. --set "
                "background.folder=path/to/images)"
            )
        images = folder_images(image_folder)
        world.image = images[int(rng.integers(len(images)))].as_posix()
    elif kind not in ("hdri", "color"):
        raise RecipeError(f"background {kind!r} unknown; use hdri, color or image")
    return world


# -- objects -------------------------------------------------------------------------------
def balanced_categories(
    rng: np.random.Generator,
    classes: Sequence[str],
    count: int,
    weights: Optional[Sequence[float]] = None,
    stratified: bool = True,
) -> list[str]:
    """``count`` class names in random order, balanced by ``weights`` (default: equal).

    ``stratified`` (default): each class gets ``floor(count * p)`` slots and the remaining slots
    go to classes with probability equal to their fractional part (systematic sampling), so a
    scene never strays more than one instance from its share and no class repeats before every
    class has appeared; each class's expected count is exactly ``count * p``. Otherwise classes
    are drawn independently (multinomial).
    """
    if not classes:
        raise RecipeError("no object classes to sample from; give at least one class")
    choice = Choice(tuple(classes), weights)
    if not stratified:
        return [choice.sample(rng) for _ in range(count)]
    shares = choice.probabilities() * count
    quotas = np.floor(shares).astype(int)
    fractions = shares - quotas
    remainder = int(round(fractions.sum()))
    picks = list(np.repeat(np.arange(len(classes)), quotas))
    if remainder:
        cumulative = np.cumsum(fractions)
        offset = rng.uniform()
        picks += [
            int(np.searchsorted(cumulative, offset + k, side="right")) for k in range(remainder)
        ]
    order = rng.permutation(len(picks))
    return [classes[min(picks[i], len(classes) - 1)] for i in order]


def procedural_object(
    rng: np.random.Generator,
    category: str,
    name: str,
    material: Optional[MaterialSpec] = None,
    scale: Any = 1.0,
    role: str = "object",
    upright: bool = True,
    density: float = DEFAULT_DENSITY,
    library: str = "basic",
    image_folder: Optional[str] = None,
) -> ObjectSpec:
    """An object of a procedural class with random shape parameters, yaw (or full rotation)
    and material. ``role="distractor"`` makes it unlabelled clutter.

    ``library``: "basic" (assets/procedural.py: one mesh, one material) or "household"
    (assets/household.py, see :func:`household_object`; ``image_folder`` then supplies prints)."""
    if library == "household":
        return household_object(
            rng, category, name, material, scale, role, upright, density, image_folder
        )
    if library != "basic":
        raise RecipeError(f"object library {library!r} unknown; use basic or household")
    shape = procedural_class(category)
    asset = AssetSpec(
        kind="procedural",
        name=category,
        params=shape.sample_params(rng),
        source=PROCEDURAL_SOURCE,
        licence=PROCEDURAL_LICENCE,
    )
    return _object(rng, asset, category, name, material, scale, role, upright, density)


def household_object(
    rng: np.random.Generator,
    category: str,
    name: str,
    material: Optional[MaterialSpec] = None,
    scale: Any = 1.0,
    role: str = "object",
    upright: bool = True,
    density: float = DEFAULT_DENSITY,
    image_folder: Optional[str] = None,
    variants: ShapeVariants = ShapeVariants(),
) -> ObjectSpec:
    """An object of the household library made of parts: sub-type, shape and one material per
    part sampled (scenes/household.py). ``category`` is the label (``mug`` = a cup of sub-type
    mug); ``material``, when given, replaces the body's (first part's) material. ``scale``
    defaults to 1: the library's sizes are real ones. ``variants``: dents, stacks, reusable cups,
    sub-type weights (off by default)."""
    try:
        asset = household_object_asset(rng, category, variants)
    except KeyError as error:
        raise RecipeError(
            f"{error.args[0]}; pick household classes for library household."
        ) from None
    parts = part_materials(rng, asset, image_folder)
    if material is not None:
        parts[0] = PartSpec(name=parts[0].name, material=material)
    obj = _object(rng, asset, category, name, parts[0].material, scale, role, upright, density)
    obj.parts = parts
    return obj


def file_object(
    rng: np.random.Generator,
    mesh: MeshAsset,
    name: str,
    material: Optional[MaterialSpec] = None,
    scale: Any = 1.0,
    role: str = "object",
    upright: bool = True,
    density: float = DEFAULT_DENSITY,
) -> ObjectSpec:
    """An object from a user mesh file (path kept as given; sha256 pins its content)."""
    asset = AssetSpec(
        kind="file",
        name=mesh.category,
        path=mesh.path.as_posix(),
        sha256=sha256_file(mesh.path),
        up=mesh.up,
        units_to_metres=mesh.units_to_metres,
        source=mesh.source,
        licence=mesh.licence,
    )
    return _object(rng, asset, mesh.category, name, material, scale, role, upright, density)


def _object(rng, asset, category, name, material, scale, role, upright, density) -> ObjectSpec:
    size = float(sample(scale, rng))
    quaternion = random_rotation(rng, upright)
    material = material if material is not None else random_material(rng)
    volume = asset_volume(asset) * size**3
    return ObjectSpec(
        name=name,
        asset=asset,
        quaternion=quaternion,
        scale=(size, size, size),
        material=material,
        category=category if role == "object" else None,
        role=role,
        mass=max(float(volume * density), 0.02),
        friction=sample(Uniform(0.5, 0.9), rng),
        restitution=sample(Uniform(0.05, 0.3), rng),
    )


def mesh_folder_objects(
    rng: np.random.Generator,
    folder: str,
    count: int,
    weights: Optional[dict[str, float]] = None,
    **options: Any,
) -> list[ObjectSpec]:
    """``count`` objects from a user mesh folder: class first (balanced), then a file of it."""
    return mesh_objects(rng, scan_mesh_folder(folder), count, weights, **options)


def kubric_source_objects(
    rng: np.random.Generator,
    manifest: str,
    count: int,
    weights: Optional[dict[str, float]] = None,
    **options: Any,
) -> list[ObjectSpec]:
    """``count`` objects from a local Kubric asset source (``kb.AssetSource`` manifest, see
    :mod:`assets.kubric_source`): class = the manifest's category, licence and source per
    asset. ``role="distractor"`` draws unlabelled clutter from it instead."""
    return mesh_objects(rng, scan_kubric_source(manifest), count, weights, **options)


def mesh_objects(
    rng: np.random.Generator,
    meshes: Sequence[MeshAsset],
    count: int,
    weights: Optional[dict[str, float]] = None,
    **options: Any,
) -> list[ObjectSpec]:
    """``count`` objects from mesh assets: class first (balanced), then a mesh of it; objects
    are named ``<class>_<i>`` (labelled) or ``<prefix>_<i>`` with ``name_prefix``."""
    prefix = options.pop("name_prefix", None)
    by_class: dict[str, list[MeshAsset]] = {}
    for mesh in meshes:
        by_class.setdefault(mesh.category, []).append(mesh)
    classes = sorted(by_class)
    class_weights = None if weights is None else [weights.get(c, 0.0) for c in classes]
    objects = []
    for index, category in enumerate(balanced_categories(rng, classes, count, class_weights)):
        files = by_class[category]
        objects.append(
            file_object(
                rng,
                files[int(rng.integers(len(files)))],
                f"{prefix or category}_{index}",
                **options,
            )
        )
    return objects


def support_box(
    name: str,
    size: Sequence[float],
    top: float = 0.0,
    thickness: float = 0.05,
    center: Sequence[float] = (0.0, 0.0),
    material: Optional[MaterialSpec] = None,
) -> ObjectSpec:
    """A static box (Kubric cube) whose top face is at height ``top``: floor, table, bin wall."""
    return ObjectSpec(
        name=name,
        asset=AssetSpec(
            kind="primitive", name="cube", source="kubric primitive", licence="Apache-2.0"
        ),
        position=(float(center[0]), float(center[1]), top - thickness / 2),
        scale=(size[0] / 2, size[1] / 2, thickness / 2),
        material=material or MaterialSpec(),
        role="support",
        static=True,
        friction=0.8,
        restitution=0.1,
        mass=0.0,
    )


def bounding_radius(obj: ObjectSpec) -> float:
    """Radius (m) of the sphere around the scaled object's bounding box (rotation-invariant)."""
    return float(np.linalg.norm(asset_extents(obj.asset) * np.asarray(obj.scale)) / 2)


def footprint_radius(obj: ObjectSpec) -> float:
    """Radius (m) of the circle around the scaled object's bounding box seen from above."""
    extents = asset_extents(obj.asset) * np.asarray(obj.scale)
    return float(np.linalg.norm(extents[:2]) / 2)


def is_upright(obj: ObjectSpec) -> bool:
    """True when the object's rotation is a yaw about +Z only (its up axis is still +Z)."""
    _, x, y, _ = obj.quaternion
    return abs(x) < 1e-9 and abs(y) < 1e-9


def scatter(
    rng: np.random.Generator,
    objects: list[ObjectSpec],
    region: Sequence[float],
    support_height: float = 0.0,
    drop: bool = True,
    clearance: float = 0.01,
    tries: int = 100,
    stand_upright: bool = False,
) -> list[ObjectSpec]:
    """Place objects without overlap above a support inside ``region`` (x0, x1, y0, y1).

    ``drop=True``: bounding spheres are kept apart in 3-D and objects start above the support
    (higher layers when the region is full), ready for :func:`scenes.build.settle`.
    ``drop=False``: objects rest on the support as they are (upright; position z = support +
    half height) with bounding circles apart in the plane; an object that finds no free spot
    after ``tries`` attempts is left out. ``stand_upright=True`` (with ``drop``): objects whose
    rotation is a yaw only are stood on the support first (footprint circles apart, nothing
    falls on them, so tall ones do not topple as dropped bottles do), then the others, and
    upright ones that found no free spot, drop around and above them. Returns the placed
    objects in the order given.
    """
    if drop and stand_upright:
        standing = [obj for obj in objects if is_upright(obj)]
        stood = _place(
            rng, standing, region, support_height, False, clearance, tries, footprint_radius
        )
        kept = {id(obj) for obj in stood}
        placed = [(np.asarray(obj.position), bounding_radius(obj)) for obj in stood]
        # lying objects, and upright ones that found no free floor spot, drop as usual
        dropped = [obj for obj in objects if id(obj) not in kept]
        kept |= {
            id(obj)
            for obj in _place(
                rng,
                dropped,
                region,
                support_height,
                True,
                clearance,
                tries,
                bounding_radius,
                placed,
            )
        }
        return [obj for obj in objects if id(obj) in kept]
    return _place(rng, objects, region, support_height, drop, clearance, tries, bounding_radius)


def _place(
    rng, objects, region, support_height, drop, clearance, tries, radius_of, placed=None
) -> list[ObjectSpec]:
    """scatter's loop: ``radius_of`` sizes each object's circle (plane) or sphere (``drop``)."""
    x0, x1, y0, y1 = region
    placed = list(placed or [])
    result = []
    for obj in objects:
        radius = radius_of(obj)
        height = float(asset_extents(obj.asset)[2] * obj.scale[2])
        layer = 0
        while True:
            spot = _free_spot(
                rng,
                placed,
                radius,
                (x0, x1, y0, y1),
                clearance,
                tries,
                z=(
                    support_height + radius + clearance + layer * 2 * radius
                    if drop
                    else support_height + height / 2
                ),
                planar=not drop,
            )
            if spot is not None or not drop or layer > 50:
                break
            layer += 1
        if spot is None:
            continue
        placed.append((spot, radius))
        obj.position = tuple(float(v) for v in spot)
        result.append(obj)
    return result


def _free_spot(rng, placed, radius, region, clearance, tries, z, planar) -> Optional[np.ndarray]:
    x0, x1, y0, y1 = region
    low_x, high_x = x0 + radius, max(x0 + radius, x1 - radius)
    low_y, high_y = y0 + radius, max(y0 + radius, y1 - radius)
    for _ in range(tries):
        spot = np.array([rng.uniform(low_x, high_x), rng.uniform(low_y, high_y), z])
        dims = slice(0, 2) if planar else slice(0, 3)
        if all(
            np.linalg.norm(spot[dims] - other[dims]) >= radius + other_radius + clearance
            for other, other_radius in placed
        ):
            return spot
    return None


def procedural_classes(library: str = "basic") -> list[str]:
    """Names of the embedded procedural classes of ``library`` ("basic" or "household")."""
    if library == "household":
        return household_class_names()
    return sorted(PROCEDURAL_CLASSES)
