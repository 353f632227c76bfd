"""COCO instance-segmentation JSON from native batch folders, and merging COCO files.

Format (https://cocodataset.org/#format-data), followed exactly:

* ``images``: ``id`` = the frame's number (:func:`labels.sources.frame_numbers`: frame-name
  order, from 1; the same in every run whatever the number of workers), ``file_name`` relative
  to the image root ``data/`` next to the JSON, ``width``, ``height``, plus ``frame`` (and
  ``batch``, the folder name, when several folders are exported together);
* ``annotations``: ``id`` from 1 in image order, ``image_id``, ``category_id``, ``iscrowd: 0``,
  ``area`` = visible pixel count, ``bbox`` = ``[x, y, w, h]`` in pixels (pixel-edge: a mask
  spanning columns c0..c1 has ``x = c0``, ``w = c1 - c0 + 1``), ``segmentation`` = compressed RLE
  from ``pycocotools.mask.encode`` (or, with ``polygons=True``, outer OpenCV contours through the
  boundary pixels' centres; COCO polygons cannot hold holes (pycocotools unites the rings), so a
  mask with a hole, or one too thin to trace, keeps its exact RLE; the export's
  :class:`labels.sources.PolygonReport` counts them and the polygons' mean IoU);
  extras, named so that no consumer reserves them (FiftyOne's ``Detection`` reserves
  ``instance_id``, ``id``, ``index``, ``label``, ...): ``amodal_bbox``, ``visible_fraction``,
  ``truncated``, ``instance_map_id`` (the id in the frame's instance map), ``asset_uid``;
* ``categories``: ids 1..N as the frames were written (the batch's ``categories.json``), or by
  an explicit list, or by sorted names; hence stable across shards.

Only instances with at least one visible pixel get an annotation. The folder holding the JSON is
self-contained and holds no absolute path: images of frames not already in its ``data/`` are
hard-linked there (copied where links are impossible), and ``labels.json`` (a relative link to
the JSON, or a copy) is the name FiftyOne's ``COCODetectionDataset`` looks for, so
``fo.Dataset.from_dir(dataset_dir=DIR, dataset_type=fo.types.COCODetectionDataset)`` loads it.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Optional, Sequence

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from fileio.atomic import temporary_sibling, write_bytes_atomic, write_json_atomic
from labels.categories import category_table, names_by_id
from labels.native import IMAGE_DIR
from labels.sources import (
    DatasetFrame,
    ExportSummary,
    PathLike,
    PolygonReport,
    check_datasets,
    collect_categories,
    frame_numbers,
    iter_frames,
    place_image,
    stem_prefixes,
)

log = logging.getLogger(__name__)
FIFTYONE_NAME = "labels.json"
ANNOTATION_EXTRAS = ("amodal_bbox", "visible_fraction", "truncated", "instance_map_id", "asset_uid")


def write_coco(
    datasets: Sequence[PathLike],
    out_path: PathLike,
    *,
    polygons: bool = False,
    category_order: Optional[Sequence[str]] = None,
    verify: bool = True,
) -> ExportSummary:
    """Write one COCO JSON covering every readable frame of the given batch folders.

    Args:
      datasets: batch folders (shards); image and annotation ids run across all of them.
      out_path: the JSON to write, e.g. ``DIR/coco.json``.
      polygons: polygon segmentations instead of RLE (see module docstring); the summary's
        ``polygons`` report says what they lose.
      category_order: explicit category list (ids = position + 1); default: the ids the frames
        were written with (:func:`labels.sources.collect_categories`).
      verify: check each frame's files against the manifest checksums first.
    """
    datasets = check_datasets(datasets)
    out_path = Path(out_path)
    categories = collect_categories(datasets, category_order)
    numbers = frame_numbers(datasets)
    prefixes = stem_prefixes(datasets)
    summary = ExportSummary(output=str(out_path), polygons=PolygonReport() if polygons else None)
    images, annotations = [], []
    for frame in iter_frames(datasets, summary, verify=verify):
        image_id = numbers[(frame.dataset, frame.name)]
        file_name = _place_frame_image(frame, prefixes[frame.dataset], out_path.parent, summary)
        images.append(_image_entry(frame, image_id, file_name, len(datasets) > 1))
        for annotation in _frame_annotations(frame, image_id, categories, summary.polygons):
            annotation["id"] = len(annotations) + 1
            annotations.append(annotation)
    summary.frames, summary.annotations = len(images), len(annotations)
    write_json_atomic(out_path, _document(images, annotations, categories))
    link_fiftyone_name(out_path)
    return summary


def merge_coco(
    coco_paths: Sequence[PathLike],
    out_path: PathLike,
    category_order: Optional[Sequence[str]] = None,
) -> ExportSummary:
    """Merge COCO files written separately into one, renumbering images and annotations.

    Categories are matched by name (ids 1..N re-assigned by ``category_order`` or sorted names);
    each image is hard-linked (or copied) into ``data/`` next to ``out_path`` under a name
    prefixed by its source folder's name, and ``file_name`` is rewritten relative to that root.
    """
    out_path = Path(out_path)
    documents = [
        (Path(path), json.loads(Path(path).read_text(encoding="utf-8"))) for path in coco_paths
    ]
    categories = category_table(
        {item["name"] for _, doc in documents for item in doc["categories"]}, category_order
    )
    prefixes = stem_prefixes([path.parent for path, _ in documents])
    summary = ExportSummary(output=str(out_path))
    images, annotations = [], []
    for path, document in documents:
        category_names = {item["id"]: item["name"] for item in document["categories"]}
        new_image_ids = {}
        for image in document["images"]:
            new_image_ids[image["id"]] = len(images) + 1
            source = _image_file(path.parent, image["file_name"])
            target = out_path.parent / IMAGE_DIR / (prefixes[path.parent] + source.name)
            if source.resolve() != target.resolve():
                place_image(source, target, summary)
            images.append(
                {
                    "batch": path.parent.resolve().name,
                    **image,
                    "id": len(images) + 1,
                    "file_name": target.relative_to(out_path.parent / IMAGE_DIR).as_posix(),
                }
            )
        for annotation in document["annotations"]:
            annotations.append(
                {
                    **annotation,
                    "id": len(annotations) + 1,
                    "image_id": new_image_ids[annotation["image_id"]],
                    "category_id": categories[category_names[annotation["category_id"]]],
                }
            )
    write_json_atomic(out_path, _document(images, annotations, categories))
    link_fiftyone_name(out_path)
    summary.frames, summary.annotations = len(images), len(annotations)
    return summary


def link_fiftyone_name(coco_path: Path) -> None:
    """Make ``labels.json`` next to ``coco_path`` name the same document: a relative symbolic
    link where the filesystem has them, else a copy. A ``labels.json`` that is not ours (not a
    link and not a synthscene COCO file) is left alone, with a warning."""
    alias = coco_path.parent / FIFTYONE_NAME
    if coco_path.name == FIFTYONE_NAME:
        return
    if alias.exists() and not alias.is_symlink() and not _is_our_coco(alias):
        log.warning(
            "%s exists and is not a synthscene COCO file: left alone; FiftyOne users "
            "pass labels_path=%r",
            alias,
            coco_path.name,
        )
        return
    temporary = temporary_sibling(alias)
    try:
        os.symlink(coco_path.name, temporary)
        os.replace(temporary, alias)
    except OSError:
        temporary.unlink(missing_ok=True)
        write_bytes_atomic(alias, coco_path.read_bytes())


def _is_our_coco(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8") as handle:
            head = handle.read(200)
    except OSError:
        return False
    return '"synthscene synthetic dataset"' in head


def _image_file(folder: Path, file_name: str) -> Path:
    """An image of a COCO file in ``folder``: under its ``data/`` root, or (files written before
    the ``data/`` convention) relative to the folder itself."""
    under_root = folder / IMAGE_DIR / file_name
    return under_root if under_root.is_file() else folder / file_name


def _place_frame_image(
    frame: DatasetFrame, prefix: str, out_folder: Path, summary: ExportSummary
) -> str:
    """``file_name`` of the frame's image under ``out_folder/data``, linking it there if the
    frame's image lives elsewhere (another batch folder, or the legacy ``images/``)."""
    root = out_folder / IMAGE_DIR
    target = root / f"{prefix}{frame.name}{frame.image_path.suffix}"
    if not (target.exists() and os.path.samefile(frame.image_path, target)):
        place_image(frame.image_path, target, summary)
    return target.relative_to(root).as_posix()


