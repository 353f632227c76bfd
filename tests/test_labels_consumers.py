"""Batch folders open in the tools detector people use, as written: FiftyOne's COCO importer,
pycocotools, Ultralytics' layout, the torch dataset; ids stable across worker counts; no absolute
path in any written file; a moved folder still loads; polygon exports report what they lose."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pycocotools.coco import COCO

from labels import native
from labels.coco import ANNOTATION_EXTRAS, write_coco
from labels.validate import validate_dataset
from labels.yolo import export_yolo

# Names FiftyOne 1.22.1 reserves on fiftyone.core.labels.Detection (its fields and properties;
# setting one as a dynamic attribute raises DynamicEmbeddedDocumentException). Read from
# fiftyone/core/labels.py; checked against FiftyOne itself below where it is installed.
FIFTYONE_DETECTION_RESERVED = {
    "id",
    "_id",
    "_cls",
    "tags",
    "attributes",
    "label",
    "bounding_box",
    "mask",
    "mask_path",
    "confidence",
    "index",
    "instance_id",
    "has_mask",
}
# Keys the COCO importer itself consumes from an annotation before the rest become attributes.
COCO_IMPORTER_KEYS = {
    "id",
    "image_id",
    "category_id",
    "bbox",
    "segmentation",
    "keypoints",
    "score",
    "area",
    "iscrowd",
    "attributes",
}

RENDER = [
    "render",
    "tabletop",
    "--count",
    "4",
    "--engine",
    "raster",
    "--resolution",
    "48x40",
    "--set",
    "objects.count=4",
    "--quiet",
]


def synthscene(*args: str, cwd=None) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "renderer.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=cwd,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    """The same 4-frame raster batch rendered with 0 and with 2 workers."""
    root = tmp_path_factory.mktemp("consumers")
    synthscene(*RENDER, "--out", str(root / "w0"), "--workers", "0")
    synthscene(*RENDER, "--out", str(root / "w2"), "--workers", "2")
    return root / "w0", root / "w2"


def quiet(function, *args):
    with contextlib.redirect_stdout(io.StringIO()):
        return function(*args)


def test_coco_extras_use_no_name_fiftyone_reserves():
    assert not set(ANNOTATION_EXTRAS) & (FIFTYONE_DETECTION_RESERVED | COCO_IMPORTER_KEYS)


def test_fiftyone_reserved_names_match_fiftyone_itself():
    labels = pytest.importorskip("fiftyone.core.labels", reason="fiftyone is not installed")
    detection = labels.Detection(label="a", bounding_box=[0, 0, 0.1, 0.1])
    reserved = set(detection._fields_ordered) | {
        name for name in dir(labels.Detection) if not name.startswith("__")
    }
    assert FIFTYONE_DETECTION_RESERVED <= reserved | {"_id"}
    assert not set(ANNOTATION_EXTRAS) & reserved
    for name in ANNOTATION_EXTRAS:  # each extra is a legal dynamic attribute
        labels.Detection(label="a", **{name: 1})


def test_fiftyone_coco_importer_reads_the_batch_folder_with_its_defaults(batches):
    """FiftyOne's own COCODetectionDatasetImporter with from_dir's defaults (data/, labels.json).
    fo.Dataset.from_dir itself also needs FiftyOne's MongoDB, which cannot be installed
    offline (fiftyone-db downloads mongod when built); the importer is what reads the files."""
    coco_module = pytest.importorskip("fiftyone.utils.coco", reason="fiftyone is not installed")
    batch = batches[0]
    importer = coco_module.COCODetectionDatasetImporter(
        dataset_dir=str(batch), label_types=["detections", "segmentations"]
    )
    coco = quiet(COCO, str(batch / "coco.json"))
    with importer:
        samples = list(importer)
    assert len(samples) == len(coco.imgs) == 4
    for path, metadata, label in samples:
        image = next(i for i in coco.imgs.values() if Path(path).name == i["file_name"])
        annotations = coco.imgToAnns[image["id"]]
        detections = label["segmentations"].detections
        assert len(detections) == len(annotations) and (metadata.width, metadata.height) == (48, 40)
        instance_map = native.read_frame_arrays(batch, image["frame"])["instance"]
        for detection, annotation in zip(detections, annotations):
            assert detection["instance_map_id"] == annotation["instance_map_id"]
            x, y, w, h = annotation["bbox"]
            assert detection.bounding_box == pytest.approx([x / 48, y / 40, w / 48, h / 40])
            # FiftyOne's mask is cropped to the box: it equals our exact mask there.
            exact = (
                instance_map[int(y) : int(y + h), int(x) : int(x + w)]
                == annotation["instance_map_id"]
            )
            assert np.array_equal(detection.mask.astype(bool), exact)


def test_fiftyone_dataset_from_dir_with_its_defaults(batches):
    """The one-liner itself; needs FiftyOne's MongoDB (skipped where it cannot start)."""
    fo = pytest.importorskip("fiftyone", reason="fiftyone is not installed")
    try:
        dataset = fo.Dataset.from_dir(
            dataset_dir=str(batches[0]),
            dataset_type=fo.types.COCODetectionDataset,
            label_types=["detections", "segmentations"],
        )
    except Exception as error:  # FiftyOneConfigError / pymongo errors: no database here
        if "mongo" not in f"{type(error).__name__} {error}".lower():
            raise
        pytest.skip(f"FiftyOne's database cannot start here: {str(error).splitlines()[0]}")
    try:
        coco = json.loads((batches[0] / "coco.json").read_text())
        assert len(dataset) == len(coco["images"])
        assert sum(len(s["segmentations"].detections) for s in dataset) == len(coco["annotations"])
    finally:
        dataset.delete()


