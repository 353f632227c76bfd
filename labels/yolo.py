"""YOLO (Ultralytics) export of native batch folders: detection or segmentation labels.

Layout written under ``OUT``::

    OUT/data.yaml                       train, val, nc, names (class index -> name); no
                                        ``path:``, so Ultralytics takes the yaml's folder as the
                                        root and a moved folder still trains
    OUT/images/{train,val}/<stem>.png   hard links to the frame images (copies where the
                                        filesystem cannot link, or with ``copy_images``)
    OUT/labels/{train,val}/<stem>.txt   one line per visible instance

Label lines, coordinates normalised by image width/height into [0, 1]:

* detection: ``class x_centre y_centre width height`` of the tight pixel-edge box;
* segmentation (``polygons=True``): ``class x1 y1 x2 y2 ...``, the contours through the
  boundary pixels' centres; a mask split into several pieces, or with holes, becomes one polygon
  whose pieces and hole rings are joined by zero-width bridges (each attached at its point
  nearest the polygon so far), which Ultralytics' ``cv2.fillPoly`` rasterizes with the holes
  open. Instances too thin to trace are dropped (YOLO has no RLE) and counted; the export's
  :class:`labels.sources.PolygonReport` gives the polygons' mean IoU against the exact masks.

Class index = COCO category id - 1 (categories sorted by name unless a list is given), so YOLO and
COCO exports of the same data agree. ``<stem>`` is the frame name, prefixed with the batch
folder's name when several folders are exported together. The split is deterministic: a frame
goes to ``val`` when the first 64 bits of sha256(stem), as a fraction of 2**64, fall below
``val_fraction``; it does not depend on the other frames.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Optional, Sequence

import cv2
import numpy as np

from fileio.atomic import write_text_atomic
from labels.categories import names_by_id
from labels.coco import mask_iou
from labels.sources import (
    DatasetFrame,
    ExportSummary,
    PathLike,
    PolygonReport,
    check_datasets,
    collect_categories,
    iter_frames,
    place_image,
    stem_prefixes,
)

SPLITS = ("train", "val")


def split_of(stem: str, val_fraction: float) -> str:
    """``"val"`` or ``"train"`` for a frame stem, by the hash rule in the module docstring."""
    fraction = int.from_bytes(hashlib.sha256(stem.encode("utf-8")).digest()[:8], "big") / 2**64
    return "val" if fraction < val_fraction else "train"


def export_yolo(
    datasets: Sequence[PathLike],
    out_dir: PathLike,
    *,
    polygons: bool = False,
    val_fraction: float = 0.2,
    category_order: Optional[Sequence[str]] = None,
    verify: bool = True,
    copy_images: bool = False,
) -> ExportSummary:
    """Export the readable frames of the batch folders as a YOLO dataset in ``out_dir``.

    Images are hard-linked from the batch folders (``copy_images``: always copied).

    Files of an earlier export in ``images/{train,val}`` and ``labels/{train,val}`` that this
    export does not write are removed, so re-exporting never leaves stale frames behind.
    """
    if not 0.0 <= val_fraction <= 1.0:
        raise ValueError(
            f"validation fraction (--val-fraction) {val_fraction} must lie in [0, 1], e.g. 0.2"
        )
    datasets = check_datasets(datasets)
    out_dir = Path(out_dir)
    categories = collect_categories(datasets, category_order)
    prefixes = stem_prefixes(datasets)
    summary = ExportSummary(output=str(out_dir), polygons=PolygonReport() if polygons else None)
    written: set[Path] = set()
    for frame in iter_frames(datasets, summary, verify=verify):
        stem = prefixes[frame.dataset] + frame.name
        split = split_of(stem, val_fraction)
        lines = _label_lines(frame, categories, summary.polygons)
        image_path = out_dir / "images" / split / f"{stem}.png"
        label_path = out_dir / "labels" / split / f"{stem}.txt"
        place_image(frame.image_path, image_path, summary, copy=copy_images)
        write_text_atomic(label_path, "".join(line + "\n" for line in lines))
        written.update((image_path, label_path))
        summary.frames += 1
        summary.annotations += len(lines)
    _remove_stale(out_dir, written)
    write_text_atomic(out_dir / "data.yaml", _data_yaml(categories))
    return summary


def _label_lines(
    frame: DatasetFrame, categories: dict[str, int], polygons: Optional[PolygonReport]
) -> list[str]:
    width, height = float(frame.labels["width"]), float(frame.labels["height"])
    instance_map = frame.arrays["instance"]
    lines = []
    for item in frame.labels["instances"]:
        if not item.get("visible_pixels") or item.get("box") is None:
            continue
        class_index = categories[item["category"]] - 1
        if polygons is not None:
            polygon = _traced_polygon(instance_map == item["instance_id"], polygons)
            if polygon is None:
                continue
            coordinates = (polygon / np.array([width, height])).ravel()
        else:
            x0, y0, x1, y1 = item["box"]
            coordinates = np.array(
                [
                    (x0 + x1) / 2 / width,
                    (y0 + y1) / 2 / height,
                    (x1 - x0) / width,
                    (y1 - y0) / height,
                ]
            )
        lines.append(" ".join([str(class_index)] + [f"{v:.6f}" for v in coordinates]))
    return lines


def _traced_polygon(mask: np.ndarray, report: PolygonReport) -> Optional[np.ndarray]:
    """The joined polygon of a visible mask, counted in ``report`` (None: dropped)."""
    report.instances += 1
    rings = mask_rings(mask)
    if len(rings) > 1 and any(is_hole for _, is_hole in rings):
        report.with_holes += 1
    polygon = _joined_polygon([ring for ring, _ in rings])
    if polygon is None:
        report.dropped += 1
        return None
    report.polygons += 1
    report.iou_sum += mask_iou(polygon_to_mask(polygon, *mask.shape), mask)
    return polygon


def mask_rings(mask: np.ndarray) -> list[tuple[np.ndarray, bool]]:
    """Outer contours and hole rings of a mask through boundary pixel centres, as ((N, 2)
    float x, y, is_hole); rings of fewer than 3 points are left out."""
    contours, hierarchy = cv2.findContours(
        mask.astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE
    )
    return [
        (contour.reshape(-1, 2).astype(np.float64) + 0.5, bool(hierarchy[0][i][3] >= 0))
        for i, contour in enumerate(contours)
        if len(contour) >= 3
    ]


def polygon_to_mask(polygon: np.ndarray, height: int, width: int) -> np.ndarray:
    """Rasterize a YOLO-seg polygon (pixel coordinates) as Ultralytics does (``cv2.fillPoly``
    on integer vertices), bool (H, W)."""
    canvas = np.zeros((height, width), dtype=np.uint8)
    cv2.fillPoly(canvas, [np.round(polygon - 0.5).astype(np.int32)], color=1)
    return canvas.astype(bool)


def _joined_polygon(rings: list[np.ndarray]) -> Optional[np.ndarray]:
    """(N, 2) pixel coordinates of one polygon joining every ring; None if there is none."""
    pieces = sorted(rings, key=len, reverse=True)
    if not pieces:
        return None
    polygon = pieces[0]
    for piece in pieces[1:]:
        distances = np.linalg.norm(polygon[:, None, :] - piece[None, :, :], axis=-1)
        at, start = np.unravel_index(np.argmin(distances), distances.shape)
        loop = np.concatenate([np.roll(piece, -start, axis=0), piece[start : start + 1]])
        polygon = np.concatenate([polygon[: at + 1], loop, polygon[at:]])
    return polygon


def _remove_stale(out_dir: Path, written: set[Path]) -> None:
    for kind, suffix in (("images", ".png"), ("labels", ".txt")):
        for split in SPLITS:
            folder = out_dir / kind / split
            if folder.is_dir():
                for path in folder.glob(f"*{suffix}"):
                    if path not in written:
                        path.unlink()


def _data_yaml(categories: dict[str, int]) -> str:
    names = names_by_id(categories)
    lines = [
        "# synthscene YOLO export (Ultralytics layout); no 'path:' key: the dataset root is",
        "# this file's folder, so the folder can be moved or copied",
        "train: images/train",
        "val: images/val",
        f"nc: {len(names)}",
        "names:",
    ]
    lines += [f"  {index}: {json.dumps(name)}" for index, name in enumerate(names)]
    return "\n".join(lines) + "\n"