def mask_to_rle(mask: np.ndarray) -> dict:
    """Compressed COCO RLE of a boolean (H, W) mask, ``counts`` as a str (JSON-ready)."""
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode("ascii")}


def mask_to_polygons(mask: np.ndarray) -> list[list[float]]:
    """Outer contours of a mask as COCO polygons through boundary pixel centres (x, y, ...)."""
    contours, _ = cv2.findContours(
        mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
    )
    return [
        (contour.reshape(-1, 2).astype(np.float64) + 0.5).ravel().tolist()
        for contour in contours
        if len(contour) >= 3
    ]


def xyxy_to_xywh(box: Sequence[float]) -> list[float]:
    """Pixel-edge xyxy -> COCO ``[x, y, w, h]``."""
    return [box[0], box[1], box[2] - box[0], box[3] - box[1]]


def _image_entry(frame: DatasetFrame, image_id: int, file_name: str, several: bool) -> dict:
    entry = {
        "id": image_id,
        "file_name": file_name,
        "width": int(frame.labels["width"]),
        "height": int(frame.labels["height"]),
        "frame": frame.name,
    }
    if several:
        entry["batch"] = frame.dataset.resolve().name
    return entry


def polygon_segmentation(mask: np.ndarray, report: PolygonReport) -> "list | dict":
    """COCO segmentation of a visible mask for a polygon export: outer polygons, or the exact
    RLE when the mask has a hole or is too thin to trace; counted in ``report``."""
    report.instances += 1
    if mask_has_holes(mask):
        report.with_holes += 1
        report.kept_rle += 1
        return mask_to_rle(mask)
    polygons = mask_to_polygons(mask)
    if not polygons:
        report.kept_rle += 1
        return mask_to_rle(mask)
    report.polygons += 1
    report.iou_sum += mask_iou(polygons_to_mask(polygons, *mask.shape), mask)
    return polygons


