"""The native dataset layout: one folder per batch, written frame by frame, crash-safe.

Layout of a batch folder ``DIR``::

    DIR/data/<frame>.png        8-bit sRGB colour (RGB; RGBA only if the render had transparency);
                                folders written before 2026-11-30 have ``images/`` instead (still
                                read: :func:`frame_paths_in` finds each frame's files)
    DIR/labels/<frame>.npz      instance (uint16 H,W), semantic (uint16 H,W), depth (float32 H,W,
                                metres, planar z, +inf background), normals (float32 H,W,3, camera
                                frame), amodal_ids (int64 N), amodal_masks (bool N,H,W); optional
                                ray_distance (float32 H,W), object_coordinates (float32 H,W,3)
    DIR/labels/<frame>.json     camera (K, world_to_camera, size), categories, one record per
                                instance (see labels.frame.InstanceLabels.to_json), backend,
                                render_info, provenance (whatever the caller passed)
    DIR/manifest.jsonl          one JSON line per finished frame, appended last
    DIR/categories.json         (batches) the batch's category list: id = position + 1

``data/`` is the image folder FiftyOne, torchvision's ``CocoDetection`` and Detectron2 take as
image root (COCO ``file_name`` is relative to it).

A manifest line holds ``frame``, ``status`` (``"ok"`` or ``"failed"``), ``files`` (relative
paths), ``sha256`` (per file), ``width``, ``height``, ``instances`` and every key the caller passed
in ``metadata`` (``seed``, ``spec_hash``, ...). Each file is written atomically and the manifest
line is appended only after all three files are complete, so a frame listed as ``ok`` is whole;
a frame written twice keeps its latest line.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence, Union

import cv2
import numpy as np

from fileio.atomic import append_line, save_npz_atomic, to_json_text, write_json_atomic
from fileio.digest import sha256_file
from fileio.images import write_png_atomic
from labels.frame import FrameLabels, InstanceLabels, compute_frame_labels
from labels.passes import CameraModel, RawPasses

log = logging.getLogger(__name__)

MANIFEST = "manifest.jsonl"
CATEGORIES = "categories.json"
IMAGE_DIR = "data"
LEGACY_IMAGE_DIR = "images"
BATCH_FILE = "batch.json"  # the batch identity (written by renderer.batch)
IDENTITY_KEY = "batch"  # manifest key holding the identity of the batch a frame belongs to
FRAME_FORMAT = "synthscene-frame/1"
_RESERVED_KEYS = {"frame", "status", "files", "sha256", "width", "height", "instances", "error"}
_FRAME_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


class FrameReadError(Exception):
    """A frame of a native dataset could not be read; ``frame`` names it, the message says why."""

    def __init__(self, frame: str, reason: str):
        super().__init__(f"frame {frame!r}: {reason}")
        self.frame = frame
        self.reason = reason


def frame_paths(frame_name: str, image_dir: str = IMAGE_DIR) -> dict[str, str]:
    """Paths of a frame's files relative to the batch folder, as this version writes them."""
    return {
        "image": f"{image_dir}/{frame_name}.png",
        "labels_npz": f"labels/{frame_name}.npz",
        "labels_json": f"labels/{frame_name}.json",
    }


def frame_paths_in(out_dir: Union[str, Path], frame_name: str) -> dict[str, str]:
    """Paths of a frame's files as the folder holds them: ``images/`` for folders written
    before the ``data/`` layout, else :func:`frame_paths`."""
    legacy = frame_paths(frame_name, LEGACY_IMAGE_DIR)
    if (
        not (Path(out_dir) / IMAGE_DIR / f"{frame_name}.png").exists()
        and (Path(out_dir) / legacy["image"]).exists()
    ):
        return legacy
    return frame_paths(frame_name)


def read_categories(out_dir: Union[str, Path]) -> Optional[list[str]]:
    """The batch's category list from ``DIR/categories.json`` (None if the folder has none)."""
    path = Path(out_dir) / CATEGORIES
    if not path.is_file():
        return None
    names = json.loads(path.read_text(encoding="utf-8")).get("categories")
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise ValueError(
            f"{path} has no list of category names under 'categories'; delete it "
            "to fall back to sorted names"
        )
    return names


