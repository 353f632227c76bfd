"""The household library: bottles, cups, cans, bowls, cartons and jars made of parts.

Each class has sub-types whose shape parameters are drawn from the proportions of real objects
(metres; e.g. a 0.5 l PET water bottle is ~6.5 cm wide and ~21 cm tall, a wine bottle ~7.5 x 30
cm, a mug ~8 x 9.5 cm, a 330 ml can 6.6 x 12.2 cm). An object is a list of
:class:`assets.loft.Part` (same conventions: metres, +Z up, cylindrical UVs, watertight per
part once welded), for example a water bottle = ``body`` (the PET shell, with wall thickness) +
``cap`` + ``label`` (a thin band just outside the body, where a print goes) + ``liquid`` (the
water, just inside the shell, up to the fill level). Parts may overlap (a cap encloses the neck,
a handle's ends sit inside the wall); the object is still one labelled instance and collides as
the convex hull of all parts.

Part names (the material sampler in :mod:`scenes.household` keys on them): ``body``, ``cap``,
``capsule`` (wine foil), ``label``, ``print``, ``liquid``, ``contents``, ``handle``, ``rim``,
``lid``, ``top`` and ``fin`` (a carton's gable roof).

Class names: ``bottle`` (water, soda, wine, beer, flask, jug (2-5 l, rounded-square, most with
a handle), squeeze (flat oval shampoo/detergent/sauce bottles); PET water and soda bottles may
carry ``dent`` (0-1) and ``dent_seed``: squashed and dented by use, see ``_dent_factor``), ``cup``
(mug with a round, square or ear handle or none, teacup, paper, glass, plastic party cup,
reusable (a frosted festival cup), tumbler; any cup may carry ``stack`` (copies) and
``stack_pitch`` (fraction of its height): a stack of nested cups, one object, see
``_stacked``), ``can``, ``bowl``,
``carton``, ``jar``. ``mug`` is the ``cup`` sub-type ``mug`` (a spec may ask for class ``mug``:
a cup of sub-type mug labelled "mug"). ``hand`` (parts ``palm``, ``finger``, ``thumb``,
``forearm``) is built the same way but is an occluder, never a labelled class: a hand gripping
an upright body, as in phone photos of things people hold. Licence: generated here, CC0.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable, Mapping, Sequence

import numpy as np

from assets.loft import (
    Part,
    loft,
    lying,
    polygon_section,
    rectangle_section,
    scaled_radially,
    sweep_tube,
)

SOURCE = "synthscene household library (assets/household.py)"
LICENCE = "CC0-1.0"
LABEL_GAP = 0.0004  # m: a label/print band stands this far outside its body
LIQUID_GAP = 0.0003  # m: liquid stays this far inside its container
MIN_FILL = 0.05  # fill share below which a container is left empty (a thinner slab is degenerate)


@dataclasses.dataclass(frozen=True)
class Subtype:
    """One sub-type: numeric shape ranges (m or fractions), categorical choices, a builder."""

    name: str
    ranges: Mapping[str, tuple[float, float]]
    builder: Callable[[Mapping], list[Part]]
    choices: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)

    def sample_params(self, rng: np.random.Generator) -> dict:
        """``subtype`` plus each range sampled uniformly and each choice uniformly (sorted keys)."""
        params: dict = {"subtype": self.name}
        for key in sorted(self.ranges):
            params[key] = float(rng.uniform(*self.ranges[key]))
        for key in sorted(self.choices):
            options = self.choices[key]
            params[key] = options[int(rng.integers(len(options)))]
        return params

    def build(self, params: Mapping) -> list[Part]:
        """Parts for ``params`` (missing numbers take the middle of their range)."""
        full = {key: float(params.get(key, sum(span) / 2)) for key, span in self.ranges.items()}
        full.update({key: params.get(key, options[0]) for key, options in self.choices.items()})
        full.update({key: value for key, value in params.items() if key not in full})
        return self.builder(full)


@dataclasses.dataclass(frozen=True)
class HouseholdClass:
    """A class: its sub-types and how often each is drawn."""

    name: str
    subtypes: Mapping[str, Subtype]
    weights: Mapping[str, float]

    def subtype(self, name: str) -> Subtype:
        try:
            return self.subtypes[name]
        except KeyError:
            raise KeyError(
                f"class {self.name!r} has no sub-type {name!r}; known: "
                f"{', '.join(sorted(self.subtypes))}"
            ) from None

    def subtype_weights(self, replaced: Mapping[str, float] | None = None) -> dict[str, float]:
        """Every sub-type's weight by sorted name: the class's (1 where it names none), with
        ``replaced`` replacing some of them."""
        chosen = {**self.weights, **(replaced or {})}
        return {name: float(chosen.get(name, 1.0)) for name in sorted(self.subtypes)}

    def sample_subtype(
        self, rng: np.random.Generator, weights: Mapping[str, float] | None = None
    ) -> str:
        """A sub-type name drawn by the class's weights, with ``weights`` replacing some of them
        (a sub-type whose weight is 0 is never drawn; zero weights leave the others' draws as
        they were)."""
        chosen = self.subtype_weights(weights)
        names, values = list(chosen), np.array(list(chosen.values()), float)
        return names[int(rng.choice(len(names), p=values / values.sum()))]


# -- shared shapes ------------------------------------------------------------------------------
def _shell(outer: Sequence[tuple[float, float]], wall: float, bottom: float) -> list:
    """Closed profile of a vessel: ``outer`` (r, z) points from the bottom centre's rim up to the
    lip, then the same line offset inwards by ``wall`` back down to a floor ``bottom`` thick."""
    outer = [(float(r), float(z)) for r, z in outer]
    line = _offset_inwards(outer, wall)
    inner = [(max(r, 0.0005), z) for r, z in reversed(line) if z > bottom]
    inner.append((max(_radius_at(line, bottom), 0.0005), bottom))
    return [(0.0, outer[0][1])] + outer + inner + [(0.0, bottom)]


def _offset_inwards(line: list, distance: float) -> list:
    """Polyline (r, z) moved ``distance`` to its left (inside a vessel walked upwards)."""
    points = np.array(line)
    tangents = np.gradient(points, axis=0)
    tangents /= np.linalg.norm(tangents, axis=1, keepdims=True)
    left = np.column_stack([-tangents[:, 1], tangents[:, 0]])
    moved = points + distance * left
    return [tuple(p) for p in moved]


def _radius_at(line: list, z: float) -> float:
    """Radius of an upward (r, z) polyline at height ``z`` (linear between points)."""
    points = np.array(line)
    return float(np.interp(z, points[:, 1], points[:, 0]))


def _band(name: str, outer: list, z0: float, z1: float, thickness: float, rings: int = 6) -> Part:
    """A thin band hugging the outside of ``outer`` between heights z0 and z1 (label, print),
    ``rings`` sections high."""
    zs = np.linspace(z0, z1, rings)
    out = [(_radius_at(outer, z) + LABEL_GAP, z) for z in zs]
    inside = [(_radius_at(outer, z) - thickness, z) for z in zs[::-1]]
    return loft(name, [inside[-1]] + out + inside)


def _fill(name: str, outer: list, wall: float, bottom: float, level: float) -> Part:
    """Liquid (or food) filling a vessel of outer profile ``outer`` to height ``level``."""
    surface = _offset_inwards(outer, wall + LIQUID_GAP)
    floor = bottom + LIQUID_GAP
    inner = [(r, z) for r, z in surface if floor < z < level]
    profile = (
        [(0.0, floor), (_radius_at(surface, floor), floor)]
        + inner
        + [(_radius_at(surface, level), level), (0.0, level)]
    )
    return loft(name, profile)


def _cylinder(name: str, radius: float, z0: float, z1: float, chamfer: float = 0.0) -> Part:
    """A solid closed cylinder (caps, lids) with an optional top chamfer."""
    top = [(radius, z1 - chamfer), (radius - chamfer, z1)] if chamfer > 0 else [(radius, z1)]
    return loft(name, [(0.0, z0), (radius, z0)] + top + [(0.0, z1)])


def _curve(start: tuple, end: tuple, steps: int = 8) -> list:
    """A smooth (sine-eased) shoulder from ``start`` (r, z) to ``end``, excluding ``start``."""
    points = []
    for t in np.linspace(0.0, 1.0, steps + 1)[1:]:
        ease = (1 - math.cos(math.pi * t)) / 2
        points.append((start[0] + (end[0] - start[0]) * ease, start[1] + (end[1] - start[1]) * t))
    return points


# -- bottles ------------------------------------------------------------------------------------
def _label_zone(p: Mapping) -> tuple[float, float]:
    """Heights (m) of a bottle label's bottom and top edges."""
    h, r = p["height"], p["radius"]
    z0 = r * 0.12 + (h * p["shoulder"] - r * 0.12) * p["label_low"]
    return z0, min(z0 + h * p["label_height"], h * p["shoulder"])


