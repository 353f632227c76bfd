"""``synthscene evaluate`` and the real-label readers on a tiny "real" set the test makes itself.

One 64x64 raster ``household`` batch of bottles and cups is rendered once; its labels are written as COCO (the
project's exporter), YOLO (the project's exporter) and Pascal VOC (written here, 1-based
inclusive corners) folders. The readers must give back the native boxes from all three, the
evaluation must give identical results on the three copies, and a seeded run must repeat
exactly. Bad input (no labels, unknown class, undecodable photo) gives one clear line each.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from cli_support import run_cli

pytest.importorskip("torch")

from labels.coco import write_coco
from labels.native import finished_frames, read_frame_json
from labels.real_sources import RealLabelsError, read_real_dataset
from labels.yolo import export_yolo
from renderer.cli import main
from renderer.transfer.classifier import classification_metrics
from renderer.transfer.crops import CropSet
from renderer.transfer.protocol import (
    accuracy_by_box_shape,
    bootstrap_interval,
    box_shape_bucket,
    box_shape_shares,
    folder_mean_metrics,
)

CLASSES = "bottle=bottle,cup=cup"
# 16 frames hold ~24 usable crops; 40 % of the frames held out so both classes are in it
FAST = ["--seeds", "1", "--max-epochs", "3", "--patience", "3", "--val-fraction", "0.4"]


@pytest.fixture(scope="module")
def sets(tmp_path_factory) -> dict[str, Path]:
    """The rendered batch and its COCO / YOLO / VOC copies."""
    root = tmp_path_factory.mktemp("evaluate")
    batch = root / "synthetic"
    # basic shapes and no context: 4x faster than the full recipe, and enough for the protocol
    result = run_cli(
        "render",
        "household",
        "--count",
        "16",
        "--out",
        batch,
        "--engine",
        "raster",
        "--resolution",
        "64x64",
        "--workers",
        "0",
        "--seed",
        "3",
        "--quiet",
        "--set",
        "objects.classes=bottle,cup",
        "--set",
        "objects.count=5",
        "--set",
        "objects.pixel_size=0.3-0.8",
        "--set",
        "objects.library=basic",
        "--set",
        "context.enabled=false",
    )
    assert result.returncode == 0, result.stderr
    coco = root / "real_coco"
    shutil.copytree(batch / "data", coco / "images")
    assert not write_coco([batch], coco / "annotations" / "instances.json").skipped
    yolo = root / "real_yolo"
    assert not export_yolo([batch], yolo).skipped
    voc = _write_voc(batch, root / "real_voc")
    return {"synthetic": batch, "coco": coco, "yolo": yolo, "voc": voc}


def _write_voc(batch: Path, out: Path) -> Path:
    (out / "Annotations").mkdir(parents=True)
    (out / "JPEGImages").mkdir()
    for frame in finished_frames(batch):
        labels = read_frame_json(batch, frame)
        shutil.copy(batch / labels["image"], out / "JPEGImages" / f"{frame}.png")
        objects = "".join(
            f"<object><name>{item['category']}</name><bndbox><xmin>{item['box'][0] + 1}</xmin>"
            f"<ymin>{item['box'][1] + 1}</ymin><xmax>{item['box'][2]}</xmax><ymax>{item['box'][3]}"
            "</ymax></bndbox></object>"
            for item in labels["instances"]
            if item["box"] is not None
        )
        (out / "Annotations" / f"{frame}.xml").write_text(
            f"<annotation><filename>{frame}.png</filename>{objects}</annotation>"
        )
    return out


def _boxes(folder: Path) -> list[tuple]:
    dataset = read_real_dataset(folder)
    return sorted(
        (image.path.stem.split("_")[-1], box.category, *(round(v, 2) for v in box.box))
        for image, box in dataset.boxes()
    )


def test_readers_detect_format_and_return_the_native_boxes(sets):
    batch = sets["synthetic"]
    native = sorted(
        (frame.split("_")[-1], item["category"], *map(float, item["box"]))
        for frame in finished_frames(batch)
        for item in read_frame_json(batch, frame)["instances"]
        if item["box"] is not None
    )
    assert len(native) >= 20
    assert [read_real_dataset(sets[name]).format for name in ("coco", "yolo", "voc")] == [
        "coco",
        "yolo",
        "voc",
    ]
    assert _boxes(sets["coco"]) == native
    assert _boxes(sets["voc"]) == native
    # YOLO stores normalised floats with 6 decimals: equal to within 1e-3 px at 64 px
    yolo = _boxes(sets["yolo"])
    assert [row[:2] for row in yolo] == [row[:2] for row in native]
    assert max(abs(a - b) for y, n in zip(yolo, native) for a, b in zip(y[2:], n[2:])) < 1e-3


def _evaluate(sets, out: Path, *extra: str) -> dict:
    code = main(
        [
            "evaluate",
            str(sets["synthetic"]),
            "--real",
            str(sets["coco"]),
            "--real",
            str(sets["yolo"]),
            "--real",
            str(sets["voc"]),
            "--classes",
            CLASSES,
            "--out",
            str(out),
            *FAST,
            *extra,
        ]
    )
    assert code == 0
    return json.loads(out.read_text())


def test_bootstrap_interval_matches_the_binomial_spread_of_the_real_crops():
    """Two classes of n crops, each 80 % right on every seed: the balanced accuracy's standard
    error is sqrt(2 * 0.8 * 0.2 / n) / 2, so the 95 % interval is about 0.8 +- 1.96 of it; it
    narrows as n grows, is exact when every crop is right, and is repeatable."""
    for per_class in (50, 400):
        truth = np.repeat([0, 1], per_class)
        predicted = truth.copy()
        wrong = np.concatenate([np.arange(per_class // 5), per_class + np.arange(per_class // 5)])
        predicted[wrong] = 1 - predicted[wrong]
        low, high = bootstrap_interval(truth, [predicted, predicted], 2)
        half = 1.96 * math.sqrt(2 * 0.8 * 0.2 / per_class) / 2
        assert low == pytest.approx(0.8 - half, abs=0.12 * half)
        assert high == pytest.approx(0.8 + half, abs=0.12 * half)
        assert bootstrap_interval(truth, [predicted, predicted], 2) == [low, high]
    assert bootstrap_interval(truth, [truth], 2) == [1.0, 1.0]
    assert bootstrap_interval(truth[:0], [truth[:0]], 2) is None


def test_mean_over_folders_weighs_every_folder_of_a_class_equally():
    """Folder A: 10 bottles all right, 50 cups all right; folder B: 90 bottles all wrong. Pooled,
    bottles score 10 / 100; over folders, (1 + 0) / 2; cups 1 either way. Its bootstrap
    interval is exact here (every folder's class all right or all wrong) and, with one folder,
    is the plain interval."""
    truth = np.array([0] * 10 + [1] * 50 + [0] * 90)
    predicted = np.array([0] * 10 + [1] * 50 + [1] * 90)
    folder = np.array([0] * 60 + [1] * 90)
    per_folder = [
        classification_metrics(truth[folder == f], predicted[folder == f], 2) for f in (0, 1)
    ]
    mean = folder_mean_metrics(per_folder)
    assert mean["per_class_accuracy"] == pytest.approx([0.5, 1.0])
    assert mean["balanced_accuracy"] == pytest.approx(0.75) and mean["crops"] == 150
    assert classification_metrics(truth, predicted, 2)["balanced_accuracy"] == pytest.approx(0.55)
    assert bootstrap_interval(truth, [predicted], 2, sources=folder) == [0.75, 0.75]
    low, high = bootstrap_interval(truth, [predicted], 2)  # pooled: 10 of 100 bottles vary
    assert low < 0.55 < high
    flip = np.random.default_rng(1).uniform(size=len(truth)) < 0.3
    noisy = np.where(flip, 1 - truth, truth)
    assert bootstrap_interval(truth, [noisy], 2, sources=np.zeros(len(truth))) == (
        bootstrap_interval(truth, [noisy], 2)
    )


def test_evaluation_reports_sane_identical_and_repeatable_numbers(sets, tmp_path, capsys):
    first = _evaluate(sets, tmp_path / "first.json")
    assert "balanced acc." in capsys.readouterr().out
    assert (
        first["classes"] == ["bottle", "cup"] and 200_000 < first["model"]["parameters"] < 400_000
    )
    # the report names the prediction views it used
    assert first["protocol"].endswith("averaged over 4 views (x1, x1.14; each also mirrored)")
    summary = first["summary"]
    crops = first["crops"]
    # the same photos and boxes through three formats: the same crops and the same predictions
    assert (
        crops["real_coco"] == crops["real_yolo"] == crops["real_voc"]
        and min(crops["real_coco"]) > 0
    )
    run = first["runs"][0]["real"]
    assert run["real_coco"] == run["real_yolo"] == run["real_voc"]
    assert summary["all real"]["crops"] == 3 * sum(crops["real_coco"])
    for entry in (run["real_coco"], run["all real"]):
        confusion = entry["confusion"]
        assert sum(map(sum, confusion)) == entry["crops"]
        recalls = [confusion[i][i] / sum(confusion[i]) for i in range(2)]
        assert entry["per_class_accuracy"] == pytest.approx(recalls)
        assert entry["balanced_accuracy"] == pytest.approx(sum(recalls) / 2)
        assert entry["accuracy"] == pytest.approx(
            (confusion[0][0] + confusion[1][1]) / entry["crops"]
        )
    # three folders of the same crops: their mean over folders is any one of them (to rounding:
    # the mean of three copies of 4/5 is not 4/5 in floating point)
    assert run["mean over folders"]["per_class_accuracy"] == pytest.approx(
        run["real_coco"]["per_class_accuracy"]
    )
    assert summary["mean over folders"]["confusion_summed_over_seeds"] is None
    for entry in (summary["real_coco"], summary["all real"], summary["mean over folders"]):
        low, high = entry["balanced_accuracy_interval"]
        assert low <= entry["balanced_accuracy"]["mean"] <= high
    held_out = summary["synthetic held-out"]
    assert 1 <= held_out["chosen_epochs"][0] <= 3
    # by box shape: the buckets partition each class's crops, and their accuracies weighted by
    # their crops give back the class's seed-mean accuracy
    shapes = first["by_box_shape"]
    for name, per_class in shapes["real_accuracy"].items():
        for label, cells in enumerate(per_class):
            assert sum(cell["crops"] for cell in cells) == crops[name][label]
            weighted = sum(c["accuracy"] * c["crops"] for c in cells if c["crops"])
            assert weighted / crops[name][label] == pytest.approx(
                summary[name]["per_class_accuracy"][label], abs=1e-3
            )
    assert all(
        sum(share) == pytest.approx(1.0, abs=1e-3) for share in shapes["synthetic_train_share"]
    )
    # same seed -> the same numbers, epoch by epoch
    again = _evaluate(sets, tmp_path / "again.json")
    assert [r["history"] for r in again["runs"]] == [r["history"] for r in first["runs"]]
    assert again["summary"] == first["summary"]


def _error(capsys, *argv: str) -> str:
    assert main(["evaluate", *argv]) == 2
    message = capsys.readouterr().err.strip()
    assert len(message.splitlines()) == 1 and "Traceback" not in message
    return message


def test_real_folder_without_labels_is_one_clear_line(sets, tmp_path, capsys):
    photos = tmp_path / "photos"
    shutil.copytree(sets["coco"] / "images", photos)
    message = _error(capsys, str(sets["synthetic"]), "--real", str(photos), "--classes", CLASSES)
    assert str(photos) in message and "no labels" in message and "Pascal-VOC" in message
    (tmp_path / "empty").mkdir()
    with pytest.raises(RealLabelsError, match="no photos and no labels"):
        read_real_dataset(tmp_path / "empty")


def test_unknown_class_in_the_mapping_is_one_clear_line(sets, capsys):
    real = _error(
        capsys,
        str(sets["synthetic"]),
        "--real",
        str(sets["voc"]),
        "--classes",
        "bottle=bottle,spoon=cup",
    )
    assert "'spoon'" in real and "not in the real labels" in real and "bottle" in real
    synthetic = _error(
        capsys,
        str(sets["synthetic"]),
        "--real",
        str(sets["voc"]),
        "--classes",
        "bottle=bottle,cup=mug",
    )
    assert "'mug'" in synthetic and "do not occur in the synthetic batch" in synthetic
    malformed = _error(
        capsys, str(sets["synthetic"]), "--real", str(sets["voc"]), "--classes", "bottle"
    )
    assert "REAL=SYNTHETIC" in malformed


def test_undecodable_photo_is_one_clear_line(sets, tmp_path, capsys):
    voc = shutil.copytree(sets["voc"], tmp_path / "voc")
    photos = sorted((voc / "JPEGImages").iterdir())
    for photo in photos:
        photo.write_bytes(b"not an image")
    message = _error(
        capsys, str(sets["synthetic"]), "--real", str(voc), "--classes", CLASSES, *FAST
    )
    # only the photos holding a box of a mapped class are decoded, and each of those fails
    assert "labelled photo(s) cannot be decoded" in message and str(voc / "JPEGImages") in message


def test_gap_pools_the_same_real_folders(sets, tmp_path):
    """``synthscene gap`` takes the evaluation's real folders (COCO images/, VOC JPEGImages/), pooled."""
    out = tmp_path / "gap.json"
    assert (
        main(
            [
                "gap",
                str(sets["synthetic"]),
                str(sets["coco"]),
                str(sets["voc"]),
                "--size",
                "32",
                "--json",
                str(out),
            ]
        )
        == 0
    )
    report = json.loads(out.read_text())
    assert report["counts"] == {"synthetic": 16, "real": 32}
    # the "real" photos are the synthetic images themselves: nothing tells the sets apart
    assert report["gap_accuracy"] < 0.7


def test_box_channel_marks_the_labelled_box_inside_the_crop():
    import numpy as np

    from renderer.transfer.classifier import to_input
    from renderer.transfer.crops import box_in_crop, square_crop

    # a 20 x 40 px (w x h) box: its crop is 48 px square (40 * 1.2), the box spans 20/48 and
    # 40/48 of it, centred; an image whose box pixels are white shows where it lands
    image = np.zeros((100, 100, 3), np.uint8)
    image[30:70, 50:70] = 255
    box = (50, 30, 70, 70)
    inside = box_in_crop(box, size=48)
    assert inside == pytest.approx([14, 4, 34, 44])
    crop = square_crop(image, box, size=48)
    mask = to_input(crop[None], inside[None])[0, 3].numpy() > 0
    assert mask.sum() == 20 * 40 and (crop[mask] == 255).all() and (crop[~mask] == 0).all()
    assert to_input(crop[None]).shape[1] == 3  # image only without boxes


def test_augmentation_moves_the_box_channel_with_the_image_and_recolours_only_rgb():
    import numpy as np
    import torch

    from renderer.transfer.classifier import augment, to_input

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (8, 64, 64, 3), dtype=np.uint8)
    boxes = np.tile(np.float32([16, 8, 40, 56]), (8, 1))
    batch = to_input(images, boxes)
    first = augment(batch, torch.Generator().manual_seed(5))
    again = augment(batch, torch.Generator().manual_seed(5))
    assert torch.equal(first, again) and first.shape == batch.shape
    # the box channel stays within [-2, 2] and is zoomed with the image (a window of 0.7-1.05
    # of the crop's side: area x 0.9-2.0 of the box's 24 x 48 px); colour changes never reach it
    box = first[:, 3]
    assert box.min() >= -2.0 - 1e-5 and box.max() <= 2.0 + 1e-5
    area = (box > 0).sum(dim=(1, 2)).float() / (24 * 48)
    assert ((area > 0.8) & (area < 2.2)).all(), area
    assert not torch.allclose(first[:, :3], batch[:, :3])


