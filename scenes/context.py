"""Context: the surroundings household objects live in (surfaces, walls, shelves, clutter, rooms).

A detector trained on objects alone on a slab learns "object = the thing on a slab". These
building blocks put objects where real photos show them: on wooden tables, stone or laminate
counters, tiled or cloth-covered surfaces, in front of painted or tiled walls and shelves, among
unlabelled everyday clutter, lit and backed by indoor environment maps or real photos.

All materials are procedural (Blender texture nodes through :class:`scenes.spec.TextureSpec`),
generated, CC0; nothing is downloaded.
"""

from __future__ import annotations

import math
from typing import Optional, Sequence

import numpy as np

from scenes.distributions import Choice, ColorHSV, LogUniform, Uniform, sample
from scenes.randomizers import random_material, support_box
from scenes.spec import MaterialSpec, ObjectSpec, TextureSpec

SURFACE_KINDS = ("wood", "stone", "laminate", "tiles", "cloth")
# Floors and outdoor ground under things lying on it (``household``'s floor frames): "ground" is
# soil, gravel or asphalt (a grey-brown noise or cell pattern); never drawn for tables.
FLOOR_KINDS = ("ground", "stone", "tiles", "wood")
WALL_KINDS = ("paint", "tiles", "wood", "wallpaper")
# Blender's bundled maps, indoor-like ones first and most often (the studio is a room too).
INDOOR_HDRIS = ("interior", "studio", "courtyard", "city", "sunrise", "sunset", "forest", "night")
INDOOR_HDRI_WEIGHTS = (0.4, 0.25, 0.1, 0.08, 0.05, 0.05, 0.04, 0.03)


def _hsv(rng, hue, saturation, value) -> tuple:
    return ColorHSV(hue=hue, saturation=saturation, value=value).sample(rng)


def surface_material(
    rng: np.random.Generator, kind: Optional[str] = None, name: str = "surface"
) -> MaterialSpec:
    """A table/counter/shelf material: ``kind`` one of :data:`SURFACE_KINDS` (random if None),
    or ``"ground"`` (soil, gravel, asphalt: :data:`FLOOR_KINDS`)."""
    kind = kind or str(Choice(SURFACE_KINDS).sample(rng))
    rotation = (0.0, 0.0, float(rng.uniform(0, 2 * math.pi)))
    if kind == "wood":
        base = _hsv(rng, (0.04, 0.1), (0.35, 0.75), (0.12, 0.6))
        texture = TextureSpec(
            kind="wave",
            scale=sample(LogUniform(12.0, 50.0), rng),
            color2=tuple(c * 0.7 for c in base[:3]) + (1.0,),
            params={
                "Distortion": sample(Uniform(1.0, 5.0), rng),
                "Detail": sample(Uniform(2.0, 6.0), rng),
            },
            rotation=rotation,
        )
        return MaterialSpec(
            color=base,
            roughness=sample(Uniform(0.3, 0.75), rng),
            specular=0.4,
            texture=texture,
            name=f"{name}:wood",
        )
    if kind == "stone":
        base = _hsv(rng, (0.0, 0.15), (0.0, 0.2), (0.15, 0.85))
        texture = TextureSpec(
            kind=str(Choice(("noise", "voronoi")).sample(rng)),
            scale=sample(LogUniform(8.0, 60.0), rng),
            color2=_hsv(rng, (0.0, 0.15), (0.0, 0.2), (0.05, 0.9)),
            rotation=rotation,
        )
        texture.params = (
            {"Randomness": sample(Uniform(0.6, 1.0), rng)}
            if texture.kind == "voronoi"
            else {"Detail": sample(Uniform(4.0, 8.0), rng)}
        )
        return MaterialSpec(
            color=base,
            roughness=sample(Uniform(0.1, 0.5), rng),
            specular=0.6,
            texture=texture,
            name=f"{name}:stone",
        )
    if kind == "laminate":
        base = _hsv(rng, (0.0, 1.0), (0.0, 0.35), (0.3, 0.95))
        texture = TextureSpec(
            kind="noise",
            scale=sample(LogUniform(20.0, 120.0), rng),
            color2=tuple(c * 0.9 for c in base[:3]) + (1.0,),
            params={"Detail": 2.0},
            rotation=rotation,
        )
        return MaterialSpec(
            color=base,
            roughness=sample(Uniform(0.15, 0.55), rng),
            texture=texture,
            name=f"{name}:laminate",
        )
    if kind == "tiles":
        base = _hsv(rng, (0.0, 1.0), (0.0, 0.5), (0.4, 0.95))
        texture = TextureSpec(
            kind="brick",
            scale=sample(LogUniform(2.0, 8.0), rng),
            color2=_hsv(rng, (0.0, 1.0), (0.0, 0.2), (0.2, 0.9)),
            params={"Mortar Size": sample(Uniform(0.005, 0.03), rng)},
            rotation=rotation,
        )
        return MaterialSpec(
            color=base,
            roughness=sample(Uniform(0.05, 0.4), rng),
            specular=0.6,
            texture=texture,
            name=f"{name}:tiles",
        )
    if kind == "cloth":
        base = _hsv(rng, (0.0, 1.0), (0.2, 0.9), (0.2, 0.9))
        pattern = str(Choice(("checker", "wave", "magic", "noise")).sample(rng))
        texture = TextureSpec(
            kind=pattern,
            scale=sample(LogUniform(5.0, 40.0), rng),
            color2=_hsv(rng, (0.0, 1.0), (0.0, 0.9), (0.3, 1.0)),
            rotation=rotation,
        )
        return MaterialSpec(
            color=base,
            roughness=sample(Uniform(0.8, 1.0), rng),
            specular=0.3,
            texture=texture,
            name=f"{name}:cloth",
        )
    if kind == "ground":
        base = _hsv(rng, (0.03, 0.3), (0.05, 0.5), (0.1, 0.6))
        pattern = str(Choice(("noise", "voronoi")).sample(rng))
        texture = TextureSpec(
            kind=pattern,
            scale=sample(LogUniform(10.0, 150.0), rng),
            color2=_hsv(rng, (0.03, 0.3), (0.0, 0.5), (0.05, 0.7)),
            params={"Detail": sample(Uniform(6.0, 12.0), rng)} if pattern == "noise" else {},
            rotation=rotation,
        )
        return MaterialSpec(
            color=base,
            roughness=sample(Uniform(0.7, 1.0), rng),
            specular=0.2,
            texture=texture,
            name=f"{name}:ground",
        )
    kinds = ", ".join(dict.fromkeys(SURFACE_KINDS + FLOOR_KINDS))
    raise ValueError(f"surface kind {kind!r} unknown; use one of {kinds}")