def _bottle_outer(p: Mapping) -> list:
    """Outer profile of a bottle: foot, straight body (PET grip ribs above the label),
    shoulder, neck, lip bead."""
    r, h = p["radius"], p["height"]
    neck_r = p["neck_radius"]
    shoulder_z = h * p["shoulder"]
    neck_z = h - p["neck_length"]
    outer = [(r * 0.85, 0.0), (r, r * 0.12)]
    ribs = int(round(p.get("ribs", 0.0)))
    rib_low = _label_zone(p)[1] + 0.006
    rib_high = min(rib_low + ribs * 0.008, shoulder_z - 0.004)
    if ribs and rib_high - rib_low > 0.008:
        count = max(1, int((rib_high - rib_low) / 0.008))
        for z in np.linspace(rib_low, rib_high, count * 8 + 1):
            depth = (
                0.0012
                * 0.5
                * (1 - math.cos(2 * math.pi * count * (z - rib_low) / (rib_high - rib_low)))
            )
            outer.append((r - depth, float(z)))
    outer.append((r, shoulder_z))
    outer += _curve((r, shoulder_z), (neck_r, neck_z), 10)
    lip = min(0.003, p["neck_length"] * 0.2)
    outer += [
        (neck_r, h - lip),
        (neck_r * 1.12, h - lip * 0.6),
        (neck_r * 1.12, h - lip * 0.2),
        (neck_r, h),
    ]
    return outer