def test_synthetic_crops_carry_the_exact_object_masks(sets):
    import numpy as np

    from renderer.transfer.crops import synthetic_crops

    crops = synthetic_crops([sets["synthetic"]], ["bottle", "cup"])
    assert crops.masks is not None and crops.masks.shape == crops.images.shape[:3]
    # the silhouette (amodal mask) holds the visible pixels and, for occluded objects, more
    assert crops.silhouettes.shape == crops.masks.shape
    assert (crops.silhouettes.astype(int) >= crops.masks.astype(int) - 1).all()
    # the mask is the instance's visible pixels, cut and scaled like the image: every mask
    # shows its object, and the object's pixels lie inside the labelled box
    ratios = []
    for mask, box in zip(crops.masks, crops.boxes):
        assert mask.max() == 255
        inside = np.zeros_like(mask, bool)
        x0, y0, x1, y1 = np.round(box).astype(int)
        inside[max(y0, 0) : y1, max(x0, 0) : x1] = True
        ratios.append((mask[inside] > 127).sum() / max((mask > 127).sum(), 1))
    assert np.mean(ratios) > 0.9  # object pixels lie inside the labelled box


def test_recomposition_recolours_the_object_and_replaces_only_its_surroundings():
    import torch

    from renderer.transfer.classifier import _recompose

    generator = torch.Generator().manual_seed(0)
    rgb = torch.rand(64, 3, 16, 16, generator=generator) * 2 - 1  # model range, inside [0, 1]
    ones, zeros = torch.ones(64, 2, 16, 16), torch.zeros(64, 2, 16, 16)
    # an object filling the crop: surroundings never change; the object only by channel gains
    whole = _recompose(rgb, ones, torch.Generator().manual_seed(1))
    changed = ~torch.isclose(whole, rgb, atol=1e-5).flatten(1).all(1)
    assert 16 < changed.sum() < 48  # about half the crops recoloured (p 0.5)
    # no object at all: a crop is kept or becomes another crop of the batch, mirrored
    empty = _recompose(rgb, zeros, torch.Generator().manual_seed(1))
    for crop, original in zip(empty, rgb):
        kept = torch.allclose(crop, original, atol=1e-5)
        swapped = any(torch.allclose(crop, torch.flip(other, dims=[2]), atol=1e-5) for other in rgb)
        assert kept or swapped
    # an object whose left half is hidden by something in front (silhouette = whole crop,
    # visible = right half): the occluder is neither recoloured nor swapped away
    hidden = torch.cat([torch.zeros(64, 1, 16, 16), torch.ones(64, 1, 16, 16)], dim=1)
    hidden[:, 0, :, 8:] = 1.0
    occluded = _recompose(rgb, hidden, torch.Generator().manual_seed(1))
    assert torch.allclose(occluded[..., :8], rgb[..., :8], atol=1e-5)
    assert not torch.allclose(occluded[..., 8:], rgb[..., 8:], atol=1e-5)