def test_coco_json_is_identical_for_0_and_2_workers_and_ids_follow_frames(batches):
    first, second = batches
    assert (first / "coco.json").read_bytes() == (second / "coco.json").read_bytes()
    images = json.loads((first / "coco.json").read_text())["images"]
    assert [(image["id"], image["frame"]) for image in images] == [
        (index + 1, f"{index:06d}") for index in range(4)
    ]


@pytest.mark.parametrize("which", [0, 1])
def test_frame_json_category_ids_equal_coco_ids(batches, which):
    batch = batches[which]
    coco = json.loads((batch / "coco.json").read_text())
    coco_ids = {item["name"]: item["id"] for item in coco["categories"]}
    listed = json.loads((batch / "categories.json").read_text())["categories"]
    assert coco_ids == {name: index + 1 for index, name in enumerate(listed)}
    for name in sorted(native.latest_records(batch)):
        labels = native.read_frame_json(batch, name)
        assert labels["categories"] == coco_ids
        assert all(
            coco_ids[item["category"]] == item["category_id"] for item in labels["instances"]
        )


def test_no_written_file_holds_the_build_folders_absolute_path(batches, tmp_path):
    batch = batches[0]
    export_yolo([batch], batch / "yolo")
    write_coco([batch], tmp_path / "export" / "coco.json", polygons=True)
    for root in (batch, tmp_path / "export"):
        needles = {str(root).encode(), str(root.resolve()).encode(), str(root.parent).encode()}
        for path in root.rglob("*"):
            if path.is_file() and ".scratch" not in path.parts:
                data = path.read_bytes()
                assert not any(needle in data for needle in needles), path


def test_a_moved_folder_validates_and_loads(batches, tmp_path):
    moved = tmp_path / "elsewhere" / "moved"
    shutil.copytree(batches[0], moved, symlinks=True)
    export_yolo([moved], moved / "yolo")
    shutil.move(str(moved), str(tmp_path / "again"))
    moved = tmp_path / "again"
    assert validate_dataset(moved).ok
    coco = quiet(COCO, str(moved / "labels.json"))  # FiftyOne's name reaches the same file
    for image in coco.imgs.values():
        assert (moved / "data" / image["file_name"]).is_file()
    torch_dataset = pytest.importorskip("labels.torch_dataset")
    dataset = torch_dataset.DetectionDataset(moved)
    _, target = dataset[2]
    assert target["image_id"] == 3 and len(target["boxes"]) == len(coco.imgToAnns[3])
    yaml_text = (moved / "yolo" / "data.yaml").read_text()
    assert not any(line.startswith("path:") for line in yaml_text.splitlines())
    assert sorted(p.name for p in (moved / "yolo" / "images").rglob("*.png")) == [
        f"{index:06d}.png" for index in range(4)
    ]


