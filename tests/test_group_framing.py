"""Group framing (issue 15): the union of the labelled objects' boxes gets the requested size,
every labelled object stays whole in the frame, and ``household`` yields several usable crops
per frame (DESIGN.md §10: visible fraction >= 0.6, both box sides >= 12 px at 160 px).

One raster batch of group frames at 56 px, rendered once per module."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from labels.report import build_report
from renderer.batch import BatchConfig, run_batch
from renderer.batch.config import frame_seed
from scenes import sample_spec
from scenes.errors import RecipeError
from scenes.framing import parse_group_share, solve_framing
from scenes.randomizers import is_upright

SIZE = 56
FRAMES = 8
MIN_SIDE = 12 * SIZE / 160  # the protocol's 12 px at 160 px, scaled to the test size
MIN_VISIBLE = 0.6
USABLE_PER_FRAME = 2.0  # of 2-4 labelled per frame; before group framing 1.57 (40 frames, 160 px)
SIZE_TOLERANCE = 0.02  # relative; the solver stops at 1e-4, labels project the same vertices
INSIDE_TOLERANCE = 0.5  # px
GROUP_SEED = 11
GROUP_SETTINGS = {"resolution": SIZE, "objects.framing": "group", "objects.classes": "bottle,cup"}


@pytest.fixture(scope="module")
def group_batch(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("group")
    config = BatchConfig(
        recipe="household",
        out=out,
        count=FRAMES,
        seed=GROUP_SEED,
        engine="raster",
        samples=1,
        workers=0,
        overrides=tuple(sorted((k, str(v)) for k, v in GROUP_SETTINGS.items())),
    )
    summary = run_batch(config)
    assert summary.done == FRAMES and not summary.failed
    return out


def _frames(folder: Path) -> list[tuple[dict, dict]]:
    names = sorted(p.stem for p in (folder / "labels").glob("*.json"))
    return [
        (
            json.loads((folder / "labels" / f"{n}.json").read_text()),
            json.loads((folder / "specs" / f"{n}.json").read_text()),
        )
        for n in names
    ]


def _usable(item: dict) -> bool:
    x0, y0, x1, y1 = item["box"]
    return item.get("visible_fraction", 0.0) >= MIN_VISIBLE and min(x1 - x0, y1 - y0) >= MIN_SIDE


def test_group_frames_keep_every_labelled_object_inside_at_the_requested_union_size(group_batch):
    for labels, spec in _frames(group_batch):
        framing = spec["camera"]["framing"]
        assert framing["solved"] and framing["group"]
        labelled = [item for item in labels["instances"] if item.get("category")]
        assert sorted(item["uid"] for item in labelled) == sorted(framing["group"])
        extents = np.array([item["amodal_extent"] for item in labelled], float)
        assert extents[:, :2].min() >= -INSIDE_TOLERANCE
        assert extents[:, 2:].max() <= SIZE + INSIDE_TOLERANCE
        union = np.r_[extents[:, :2].min(axis=0), extents[:, 2:].max(axis=0)]
        size = max(union[2] - union[0], union[3] - union[1]) / SIZE
        low, high = framing["requested"]
        assert size == pytest.approx(framing["size"], rel=SIZE_TOLERANCE)
        assert low * (1 - SIZE_TOLERANCE) <= size <= high * (1 + SIZE_TOLERANCE)


def test_group_frames_yield_several_usable_crops(group_batch):
    usable = [
        sum(_usable(item) for item in labels["instances"] if item.get("category"))
        for labels, _ in _frames(group_batch)
    ]
    assert np.mean(usable) > USABLE_PER_FRAME, usable


def test_framing_modes_are_recorded_and_seeded():
    """``mixed`` draws both kinds of frames; ``single`` never groups; the spec records the group
    and is the same for the same seed."""
    mixed = [sample_spec("household", seed, {"resolution": SIZE}) for seed in range(12)]
    groups = [bool(spec.camera.framing.group) for spec in mixed]
    assert 0 < sum(groups) < len(groups)
    assert all(len(spec.labelled_objects()) >= 2 for spec in mixed)  # default count 2-4
    single = [sample_spec("household", seed, {"objects.framing": "single"}) for seed in range(6)]
    assert not any(spec.camera.framing.group for spec in single)
    again = sample_spec("household", 0, {"resolution": SIZE})
    assert again.to_json() == mixed[0].to_json()
    assert parse_group_share("0.25") == 0.25 and parse_group_share("group") == 1.0
    with pytest.raises(RecipeError, match="objects.framing"):
        parse_group_share("crowd")


def test_group_framing_drops_members_physics_removed():
    spec = next(
        s
        for s in (sample_spec("household", seed, {"objects.framing": "group"}) for seed in range(4))
        if len(s.camera.framing.group) >= 2
    )
    first = spec.camera.framing.group[0]
    kept = [obj for obj in spec.objects if obj.name != first]
    solved = solve_framing(spec.__class__(**{**spec.__dict__, "objects": kept}))
    assert solved.camera.framing.solved
    assert solved.camera.framing.group == spec.camera.framing.group[1:]
    assert solved.camera.framing.target == spec.camera.framing.group[1]


def test_report_compares_the_union_size_of_group_frames(group_batch, tmp_path):
    result = build_report(group_batch, tmp_path / "report.html")
    assert "100% inside the requested range" in result.summary_text


def _stands(item: dict) -> bool:
    """True when the object's 3-D box still has a vertical edge (+Z up, tilt under 11 degrees)."""
    corners = np.asarray(item["box3d_world"], float)
    edge = corners[1] - corners[0]
    return abs(edge[2]) / np.linalg.norm(edge) > 0.98


def test_objects_sampled_upright_still_stand_after_physics(group_batch):
    # household stands most objects on the table (UPRIGHT_SHARE); they are placed, not dropped,
    # so settling leaves them standing (dropped into a row, 46 % of the bottles fell over); the
    # others are dropped and lie. The batch stores the *settled* spec, so what each object was
    # sampled as comes from sampling the frame's spec again.
    stands, lies = [], []
    for index, (labels, _) in enumerate(_frames(group_batch)):
        sampled = sample_spec("household", frame_seed(GROUP_SEED, index), GROUP_SETTINGS)
        upright = {obj.name: is_upright(obj) for obj in sampled.objects}
        for item in labels["instances"]:
            (stands if upright[item["metadata"]["spec_name"]] else lies).append(_stands(item))
    assert len(stands) >= 16 and np.mean(stands) >= 0.9, (len(stands), np.mean(stands))
    assert not any(lies), "an object dropped on its side still stands upright"


def test_household_declares_its_classes_so_batches_number_them_without_sampling(group_batch):
    from scenes.recipe_api import load_recipe

    table = json.loads((group_batch / "categories.json").read_text())
    assert table["categories"] == ["bottle", "cup"]
    household = load_recipe("household")
    assert household.declared_classes({"objects.classes": "cup,bottle"}) == ["bottle", "cup"]
    assert "mug" not in household.declared_classes() and "jar" in household.declared_classes()
    assert load_recipe("tabletop").declared_classes() is None  # classes come from its data