def write_frame(
    out_dir: Union[str, Path],
    frame_name: str,
    frame: Union[RawPasses, FrameLabels],
    metadata: Optional[Mapping[str, Any]] = None,
    *,
    category_ids: Optional[Mapping[str, int]] = None,
    category_order: Optional[Sequence[str]] = None,
    with_ray_distance: bool = False,
) -> dict:
    """Write one frame's image and labels atomically, then append its manifest line.

    Args:
      out_dir: the batch folder (created if missing).
      frame_name: file stem, e.g. ``"000042"``: letters, digits, ``_ . -``, no leading dot.
      frame: the backend's raw passes (labels are derived here) or ready :class:`FrameLabels`.
      metadata: JSON-serialisable provenance (``seed``, ``spec_hash``, recipe, params, ...):
        stored in the frame JSON under ``provenance`` and merged into the manifest line.
      category_ids, category_order, with_ray_distance: passed to
        :func:`labels.frame.compute_frame_labels` when ``frame`` is raw passes.

    Returns:
      The manifest record that was appended.
    """
    _check_frame_name(frame_name)
    metadata = dict(metadata or {})
    clashes = sorted(_RESERVED_KEYS & set(metadata))
    if clashes:
        raise ValueError(f"metadata keys {clashes} are reserved for the manifest; rename them")
    if isinstance(frame, RawPasses):
        frame = compute_frame_labels(
            frame, category_ids, category_order=category_order, with_ray_distance=with_ray_distance
        )
    out_dir = Path(out_dir)
    paths = frame_paths(frame_name)
    written = {
        "image": write_png_atomic(out_dir / paths["image"], np.asarray(frame.image, np.uint8)),
        "labels_npz": save_npz_atomic(out_dir / paths["labels_npz"], _frame_arrays(frame)),
        "labels_json": write_json_atomic(
            out_dir / paths["labels_json"], _frame_json(frame_name, frame, metadata), indent=1
        ),
    }
    record = {
        "frame": frame_name,
        "status": "ok",
        "files": paths,
        "sha256": {paths[key]: hashlib.sha256(data).hexdigest() for key, data in written.items()},
        "width": frame.width,
        "height": frame.height,
        "instances": len(frame.instances),
        **metadata,
    }
    append_line(out_dir / MANIFEST, to_json_text(record))
    return record


def record_failure(
    out_dir: Union[str, Path],
    frame_name: str,
    error: str,
    metadata: Optional[Mapping[str, Any]] = None,
) -> dict:
    """Append a ``"failed"`` manifest line for a frame that could not be rendered."""
    _check_frame_name(frame_name)
    record = {"frame": frame_name, "status": "failed", "error": str(error), **dict(metadata or {})}
    append_line(Path(out_dir) / MANIFEST, to_json_text(record))
    return record


def read_manifest(out_dir: Union[str, Path]) -> list[dict]:
    """Every manifest line in order; a torn or malformed line is logged and skipped."""
    path = Path(out_dir) / MANIFEST
    if not path.exists():
        return []
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict) or "frame" not in record:
                raise ValueError("not a frame record")
        except ValueError as error:
            log.warning("%s line %d is not a frame record (%s); ignored", path, number, error)
            continue
        records.append(record)
    return records


def latest_records(out_dir: Union[str, Path]) -> dict[str, dict]:
    """The latest manifest record per frame, in order of each frame's first appearance."""
    latest: dict[str, dict] = {}
    for record in read_manifest(out_dir):
        latest[record["frame"]] = record
    return latest


def finished_frames(out_dir: Union[str, Path], verify: bool = False) -> list[str]:
    """Frames whose latest record is ``ok`` and whose files exist (and match, if ``verify``).

    A batch runner skips these on resume; anything else is rendered again.
    """
    out_dir = Path(out_dir)
    finished = []
    for name, record in latest_records(out_dir).items():
        if record.get("status") != "ok":
            continue
        problems = (
            verify_frame(out_dir, record)
            if verify
            else [
                path for path in record.get("files", {}).values() if not (out_dir / path).is_file()
            ]
        )
        if not problems:
            finished.append(name)
    return finished