DENT_STEP = 0.004  # m: a dented body's profile has a point at least this often


def _densified(line: list, step: float) -> list:
    """Polyline (r, z) with points inserted so that no segment is longer than ``step``."""
    points = [line[0]]
    for start, end in zip(line[:-1], line[1:]):
        pieces = max(1, math.ceil(math.dist(start, end) / step))
        points += [
            (start[0] + (end[0] - start[0]) * t, start[1] + (end[1] - start[1]) * t)
            for t in np.linspace(0.0, 1.0, pieces + 1)[1:]
        ]
    return points


def _dent_factor(p: Mapping):
    """Radial scale ``factor(theta, z)`` of a used PET bottle (:func:`assets.loft.scaled_radially`):
    the body squashed oval and pressed in by 1-6 dents (each up to 30 % of the radius deep) with
    fine crinkles, all scaled by ``p["dent"]`` (0-1) and laid out from ``p["dent_seed"]``. Full
    below the shoulder, fading to nothing at the neck, so the cap still fits."""
    rng = np.random.default_rng(int(p["dent_seed"]))
    severity, h = float(p["dent"]), p["height"]
    shoulder_z, neck_z = h * p["shoulder"], h - p["neck_length"]
    squash, squash_angle = severity * rng.uniform(0.03, 0.2), rng.uniform(0, 2 * math.pi)
    count = int(rng.integers(1, 7))
    angles, heights = rng.uniform(0, 2 * math.pi, count), rng.uniform(0.1 * h, shoulder_z, count)
    depths = severity * rng.uniform(0.08, 0.3, count)
    spreads, tall = rng.uniform(0.25, 0.8, count), rng.uniform(0.008, 0.04, count)
    crinkle, waves = severity * rng.uniform(0.0, 0.03), int(rng.integers(5, 13))
    wave_z, phases = rng.uniform(150.0, 400.0), rng.uniform(0, 2 * math.pi, 2)

    def factor(theta: np.ndarray, z: np.ndarray) -> np.ndarray:
        change = squash * np.cos(2 * (theta - squash_angle))
        for angle, height, depth, spread, size in zip(angles, heights, depths, spreads, tall):
            apart = np.angle(np.exp(1j * (theta - angle)))
            change -= depth * np.exp(-0.5 * ((apart / spread) ** 2 + ((z - height) / size) ** 2))
        change += crinkle * np.sin(waves * theta + phases[0]) * np.sin(wave_z * z + phases[1])
        reach = np.clip((neck_z - z) / max(neck_z - shoulder_z, 1e-6), 0.0, 1.0)
        return 1.0 + change * reach

    return factor


def _bottle(p: Mapping) -> list[Part]:
    dented = float(p.get("dent", 0.0)) > 0.0
    outer = _densified(_bottle_outer(p), DENT_STEP) if dented else _bottle_outer(p)
    wall, h = p["wall"], p["height"]
    bottom = max(wall, p.get("punt", 0.0))
    parts = [loft("body", _shell(outer, wall, bottom))]
    cap_h = p["cap_height"]
    if p["closure"] == "cap":
        parts.append(
            _cylinder(
                "cap",
                p["neck_radius"] * p.get("cap_scale", 1.12) + 0.0015,
                h - cap_h * 0.75,
                h + cap_h * 0.25,
                chamfer=0.001,
            )
        )
    elif p["closure"] == "capsule":
        parts.append(
            _cylinder(
                "capsule", p["neck_radius"] * 1.12 + 0.0006, h - cap_h, h + 0.0008, chamfer=0.0008
            )
        )
    if p["label_height"] > 0:
        z0, z1 = _label_zone(p)
        rings = max(6, math.ceil((z1 - z0) / DENT_STEP) + 1) if dented else 6
        parts.append(_band("label", outer, z0, z1, wall * 0.5, rings))
    if p["fill"] >= MIN_FILL:
        level = bottom + (h - p["neck_length"] - bottom) * p["fill"]
        parts.append(_fill("liquid", outer, wall, bottom, level))
    reshaped = p.get("squareness", 0.0) > 0 or p.get("depth_ratio", 1.0) < 1
    factors = ([_dent_factor(p)] if dented else []) + ([_section_factor(p)] if reshaped else [])
    for factor in factors:
        parts = [
            scaled_radially(part, factor) if part.name in ("body", "label", "liquid") else part
            for part in parts
        ]
    if p.get("handle", "none") != "none":
        parts.append(_handle(p, outer))
    return parts