def test_frames_limits_the_crops_to_each_batchs_first_frames(sets):
    from renderer.transfer.crops import synthetic_crops

    every = synthetic_crops([sets["synthetic"]], ["bottle", "cup"])
    first = synthetic_crops([sets["synthetic"]], ["bottle", "cup"], frames=6)
    names = {f"{index:06d}" for index in range(6)}  # frames 0-5 of the 16
    assert {group.rsplit("/", 1)[-1] for group in first.groups} <= names
    assert 0 < len(first) < len(every)
    kept = [group.rsplit("/", 1)[-1] in names for group in every.groups]
    assert (first.images == every.images[kept]).all()


def test_box_shape_features_are_the_boxs_aspect_and_area():
    import math

    import numpy as np

    from renderer.transfer.classifier import CropNet, box_shape, to_input

    boxes = np.float32([[22, 12, 42, 52], [2, 22, 62, 42]])  # 20 x 40 and 60 x 20 px (w x h)
    inputs = to_input(np.zeros((2, 64, 64, 3), np.uint8), boxes)
    features = box_shape(inputs[:, 3]).numpy()
    assert features[:, 0] == pytest.approx([math.log(2.0), math.log(1 / 3)], abs=1e-6)
    assert features[:, 1] == pytest.approx(np.log([800 / 4096 + 1e-3, 1200 / 4096 + 1e-3]))
    assert CropNet(2).box_shape is not None and CropNet(2, channels=3).box_shape is None


