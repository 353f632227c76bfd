"""Sampling household objects: sub-type, shape, and a physically meaningful material per part.

``household_object(rng, "bottle", "bottle_0")`` draws a sub-type (water, soda, wine, beer,
flask), its shape parameters (assets/household.py) and, for every part the shape has, a
material from the families below; prints (labels, mug prints, can wraps, box art) are seeded
procedural images (assets/prints.py) or, with ``image_folder``, the user's images.

Material families (linear RGB; IOR of the real substance):

* ``glass`` clear or tinted (green, amber, blue): transmission 1, IOR 1.5, roughness 0-0.05;
* ``pet`` (bottle plastic) clear or lightly tinted: transmission 1, IOR 1.57, roughness 0-0.08;
* ``liquid`` water (IOR 1.333), soda (cola, orange, lemon), wine (red, white), beer: transmission
  1 and the liquid's colour as its tint;
* ``ceramic`` glaze: any colour, roughness 0.05-0.35, a clear coat (Coat Weight 0.3-1);
* ``steel`` brushed (metallic 1, roughness 0.2-0.45, fine bump), ``aluminium``, painted metal;
* ``plastic`` opaque caps, lids and tumblers; ``paper`` and ``cardboard`` (rough, printed);
* ``food`` (jam, honey, pickles, spreads) for jar contents.

Every non-liquid surface gets small imperfections: a noise bump (strength up to 0.15, weaker on
metal and glaze) and a roughness noise (0.03-0.15).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Optional

import numpy as np

from assets.household import ALIASES, LICENCE, SOURCE, household_class
from assets.textures import folder_images
from scenes.distributions import ColorHSV, sample, side_stream
from scenes.errors import ParameterError
from scenes.geometry import asset_mesh, asset_part_names
from scenes.spec import AssetSpec, MaterialSpec, PartSpec, TextureSpec

GLASS_TINTS = {
    "clear": (0.92, 0.95, 0.93),
    "green": (0.08, 0.3, 0.08),
    "amber": (0.35, 0.14, 0.02),
    "blue": (0.1, 0.2, 0.45),
}
LIQUIDS = {
    "water": ((0.92, 0.96, 1.0), 1.333),
    "cola": ((0.16, 0.05, 0.015), 1.345),
    "orange": ((0.95, 0.4, 0.04), 1.345),
    "lemon": ((0.75, 0.85, 0.3), 1.345),
    "red_wine": ((0.22, 0.01, 0.03), 1.34),
    "white_wine": ((0.9, 0.8, 0.4), 1.34),
    "beer": ((0.7, 0.35, 0.04), 1.34),
    "juice": ((0.95, 0.55, 0.1), 1.35),
    "coffee": ((0.1, 0.05, 0.02), 1.34),
    "milk_coffee": ((0.55, 0.36, 0.2), 1.35),
    "tea": ((0.5, 0.22, 0.05), 1.34),
    "oil": ((0.9, 0.7, 0.12), 1.47),
}
FOODS = {
    "jam": (0.45, 0.03, 0.05),
    "honey": (0.7, 0.38, 0.05),
    "pickles": (0.35, 0.4, 0.1),
    "spread": (0.3, 0.15, 0.06),
    "sauce": (0.6, 0.1, 0.03),
}
COLD_DRINKS = ("water", "juice", "cola", "orange", "beer")  # what glasses and plastic cups hold
LIQUID_BY_SUBTYPE = {
    "water": ("water",),
    "soda": ("cola", "orange", "lemon", "water"),
    "wine": ("red_wine", "white_wine"),
    "beer": ("beer",),
    "jug": ("water", "water", "oil", "juice"),
    "glass": COLD_DRINKS,
    "plastic": COLD_DRINKS,
    "reusable": COLD_DRINKS,
    "mug": ("coffee", "milk_coffee", "tea"),
    "teacup": ("coffee", "milk_coffee", "tea"),
}
EMPTY_PROBABILITY = {
    "wine": 0.3,
    "jug": 0.3,
    "glass": 0.5,
    "plastic": 0.6,
    "reusable": 0.7,
    "jar": 0.2,
    "mug": 0.5,
    "teacup": 0.3,
}
PRINT_PROBABILITY = {
    "mug": 0.6,
    "teacup": 0.4,
    "plastic": 0.5,
    "reusable": 0.85,
    "tumbler": 0.4,
    "flask": 0.5,
    "jar": 0.8,
}

# Thin-walled PET bottles get squashed and dented in use (assets/household.py ``_dent_factor``).
DENTED_SUBTYPES = ("water", "soda")
# Disposable and reusable party cups are sold, stored and thrown away nested in stacks.
STACKED_SUBTYPES = ("plastic", "paper", "reusable")
MOST_STACKED = 7  # cups in the highest stack


@dataclasses.dataclass(frozen=True)
class ShapeVariants:
    """Optional shape variants of household objects, each off by default and drawn from its
    own side stream, so switching one on changes no other object's shape or materials (a
    taller stack can change where objects and clutter are placed, and the framing):
    ``dent_share`` of the PET water and soda bottles are dented (:func:`dents`),
    ``stack_share`` of the plastic, paper and reusable cups are stacks of nested cups
    (:func:`stacks`), ``reusable_share`` of the cups are reusable festival cups
    (:func:`reusable_cup`; a swapped cup draws other materials from the recipe's stream, so
    the objects sampled after it may differ too). ``subtype_weights`` (class -> sub-type ->
    weight, :func:`parse_subtype_weights`) replaces some of the library's sub-type weights,
    e.g. to draw the jugs and squeeze bottles whose weight is 0 by default; it changes which
    sub-types the recipe's stream draws, so the whole scene may differ."""

    dent_share: float = 0.0
    stack_share: float = 0.0
    reusable_share: float = 0.0
    subtype_weights: Mapping[str, Mapping[str, float]] = dataclasses.field(default_factory=dict)