def _section_factor(p: Mapping):
    """Radial scale ``factor(theta, z)`` that turns a bottle's round body into a rounded
    rectangle: a superellipse of exponent 2 + 8 x ``squareness`` (0 = round, 1 = nearly square
    corners) and semi-axes 1 (along X, where a handle sits) and ``depth_ratio`` (along Y; < 1 =
    the flat oval of shampoo and detergent bottles). Full below the shoulder, fading to round at
    the neck, so the cap still fits."""
    exponent = 2.0 + 8.0 * float(p.get("squareness", 0.0))
    depth = float(p.get("depth_ratio", 1.0))
    h = p["height"]
    shoulder_z, neck_z = h * p["shoulder"], h - p["neck_length"]

    def factor(theta: np.ndarray, z: np.ndarray) -> np.ndarray:
        c, s = np.abs(np.cos(theta)), np.abs(np.sin(theta)) / depth
        rounded = (c**exponent + s**exponent) ** (-1.0 / exponent)
        reach = np.clip((neck_z - z) / max(neck_z - shoulder_z, 1e-6), 0.0, 1.0)
        return 1.0 + (rounded - 1.0) * reach

    return factor


def _flask(p: Mapping) -> list[Part]:
    """An insulated steel bottle: straight body, short rounded shoulder, wide screw cap."""
    r, h = p["radius"], p["height"]
    neck_r = r * p["neck_ratio"]
    body_top = h - p["cap_height"]
    outer = [(r * 0.9, 0.0), (r, r * 0.1), (r, body_top - r * 0.5)]
    outer += _curve((r, body_top - r * 0.5), (neck_r, body_top), 6) + [(0.0, body_top)]
    cap = _cylinder("cap", neck_r + 0.001, body_top - 0.004, h, chamfer=0.002)
    parts = [loft("body", [(0.0, 0.0)] + outer), cap]
    if p["label_height"] > 0:
        z0 = h * 0.25
        parts.append(_band("print", outer[:-1], z0, z0 + h * p["label_height"], 0.0005))
    return parts


BOTTLE_SHARED = {"label_low": (0.1, 0.5)}
BOTTLE = HouseholdClass(
    "bottle",
    {
        s.name: s
        for s in [
            Subtype(
                "water",
                {
                    **BOTTLE_SHARED,
                    "radius": (0.028, 0.045),
                    "height": (0.17, 0.32),
                    "shoulder": (0.62, 0.75),
                    "neck_radius": (0.0135, 0.0145),
                    "neck_length": (0.02, 0.03),
                    "wall": (0.0005, 0.0008),
                    "cap_height": (0.011, 0.018),
                    "label_height": (0.12, 0.25),
                    "fill": (0.6, 0.98),
                    "ribs": (0.0, 6.0),
                },
                _bottle,
                {"closure": ("cap",)},
            ),
            Subtype(
                "soda",
                {
                    **BOTTLE_SHARED,
                    "radius": (0.03, 0.05),
                    "height": (0.2, 0.33),
                    "shoulder": (0.55, 0.7),
                    "neck_radius": (0.0135, 0.0145),
                    "neck_length": (0.02, 0.03),
                    "wall": (0.0005, 0.0008),
                    "cap_height": (0.012, 0.018),
                    "label_height": (0.15, 0.28),
                    "fill": (0.7, 0.95),
                },
                _bottle,
                {"closure": ("cap",)},
            ),
            Subtype(
                "wine",
                {
                    **BOTTLE_SHARED,
                    "radius": (0.035, 0.04),
                    "height": (0.29, 0.32),
                    "shoulder": (0.58, 0.68),
                    "neck_radius": (0.0135, 0.015),
                    "neck_length": (0.075, 0.095),
                    "wall": (0.0025, 0.004),
                    "cap_height": (0.035, 0.05),
                    "label_height": (0.18, 0.3),
                    "punt": (0.01, 0.025),
                    "fill": (0.0, 0.95),
                },
                _bottle,
                {"closure": ("capsule", "none")},
            ),
            Subtype(
                "beer",
                {
                    **BOTTLE_SHARED,
                    "radius": (0.028, 0.032),
                    "height": (0.2, 0.25),
                    "shoulder": (0.5, 0.6),
                    "neck_radius": (0.011, 0.0125),
                    "neck_length": (0.06, 0.08),
                    "wall": (0.0025, 0.0035),
                    "cap_height": (0.006, 0.008),
                    "label_height": (0.15, 0.3),
                    "fill": (0.7, 0.95),
                },
                _bottle,
                {"closure": ("cap",)},
            ),
            Subtype(
                "flask",
                {
                    "radius": (0.033, 0.042),
                    "height": (0.2, 0.3),
                    "neck_ratio": (0.6, 0.8),
                    "cap_height": (0.03, 0.05),
                    "label_height": (0.0, 0.2),
                },
                _flask,
            ),
            Subtype(
                "jug",  # 2-5 l water, oil and milk jugs: wide, rounded-square, often a handle
                {
                    "label_low": (0.1, 0.4),
                    "radius": (0.055, 0.09),
                    "height": (0.22, 0.34),
                    "shoulder": (0.6, 0.75),
                    "neck_radius": (0.016, 0.022),
                    "neck_length": (0.015, 0.03),
                    "wall": (0.0006, 0.001),
                    "cap_height": (0.015, 0.025),
                    "label_height": (0.1, 0.3),
                    "fill": (0.3, 0.98),
                    "ribs": (0.0, 4.0),
                    "squareness": (0.0, 1.0),
                    "depth_ratio": (0.75, 1.0),
                    "handle_span": (0.2, 0.3),
                    "handle_centre": (0.56, 0.66),
                    "handle_reach": (0.02, 0.035),
                    "handle_thickness": (0.007, 0.012),
                },
                _bottle,
                {"closure": ("cap",), "handle": ("round", "square", "none")},
            ),
            Subtype(
                "squeeze",  # shampoo, detergent and sauce bottles: flat oval, opaque, flip cap
                {
                    "label_low": (0.05, 0.3),
                    "radius": (0.028, 0.05),
                    "height": (0.14, 0.26),
                    "shoulder": (0.75, 0.9),
                    "neck_radius": (0.01, 0.015),
                    "neck_length": (0.008, 0.015),
                    "wall": (0.0008, 0.0012),
                    "cap_height": (0.018, 0.03),
                    "cap_scale": (1.3, 1.8),
                    "label_height": (0.25, 0.5),
                    "fill": (0.0, 0.0),
                    "squareness": (0.0, 0.6),
                    "depth_ratio": (0.5, 0.8),
                },
                _bottle,
                {"closure": ("cap",)},
            ),
        ]
    },
    # jugs and squeeze bottles only through ``objects.subtype_weights`` (scenes/household.py)
    {"water": 3.0, "soda": 2.0, "wine": 2.0, "beer": 1.0, "flask": 1.5, "jug": 0.0, "squeeze": 0.0},
)


