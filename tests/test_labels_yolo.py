"""YOLO export: files parse, coordinates normalised, classes in data.yaml, deterministic split."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from labels import analytic, native
from labels.analytic import Box, Sphere
from labels.passes import CameraModel
from labels.yolo import export_yolo, split_of
from renderer import cli

WIDTH, HEIGHT = 56, 48


def write_shard(folder: Path, frames: int, ball: str = "ball") -> Path:
    for index in range(frames):
        cam = CameraModel(
            K=analytic.intrinsics(WIDTH, HEIGHT, 50.0),
            world_to_camera=analytic.look_at((0.4 * index, -5, 0.6), (0, 0, 0)),
            width=WIDTH,
            height=HEIGHT,
        )
        shapes = [
            Sphere((0, 0, 0), 1.0, category=ball),
            Box((0.7, -2, 0), (0.6, 0.6, 0.6), category="crate"),
            Sphere((2.4, 0.5, 0.3), 0.6, category=ball),
        ]  # cut by the border
        native.write_frame(folder, f"{index:06d}", analytic.render(cam, shapes))
    return folder


def read_data_yaml(path: Path) -> dict:
    text = path.read_text()
    names = {
        int(index): name.strip('"')
        for index, name in re.findall(r"^  (\d+): (.+)$", text, flags=re.M)
    }
    fields = dict(re.findall(r"^(\w+): (.+)$", text, flags=re.M))
    return {"names": names, "nc": int(fields["nc"]), "train": fields["train"], "val": fields["val"]}


def label_files(out: Path) -> dict[str, Path]:
    return {path.stem: path for path in out.glob("labels/*/*.txt")}


def test_detection_labels_are_normalised_boxes_of_the_masks(tmp_path):
    shard = write_shard(tmp_path / "batch", 5)
    summary = export_yolo([shard], tmp_path / "yolo")
    out = tmp_path / "yolo"
    data = read_data_yaml(out / "data.yaml")
    assert data["names"] == {0: "ball", 1: "crate"} and data["nc"] == 2
    files = label_files(out)
    assert len(files) == 5 == summary.frames
    lines_seen = 0
    for stem, path in files.items():
        split = path.parent.name
        assert (out / "images" / split / f"{stem}.png").is_file()
        instance_map = native.read_frame_arrays(shard, stem)["instance"]
        records = native.read_frame_json(shard, stem)["instances"]
        expected = sorted(
            (0 if r["category"] == "ball" else 1, tuple(r["box"]))
            for r in records
            if r["visible_pixels"]
        )
        parsed = []
        for line in path.read_text().splitlines():
            fields = line.split()
            assert len(fields) == 5
            values = np.array(fields[1:], dtype=float)
            assert np.all((values >= 0) & (values <= 1))
            assert int(fields[0]) in data["names"]
            xc, yc, w, h = values * [WIDTH, HEIGHT, WIDTH, HEIGHT]
            box = tuple(int(round(v)) for v in (xc - w / 2, yc - h / 2, xc + w / 2, yc + h / 2))
            parsed.append((int(fields[0]), box))
        assert sorted(parsed) == expected
        assert len(parsed) == len(set(np.unique(instance_map)) - {0})
        lines_seen += len(parsed)
    assert lines_seen == summary.annotations


def test_segmentation_polygons_cover_the_masks(tmp_path):
    shard = write_shard(tmp_path / "batch", 3)
    export_yolo([shard], tmp_path / "seg", polygons=True)
    for stem, path in label_files(tmp_path / "seg").items():
        instance_map = native.read_frame_arrays(shard, stem)["instance"]
        masks = {}
        for line in path.read_text().splitlines():
            fields = line.split()
            points = np.array(fields[1:], dtype=float).reshape(-1, 2)
            assert len(points) >= 3 and np.all((points >= 0) & (points <= 1))
            polygon = np.zeros((HEIGHT, WIDTH), np.uint8)
            pixels = points * [WIDTH, HEIGHT] - 0.5  # OpenCV puts pixel centres at integers
            cv2.fillPoly(polygon, [np.round(pixels * 16).astype(np.int32)], 1, shift=4)
            masks[len(masks)] = polygon.astype(bool)
        ids = sorted(set(np.unique(instance_map)) - {0})
        assert len(masks) == len(ids)
        for mask, instance_id in zip(masks.values(), ids):
            truth = instance_map == instance_id
            assert (mask & truth).sum() / (mask | truth).sum() > 0.8


def test_split_is_deterministic_and_follows_the_fraction(tmp_path):
    stems = [f"{i:06d}" for i in range(2000)]
    val = [stem for stem in stems if split_of(stem, 0.2) == "val"]
    assert 0.17 < len(val) / len(stems) < 0.23
    assert val == [stem for stem in stems if split_of(stem, 0.2) == "val"]
    assert all(split_of(stem, 0.0) == "train" and split_of(stem, 1.0) == "val" for stem in stems)
    shard = write_shard(tmp_path / "batch", 6)
    export_yolo([shard], tmp_path / "one", val_fraction=0.5)
    export_yolo([shard], tmp_path / "two", val_fraction=0.5)
    one = {stem: path.parent.name for stem, path in label_files(tmp_path / "one").items()}
    two = {stem: path.parent.name for stem, path in label_files(tmp_path / "two").items()}
    assert one == two == {stem: split_of(stem, 0.5) for stem in one}
    # Re-exporting with another fraction moves files instead of duplicating them.
    export_yolo([shard], tmp_path / "one", val_fraction=1.0)
    assert {path.parent.name for path in label_files(tmp_path / "one").values()} == {"val"}
    assert len(list((tmp_path / "one").glob("images/*/*.png"))) == 6


def test_cli_exports_several_shards_and_reports_missing_labels(tmp_path, capsys):
    first = write_shard(tmp_path / "a", 2)
    second = write_shard(tmp_path / "b", 2, ball="apple")
    (second / "labels" / "000001.json").unlink()
    code = cli.main(
        ["export", str(first), str(second), "--format", "yolo", "--out", str(tmp_path / "yolo")]
    )
    output = capsys.readouterr().out
    assert code == 1 and "1 frames skipped" in output and "000001" in output
    assert sorted(label_files(tmp_path / "yolo")) == ["a_000000", "a_000001", "b_000000"]
    data = read_data_yaml(tmp_path / "yolo" / "data.yaml")
    assert data["names"] == {0: "apple", 1: "ball", 2: "crate"}


def test_cli_needs_out_for_several_shards(tmp_path, capsys):
    first, second = write_shard(tmp_path / "a", 1), write_shard(tmp_path / "b", 1)
    assert cli.main(["export", str(first), str(second), "--format", "yolo"]) == 2
    assert "--out" in capsys.readouterr().err


@pytest.mark.parametrize("fraction", ["-0.1", "1.5"])
def test_cli_refuses_a_bad_val_fraction(tmp_path, capsys, fraction):
    shard = write_shard(tmp_path / "a", 1)
    assert cli.main(["export", str(shard), "--format", "yolo", "--val-fraction", fraction]) == 2
    assert fraction in capsys.readouterr().err
