"""Hands gripping objects (scenes/hands.py, the ``hand`` occluder of assets/household.py).

Geometry and placement are pure Python; one 64x48 scene (a bottle gripped by a hand) renders
once on Cycles (1 spp) and raster; one 48 px raster batch of the recipe with a hand in every
frame checks the labels."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import trimesh

from assets.household import HAND_GAP, household_class, household_class_names
from assets.loft import welded
from renderer.batch import BatchConfig, run_batch
from scenes import sample_spec
from scenes.geometry import object_mesh_world
from scenes.hands import hand_holding
from scenes.randomizers import household_object, support_box
from scenes.spec import CameraSpec, HdriSpec, MaterialSpec, SceneSpec, WorldSpec

SUPPORT = 0.1  # m: a table top above z = 0, so "on the support" is not the same as z = 0


def test_hand_is_watertight_per_part_with_uvs_and_clear_of_the_grip():
    shape = household_class("hand").subtype("grip")
    rng = np.random.default_rng(2)
    for side in ("left", "right"):
        for radius in (0.012, 0.033, 0.06):
            params = {**shape.sample_params(rng), "side": side, "grip_radius": radius}
            parts = shape.build(params)
            names = [p.name for p in parts]
            assert names == ["palm"] + ["finger"] * 4 + ["thumb", "forearm"]
            for part in parts:
                mesh = welded(part)
                assert mesh.is_watertight and mesh.volume > 0, (side, radius, part.name)
                assert part.uv.shape == (len(part.vertices), 2)
                if part.name != "forearm":  # palm, fingers, thumb hug the body, never enter it
                    distance = np.hypot(part.vertices[:, 0], part.vertices[:, 1])
                    assert distance.min() >= radius + HAND_GAP - 1e-9, (side, radius, part.name)
            fingers = np.concatenate([p.vertices for p in parts if p.name == "finger"])
            # a right hand's fingers wrap counter-clockwise from the palm (on +X), a left one's not
            wrap_side = np.sign(np.median(fingers[:, 1]))
            assert wrap_side == (1.0 if side == "right" else -1.0)


def test_hand_is_not_a_labelled_class():
    assert "hand" not in household_class_names()
    assert household_class("hand").name == "hand"


def _bottle(rng, yaw: float = 0.7):
    bottle = household_object(rng, "bottle", "bottle_0")
    bottle.quaternion = (math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2))
    bottle.position = (0.05, -0.02, SUPPORT + 0.2)  # anywhere above: the grip stands it
    return bottle


@pytest.mark.parametrize("seed", range(6))
def test_hand_grips_the_body_and_stands_it_on_the_support(seed):
    rng = np.random.default_rng(seed)
    bottle = _bottle(rng)
    hand = hand_holding(rng, bottle, "hand_0", away_azimuth=1.0, support_height=SUPPORT)
    assert bottle.static and hand.static and hand.role == "distractor" and not hand.labelled
    body = object_mesh_world(bottle)
    assert body.bounds[0, 2] == pytest.approx(SUPPORT, abs=1e-9)
    world = object_mesh_world(hand)
    names = [p.name for p in hand.parts]
    gripping = np.isin(
        world.face_attributes["part"], [i for i, n in enumerate(names) if n != "forearm"]
    )
    points = world.vertices[np.unique(world.faces[gripping])]
    axis = np.asarray(bottle.position[:2])
    distance = np.hypot(*(points[:, :2] - axis).T)
    radius = hand.asset.params["grip_radius"]
    assert distance.min() >= radius + HAND_GAP - 1e-6
    # the palm's centre is at the body, between its base and top
    grip_height = np.median(points[:, 2])
    assert body.bounds[0, 2] < grip_height < body.bounds[1, 2]
    # no section of the body across the hand's height reaches out to the fingers
    low, high = points[:, 2].min(), min(points[:, 2].max(), body.bounds[1, 2] - 1e-4)
    for z in np.linspace(low, high, 15):
        lines = trimesh.intersections.mesh_plane(body, (0.0, 0.0, 1.0), (0.0, 0.0, z))
        if len(lines):
            assert np.hypot(*(lines.reshape(-1, 3)[:, :2] - axis).T).max() <= radius + 1e-6
    # the forearm leaves within 100 degrees of the requested direction
    forearm = world.vertices[np.unique(world.faces[~gripping])]
    away = np.arctan2(*(forearm[:, :2].mean(axis=0) - axis)[::-1])
    assert abs((away - 1.0 + math.pi) % (2 * math.pi) - math.pi) <= math.radians(100) + 0.2


def test_forearm_keeps_clear_of_the_objects_around():
    """Bottles stand round the held one except in one gap: the forearm leaves through it."""
    rng = np.random.default_rng(3)
    bottle = _bottle(rng)
    around = []
    for index, degrees in enumerate((-100, -70, -40, -10, 20, 100)):  # the gap: 20..100
        other = household_object(rng, "bottle", f"other_{index}")
        angle = math.radians(degrees)
        x, y, _ = bottle.position
        other.position = (x + 0.2 * math.cos(angle), y + 0.2 * math.sin(angle), SUPPORT + 0.1)
        around.append(other)
    hand = hand_holding(rng, bottle, "hand_0", 0.0, SUPPORT, others=around)
    world = object_mesh_world(hand)
    forearm = world.face_attributes["part"] == [p.name for p in hand.parts].index("forearm")
    tip = world.vertices[np.unique(world.faces[forearm])][:, :2].mean(axis=0)
    degrees = math.degrees(math.atan2(*(tip - np.asarray(bottle.position[:2]))[::-1]))
    assert 20 < degrees < 100


def test_hand_refuses_an_object_that_does_not_stand():
    bottle = _bottle(np.random.default_rng(1))
    bottle.quaternion = (math.cos(0.5), math.sin(0.5), 0.0, 0.0)
    with pytest.raises(ValueError, match="does not stand upright"):
        hand_holding(np.random.default_rng(1), bottle, "hand_0", 0.0, SUPPORT)


def _without_hands(spec) -> dict:
    data = json.loads(spec.to_json())
    data["params"].pop("hands.share")
    data["objects"] = [o for o in data["objects"] if o["name"] != "hand_0"]
    for obj in data["objects"]:
        obj.pop("static", None)
        obj["position"] = obj["position"][:2]  # the held object is stood on the table
    return data


def test_hands_share_changes_only_the_hand_and_the_held_object():
    """Hands are drawn from their own stream: a frame with a hand is the frame without it plus
    the hand (and the held object stood still); the share is respected over many frames."""
    with_hands = 0
    for seed in range(8):
        overrides = {"objects.classes": "bottle,cup"}
        off = sample_spec("household", seed, {**overrides, "hands.share": 0.0})
        on = sample_spec("household", seed, {**overrides, "hands.share": 1.0})
        assert not any(o.name == "hand_0" for o in off.objects)
        assert _without_hands(on) == _without_hands(off)
        hands = [o for o in on.objects if o.name == "hand_0"]
        if hands:
            with_hands += 1
            held = [o for o in on.objects if o.static and o.labelled]
            assert len(held) == 1 and held[0].category in ("bottle", "cup")
    assert with_hands >= 6  # every frame with a labelled object standing on the table
    some = [sample_spec("household", seed, {"hands.share": 0.3}) for seed in range(30)]
    share = np.mean([any(o.name == "hand_0" for o in s.objects) for s in some])
    assert 0.1 <= share <= 0.5
    assert not any(o.name == "hand_0" for o in sample_spec("household", 0, {}).objects)


def _hand_scene() -> SceneSpec:
    rng = np.random.default_rng(4)
    bottle = _bottle(rng, yaw=0.0)
    hand = hand_holding(rng, bottle, "hand_0", away_azimuth=math.pi / 2, support_height=0.0)
    table = support_box("table", (2.0, 2.0), material=MaterialSpec(color=(0.4, 0.4, 0.4, 1.0)))
    top = object_mesh_world(bottle).bounds[1, 2]
    camera = CameraSpec(
        position=(0.05, -0.55, 0.2), look_at=(0.05, -0.02, top / 2), focal_length=35.0
    )
    world = WorldSpec(background="hdri", hdri=HdriSpec(name="interior", licence="CC0-1.0"))
    spec = SceneSpec(
        recipe="hands_test",
        resolution=(64, 48),
        camera=camera,
        world=world,
        objects=[table, bottle, hand],
    )
    return spec.normalised().validate()


def test_hand_renders_unlabelled_and_the_same_on_both_backends(tmp_path):
    pytest.importorskip("bpy")
    import bpy  # noqa: F401  (renderer.blender needs it)
    from renderer.backend import ViewSettings, open_view
    from scenes.build import build_kubric_scene

    spec = _hand_scene()
    scene = build_kubric_scene(spec, tmp_path)
    cycles = open_view("cycles", scene, ViewSettings(samples_per_pixel=1, scratch_dir=tmp_path))
    ids = {
        a.metadata["spec_name"]: i
        for i, a in enumerate(scene.assets, 1)
        if a.metadata.get("spec_name")
    }
    for passes in (cycles.render_raw(), open_view("raster", scene).render_raw()):
        hand = passes.instance_ids == ids["hand_0"]
        assert hand.sum() >= 40  # the hand is in the picture, in front of the bottle
        labelled = {i.instance_id for i in passes.instances if i.category}
        assert labelled == {ids["bottle_0"]}
        skin = passes.rgba[..., :3][hand].astype(float)
        assert np.isfinite(skin).all() and skin.std(axis=0).max() > 1.0


def test_recipe_batch_labels_the_held_object_and_not_the_hand(tmp_path):
    config = BatchConfig(
        recipe="household",
        out=tmp_path,
        count=2,
        seed=1,
        engine="raster",
        samples=1,
        workers=0,
        overrides=(("hands.share", "1"), ("objects.classes", "bottle,cup"), ("resolution", "48")),
    )
    summary = run_batch(config)
    assert summary.done == 2 and not summary.failed
    occluded = 0
    for frame in range(2):
        spec = json.loads((tmp_path / "specs" / f"{frame:06d}.json").read_text())
        labels = json.loads((tmp_path / "labels" / f"{frame:06d}.json").read_text())
        names = {o["name"] for o in spec["objects"]}
        held = [o["name"] for o in spec["objects"] if o.get("static") and o.get("category")]
        labelled = [i for i in labels["instances"] if i["category"]]
        assert "hand_0" not in {i["uid"] for i in labelled}
        assert {i["category"] for i in labelled} <= {"bottle", "cup"}
        if "hand_0" in names and held:
            fractions = [i["visible_fraction"] for i in labelled if i["uid"] == held[0]]
            occluded += bool(fractions) and fractions[0] < 0.999
    assert occluded >= 1
