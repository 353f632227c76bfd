"""COCO export through its real consumer, pycocotools: loading, self-evaluation, RLE, shards."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from labels import analytic, native
from labels.analytic import Box, Sphere
from labels.coco import merge_coco, write_coco
from labels.passes import CameraModel
from renderer import cli


def write_shard(folder: Path, frames: int, categories=("ball", "crate"), offset: float = 0.0):
    ball, crate = categories
    for index in range(frames):
        shift = 0.4 * index + offset
        cam = CameraModel(
            K=analytic.intrinsics(56, 48, 50.0),
            world_to_camera=analytic.look_at((shift, -5, 0.6), (0, 0, 0)),
            width=56,
            height=48,
        )
        shapes = [
            Sphere((0, 0, 0), 1.0, category=ball),
            Box((0.7, -2, 0), (0.6, 0.6, 0.6), category=crate),
            Sphere((2.3, 0.5, 0.3), 0.6, category=ball),
            Sphere((0, 4, 0), 0.4, ball),
        ]
        native.write_frame(folder, f"{index:06d}", analytic.render(cam, shapes), {"seed": index})
    return folder


def quiet(function, *args):
    with contextlib.redirect_stdout(io.StringIO()):
        return function(*args)


def test_coco_loads_and_masks_equal_instance_maps(tmp_path):
    shard = write_shard(tmp_path / "batch", 3)
    summary = write_coco([shard], shard / "coco.json")
    assert (summary.frames, len(summary.skipped)) == (3, 0)
    coco = quiet(COCO, str(shard / "coco.json"))
    assert sorted(coco.getImgIds()) == [1, 2, 3]
    assert sorted(coco.getAnnIds()) == list(range(1, summary.annotations + 1))
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == ["ball", "crate"]
    for image in coco.loadImgs(coco.getImgIds()):
        assert (shard / "data" / image["file_name"]).is_file()
        arrays = native.read_frame_arrays(shard, image["frame"])
        annotations = coco.loadAnns(coco.getAnnIds(imgIds=image["id"]))
        labelled = {item["instance_map_id"] for item in annotations}
        # Every labelled pixel is in exactly one annotation; the hidden sphere gets none.
        assert labelled == set(np.unique(arrays["instance"])) - {0}
        for annotation in annotations:
            mask = coco.annToMask(annotation).astype(bool)
            assert np.array_equal(mask, arrays["instance"] == annotation["instance_map_id"])
            assert annotation["area"] == mask.sum()
            assert annotation["iscrowd"] == 0
            assert annotation["bbox"] == list(mask_utils.toBbox(annotation["segmentation"]))
            x, y, w, h = annotation["bbox"]
            ax, ay, aw, ah = annotation["amodal_bbox"]
            assert ax <= x and ay <= y and ax + aw >= x + w and ay + ah >= y + h


@pytest.mark.parametrize("iou_type", ["segm", "bbox"])
def test_cocoeval_of_ground_truth_against_itself_gives_ap_1(tmp_path, iou_type):
    shard = write_shard(tmp_path / "batch", 3)
    write_coco([shard], shard / "coco.json")
    ground_truth = quiet(COCO, str(shard / "coco.json"))
    detections = [{**item, "score": 1.0} for item in ground_truth.dataset["annotations"]]
    results = quiet(ground_truth.loadRes, detections)
    evaluation = COCOeval(ground_truth, results, iou_type)
    quiet(evaluation.evaluate)
    quiet(evaluation.accumulate)
    quiet(evaluation.summarize)
    assert evaluation.stats[0] == pytest.approx(1.0)  # AP @ IoU 0.50:0.95, all areas
    assert evaluation.stats[1] == pytest.approx(1.0)  # AP @ IoU 0.50


def test_shards_merge_without_id_clashes(tmp_path):
    first = write_shard(tmp_path / "a", 2, categories=("ball", "crate"))
    second = write_shard(tmp_path / "b", 2, categories=("apple", "crate"), offset=0.2)
    write_coco([first], first / "coco.json")
    write_coco([second], second / "coco.json")
    merged = merge_coco([first / "coco.json", second / "coco.json"], tmp_path / "merged.json")
    direct = write_coco([first, second], tmp_path / "direct.json")
    assert merged.annotations == direct.annotations
    for path in (tmp_path / "merged.json", tmp_path / "direct.json"):
        coco = quiet(COCO, str(path))
        data = coco.dataset
        image_ids = [image["id"] for image in data["images"]]
        annotation_ids = [item["id"] for item in data["annotations"]]
        assert image_ids == list(range(1, 5)) and annotation_ids == list(
            range(1, len(annotation_ids) + 1)
        )
        assert [c["name"] for c in data["categories"]] == ["apple", "ball", "crate"]
        assert [c["id"] for c in data["categories"]] == [1, 2, 3]
        names = {c["id"]: c["name"] for c in data["categories"]}
        for image in data["images"]:
            assert (path.parent / "data" / image["file_name"]).is_file()
            batch = tmp_path / image["batch"]
            frame_labels = native.read_frame_json(batch, image["frame"])
            by_id = {item["instance_id"]: item["category"] for item in frame_labels["instances"]}
            for annotation in coco.loadAnns(coco.getAnnIds(imgIds=image["id"])):
                assert names[annotation["category_id"]] == by_id[annotation["instance_map_id"]]
                mask = coco.annToMask(annotation).astype(bool)
                instance_map = native.read_frame_arrays(batch, image["frame"])["instance"]
                assert np.array_equal(mask, instance_map == annotation["instance_map_id"])


def test_explicit_category_list_fixes_ids(tmp_path):
    shard = write_shard(tmp_path / "batch", 1)
    write_coco([shard], shard / "coco.json", category_order=["crate", "person", "ball"])
    categories = json.loads((shard / "coco.json").read_text())["categories"]
    assert [(c["id"], c["name"]) for c in categories] == [(1, "crate"), (2, "person"), (3, "ball")]
    with pytest.raises(ValueError, match="ball"):
        write_coco([shard], shard / "coco.json", category_order=["crate"])


def test_polygons_load_and_cover_the_masks(tmp_path):
    shard = write_shard(tmp_path / "batch", 2)
    write_coco([shard], tmp_path / "poly.json", polygons=True)
    coco = quiet(COCO, str(tmp_path / "poly.json"))
    for image in coco.loadImgs(coco.getImgIds()):
        instance_map = native.read_frame_arrays(shard, image["frame"])["instance"]
        for annotation in coco.loadAnns(coco.getAnnIds(imgIds=image["id"])):
            assert isinstance(annotation["segmentation"], list)
            polygon_mask = coco.annToMask(annotation).astype(bool)
            mask = instance_map == annotation["instance_map_id"]
            iou = (polygon_mask & mask).sum() / (polygon_mask | mask).sum()
            assert iou > 0.75
            assert annotation["area"] == mask.sum()  # area always from the exact mask


def test_missing_and_corrupt_label_files_are_reported_and_skipped(tmp_path, capsys):
    shard = write_shard(tmp_path / "batch", 5)
    (shard / "labels" / "000001.npz").unlink()
    (shard / "labels" / "000002.json").write_text("{truncated")
    damaged = json.loads((shard / "labels" / "000003.json").read_text())
    del damaged["instances"][0]["box"]  # valid JSON, wrong content
    (shard / "labels" / "000003.json").write_text(json.dumps(damaged))
    code = cli.main(["export", str(shard), "--format", "coco"])
    output = capsys.readouterr().out
    assert code == 1
    assert "3 frames skipped" in output
    assert all(name in output for name in ("000001", "000002", "000003"))
    coco = quiet(COCO, str(shard / "coco.json"))
    assert sorted(image["frame"] for image in coco.dataset["images"]) == ["000000", "000004"]
    # Without checksum verification the readers themselves detect the damage.
    summary = write_coco([shard], tmp_path / "unverified.json", verify=False)
    skipped = {item.frame: item.reason for item in summary.skipped}
    assert sorted(skipped) == ["000001", "000002", "000003"]
    assert "missing" in skipped["000001"] and "corrupt" in skipped["000002"]
    assert "box" in skipped["000003"]


def test_cli_refuses_a_folder_that_is_not_a_batch(tmp_path, capsys):
    assert cli.main(["export", str(tmp_path), "--format", "coco"]) == 2
    assert "manifest.jsonl" in capsys.readouterr().err