def test_training_drops_the_box_shape_term_for_a_share_of_the_crops_and_prediction_never():
    import numpy as np
    import torch

    from renderer.transfer.classifier import SHAPE_DROPOUT, CropNet, box_shape, to_input

    rng = np.random.default_rng(0)
    x0, y0 = rng.integers(0, 30, (2, 400))
    boxes = np.stack([x0, y0, x0 + rng.integers(8, 34, 400), y0 + rng.integers(8, 34, 400)], 1)
    inputs = to_input(np.zeros((400, 64, 64, 3), np.uint8), boxes.astype(np.float32))
    torch.manual_seed(0)
    model = CropNet(2)
    with torch.no_grad():
        full = model.box_shape(box_shape(inputs[:, 3]))
        model.eval()
        assert torch.equal(model.shape_logits(inputs), full)
        model.train()
        dropped = model.shape_logits(inputs)
    kept = (dropped != 0).all(1)
    assert (dropped[~kept] == 0).all()
    assert torch.allclose(dropped[kept], full[kept] / (1 - SHAPE_DROPOUT))
    assert abs((~kept).float().mean().item() - SHAPE_DROPOUT) < 0.08


def test_label_maps_without_amodal_masks_give_the_visible_mask_as_silhouette(tmp_path):
    import numpy as np

    from renderer.transfer.crops import _label_maps, _object_masks

    instances = np.zeros((32, 32), np.uint16)
    instances[8:24, 10:20] = 3
    np.savez(tmp_path / "old.npz", instance=instances)  # an archive from before amodal masks
    maps = _label_maps(tmp_path / "old.npz")
    assert maps is not None and maps[1] == {}
    mask, silhouette = _object_masks(*maps, {"instance_id": 3, "box": [10, 8, 20, 24]}, 16)
    assert mask.max() == 255 and np.array_equal(mask, silhouette)