def verify_frame(out_dir: Union[str, Path], record: Mapping[str, Any]) -> list[str]:
    """Problems with a frame's files (missing, or sha256 differing from the manifest); [] if none."""
    out_dir = Path(out_dir)
    problems = []
    for relative, expected in record.get("sha256", {}).items():
        path = out_dir / relative
        if not path.is_file():
            problems.append(f"{relative} is missing")
        elif sha256_file(path) != expected:
            problems.append(f"{relative} does not match its manifest checksum (corrupt or edited)")
    return problems


def verify_dataset(out_dir: Union[str, Path]) -> dict[str, list[str]]:
    """Problems per frame for every ``ok`` frame of the manifest that has any."""
    return {
        name: problems
        for name, record in latest_records(out_dir).items()
        if record.get("status") == "ok" and (problems := verify_frame(out_dir, record))
    }


def read_frame_json(out_dir: Union[str, Path], frame_name: str) -> dict:
    """The frame's label JSON; raises :class:`FrameReadError` if missing or unreadable."""
    path = Path(out_dir) / frame_paths(frame_name)["labels_json"]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FrameReadError(frame_name, f"label file {path} is missing") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise FrameReadError(frame_name, f"label file {path} is corrupt: {error}") from None
    if not isinstance(data, dict) or data.get("format") != FRAME_FORMAT:
        raise FrameReadError(frame_name, f"label file {path} is not a {FRAME_FORMAT} file")
    problem = _frame_json_problem(data)
    if problem:
        raise FrameReadError(frame_name, f"label file {path} is corrupt: {problem}")
    return data


_FRAME_KEYS = ("image", "width", "height", "camera", "categories", "instances")
_INSTANCE_KEYS = (
    "instance_id",
    "uid",
    "category",
    "category_id",
    "box",
    "amodal_box",
    "amodal_extent",
    "visible_pixels",
    "amodal_pixels",
    "visible_fraction",
    "truncated",
    "box3d_world",
    "box3d_camera",
    "object_to_world",
    "object_to_camera",
)


def _frame_json_problem(data: dict) -> str:
    """What is missing from a frame JSON, or '' if it has every field the readers use."""
    missing = [key for key in _FRAME_KEYS if key not in data]
    if missing:
        return f"fields {missing} are missing"
    if not isinstance(data["instances"], list):
        return "'instances' is not a list"
    for index, item in enumerate(data["instances"]):
        missing = [key for key in _INSTANCE_KEYS if not isinstance(item, dict) or key not in item]
        if missing:
            return f"instance record {index} lacks {missing}"
    return ""


def read_frame_arrays(out_dir: Union[str, Path], frame_name: str) -> dict[str, np.ndarray]:
    """The frame's label arrays (see module docstring); raises :class:`FrameReadError`."""
    path = Path(out_dir) / frame_paths(frame_name)["labels_npz"]
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except FileNotFoundError:
        raise FrameReadError(frame_name, f"label file {path} is missing") from None
    except Exception as error:  # zipfile/zlib/format errors all mean "corrupt"
        raise FrameReadError(frame_name, f"label file {path} is corrupt: {error}") from None
    missing = {"instance", "semantic", "depth", "normals", "amodal_ids", "amodal_masks"} - set(
        arrays
    )
    if missing:
        raise FrameReadError(frame_name, f"label file {path} lacks arrays {sorted(missing)}")
    return arrays