def parse_subtype_weights(text: str) -> dict[str, dict[str, float]]:
    """Parse ``class.subtype=weight,...`` (e.g. ``bottle.jug=1.5,bottle.squeeze=1``) into
    ``{class: {subtype: weight}}``; ParameterError naming the bad entry and the known names."""
    weights: dict[str, dict[str, float]] = {}
    for entry in (e.strip() for e in text.split(",") if e.strip()):
        key, _, value = entry.partition("=")
        category, _, subtype = key.strip().partition(".")
        try:
            shape = household_class(category, labelled=True)
            shape.subtype(subtype)
            weight = float(value)
        except (KeyError, ValueError) as error:
            reason = error.args[0] if isinstance(error, KeyError) else f"{value!r} is no number"
            raise ParameterError(
                f"parameter 'objects.subtype_weights': {entry!r}: {reason}; write "
                "class.subtype=weight, e.g. bottle.jug=1.5,bottle.squeeze=1."
            ) from None
        if not math.isfinite(weight) or weight < 0:
            raise ParameterError(
                f"parameter 'objects.subtype_weights': {entry!r}: a weight must be a number >= 0."
            )
        weights.setdefault(shape.name, {})[subtype] = weight
    for category, changed in weights.items():
        if not any(household_class(category).subtype_weights(changed).values()):
            raise ParameterError(
                f"parameter 'objects.subtype_weights': every {category} sub-type has weight 0; "
                "give at least one a positive weight."
            )
    return weights


def dents(rng: np.random.Generator, share: float) -> dict:
    """Dent parameters of one PET bottle: with probability ``share``, ``dent`` (severity 0.2-1)
    and ``dent_seed`` (the dents' layout), else none. Drawn from the ``dents`` side stream of
    ``rng`` (:func:`scenes.distributions.side_stream`), so ``rng`` does not advance and a batch
    with dents differs from one without in the bottles' shapes only."""
    own = side_stream(rng, "dents")
    if own.uniform() >= share:
        return {}
    return {"dent": float(own.uniform(0.2, 1.0)), "dent_seed": int(own.integers(2**31))}


