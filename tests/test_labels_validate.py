"""synthscene validate: passes an intact batch, names each kind of damage by frame."""

from __future__ import annotations

import json

import numpy as np
import pytest

from labels.native import latest_records
from labels.validate import DATASET, validate_dataset
from cli_support import copy_batch, run_cli


@pytest.fixture
def batch(raster_batch):
    return raster_batch  # the session's shared batch (tests/conftest.py)


@pytest.fixture
def damaged(batch, tmp_path):
    return copy_batch(batch, tmp_path / "copy")


def _rewrite_manifest(folder, edit) -> None:
    records = list(latest_records(folder).values())
    for record in records:
        edit(record)
    (folder / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))


def test_intact_batch_is_valid(batch):
    report = validate_dataset(batch)
    assert report.ok and report.frames_checked == 24, report.describe()
    done = run_cli("validate", batch)
    assert done.returncode == 0 and "24 frames checked, valid" in done.stdout


def test_corrupted_image_deleted_label_and_edited_checksum_are_each_named(damaged):
    image = damaged / "data/000003.png"
    data = bytearray(image.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)  # zeroed bytes inside the IDAT stream
    image.write_bytes(bytes(data))
    (damaged / "labels/000011.npz").unlink()

    def edit_checksum(record):
        if record["frame"] == "000017":
            digest = record["sha256"]["labels/000017.json"]
            record["sha256"]["labels/000017.json"] = ("0" if digest[0] != "0" else "1") + digest[1:]

    _rewrite_manifest(damaged, edit_checksum)

    report = validate_dataset(damaged)
    assert not report.ok
    assert sorted(frame for frame, items in report.problems.items() if items) == [
        "000003",
        "000011",
        "000017",
    ]
    assert any(
        "data/000003.png does not match its manifest checksum" in p
        for p in report.problems["000003"]
    )
    assert any("labels/000011.npz is missing" in p for p in report.problems["000011"])
    assert report.problems["000017"] == [
        "labels/000017.json does not match its manifest checksum (corrupt or edited)"
    ]
    done = run_cli("validate", damaged)
    assert done.returncode == 1
    assert "000011: labels/000011.npz is missing" in done.stdout
    assert "INVALID: " in done.stdout and "in 3 frames" in done.stdout


def test_degenerate_and_invisible_instances_are_caught(damaged):
    """A zero-area box and an instance with no visible pixel that still has a box."""
    name = "000004"
    labels_path = damaged / f"labels/{name}.json"
    labels = json.loads(labels_path.read_text())
    first, second = labels["instances"][0], labels["instances"][1]
    first["box"] = [first["box"][0], first["box"][1], first["box"][0], first["box"][3]]
    npz_path = damaged / f"labels/{name}.npz"
    with np.load(npz_path) as archive:
        arrays = {key: archive[key] for key in archive.files}
    arrays["instance"][arrays["instance"] == second["instance_id"]] = 0  # hidden, yet kept
    arrays["semantic"][arrays["instance"] == 0] = 0
    second["visible_pixels"] = 0
    np.savez_compressed(npz_path, **arrays)
    labels_path.write_text(json.dumps(labels))

    problems = validate_dataset(damaged, check_coco=False).problems[name]
    assert any("degenerate box" in p and f"instance {first['instance_id']}" in p for p in problems)
    assert any(
        "no visible pixel but a box" in p and f"instance {second['instance_id']}" in p
        for p in problems
    )


def test_coco_problems_zero_area_and_missing_annotations(damaged):
    coco_path = damaged / "coco.json"
    coco = json.loads(coco_path.read_text())
    image_id = coco["images"][2]["id"]
    frame = coco["images"][2]["frame"]
    mine = [a for a in coco["annotations"] if a["image_id"] == image_id]
    mine[0]["bbox"][2] = 0.0
    coco["annotations"].remove(mine[1])
    coco_path.write_text(json.dumps(coco))
    problems = validate_dataset(damaged).problems
    assert set(k for k, v in problems.items() if v) == {frame}
    assert any("is degenerate" in p for p in problems[frame])
    assert any(
        f"visible instances [{mine[1]['instance_map_id']}] have no annotation" in p
        for p in problems[frame]
    )


def test_not_a_batch_folder(tmp_path):
    report = validate_dataset(tmp_path)
    assert not report.ok and "manifest.jsonl" in report.problems[DATASET][0]