def read_image(out_dir: Union[str, Path], frame_name: str) -> np.ndarray:
    """The frame's image as uint8 (H, W, 3) RGB (alpha, if any, dropped)."""
    path = Path(out_dir) / frame_paths_in(out_dir, frame_name)["image"]
    if not path.is_file():
        raise FrameReadError(frame_name, f"image {path} is missing")
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FrameReadError(frame_name, f"image {path} is corrupt (OpenCV cannot decode it)")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def read_frame(out_dir: Union[str, Path], frame_name: str) -> FrameLabels:
    """Rebuild the :class:`FrameLabels` of a written frame (image, maps, masks, records)."""
    data = read_frame_json(out_dir, frame_name)
    arrays = read_frame_arrays(out_dir, frame_name)
    amodal = dict(zip(arrays["amodal_ids"].tolist(), arrays["amodal_masks"]))
    instance_map = arrays["instance"]
    try:
        instances = [
            _instance_from_json(item, instance_map, amodal[item["instance_id"]])
            for item in data["instances"]
        ]
        camera = CameraModel.from_json(data["camera"])
    except (KeyError, TypeError, ValueError) as error:
        raise FrameReadError(frame_name, f"label file is inconsistent: {error!r}") from None
    return FrameLabels(
        image=read_image(out_dir, frame_name),
        instance_map=instance_map,
        semantic_map=arrays["semantic"],
        depth=arrays["depth"],
        normals=arrays["normals"],
        camera=camera,
        instances=instances,
        categories=dict(data["categories"]),
        ray_distance=arrays.get("ray_distance"),
        object_coordinates=arrays.get("object_coordinates"),
        backend=data.get("backend", ""),
        render_info=data.get("render_info", {}),
    )


def _instance_from_json(item: dict, instance_map: np.ndarray, amodal: np.ndarray) -> InstanceLabels:
    def maybe_tuple(value):
        return None if value is None else tuple(value)

    def maybe_array(value):
        return None if value is None else np.array(value, dtype=np.float64)

    return InstanceLabels(
        instance_id=int(item["instance_id"]),
        uid=item["uid"],
        category=item["category"],
        category_id=int(item["category_id"]),
        visible_mask=instance_map == item["instance_id"],
        amodal_mask=amodal.astype(bool),
        box=maybe_tuple(item["box"]),
        amodal_box=maybe_tuple(item["amodal_box"]),
        amodal_extent=maybe_tuple(item["amodal_extent"]),
        visible_fraction=float(item["visible_fraction"]),
        truncated=bool(item["truncated"]),
        box3d_world=maybe_array(item["box3d_world"]),
        box3d_camera=maybe_array(item["box3d_camera"]),
        object_to_world=np.array(item["object_to_world"], dtype=np.float64),
        object_to_camera=np.array(item["object_to_camera"], dtype=np.float64),
        metadata=item.get("metadata", {}),
    )


def _check_frame_name(frame_name: str) -> None:
    if not isinstance(frame_name, str) or not _FRAME_NAME.match(frame_name):
        raise ValueError(
            f"frame name {frame_name!r} is not a plain file stem; use letters, "
            "digits, '_', '.', '-' and no leading dot, e.g. '000042'"
        )


def _frame_arrays(frame: FrameLabels) -> dict[str, np.ndarray]:
    arrays = {
        "instance": frame.instance_map.astype(np.uint16),
        "semantic": frame.semantic_map.astype(np.uint16),
        "depth": frame.depth.astype(np.float32),
        "normals": frame.normals.astype(np.float32),
        "amodal_ids": np.array([item.instance_id for item in frame.instances], dtype=np.int64),
        "amodal_masks": (
            np.stack([item.amodal_mask for item in frame.instances])
            if frame.instances
            else np.zeros((0, frame.height, frame.width), dtype=bool)
        ),
    }
    if frame.ray_distance is not None:
        arrays["ray_distance"] = frame.ray_distance.astype(np.float32)
    if frame.object_coordinates is not None:
        arrays["object_coordinates"] = frame.object_coordinates.astype(np.float32)
    return arrays


def _frame_json(frame_name: str, frame: FrameLabels, provenance: dict) -> dict:
    paths = frame_paths(frame_name)
    return {
        "format": FRAME_FORMAT,
        "frame": frame_name,
        "image": paths["image"],
        "labels_npz": paths["labels_npz"],
        "width": frame.width,
        "height": frame.height,
        "camera": frame.camera.to_json(),
        "categories": frame.categories,
        "instances": [item.to_json() for item in frame.instances],
        "backend": frame.backend,
        "render_info": frame.render_info,
        "provenance": provenance,
    }