def stacks(rng: np.random.Generator, share: float) -> dict:
    """Stack parameters of one plastic or paper cup: with probability ``share``, ``stack``
    (2-7 nested cups, one labelled object), ``stack_pitch`` (each cup 8-20 % of its height
    above the one below) and ``fill`` 0 (stacked cups are empty); else nothing. Drawn from the
    ``stacks`` side stream of ``rng`` (like :func:`dents`)."""
    own = side_stream(rng, "stacks")
    if own.uniform() >= share:
        return {}
    return {
        "stack": int(own.integers(2, MOST_STACKED + 1)),
        "stack_pitch": float(own.uniform(0.08, 0.2)),
        "fill": 0.0,
    }


def reusable_cup(rng: np.random.Generator, share: float) -> dict:
    """With probability ``share``, the shape parameters of a reusable festival cup (sub-type
    ``reusable``: tall, frosted, mostly printed) to replace a cup's own; else nothing. Drawn
    from the ``reusable`` side stream of ``rng`` (like :func:`dents`)."""
    own = side_stream(rng, "reusable")
    if own.uniform() >= share:
        return {}
    return _sampled_in_use(own, household_class("cup"), "reusable")


def _sampled_in_use(rng: np.random.Generator, shape, subtype: str) -> dict:
    """Shape parameters of ``subtype`` of class ``shape``, then emptied (its
    :data:`EMPTY_PROBABILITY`) and left without label or print (1 - its
    :data:`PRINT_PROBABILITY`)."""
    params = shape.subtype(subtype).sample_params(rng)
    if rng.uniform() < EMPTY_PROBABILITY.get(subtype, 0.0) and "fill" in params:
        params["fill"] = 0.0
    for key in ("print_height", "label_height"):
        if key in params and rng.uniform() > PRINT_PROBABILITY.get(subtype, 1.0):
            params[key] = 0.0
    return params


def household_object_asset(
    rng: np.random.Generator, category: str, variants: ShapeVariants = ShapeVariants()
) -> AssetSpec:
    """A household asset of ``category`` (``mug`` = cup of sub-type mug) with sampled shape and
    the optional shape ``variants``."""
    shape = household_class(category)
    forced = ALIASES.get(category)
    subtype = (
        forced[1] if forced else shape.sample_subtype(rng, variants.subtype_weights.get(shape.name))
    )
    params = _sampled_in_use(rng, shape, subtype)
    if shape.name == "cup" and not forced:
        params = reusable_cup(rng, variants.reusable_share) or params
        subtype = str(params["subtype"])
    if shape.name == "bottle" and subtype in DENTED_SUBTYPES:
        params.update(dents(rng, variants.dent_share))
    if shape.name == "cup" and subtype in STACKED_SUBTYPES:
        params.update(stacks(rng, variants.stack_share))
    return AssetSpec(
        kind="household", name=shape.name, params=params, source=SOURCE, licence=LICENCE
    )


def part_materials(
    rng: np.random.Generator, asset: AssetSpec, image_folder: Optional[str] = None
) -> list[PartSpec]:
    """One material per part of ``asset`` (in mesh order), chosen by class, sub-type and part."""
    subtype = str(asset.params["subtype"])
    names = asset_part_names(asset)
    body = _body_material(rng, asset.name, subtype)
    parts = []
    for index, name in enumerate(names):
        if name == "body":
            material = body
        elif name in ("handle", "rim", "top", "fin"):
            material = body
        elif name in ("label", "print"):
            material = _print_material(rng, asset, subtype, name, index, body, image_folder)
        elif name == "liquid":
            material = _liquid(rng, subtype)
        elif name == "contents":
            material = _food(rng)
        elif name == "capsule":
            material = _painted_metal(rng, name="foil")
        elif subtype == "beer":  # a crown cap
            material = _painted_metal(rng, name="crown")
        else:  # cap, lid
            material = (
                _steel(rng)
                if subtype in ("flask", "jar") and rng.uniform() < 0.5
                else _plastic(rng, name=name)
            )
        parts.append(PartSpec(name=name, material=material))
    return parts