def test_prediction_views_mirror_exactly_and_zoom_about_the_crop_centre():
    import torch

    from renderer.transfer.classifier import crop_view

    crops = torch.randn(3, 4, 16, 16, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(crop_view(crops, 1.0, True), torch.flip(crops, dims=[3]), atol=1e-5)
    assert crop_view(crops, 1.0, False) is crops
    centre = torch.zeros(1, 1, 16, 16)
    centre[..., 4:12, 4:12] = 1.0  # the centred square of half the side
    zoomed = crop_view(centre, 0.5, False)
    assert torch.equal(zoomed[..., 1:-1, 1:-1], torch.ones(1, 1, 14, 14))
    assert zoomed.min() >= 0.5  # the border row blends in a quarter pixel of the margin


def test_prediction_averages_the_views_and_cannot_tell_a_crop_from_its_mirror_image():
    import torch

    from renderer.transfer.classifier import SINGLE_VIEW, TEST_VIEWS, crop_view, predict_logits

    torch.manual_seed(0)  # a model that sees left from right: one linear layer on the pixels
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4 * 16 * 16, 2))
    crops = torch.randn(5, 4, 16, 16, generator=torch.Generator().manual_seed(1))
    mirror = torch.flip(crops, dims=[3])
    single = predict_logits(model, crops, views=SINGLE_VIEW)
    assert torch.allclose(single, torch.log_softmax(model(crops), 1), atol=1e-5)
    assert not torch.allclose(single, predict_logits(model, mirror, views=SINGLE_VIEW), atol=0.01)
    averaged = predict_logits(model, crops)
    expected = torch.stack([model(crop_view(crops, *view)).softmax(1) for view in TEST_VIEWS])
    assert torch.allclose(averaged.exp(), expected.mean(0), atol=1e-5)
    assert torch.allclose(predict_logits(model, mirror), averaged, atol=1e-4)