# -- cups ---------------------------------------------------------------------------------------
def _tapered_outer(bottom_r: float, top_r: float, h: float, foot: float = 0.002) -> list:
    return [(bottom_r - foot, 0.0), (bottom_r, foot), (top_r, h)]


def _handle(p: Mapping, outer: list) -> Part:
    """A strap handle on +X: a superellipse arc (squareness 2 = oval, 6 = square "D")."""
    h = p["height"]
    half_span = h * p["handle_span"] / 2
    centre_z = h * p["handle_centre"]
    exponent = 2.0 / {"round": 2.0, "square": 6.0, "ear": 2.5}[p["handle"]]
    reach = p["handle_reach"] * (0.6 if p["handle"] == "ear" else 1.0)
    half_span *= 0.6 if p["handle"] == "ear" else 1.0
    tube = p["handle_thickness"]
    sunk = min(tube, 0.7 * p["wall"])  # the ends sit inside the wall, not in the cup
    path = []
    for theta in np.linspace(-math.pi / 2, math.pi / 2, 28):
        c, s = math.cos(theta), math.sin(theta)
        z = centre_z + half_span * math.copysign(abs(s) ** exponent, s)
        x = _radius_at(outer, z) - sunk + (reach + sunk) * abs(c) ** exponent
        path.append((x, 0.0, z))
    return sweep_tube("handle", np.array(path), tube * 0.6, tube)


def _cup(p: Mapping) -> list[Part]:
    h, top_r = p["height"], p["radius"]
    bottom_r = top_r * p["taper"]
    outer = _tapered_outer(bottom_r, top_r, h)
    wall = p["wall"]
    bottom = p["bottom"]
    parts = [loft("body", _shell(outer, wall, bottom))]
    if p.get("handle", "none") != "none":
        parts.append(_handle(p, outer))
    if p.get("rim", 0.0) > 0:
        rim_r = p["rim"]
        ring = [
            (top_r - rim_r * 0.5 + rim_r * math.cos(a), h - rim_r + rim_r * math.sin(a))
            for a in np.linspace(-math.pi, math.pi, 13)
        ]
        parts.append(loft("rim", ring))
    if p.get("print_height", 0.0) > 0:
        z1 = h - (p.get("rim", 0.0) * 2 + 0.004)
        z0 = max(0.004, z1 - h * p["print_height"])
        parts.append(_band("print", outer, z0, z1, wall * 0.5))
    if p.get("fill", 0.0) >= MIN_FILL:
        parts.append(_fill("liquid", outer, wall, bottom, bottom + (h - bottom) * p["fill"]))
    return _stacked(parts, int(p.get("stack", 1)), p.get("stack_pitch", 0.0) * h)


def _stacked(parts: list[Part], count: int, pitch: float) -> list[Part]:
    """``count`` nested copies of a cup's parts, each ``pitch`` m (+Z) above the one below; the
    copies of a part stay one part (same name, its vertices and faces repeated)."""
    if count <= 1:
        return parts
    levels = range(count)
    return [
        Part(
            part.name,
            np.concatenate([part.vertices + (0.0, 0.0, level * pitch) for level in levels]),
            np.concatenate([part.faces + level * len(part.vertices) for level in levels]),
            np.tile(part.uv, (count, 1)),
            np.tile(part.normals, (count, 1)),
        )
        for part in parts
    ]


