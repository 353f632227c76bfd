"""Distributions and randomizers: samples stay in their declared ranges; class balance holds."""

from __future__ import annotations

import colorsys
import math
from collections import Counter

import numpy as np
import pytest

from assets.procedural import PROCEDURAL_CLASSES
from scenes import (
    Choice,
    ColorHSV,
    LogUniform,
    Normal,
    RandInt,
    Uniform,
    VectorUniform,
    balanced_categories,
    kelvin_to_rgb,
    sample_spec,
)
from scenes.randomizers import BLENDER_HDRI_NAMES, LIGHT_INTENSITY, PROCEDURAL_TEXTURES
from scenes.recipes.tabletop import DROP_REGION

SPECS = 200
OBJECTS_PER_SPEC = 6


@pytest.mark.parametrize(
    "distribution",
    [
        Uniform(-2.0, 3.0),
        LogUniform(0.1, 100.0),
        Normal(1.0, 2.0, low=0.0, high=2.5),
        Normal(0.0, 1.0),
        RandInt(2, 5),
        Choice(("a", "b", "c"), (1, 2, 3)),
        VectorUniform((0, -1, 2), (1, 1, 3)),
        ColorHSV(hue=(0.9, 1.1), saturation=(0.5, 1.0), value=(0.2, 0.4)),
    ],
)
def test_every_sample_lies_in_the_declared_support(distribution):
    rng = np.random.default_rng(0)
    samples = [distribution.sample(rng) for _ in range(2000)]
    assert all(distribution.contains(s) for s in samples)
    assert all(not isinstance(s, np.generic) for s in samples)  # plain Python values


def test_normal_is_clipped_and_loguniform_is_uniform_in_log_space():
    rng = np.random.default_rng(1)
    clipped = np.array([Normal(0.0, 1.0, low=-0.5, high=0.5).sample(rng) for _ in range(4000)])
    assert clipped.min() == -0.5 and clipped.max() == 0.5
    logs = np.log10([LogUniform(0.01, 100.0).sample(rng) for _ in range(4000)])
    assert abs(np.mean(logs < 0) - 0.5) < 0.04  # half the mass below the geometric middle


@pytest.mark.parametrize("stratified", [True, False])
def test_weighted_class_frequencies_match_weights(stratified):
    rng = np.random.default_rng(2)
    counts = Counter()
    for _ in range(3000):  # small scenes: 2 objects each
        counts.update(
            balanced_categories(
                rng, ["mug", "box", "gear"], 2, weights=[3, 1, 2], stratified=stratified
            )
        )
    for name, expected in (("mug", 0.5), ("box", 1 / 6), ("gear", 1 / 3)):
        assert abs(counts[name] / 6000 - expected) < 0.025  # ~ 4 standard deviations


def test_stratified_scenes_stay_within_one_of_their_share():
    rng = np.random.default_rng(3)
    for count in (1, 5, 13, 40):
        counts = Counter(balanced_categories(rng, sorted(PROCEDURAL_CLASSES), count))
        share = count / len(PROCEDURAL_CLASSES)
        assert sum(counts.values()) == count
        assert all(abs(counts[c] - share) < 1 for c in PROCEDURAL_CLASSES), (count, counts)


def test_colour_temperature_goes_from_warm_to_cool():
    warm, daylight, cool = kelvin_to_rgb(2700), kelvin_to_rgb(6600), kelvin_to_rgb(12000)
    assert warm[0] == 1.0 and warm[2] < 0.6 * warm[0]
    assert min(daylight) > 0.95
    assert cool[2] == 1.0 and cool[0] < cool[2]


@pytest.fixture(scope="module")
def tabletop_specs():
    return [sample_spec("tabletop", seed) for seed in range(SPECS)]


def _hsv_value(color):
    return colorsys.rgb_to_hsv(*color[:3])[2]