def test_learning_rate_drops_after_epochs_without_a_better_held_out_score():
    from renderer.transfer.classifier import LR_DROP, train_classifier

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (24, 64, 64, 3), dtype=np.uint8)  # noise: nothing to learn
    labels = np.arange(24) % 2
    boxes = np.tile(np.float32([8, 8, 56, 56]), (24, 1))
    train = CropSet(images[:16], labels[:16], [str(i) for i in range(16)], boxes[:16])
    held_out = CropSet(images[16:], labels[16:], [str(i) for i in range(8)], boxes[16:])
    result = train_classifier(
        train, held_out, 2, seed=0, max_epochs=12, patience=12, lr=1e-3, lr_drop_after=2
    )
    history = result.history
    best, stale, drops = None, 0, 0
    for before, after in zip(history, history[1:]):
        key = (before["val_balanced_accuracy"], -before["val_loss"])
        stale = 0 if best is None or key > best else stale + 1
        best = key if best is None or key > best else best
        drop = stale > 0 and stale % 2 == 0
        assert after["lr"] == pytest.approx(before["lr"] * (LR_DROP if drop else 1.0))
        drops += drop
    assert history[0]["lr"] == 1e-3 and drops >= 1  # noise stalls: the rule was exercised


def test_box_shape_buckets_split_at_the_documented_width_over_height():
    """Boxes of width / height 0.3, 0.5 (an edge goes to the wider bucket), 1.0 and 2.0, and
    predictions right for two seeds of three on the first: the buckets and seed-mean accuracy."""
    boxes = np.array([[0, 0, 3, 10], [0, 0, 5, 10], [0, 0, 10, 10], [0, 0, 20, 10]], np.float32)
    crops = CropSet(
        np.zeros((4, 8, 8, 3), np.uint8), np.array([0, 0, 1, 1]), ["a", "b", "c", "d"], boxes
    )
    assert box_shape_bucket(crops).tolist() == [0, 1, 2, 3]
    predictions = [np.array([0, 1, 1, 0]), np.array([0, 1, 1, 0]), np.array([1, 1, 1, 0])]
    bottle, cup = accuracy_by_box_shape(crops, predictions, 2)
    assert [c["crops"] for c in bottle] == [1, 1, 0, 0]
    assert bottle[0]["accuracy"] == round(2 / 3, 4) and bottle[1]["accuracy"] == 0.0
    assert bottle[2]["accuracy"] is None and cup[2]["accuracy"] == 1.0 and cup[3]["accuracy"] == 0
    assert box_shape_shares(crops, 2) == [[0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5]]
    assert accuracy_by_box_shape(crops, predictions, 3)[2] is None