MUG = {
    "radius": (0.037, 0.046),
    "height": (0.075, 0.11),
    "taper": (0.88, 1.0),
    "wall": (0.004, 0.0065),
    "bottom": (0.006, 0.01),
    "handle_span": (0.55, 0.8),
    "handle_centre": (0.48, 0.58),
    "handle_reach": (0.018, 0.032),
    "handle_thickness": (0.0045, 0.007),
    "print_height": (0.0, 0.75),
    "fill": (0.6, 0.9),
}
CUP = HouseholdClass(
    "cup",
    {
        s.name: s
        for s in [
            Subtype("mug", MUG, _cup, {"handle": ("round", "square", "ear", "none")}),
            Subtype(
                "teacup",
                {
                    "radius": (0.04, 0.055),
                    "height": (0.05, 0.075),
                    "taper": (0.55, 0.75),
                    "wall": (0.003, 0.005),
                    "bottom": (0.005, 0.008),
                    "handle_span": (0.5, 0.7),
                    "handle_centre": (0.5, 0.6),
                    "handle_reach": (0.015, 0.025),
                    "handle_thickness": (0.004, 0.006),
                    "print_height": (0.0, 0.6),
                    "fill": (0.0, 0.8),
                },
                _cup,
                {"handle": ("round", "ear")},
            ),
            Subtype(
                "paper",
                {
                    "radius": (0.037, 0.045),
                    "height": (0.085, 0.12),
                    "taper": (0.68, 0.76),
                    "wall": (0.0005, 0.0008),
                    "bottom": (0.004, 0.008),
                    "rim": (0.0012, 0.0018),
                    "print_height": (0.5, 0.85),
                    "fill": (0.0, 0.0),
                },
                _cup,
            ),
            Subtype(
                "glass",
                {
                    "radius": (0.03, 0.042),  # tumbler 90/80 mm .. highball 160/65 mm
                    "height": (0.08, 0.16),
                    "taper": (0.78, 1.0),
                    "wall": (0.0018, 0.003),
                    "bottom": (0.006, 0.015),
                    "fill": (0.0, 0.85),
                },
                _cup,
            ),
            Subtype(
                # party and reusable festival cups: 0.25-0.5 l, h/d 1.2-1.7 (9 oz 90/75 mm,
                # 16 oz 121/95 mm, 25 cl reusable 120/75 mm)
                "plastic",
                {
                    "radius": (0.036, 0.048),
                    "height": (0.09, 0.13),
                    "taper": (0.68, 0.84),
                    "wall": (0.0008, 0.0016),
                    "bottom": (0.003, 0.006),
                    "rim": (0.001, 0.002),
                    "print_height": (0.0, 0.7),
                    "fill": (0.0, 0.7),
                },
                _cup,
            ),
            Subtype(
                # reusable festival cups ("ecocups"): frosted polypropylene, nearly straight
                # walls, tall (25 cl 110/70 mm, 30 cl 120/76 mm, 50 cl 150/86 mm); only drawn
                # through the recipe's objects.reusable_share (weight 0 below)
                "reusable",
                {
                    "radius": (0.034, 0.044),
                    "height": (0.105, 0.16),
                    "taper": (0.8, 0.93),
                    "wall": (0.0008, 0.0015),
                    "bottom": (0.003, 0.006),
                    "rim": (0.0008, 0.0015),
                    "print_height": (0.3, 0.85),
                    "fill": (0.0, 0.6),
                },
                _cup,
            ),
            Subtype(
                "tumbler",
                {
                    "radius": (0.036, 0.045),
                    "height": (0.1, 0.16),
                    "taper": (0.75, 0.92),
                    "wall": (0.0015, 0.0025),
                    "bottom": (0.004, 0.008),
                    "print_height": (0.0, 0.6),
                },
                _cup,
            ),
        ]
    },
    {
        "mug": 3.0,
        "teacup": 1.5,
        "paper": 1.0,
        "glass": 2.0,
        "plastic": 1.5,
        "reusable": 0.0,
        "tumbler": 1.0,
    },
)


# -- can, bowl, carton, jar ------------------------------------------------------------------------
def _can(p: Mapping) -> list[Part]:
    r, h = p["radius"], p["height"]
    neck = r * 0.86
    outer = [
        (r * 0.72, 0.0),
        (r * 0.8, 0.0015),
        (r, 0.009),
        (r, h - 0.014),
        (neck, h - 0.004),
        (neck, h),
    ]
    body = (
        [(0.0, 0.003)] + outer + [(neck - 0.0015, h), (neck - 0.0015, h - 0.004), (0.0, h - 0.004)]
    )
    return [loft("body", body), _band("print", outer, 0.0095, h - 0.0145, 0.0006)]


def _bowl(p: Mapping) -> list[Part]:
    r, depth = p["radius"], p["depth"]
    foot_r = r * p["foot"]
    outer = [(foot_r, 0.0), (foot_r, 0.006)]
    for t in np.linspace(0.0, 1.0, 12)[1:]:
        angle = t * math.pi / 2
        outer.append(
            (
                foot_r + (r - foot_r) * math.sin(angle),
                0.006 + (depth - 0.006) * (1 - math.cos(angle)) ** p["flare"],
            )
        )
    return [loft("body", _shell(outer, p["wall"], p["wall"] + 0.004))]