def hand_materials(rng: np.random.Generator, asset: AssetSpec) -> list[PartSpec]:
    """Materials of a ``hand`` asset's parts: one skin for palm, fingers and thumb; the forearm
    bare (same skin) or, 60 % of the time, in a sleeve of any colour."""
    skin = _skin(rng)
    sleeve = _fabric(rng) if rng.uniform() < 0.6 else skin
    return [
        PartSpec(name=name, material=sleeve if name == "forearm" else skin)
        for name in asset_part_names(asset)
    ]


def _skin(rng) -> MaterialSpec:
    """Skin from dark to light (hue red-orange, value 0.12-0.85), a soft sheen."""
    colour = sample(ColorHSV(hue=(0.02, 0.08), saturation=(0.3, 0.6), value=(0.12, 0.85)), rng)
    material = MaterialSpec(
        color=tuple(colour), roughness=float(rng.uniform(0.35, 0.6)), specular=0.4, name="skin"
    )
    return _surface(material, rng, bump=(0.01, 0.05))


def _fabric(rng) -> MaterialSpec:
    material = MaterialSpec(
        color=tuple(sample(ColorHSV(value=(0.05, 0.9)), rng)),
        roughness=float(rng.uniform(0.75, 1.0)),
        specular=0.3,
        name="fabric",
    )
    return _surface(material, rng, bump=(0.05, 0.2))


def _body_material(rng, category: str, subtype: str) -> MaterialSpec:
    if category == "bottle":
        if subtype in ("water", "soda"):
            return _pet(rng)
        if subtype == "flask":
            return _steel(rng) if rng.uniform() < 0.5 else _painted_metal(rng, name="flask")
        if subtype == "jug":  # clear PET (water, oil), milky HDPE (milk), coloured HDPE
            pick = rng.uniform()
            if pick < 0.5:
                return _pet(rng)
            return _frosted(rng) if pick < 0.8 else _plastic(rng, name="jug")
        if subtype == "squeeze":
            return _plastic(rng, name="squeeze")
        return _glass(
            rng,
            tints=("green", "amber") if subtype == "beer" else ("green", "amber", "clear", "blue"),
        )
    if category == "cup":
        return {
            "mug": lambda: _ceramic(rng),
            "teacup": lambda: _ceramic(rng),
            "paper": lambda: _paper(rng, white=True),
            "glass": lambda: _glass(rng, tints=("clear",)),
            "plastic": lambda: _plastic(rng, translucent=rng.uniform() < 0.6, name="cup"),
            "reusable": lambda: _frosted(rng),
            "tumbler": lambda: (
                _steel(rng)
                if rng.uniform() < 0.6
                else _plastic(rng, translucent=rng.uniform() < 0.5, name="tumbler")
            ),
        }[subtype]()
    if category == "bowl":
        return (
            _ceramic(rng)
            if rng.uniform() < 0.7
            else (
                _glass(rng, tints=("clear",)) if rng.uniform() < 0.4 else _plastic(rng, name="bowl")
            )
        )
    if category == "can":
        return _aluminium(rng)
    if category == "carton":
        return _paper(rng, white=rng.uniform() < 0.5)
    return _glass(rng, tints=("clear",))  # jar


def _surface(material: MaterialSpec, rng, bump=(0.02, 0.15), noise=(0.03, 0.15)) -> MaterialSpec:
    material.bump = float(rng.uniform(*bump))
    material.bump_scale = float(rng.uniform(300.0, 3000.0))
    material.roughness_noise = float(rng.uniform(*noise))
    return material