def wall_material(
    rng: np.random.Generator, kind: Optional[str] = None, name: str = "wall"
) -> MaterialSpec:
    """A room wall: painted plaster, tiles, wood panelling or patterned wallpaper."""
    kind = kind or str(Choice(WALL_KINDS).sample(rng))
    if kind == "paint":
        base = _hsv(rng, (0.0, 1.0), (0.0, 0.3), (0.35, 0.95))
        texture = TextureSpec(
            kind="noise",
            scale=sample(LogUniform(5.0, 30.0), rng),
            color2=tuple(c * 0.93 for c in base[:3]) + (1.0,),
            params={"Detail": 4.0},
        )
        return MaterialSpec(
            color=base,
            roughness=sample(Uniform(0.6, 0.95), rng),
            texture=texture,
            name=f"{name}:paint",
        )
    if kind == "wallpaper":
        return random_material(
            rng,
            color=ColorHSV(value=(0.3, 0.95)),
            metallic=0.0,
            roughness=Uniform(0.6, 0.95),
            texture_probability=1.0,
            name=f"{name}:wallpaper",
        )
    surface = surface_material(rng, "tiles" if kind == "tiles" else "wood", name=name)
    surface.name = f"{name}:{kind}"
    return surface


def table(
    rng: np.random.Generator,
    top: float = 0.0,
    size: Sequence[float] = (1.6, 1.2),
    kind: Optional[str] = None,
) -> ObjectSpec:
    """A table or counter top (static box, its top face at ``top``) of a surface material."""
    return support_box(
        "table", size, top=top, thickness=0.04, material=surface_material(rng, kind, name="table")
    )


def back_wall(
    rng: np.random.Generator,
    distance: float,
    azimuth: float,
    top: float = 0.0,
    width: float = 4.0,
    height: float = 2.5,
    name: str = "wall",
) -> ObjectSpec:
    """A vertical wall ``distance`` m from the origin in direction ``azimuth`` (radians from
    +X), facing the origin, standing on ``top`` - 0.9 m (the floor under a table)."""
    wall = support_box(
        name, (width, 0.04), top=0.0, thickness=height, material=wall_material(rng, name=name)
    )
    yaw = azimuth + math.pi / 2
    wall.position = (
        distance * math.cos(azimuth),
        distance * math.sin(azimuth),
        top - 0.9 + height / 2,
    )
    wall.quaternion = (math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2))
    return wall


def indoor_hdri_choice() -> Choice:
    """Blender's bundled environment maps weighted toward indoor ones."""
    return Choice(INDOOR_HDRIS, INDOOR_HDRI_WEIGHTS)