def mask_has_holes(mask: np.ndarray) -> bool:
    """True if the mask encloses background (8-connected contour hierarchy has inner rings)."""
    _, hierarchy = cv2.findContours(mask.astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    return hierarchy is not None and bool(np.any(hierarchy[0][:, 3] >= 0))


def polygons_to_mask(polygons: list[list[float]], height: int, width: int) -> np.ndarray:
    """Rasterize COCO polygons the way pycocotools does (rings united), bool (H, W)."""
    rles = mask_utils.frPyObjects(polygons, height, width)
    return mask_utils.decode(mask_utils.merge(rles)).astype(bool)


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two boolean masks (1.0 when both are empty)."""
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def _frame_annotations(
    frame: DatasetFrame,
    image_id: int,
    categories: dict[str, int],
    polygons: Optional[PolygonReport],
) -> list[dict]:
    instance_map = frame.arrays["instance"]
    annotations = []
    for item in frame.labels["instances"]:
        mask = instance_map == item["instance_id"]
        area = int(mask.sum())
        if not area:
            continue
        segmentation = (
            mask_to_rle(mask) if polygons is None else polygon_segmentation(mask, polygons)
        )
        annotations.append(
            {
                "image_id": image_id,
                "category_id": categories[item["category"]],
                "segmentation": segmentation,
                "area": area,
                "bbox": [float(v) for v in xyxy_to_xywh(item["box"])],
                "iscrowd": 0,
                "amodal_bbox": (
                    None
                    if item["amodal_box"] is None
                    else [float(v) for v in xyxy_to_xywh(item["amodal_box"])]
                ),
                "visible_fraction": item["visible_fraction"],
                "truncated": item["truncated"],
                "instance_map_id": item["instance_id"],
                "asset_uid": item["uid"],
            }
        )
    return annotations


def _document(images: list, annotations: list, categories: dict[str, int]) -> dict:
    return {
        "info": {"description": "synthscene synthetic dataset", "version": "1.0"},
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": [
            {"id": categories[name], "name": name, "supercategory": name}
            for name in names_by_id(categories)
        ],
    }