def test_200_tabletop_specs_stay_in_declared_ranges(tabletop_specs):
    for spec in tabletop_specs:
        camera = spec.camera
        assert 24.0 <= camera.focal_length <= 60.0
        aim = np.array(camera.look_at) - (0.0, 0.0, 0.03)
        assert np.all(np.abs(aim) <= 0.05 + 1e-9)  # look-at jitter
        offset = np.array(camera.position) - (0.0, 0.0, 0.03)
        distance = np.linalg.norm(offset)
        assert 0.8 - 1e-9 <= distance <= 1.2 + 1e-9
        elevation = math.degrees(math.asin(offset[2] / distance))
        assert 25 - 1e-6 <= elevation <= 75 + 1e-6
        assert -0.5 <= camera.exposure <= 0.5
        hdri = spec.world.hdri
        assert hdri.name in BLENDER_HDRI_NAMES and hdri.licence == "CC0-1.0"
        assert 0.3 - 1e-9 <= hdri.strength <= 1.5 + 1e-9 and 0 <= hdri.rotation <= 2 * math.pi
        assert spec.world.background in ("hdri", "color")
        assert 0 <= len(spec.lights) <= 2
        for light in spec.lights:
            low, high = LIGHT_INTENSITY[light.kind].bounds()
            assert low - 1e-6 <= light.intensity <= high + 1e-6
            assert 2700 <= light.temperature <= 7500
            assert np.allclose(light.color, kelvin_to_rgb(light.temperature), atol=1e-8)
        labelled = spec.labelled_objects()
        assert len(labelled) == OBJECTS_PER_SPEC
        distractors = [o for o in spec.objects if o.role == "distractor"]
        assert len(distractors) <= 3 and all(o.category is None for o in distractors)
        for obj in labelled + distractors:
            _check_object(obj)


def _check_object(obj):
    ranges = PROCEDURAL_CLASSES[obj.asset.name].ranges
    for key, value in obj.asset.params.items():
        assert ranges[key][0] - 1e-9 <= value <= ranges[key][1] + 1e-9, (obj.name, key)
    assert len(set(obj.scale)) == 1
    low, high = (0.8, 1.2) if obj.role == "object" else (0.3, 0.6)
    assert low - 1e-9 <= obj.scale[0] <= high + 1e-9
    x0, x1, y0, y1 = DROP_REGION
    assert x0 <= obj.position[0] <= x1 and y0 <= obj.position[1] <= y1
    assert obj.position[2] > 0.0  # dropped from above the table
    assert abs(np.linalg.norm(obj.quaternion) - 1) < 1e-8
    material = obj.material
    assert 0.05 <= material.roughness <= 0.95 and material.metallic in (0.0, 1.0)
    assert 0.2 <= material.specular <= 0.8 and 1.3 <= material.ior <= 1.7
    assert 0.15 - 1e-6 <= _hsv_value(material.color) <= 1.0 + 1e-6
    texture = material.texture
    if texture is not None:
        assert texture.kind in PROCEDURAL_TEXTURES and 2.0 <= texture.scale <= 40.0
        for key, value in texture.params.items():
            assert PROCEDURAL_TEXTURES[texture.kind][key].contains(value)
    assert 0.5 <= obj.friction <= 0.9 and 0.05 <= obj.restitution <= 0.3


def test_class_balance_over_200_specs_within_tolerance(tabletop_specs):
    """Each scene takes 6 distinct classes of 13 (stratified), so over 200 scenes a class
    appears Binomial(200, 6/13) times: mean 92.3, sd 7.1. Tolerance: every class within +-30%
    of the mean (~3.9 sd) and a chi-square statistic below the 0.1% critical value for 12
    degrees of freedom (32.9; the without-replacement draw only makes it smaller)."""
    counts = Counter(o.category for s in tabletop_specs for o in s.labelled_objects())
    total = SPECS * OBJECTS_PER_SPEC
    expected = total / len(PROCEDURAL_CLASSES)
    assert set(counts) == set(PROCEDURAL_CLASSES)
    assert all(abs(c - expected) <= 0.30 * expected for c in counts.values()), counts
    chi_square = sum((c - expected) ** 2 / expected for c in counts.values())
    assert chi_square < 32.9, (chi_square, counts)
    for spec in tabletop_specs:  # 6 <= 13 classes: no class repeats within a scene
        categories = [o.category for o in spec.labelled_objects()]
        assert len(set(categories)) == len(categories)


def test_texture_and_light_kinds_all_occur(tabletop_specs):
    kinds = Counter(
        o.material.texture.kind for s in tabletop_specs for o in s.objects if o.material.texture
    )
    assert set(kinds) == set(PROCEDURAL_TEXTURES)
    lights = Counter(light.kind for s in tabletop_specs for light in s.lights)
    assert set(lights) == {"sun", "point", "area", "spot"}


def test_clevr_specs_use_clevr_vocabulary_and_rest_on_the_floor():
    counts = []
    for seed in range(40):
        spec = sample_spec("clevr", seed)
        objects = spec.labelled_objects()
        counts.append(len(objects))
        assert 1 <= len(objects) <= 10  # placement may leave out one that finds no room
        for obj in objects:
            assert obj.category in ("cube", "sphere", "cylinder")
            colour, material, size = obj.material.name.split()
            assert material in ("rubber", "metal") and size in ("small", "large")
            half = {"small": 0.35, "large": 0.7}[size]
            assert abs(obj.position[2] - half) < 1e-9
    assert sum(c >= 3 for c in counts) >= 36