def _glass(rng, tints) -> MaterialSpec:
    tint = tints[int(rng.integers(len(tints)))]
    colour = np.clip(np.array(GLASS_TINTS[tint]) * rng.uniform(0.9, 1.1), 0, 1)
    return MaterialSpec(
        color=(*map(float, colour), 1.0),
        roughness=float(rng.uniform(0, 0.05)),
        ior=1.5,
        transmission=1.0,
        specular=0.5,
        name=f"glass_{tint}",
    )


def _pet(rng) -> MaterialSpec:
    tinted = rng.uniform() < 0.3
    colour = (
        sample(ColorHSV(hue=(0.3, 0.65), saturation=(0.05, 0.3), value=(0.85, 1.0)), rng)
        if tinted
        else (0.94, 0.96, 0.98, 1.0)
    )
    return MaterialSpec(
        color=tuple(colour),
        roughness=float(rng.uniform(0.0, 0.08)),
        ior=1.57,
        transmission=1.0,
        name="pet_tinted" if tinted else "pet_clear",
    )


def _liquid(rng, subtype: str) -> MaterialSpec:
    choices = LIQUID_BY_SUBTYPE.get(subtype, ("water",))
    kind = choices[int(rng.integers(len(choices)))]
    colour, ior = LIQUIDS[kind]
    return MaterialSpec(
        color=(*colour, 1.0), roughness=0.0, ior=ior, transmission=1.0, name=f"liquid_{kind}"
    )


def _food(rng) -> MaterialSpec:
    kind = sorted(FOODS)[int(rng.integers(len(FOODS)))]
    colour = np.clip(np.array(FOODS[kind]) * rng.uniform(0.8, 1.2), 0, 1)
    honey = kind == "honey"
    return _surface(
        MaterialSpec(
            color=(*map(float, colour), 1.0),
            roughness=float(rng.uniform(0.2, 0.6)),
            transmission=0.8 if honey else 0.0,
            ior=1.5,
            name=f"food_{kind}",
        ),
        rng,
        bump=(0.1, 0.4),
    )


def _ceramic(rng) -> MaterialSpec:
    plain = rng.uniform() < 0.4
    colour = (
        sample(ColorHSV(saturation=(0.0, 0.1), value=(0.75, 0.95)), rng)
        if plain
        else sample(ColorHSV(value=(0.15, 0.9)), rng)
    )
    material = MaterialSpec(
        color=tuple(colour), roughness=float(rng.uniform(0.05, 0.35)), ior=1.5, name="ceramic"
    )
    material.coat = float(rng.uniform(0.3, 1.0))
    return _surface(material, rng, bump=(0.01, 0.06))


def _steel(rng) -> MaterialSpec:
    grey = float(rng.uniform(0.6, 0.85))
    return _surface(
        MaterialSpec(
            color=(grey, grey, grey * 1.01, 1.0),
            metallic=1.0,
            roughness=float(rng.uniform(0.2, 0.45)),
            name="steel",
        ),
        rng,
        bump=(0.002, 0.015),  # brushed, not hammered
        noise=(0.01, 0.05),
    )


def _aluminium(rng) -> MaterialSpec:
    grey = float(rng.uniform(0.75, 0.9))
    return _surface(
        MaterialSpec(
            color=(grey, grey, grey, 1.0),
            metallic=1.0,
            roughness=float(rng.uniform(0.15, 0.35)),
            name="aluminium",
        ),
        rng,
        bump=(0.0, 0.05),
    )


def _painted_metal(rng, name: str) -> MaterialSpec:
    material = MaterialSpec(
        color=tuple(sample(ColorHSV(value=(0.1, 0.9)), rng)),
        metallic=float(rng.uniform(0.3, 0.8)),
        roughness=float(rng.uniform(0.2, 0.5)),
        name=f"painted_{name}",
    )
    material.coat = float(rng.uniform(0.0, 0.6))
    return _surface(material, rng, bump=(0.005, 0.04))


