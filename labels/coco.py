"""COCO instance-segmentation JSON from native batch folders, and merging COCO files.

Format (https://cocodataset.org/#format-data), followed exactly:

* ``images``: ``id`` from 1, ``file_name`` relative to the folder holding the JSON, ``width``,
  ``height`` (plus ``frame`` and ``dataset`` for provenance);
* ``annotations``: ``id`` from 1, ``image_id``, ``category_id``, ``iscrowd: 0``, ``area`` = visible
  pixel count, ``bbox`` = ``[x, y, w, h]`` in pixels (pixel-edge: a mask spanning columns c0..c1
  has ``x = c0``, ``w = c1 - c0 + 1``), ``segmentation`` = compressed RLE from
  ``pycocotools.mask.encode`` (or, with ``polygons=True``, outer OpenCV contours through the
  boundary pixels' centres: approximate, holes dropped; masks too thin for a polygon keep RLE);
  extras: ``amodal_bbox``, ``visible_fraction``, ``truncated``, ``instance_id``, ``uid``;
* ``categories``: ids 1..N by an explicit list or by sorted names, hence stable across shards.

Only instances with at least one visible pixel get an annotation.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional, Sequence

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from fileio.atomic import write_json_atomic
from labels.categories import category_table, names_by_id
from labels.sources import (DatasetFrame, ExportSummary, PathLike, check_datasets,
                            collect_categories, iter_frames)


def write_coco(datasets: Sequence[PathLike], out_path: PathLike, *, polygons: bool = False,
               category_order: Optional[Sequence[str]] = None,
               verify: bool = True) -> ExportSummary:
    """Write one COCO JSON covering every readable frame of the given batch folders.

    Args:
      datasets: batch folders (shards); image and annotation ids run across all of them.
      out_path: the JSON to write, e.g. ``DIR/coco.json``.
      polygons: polygon segmentations instead of RLE (see module docstring).
      category_order: explicit category list (ids = position + 1); default sorted names.
      verify: check each frame's files against the manifest checksums first.
    """
    datasets = check_datasets(datasets)
    out_path = Path(out_path)
    categories = collect_categories(datasets, category_order)
    summary = ExportSummary(output=str(out_path))
    images, annotations = [], []
    for frame in iter_frames(datasets, summary, verify=verify):
        image_id = len(images) + 1
        images.append(_image_entry(frame, image_id, out_path.parent))
        for annotation in _frame_annotations(frame, image_id, categories, polygons):
            annotation["id"] = len(annotations) + 1
            annotations.append(annotation)
    summary.frames, summary.annotations = len(images), len(annotations)
    write_json_atomic(out_path, _document(images, annotations, categories))
    return summary


def merge_coco(coco_paths: Sequence[PathLike], out_path: PathLike,
               category_order: Optional[Sequence[str]] = None) -> ExportSummary:
    """Merge COCO files written separately into one, renumbering images and annotations.

    Categories are matched by name (ids 1..N re-assigned by ``category_order`` or sorted names);
    ``file_name`` is rewritten relative to ``out_path``'s folder.
    """
    out_path = Path(out_path)
    documents = [(Path(path), json.loads(Path(path).read_text(encoding="utf-8")))
                 for path in coco_paths]
    categories = category_table({item["name"] for _, doc in documents
                                 for item in doc["categories"]}, category_order)
    images, annotations = [], []
    for path, document in documents:
        category_names = {item["id"]: item["name"] for item in document["categories"]}
        new_image_ids = {}
        for image in document["images"]:
            new_image_ids[image["id"]] = len(images) + 1
            source = path.parent / image["file_name"]
            images.append({**image, "id": len(images) + 1,
                           "file_name": os.path.relpath(source, out_path.parent)})
        for annotation in document["annotations"]:
            annotations.append({**annotation, "id": len(annotations) + 1,
                                "image_id": new_image_ids[annotation["image_id"]],
                                "category_id": categories[category_names[annotation["category_id"]]]})
    write_json_atomic(out_path, _document(images, annotations, categories))
    return ExportSummary(output=str(out_path), frames=len(images), annotations=len(annotations))


def mask_to_rle(mask: np.ndarray) -> dict:
    """Compressed COCO RLE of a boolean (H, W) mask, ``counts`` as a str (JSON-ready)."""
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode("ascii")}


def mask_to_polygons(mask: np.ndarray) -> list[list[float]]:
    """Outer contours of a mask as COCO polygons through boundary pixel centres (x, y, ...)."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_SIMPLE)
    return [(contour.reshape(-1, 2).astype(np.float64) + 0.5).ravel().tolist()
            for contour in contours if len(contour) >= 3]


def xyxy_to_xywh(box: Sequence[float]) -> list[float]:
    """Pixel-edge xyxy -> COCO ``[x, y, w, h]``."""
    return [box[0], box[1], box[2] - box[0], box[3] - box[1]]


def _image_entry(frame: DatasetFrame, image_id: int, out_folder: Path) -> dict:
    return {"id": image_id, "file_name": os.path.relpath(frame.image_path, out_folder),
            "width": int(frame.labels["width"]), "height": int(frame.labels["height"]),
            "frame": frame.name, "dataset": str(frame.dataset)}


def _frame_annotations(frame: DatasetFrame, image_id: int, categories: dict[str, int],
                       polygons: bool) -> list[dict]:
    instance_map = frame.arrays["instance"]
    annotations = []
    for item in frame.labels["instances"]:
        mask = instance_map == item["instance_id"]
        area = int(mask.sum())
        if not area:
            continue
        segmentation = (mask_to_polygons(mask) if polygons else None) or mask_to_rle(mask)
        annotations.append({
            "image_id": image_id, "category_id": categories[item["category"]],
            "segmentation": segmentation, "area": area,
            "bbox": [float(v) for v in xyxy_to_xywh(item["box"])], "iscrowd": 0,
            "amodal_bbox": (None if item["amodal_box"] is None
                            else [float(v) for v in xyxy_to_xywh(item["amodal_box"])]),
            "visible_fraction": item["visible_fraction"], "truncated": item["truncated"],
            "instance_id": item["instance_id"], "uid": item["uid"]})
    return annotations


def _document(images: list, annotations: list, categories: dict[str, int]) -> dict:
    return {
        "info": {"description": "synthscene synthetic dataset", "version": "1.0"},
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": [{"id": categories[name], "name": name, "supercategory": name}
                       for name in names_by_id(categories)],
    }
