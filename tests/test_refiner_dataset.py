"""``synthscene refine`` on a native dataset: labels byte-identical, manifest updated, gate recorded.

The dataset is written by ``labels.native.write_frame`` from exact ray-cast frames
(``labels.analytic``) textured with embedded photos; needs the ``refiner`` extra.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from labels import analytic  # noqa: E402
from labels.analytic import Box, Sphere  # noqa: E402
from labels.native import frame_paths, latest_records, read_image, verify_dataset, write_frame  # noqa: E402
from labels.passes import CameraModel  # noqa: E402
from renderer.cli import main  # noqa: E402
from renderer.refiner.dataset import GateOptions, refine_frame  # noqa: E402
from renderer.refiner.hdri_photos import hdri_photos  # noqa: E402
from renderer.refiner.model import ModelConfig  # noqa: E402
from renderer.refiner.sdedit import RefineOptions  # noqa: E402
from renderer.refiner.training import TrainingOptions, summarize_photos, train  # noqa: E402

SIZE = 32
FRAMES = ("000000", "000001", "000002")


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def textured_frame(seed: int):
    """Ray-cast sphere + box, coloured with photo textures over a photo background."""
    camera = CameraModel(
        K=analytic.intrinsics(SIZE, SIZE, 40.0),
        world_to_camera=analytic.look_at((0.0, -5.0, 0.5), (0.0, 0.0, 0.0)),
        width=SIZE,
        height=SIZE,
    )
    raw = analytic.render(
        camera, [Sphere((-0.6 + 0.2 * seed, 0, 0), 0.9), Box((0.9, 0.3, -0.2), (1.0, 1.0, 1.2))]
    )
    background, *textures = hdri_photos(3, SIZE, seed=40 + seed)
    rgb = background.copy()
    for instance, texture in enumerate(textures, start=1):
        mask = raw.instance_ids == instance
        rgb[mask] = (
            0.5 * texture[mask] + 0.5 * np.array([200, 60, 60] if instance == 1 else [60, 60, 200])
        ).astype(np.uint8)
    raw.rgba[..., :3] = rgb
    return raw


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("render")
    for index, name in enumerate(FRAMES):
        write_frame(root, name, textured_frame(index), metadata={"seed": index})
    (root / "coco.json").write_text('{"images": []}\n')
    return root


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    photos = hdri_photos(12, 24, seed=2)
    path = tmp_path_factory.mktemp("model") / "tiny.pt"
    config = ModelConfig(
        image_size=16, block_out_channels=(16, 32), layers_per_block=1, attention_levels=()
    )
    train(
        photos,
        path,
        config,
        TrainingOptions(steps=12, batch_size=8, lr=2e-3, progress=False),
        summarize_photos(photos, "hdri"),
    )
    return path


def refine_cli(dataset, model, out, *extra) -> int:
    return main(
        ["refine", str(dataset), "--model", str(model), "--out", str(out), "--steps", "4", *extra]
    )


def test_refined_dataset_keeps_labels_byte_identical(dataset, model, tmp_path):
    out = tmp_path / "refined"
    assert refine_cli(dataset, model, out, "--strength", "0.3") == 0
    for name in FRAMES:
        paths = frame_paths(name)
        for key in ("labels_npz", "labels_json"):
            assert (out / paths[key]).read_bytes() == (dataset / paths[key]).read_bytes()
    assert (out / "coco.json").read_bytes() == (dataset / "coco.json").read_bytes()
    # labels' own verifier accepts the new manifest: its checksums are those of the refined images
    assert verify_dataset(out) == {}
    records = latest_records(out)
    assert list(records) == list(FRAMES)
    for name, record in records.items():
        refinement = record["refinement"]
        assert record["seed"] == FRAMES.index(name)  # source metadata carried over
        assert 0.0 <= refinement["gate"]["score"] <= 1.0 and "edge_alignment" in refinement["gate"]
        changed = not np.array_equal(read_image(out, name), read_image(dataset, name))
        assert changed == refinement["accepted"]
    summary = json.loads((out / "refinement.json").read_text())
    assert summary["frames"] == 3 and summary["accepted"] + summary["rejected"] == 3


def test_refine_is_deterministic_and_resumable(dataset, model, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    assert refine_cli(dataset, model, first, "--strength", "0.3", "--gate-threshold", "0") == 0
    assert refine_cli(dataset, model, second, "--strength", "0.3", "--gate-threshold", "0") == 0
    for name in FRAMES:
        assert np.array_equal(read_image(first, name), read_image(second, name))
    lines = (first / "manifest.jsonl").read_text().splitlines()
    assert refine_cli(dataset, model, first, "--strength", "0.3", "--gate-threshold", "0") == 0
    assert (first / "manifest.jsonl").read_text().splitlines() == lines  # nothing redone


def test_strength_zero_copies_images(dataset, model, tmp_path):
    out = tmp_path / "zero"
    assert refine_cli(dataset, model, out, "--strength", "0") == 0
    for name in FRAMES:
        path = frame_paths(name)["image"]
        assert np.array_equal(read_image(out, name), read_image(dataset, name))
        assert latest_records(out)[name]["refinement"]["gate"]["score"] == pytest.approx(1.0)
        assert (out / path).is_file()


def test_gate_rejects_a_drifting_refiner_and_keeps_the_render():
    raw = textured_frame(0)
    image = np.ascontiguousarray(raw.rgba[..., :3])
    calls = []

    def shifting_refiner(render, options):
        calls.append(options.strength)
        return np.roll(render, 4, axis=1)

    kept, record = refine_frame(
        shifting_refiner,
        image,
        raw.instance_ids,
        RefineOptions(strength=0.4),
        GateOptions(retries=1),
    )
    assert np.array_equal(kept, image)
    assert record["accepted"] is False and calls == [0.4, 0.2]

    def honest_refiner(render, options):
        return render.copy()

    kept, record = refine_frame(
        honest_refiner, image, raw.instance_ids, RefineOptions(strength=0.4), GateOptions()
    )
    assert record["accepted"] and record["gate"]["score"] == pytest.approx(1.0)


def test_not_a_dataset_is_a_clear_error(tmp_path, model, capsys):
    (tmp_path / "plain").mkdir()
    assert refine_cli(tmp_path / "plain", model, tmp_path / "out", "--strength", "0.3") == 2
    assert "no finished frames" in capsys.readouterr().err


def test_transparent_renders_keep_their_alpha(model, tmp_path):
    import cv2

    raw = textured_frame(1)
    raw.rgba[..., 3] = np.where(raw.instance_ids > 0, 255, 0).astype(np.uint8)
    write_frame(tmp_path / "alpha", "000000", raw)
    assert (
        refine_cli(
            tmp_path / "alpha",
            model,
            tmp_path / "out",
            "--strength",
            "0.3",
            "--gate-threshold",
            "0",
        )
        == 0
    )
    image = frame_paths("000000")["image"]
    source = cv2.imread(str(tmp_path / "alpha" / image), cv2.IMREAD_UNCHANGED)
    refined = cv2.imread(str(tmp_path / "out" / image), cv2.IMREAD_UNCHANGED)
    assert source.shape[2] == refined.shape[2] == 4
    assert np.array_equal(source[..., 3], refined[..., 3]) and not np.array_equal(
        source[..., :3], refined[..., :3]
    )


def test_photo_matched_refinement_keeps_labels_and_caps_noise(dataset, model, tmp_path):
    """--photos: colour moved to the photos', grain capped at theirs; labels byte-identical, seeded."""
    from fileio.images import write_png_atomic
    from renderer.refiner.dataset import frame_seed
    from renderer.refiner.photo_stats import match_colour, noise_sigma, photo_set_stats, pick_photo

    photos_dir = tmp_path / "photos"
    photos = [
        np.clip(photo * np.array([1.2, 1.0, 0.7]), 0, 255).astype(np.uint8)
        for photo in hdri_photos(4, 2 * SIZE, seed=9)
    ]
    for index, photo in enumerate(photos):
        write_png_atomic(photos_dir / f"p{index}.png", photo)
    outs = [tmp_path / "m1", tmp_path / "m2"]
    for out in outs:
        assert (
            refine_cli(
                dataset,
                model,
                out,
                "--strength",
                "0.5",
                "--gate-threshold",
                "0",
                "--photos",
                str(photos_dir),
            )
            == 0
        )
    stats = photo_set_stats(photos, SIZE)
    ceiling = float(np.median([item.noise_sigma for item in stats]))
    for name in FRAMES:
        paths = frame_paths(name)
        for key in ("labels_npz", "labels_json"):
            assert (outs[0] / paths[key]).read_bytes() == (dataset / paths[key]).read_bytes()
        refined = read_image(outs[0], name)
        assert np.array_equal(refined, read_image(outs[1], name))
        target = pick_photo(stats, frame_seed(0, name))
        coloured = match_colour(read_image(dataset, name), target)  # the model's input
        assert noise_sigma(refined) <= max(ceiling, noise_sigma(coloured)) + 1e-3
    settings = latest_records(outs[0])[FRAMES[0]]["refinement"]["settings"]
    assert settings["photo_match"] == {"photos": str(photos_dir), "count": 4, "colour_weight": 1.0}


def test_photo_matching_alone_needs_no_model(dataset, tmp_path, capsys):
    from fileio.images import write_png_atomic

    photos_dir = tmp_path / "photos"
    for index, photo in enumerate(hdri_photos(3, 2 * SIZE, seed=5)):
        write_png_atomic(photos_dir / f"p{index}.png", photo)
    out = tmp_path / "colour"
    assert (
        main(
            [
                "refine",
                str(dataset),
                "--out",
                str(out),
                "--strength",
                "0",
                "--photos",
                str(photos_dir),
                "--gate-threshold",
                "0",
            ]
        )
        == 0
    )
    for name in FRAMES:
        assert (out / frame_paths(name)["labels_npz"]).read_bytes() == (
            dataset / frame_paths(name)["labels_npz"]
        ).read_bytes()
        assert not np.array_equal(read_image(out, name), read_image(dataset, name))  # colour moved
    assert (
        main(
            [
                "refine",
                str(dataset),
                "--out",
                str(tmp_path / "x"),
                "--strength",
                "0.3",
                "--photos",
                str(photos_dir),
            ]
        )
        != 0
    )
    assert "--model is missing" in capsys.readouterr().err