def _carton(p: Mapping) -> list[Part]:
    """A printed box; with ``gable`` > 0 a juice/milk carton: a gable roof of that rise
    (fraction of the depth) and a sealed fin along its ridge."""
    w, d, h = p["width"], p["depth"], p["height"]
    rise = d * p.get("gable", 0.0)
    roof = []
    if rise > 0:
        fin = 0.012
        h -= rise + fin * 0.7
        # centred on its centroid: the loft closes each end with a fan around the origin
        triangle = polygon_section([(-d / 2, -rise / 3), (d / 2, -rise / 3), (0.0, 2 * rise / 3)])
        roof = [
            lying(
                loft("top", [(0.0, -w / 2), (1.0, -w / 2), (1.0, w / 2), (0.0, w / 2)], triangle),
                h + rise / 3,
            ),
            loft(
                "fin",
                [
                    (0.0, h + rise - fin * 0.3),
                    (1.0, h + rise - fin * 0.3),
                    (1.0, h + rise + fin * 0.7),
                    (0.0, h + rise + fin * 0.7),
                ],
                rectangle_section(w, 0.0025),
            ),
        ]
    body = loft("body", [(0.0, 0.0), (1.0, 0.0), (1.0, h), (0.0, h)], rectangle_section(w, d))
    grow = 1.0 + 2 * LABEL_GAP / min(w, d)
    band = loft(
        "print",
        [(0.9, 0.001), (grow, 0.001), (grow, h - 0.001), (0.9, h - 0.001), (0.9, 0.001)],
        rectangle_section(w, d),
    )
    return [body, band] + roof


def _jar(p: Mapping) -> list[Part]:
    r, h = p["radius"], p["height"]
    neck_r = r * p["neck_ratio"]
    shoulder_z = h * p["shoulder"]
    outer = [(r * 0.9, 0.0), (r, 0.005), (r, shoulder_z)]
    outer += _curve((r, shoulder_z), (neck_r, h - 0.012), 6) + [(neck_r, h)]
    wall, bottom = p["wall"], p["wall"] * 1.5
    parts = [
        loft("body", _shell(outer, wall, bottom)),
        _cylinder("lid", neck_r + 0.0025, h - 0.01, h + 0.002, chamfer=0.0015),
    ]
    if p["label_height"] > 0:
        z0 = 0.008 + (shoulder_z - 0.008) * 0.1
        parts.append(
            _band("label", outer, z0, min(shoulder_z, z0 + h * p["label_height"]), wall * 0.5)
        )
    if p["fill"] >= MIN_FILL:
        parts.append(_fill("contents", outer, wall, bottom, bottom + (h - 0.012) * p["fill"]))
    return parts


CAN = HouseholdClass(
    "can",
    {
        s.name: s
        for s in [
            Subtype("standard", {"radius": (0.032, 0.034), "height": (0.115, 0.168)}, _can),
            Subtype("slim", {"radius": (0.028, 0.029), "height": (0.13, 0.168)}, _can),
        ]
    },
    {"standard": 2.0, "slim": 1.0},
)
BOWL = HouseholdClass(
    "bowl",
    {
        "bowl": Subtype(
            "bowl",
            {
                "radius": (0.06, 0.1),
                "depth": (0.04, 0.075),
                "foot": (0.35, 0.55),
                "flare": (0.8, 1.3),
                "wall": (0.003, 0.006),
            },
            _bowl,
        )
    },
    {},
)
CARTON = HouseholdClass(
    "carton",
    {
        s.name: s
        for s in [
            Subtype(
                "cereal",
                {"width": (0.16, 0.22), "depth": (0.05, 0.08), "height": (0.2, 0.3)},
                _carton,
            ),
            Subtype(
                "small",
                {"width": (0.06, 0.15), "depth": (0.04, 0.08), "height": (0.05, 0.12)},
                _carton,
            ),
            Subtype(
                "juice",
                {
                    "width": (0.06, 0.075),
                    "depth": (0.06, 0.075),
                    "height": (0.17, 0.26),
                    "gable": (0.3, 0.45),
                },
                _carton,
            ),
        ]
    },
    {},
)
JAR = HouseholdClass(
    "jar",
    {
        "jar": Subtype(
            "jar",
            {
                "radius": (0.03, 0.05),
                "height": (0.07, 0.14),
                "neck_ratio": (0.75, 0.92),
                "shoulder": (0.75, 0.85),
                "wall": (0.002, 0.0035),
                "label_height": (0.0, 0.5),
                "fill": (0.0, 0.95),
            },
            _jar,
        )
    },
    {},
)

# -- hands (an occluder: never a labelled class) --------------------------------------------------
HAND_GAP = 0.002  # m: the palm and fingers stay this far outside the gripped body