def test_yolo_images_are_hard_links_unless_copied(batches, tmp_path):
    batch = batches[0]
    linked = export_yolo([batch], tmp_path / "linked")
    copied = export_yolo([batch], tmp_path / "copied", copy_images=True)
    assert (linked.images_linked, copied.images_copied) == (4, 4)
    image = next((tmp_path / "linked" / "images").rglob("000000.png"))
    assert os.path.samefile(image, batch / "data" / "000000.png")
    copy = next((tmp_path / "copied" / "images").rglob("000000.png"))
    assert not os.path.samefile(copy, batch / "data" / "000000.png")
    assert copy.read_bytes() == image.read_bytes()


def test_legacy_images_folder_still_reads_and_exports(batches, tmp_path):
    legacy = tmp_path / "legacy"
    shutil.copytree(batches[0], legacy, symlinks=True)
    (legacy / "data").rename(legacy / "images")
    (legacy / "coco.json").unlink()
    records = [json.loads(line) for line in (legacy / "manifest.jsonl").read_text().splitlines()]
    for record in records:
        record["files"]["image"] = f"images/{record['frame']}.png"
        record["sha256"] = {k.replace("data/", "images/"): v for k, v in record["sha256"].items()}
    (legacy / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    assert native.read_image(legacy, "000001").shape == (40, 48, 3)
    summary = write_coco([legacy], legacy / "coco.json", verify=True)
    assert summary.frames == 4 and not summary.skipped
    assert os.path.samefile(legacy / "data" / "000001.png", legacy / "images" / "000001.png")
    assert validate_dataset(legacy).ok


def test_polygon_exports_report_rle_fallbacks_drops_and_iou(batches, tmp_path):
    summary = write_coco([batches[0]], tmp_path / "coco" / "coco.json", polygons=True)
    report = summary.polygons
    assert report.instances == summary.annotations == report.polygons + report.kept_rle
    assert 0.5 < report.mean_iou <= 1.0
    coco = json.loads((tmp_path / "coco" / "coco.json").read_text())
    kept = sum(isinstance(a["segmentation"], dict) for a in coco["annotations"])
    assert kept == report.kept_rle
    yolo = export_yolo([batches[0]], tmp_path / "yolo", polygons=True).polygons
    lines = sum(
        len(p.read_text().splitlines()) for p in (tmp_path / "yolo" / "labels").rglob("*.txt")
    )
    assert yolo.instances == lines + yolo.dropped and yolo.polygons == lines
    assert "mean mask IoU" in summary.describe()


def test_a_mask_with_a_hole_keeps_rle_in_coco_and_its_hole_in_yolo(tmp_path):
    from labels.coco import mask_has_holes, polygon_segmentation
    from labels.sources import PolygonReport
    from labels.yolo import _traced_polygon, polygon_to_mask

    mask = np.zeros((40, 40), bool)
    mask[5:35, 5:35] = True
    mask[15:25, 15:25] = False  # a square ring
    assert mask_has_holes(mask)
    report = PolygonReport()
    assert isinstance(polygon_segmentation(mask, report), dict)  # exact RLE, not a filled square
    assert (report.kept_rle, report.with_holes, report.polygons) == (1, 1, 0)
    report = PolygonReport()
    polygon = _traced_polygon(mask, report)
    filled = polygon_to_mask(polygon, 40, 40)
    assert not filled[20, 20] and filled[10, 10]  # the hole stays open for Ultralytics
    assert report.mean_iou > 0.85