def _plastic(rng, translucent: bool = False, name: str = "plastic") -> MaterialSpec:
    material = MaterialSpec(
        color=tuple(sample(ColorHSV(value=(0.2, 0.95)), rng)),
        roughness=float(rng.uniform(0.2, 0.6)),
        ior=1.5,
        transmission=float(rng.uniform(0.6, 0.9)) if translucent else 0.0,
        name=f"plastic_{name}",
    )
    return _surface(material, rng)


def _frosted(rng) -> MaterialSpec:
    """Frosted polypropylene of reusable cups: milky (mostly diffuse, part transmissive, rough),
    colourless 80 % of the time, else tinted."""
    tinted = rng.uniform() < 0.2
    colour = (
        ColorHSV(saturation=(0.3, 0.7), value=(0.5, 0.95))
        if tinted
        else ColorHSV(saturation=(0.0, 0.05), value=(0.85, 0.98))
    )
    material = MaterialSpec(
        color=tuple(sample(colour, rng)),
        roughness=float(rng.uniform(0.45, 0.7)),
        ior=1.49,
        transmission=float(rng.uniform(0.3, 0.6)),
        name="plastic_reusable" if tinted else "plastic_frosted",
    )
    return _surface(material, rng)


def _paper(rng, white: bool) -> MaterialSpec:
    colour = (
        (0.85, 0.85, 0.83, 1.0)
        if white
        else tuple(
            sample(ColorHSV(hue=(0.07, 0.1), saturation=(0.4, 0.6), value=(0.45, 0.65)), rng)
        )
    )
    return _surface(
        MaterialSpec(
            color=colour,
            roughness=float(rng.uniform(0.6, 0.9)),
            name="paper" if white else "cardboard",
        ),
        rng,
        bump=(0.02, 0.1),
    )


def _print_material(
    rng,
    asset: AssetSpec,
    subtype: str,
    part: str,
    index: int,
    body: MaterialSpec,
    image_folder: Optional[str],
) -> MaterialSpec:
    """Paper (labels), glaze (mug prints) or the body's metal with a print over it."""
    if asset.name == "cup" or subtype == "tumbler":
        base = MaterialSpec(**{**body.__dict__, "texture": None, "name": f"{body.name}_print"})
        # coffee-shop paper cups are mostly printed all round; mugs carry motifs more often
        style = (
            "wrap" if rng.uniform() < (0.5 if subtype in ("paper", "reusable") else 0.25) else "mug"
        )
    elif asset.name in ("can", "carton") or subtype == "flask":
        base = MaterialSpec(
            **{**body.__dict__, "texture": None, "transmission": 0.0, "name": f"{body.name}_print"}
        )
        if asset.name == "can":
            base.metallic, base.roughness = 0.6, float(rng.uniform(0.15, 0.3))
        style = "wrap"
    else:
        base = _paper(rng, white=True)
        base.roughness_noise = 0.0
        style = "label"
    if image_folder and rng.uniform() < 0.5:
        images = folder_images(image_folder)
        base.texture = TextureSpec(
            kind="print", scale=1.0, image=images[int(rng.integers(len(images)))].as_posix()
        )
    else:
        base.texture = TextureSpec(
            kind="print",
            scale=1.0,
            params={
                "style": style,
                "seed": int(rng.integers(2**31)),
                "aspect": round(_band_aspect(asset, index), 3),
            },
        )
    return base


def _band_aspect(asset: AssetSpec, index: int) -> float:
    """Width over height of the part's unrolled side: circumference (or perimeter) / height;
    for a stack of cups, of one cup's band (every copy carries the same print)."""
    if asset.params.get("stack", 1) > 1:
        single = {k: v for k, v in asset.params.items() if k not in ("stack", "stack_pitch")}
        asset = dataclasses.replace(asset, params=single)
    mesh = asset_mesh(asset)
    vertices = mesh.vertices[np.unique(mesh.faces[mesh.face_attributes["part"] == index])]
    width, depth, height = np.ptp(vertices, axis=0)
    around = 2 * (width + depth) if asset.name == "carton" else math.pi * (width + depth) / 2
    return float(around / max(height, 1e-6))