def _upright_arc(
    name: str,
    radius: float,
    z: float,
    start: float,
    stop: float,
    half_width: float,
    half_height: float,
) -> Part:
    """A tube along the horizontal circle of ``radius`` (m) around +Z at height ``z``, from
    azimuth ``start`` to ``stop`` (radians, counter-clockwise seen from +Z, 0 at +X); its section
    is ``half_width`` radially and ``half_height`` along Z."""
    angles = np.linspace(start, stop, max(4, int(abs(stop - start) / 0.15) + 2))
    path = np.column_stack(
        [radius * np.cos(angles), np.zeros(len(angles)), radius * np.sin(angles)]
    )
    tube = sweep_tube(name, path, half_width, half_height)
    # the sweep's plane is XZ: turn it to lie flat (x, y, z -> x, z, -y), then raise it
    turn = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
    return dataclasses.replace(
        tube, vertices=tube.vertices @ turn.T + (0.0, 0.0, z), normals=tube.normals @ turn.T
    )


def _hand(p: Mapping) -> list[Part]:
    """A hand gripping a vertical body of radius ``grip_radius`` whose axis is +Z, the grip at
    z = 0: the palm hugs the body around +X, four fingers wrap on from one palm edge (towards +Y
    for a right hand), the thumb from the other, and the forearm leaves the palm outwards along
    +X, rising by ``forearm_rise`` (rad). Sizes are adult ones (finger radius 7.5-10.5 mm, palm
    about 8 cm across the knuckles); the finger arcs never reach back round to the palm."""
    inner = p["grip_radius"] + HAND_GAP
    finger, thickness = p["finger_radius"], p["palm_thickness"]
    pitch = 2 * finger + 0.001
    palm_half = min(p["palm_width"] / 2 / (inner + thickness / 2), math.radians(75))
    parts = [
        _upright_arc(
            "palm", inner + thickness / 2, 0.0, -palm_half, palm_half, thickness / 2, 2 * pitch
        )
    ]
    reach_limit = 2 * math.pi - 2 * palm_half - 0.2  # stop short of the palm's other edge
    start = 0.8 * palm_half  # fingers and thumb begin inside the palm's edges

    def on_finger_side(low: float, high: float) -> tuple[float, float]:
        return (low, high) if p["side"] == "right" else (-high, -low)

    for index, (size, length) in enumerate(((1.0, 1.0), (1.05, 1.08), (1.0, 1.0), (0.85, 0.8))):
        radius = finger * size  # index, middle, ring, little finger from the top down
        wrap = min(p["finger_length"] * length / (inner + radius), reach_limit)
        z = (1.5 - index) * pitch
        arc = on_finger_side(start, start + wrap)
        parts.append(_upright_arc("finger", inner + radius, z, *arc, radius, radius))
    thumb = 1.15 * finger
    wrap = min(p["thumb_length"] / (inner + thumb), reach_limit / 2)
    arc = on_finger_side(-(start + wrap), -start)
    parts.append(_upright_arc("thumb", inner + thumb, 1.5 * pitch + finger, *arc, thumb, thumb))
    rise = p["forearm_rise"]
    along = np.linspace(0.0, p["forearm_length"], 6)
    path = np.column_stack(
        [inner + thickness / 2 + along * math.cos(rise), np.zeros(6), along * math.sin(rise)]
    )
    parts.append(sweep_tube("forearm", path, p["forearm_radius"], 0.8 * p["forearm_radius"]))
    return parts


HAND = HouseholdClass(
    "hand",
    {
        "grip": Subtype(
            "grip",
            {
                "grip_radius": (0.025, 0.05),  # set by the caller to the gripped body's radius
                "finger_radius": (0.0075, 0.0105),
                "finger_length": (0.065, 0.09),
                "thumb_length": (0.045, 0.065),
                "palm_thickness": (0.018, 0.028),
                "palm_width": (0.07, 0.095),
                "forearm_radius": (0.022, 0.03),
                "forearm_length": (0.2, 0.32),
                "forearm_rise": (-0.1, 0.9),
            },
            _hand,
            {"side": ("left", "right")},
        )
    },
    {},
)

HOUSEHOLD_CLASSES: dict[str, HouseholdClass] = {
    c.name: c for c in (BOTTLE, CUP, CAN, BOWL, CARTON, JAR)
}
ALIASES = {"mug": ("cup", "mug")}  # class name -> (library class, forced sub-type)
OCCLUDERS: dict[str, HouseholdClass] = {"hand": HAND}  # built like a class, never labelled


def household_class(name: str, labelled: bool = False) -> HouseholdClass:
    """A class by name (``mug`` resolves to ``cup``; ``hand`` is the occluder, never a label,
    and unknown when ``labelled``); KeyError naming the known classes."""
    name = ALIASES.get(name, (name,))[0]
    known = HOUSEHOLD_CLASSES if labelled else {**HOUSEHOLD_CLASSES, **OCCLUDERS}
    try:
        return known[name]
    except KeyError:
        raise KeyError(
            f"unknown household class {name!r}; known: {', '.join(household_class_names())}"
        ) from None


def household_class_names() -> list[str]:
    """The labelled class names :func:`household_class` accepts (aliases included), sorted."""
    return sorted(set(HOUSEHOLD_CLASSES) | set(ALIASES))


def build_parts(name: str, params: Mapping) -> list[Part]:
    """The parts of class ``name`` for ``params`` (which hold ``subtype``)."""
    shape = household_class(name)
    return shape.subtype(str(params.get("subtype", ALIASES.get(name, (name, name))[1]))).build(
        params
    )
