"""``synthscene validate``: check a batch folder before training on it; problems are named by frame.

Checks, for every ``ok`` frame of the manifest:

* checksums: each file exists and matches its manifest sha256 (:func:`labels.native.verify_frame`);
* readability: the image decodes, the label JSON and npz parse and hold every field;
* consistency: image, label maps, JSON and manifest agree on the size; the ids in the instance
  map are exactly the JSON instances with visible pixels; each instance's ``visible_pixels`` and
  ``box`` match its mask, its semantic pixels carry its category id; the npz amodal masks
  cover the same instances; the manifest's instance count matches;
* degenerate annotations: zero-area boxes, instances with no visible pixel that still carry a
  box (invisible instances kept by mistake), visible fractions outside [0, 1];
* belonging: each frame's manifest line carries the batch identity of ``DIR/batch.json`` (or,
  without it, the identity most frames carry): a frame of another batch (other recipe, seed,
  parameters, engine, size, samples or versions) or one without identity is a problem;
* inputs: every image the frame's spec used (textures, background) still decodes completely;
  one that does not was drawn in Blender's magenta "missing image" colour;
* COCO (``DIR/coco.json`` if present): loads with pycocotools, every ``ok`` frame has one image
  entry of the right size, its annotations are exactly the frame's visible instances (category,
  bbox, area), no zero-area or empty annotation, ids unique.

Failed frames and stray files are reported as warnings (they do not make the dataset invalid).
"""

from __future__ import annotations

import collections
import dataclasses
import json
from pathlib import Path
from typing import Union

import numpy as np

from labels.boxes import mask_box
from labels.native import (
    BATCH_FILE,
    IDENTITY_KEY,
    IMAGE_DIR,
    LEGACY_IMAGE_DIR,
    MANIFEST,
    FrameReadError,
    frame_paths,
    frame_paths_in,
    latest_records,
    read_frame_arrays,
    read_frame_json,
    read_image,
    verify_frame,
)

PathLike = Union[str, Path]
DATASET = "<dataset>"  # key of problems that belong to no single frame


@dataclasses.dataclass
class ValidationReport:
    """Problems (make the dataset invalid) and warnings, keyed by frame name or ``<dataset>``."""

    dataset: Path
    frames_checked: int = 0
    problems: dict[str, list[str]] = dataclasses.field(
        default_factory=lambda: collections.defaultdict(list)
    )
    warnings: dict[str, list[str]] = dataclasses.field(
        default_factory=lambda: collections.defaultdict(list)
    )

    @property
    def ok(self) -> bool:
        return not any(self.problems.values())

    def add(self, frame: str, problem: str) -> None:
        self.problems[frame].append(problem)

    def warn(self, frame: str, warning: str) -> None:
        self.warnings[frame].append(warning)

    def describe(self) -> str:
        """Human-readable lines: one per problem and warning, then a verdict."""
        lines = [
            f"{frame}: {problem}"
            for frame, items in sorted(self.problems.items())
            for problem in items
        ]
        lines += [
            f"{frame}: warning: {warning}"
            for frame, items in sorted(self.warnings.items())
            for warning in items
        ]
        bad_frames = sum(1 for frame, items in self.problems.items() if items and frame != DATASET)
        verdict = (
            "valid"
            if self.ok
            else f"INVALID: {sum(len(v) for v in self.problems.values())} problems in "
            f"{bad_frames} frames"
        )
        lines.append(
            f"{self.dataset}: {self.frames_checked} frames checked, {verdict}"
            f"{', ' + str(sum(len(v) for v in self.warnings.values())) + ' warnings' if any(self.warnings.values()) else ''}"
        )
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {
            "dataset": str(self.dataset),
            "frames_checked": self.frames_checked,
            "ok": self.ok,
            "problems": {k: v for k, v in self.problems.items() if v},
            "warnings": {k: v for k, v in self.warnings.items() if v},
        }


def validate_dataset(dataset: PathLike, *, check_coco: bool = True) -> ValidationReport:
    """Run every check on a batch folder; see the module docstring."""
    dataset = Path(dataset)
    report = ValidationReport(dataset=dataset)
    if not (dataset / MANIFEST).is_file():
        report.add(DATASET, f"no {MANIFEST}: not a batch folder, or nothing was rendered yet")
        return report
    records = latest_records(dataset)
    ok_records = {name: record for name, record in records.items() if record.get("status") == "ok"}
    if not ok_records:
        report.add(DATASET, "the manifest lists no finished ('ok') frame")
    for name, record in records.items():
        if record.get("status") != "ok":
            report.warn(name, f"recorded as failed: {record.get('error', '?')}")
    frame_labels = {}
    identity = batch_identity(dataset, ok_records, report)
    for name, record in ok_records.items():
        report.frames_checked += 1
        check_belonging(name, record, identity, report)
        check_input_images(dataset, name, record, report)
        labels = check_frame(dataset, name, record, report)
        if labels is not None:
            frame_labels[name] = labels
    _check_stray_files(dataset, ok_records, report)
    coco_path = dataset / "coco.json"
    if check_coco and coco_path.is_file():
        check_coco_file(coco_path, dataset, ok_records, frame_labels, report)
    return report


def batch_identity(dataset: Path, ok_records: dict, report: ValidationReport):
    """The identity frames must carry: ``batch.json``'s, else the one most frames carry."""
    marker = dataset / BATCH_FILE
    if marker.is_file():
        try:
            identity = json.loads(marker.read_text(encoding="utf-8"))
            if isinstance(identity, dict):
                return identity
        except (OSError, ValueError):
            pass
        report.add(
            DATASET, f"{BATCH_FILE} is corrupt (delete it: a render rebuilds it from {MANIFEST})"
        )
    counts = collections.Counter(
        json.dumps(r[IDENTITY_KEY], sort_keys=True)
        for r in ok_records.values()
        if isinstance(r.get(IDENTITY_KEY), dict)
    )
    return json.loads(counts.most_common(1)[0][0]) if counts else None


def check_belonging(name: str, record: dict, identity, report: ValidationReport) -> None:
    """A problem unless the frame's manifest line carries ``identity`` (no check for folders
    without any identity: datasets written by other means than ``synthscene render``)."""
    if identity is None:
        return  # not a 'synthscene render' folder (written by labels.native directly)
    theirs = record.get(IDENTITY_KEY)
    if not isinstance(theirs, dict):
        report.add(
            name,
            "its manifest line records no batch identity (rendered by an older "
            "synthscene, or edited); 'synthscene repair' re-renders it",
        )
        return
    differs = [
        f"{key} {theirs.get(key)!r} (batch: {identity[key]!r})"
        for key in sorted(identity)
        if theirs.get(key) != identity[key]
    ]
    if differs:
        report.add(
            name,
            f"belongs to another batch: {'; '.join(differs)}; 'synthscene "
            "repair' re-renders it with this batch's settings",
        )


def spec_image_paths(value) -> list[str]:
    """Every image file a spec (as a plain dict) uses: strings under ``image`` keys (material
    textures, the world's background), sorted, without repeats."""
    found = set()

    def walk(item) -> None:
        if isinstance(item, dict):
            for key, child in item.items():
                if key == "image" and isinstance(child, str) and child:
                    found.add(child)
                else:
                    walk(child)
        elif isinstance(item, list):
            for child in item:
                walk(child)

    walk(value)
    return sorted(found)


def check_input_images(dataset: Path, name: str, record: dict, report: ValidationReport) -> None:
    """A problem for each image the frame used that does not decode completely while it still
    has the bytes it had at render time (``input_images`` sha256): Blender drew it in its
    magenta "missing image" colour. One changed since then is only a warning."""
    from fileio.digest import sha256_file  # pylint: disable=import-outside-toplevel
    from fileio.images import image_problem  # pylint: disable=import-outside-toplevel

    recorded = record.get("input_images")
    if not isinstance(recorded, dict):
        return  # rendered before inputs were recorded
    for path, digest in sorted(recorded.items()):
        problem = image_problem(path) if Path(path).is_file() else None
        if problem is None:
            continue
        if sha256_file(path) == digest:
            report.add(
                name,
                f"input image {path} {problem}: the frame shows Blender's magenta "
                "'missing image' colour there; fix the file and run "
                "'synthscene repair'",
            )
        else:
            report.warn(
                name, f"input image {path} {problem} (changed since this frame was rendered)"
            )


def check_frame(dataset: Path, name: str, record: dict, report: ValidationReport):
    """Check one frame; add its problems to ``report``; return its label JSON if readable."""
    checksum_problems = verify_frame(dataset, record)
    for problem in checksum_problems:
        report.add(name, problem)
    try:
        labels = read_frame_json(dataset, name)
        arrays = read_frame_arrays(dataset, name)
        image = read_image(dataset, name)
    except FrameReadError as error:
        if not (
            error.reason.endswith("is missing")
            and any(p.endswith("is missing") for p in checksum_problems)
        ):
            report.add(name, error.reason)  # (a missing file is already named above)
        return None
    for problem in frame_consistency_problems(labels, arrays, image, record):
        report.add(name, problem)
    return labels


def frame_consistency_problems(
    labels: dict, arrays: dict, image: np.ndarray, record: dict
) -> list[str]:
    """Label/image consistency and degenerate-annotation problems of one readable frame."""
    width, height = int(labels["width"]), int(labels["height"])
    problems = []
    sizes = {
        "image": image.shape[:2],
        "label maps": arrays["instance"].shape,
        "depth": arrays["depth"].shape,
        "normals": arrays["normals"].shape[:2],
        "semantic": arrays["semantic"].shape,
    }
    for what, shape in sizes.items():
        if tuple(shape) != (height, width):
            problems.append(
                f"{what} is {shape[1]}x{shape[0]} but the label JSON says {width}x{height}"
            )
    if (record.get("width"), record.get("height")) != (width, height):
        problems.append(
            f"manifest says {record.get('width')}x{record.get('height')}, label JSON "
            f"{width}x{height}"
        )
    if record.get("instances") is not None and record["instances"] != len(labels["instances"]):
        problems.append(
            f"manifest counts {record['instances']} instances, label JSON has "
            f"{len(labels['instances'])}"
        )
    if problems:
        return problems  # maps of another size cannot be compared pixel by pixel
    return problems + _instance_problems(labels, arrays)


def _instance_problems(labels: dict, arrays: dict) -> list[str]:
    instance_map, semantic = arrays["instance"], arrays["semantic"]
    problems = []
    instances = labels["instances"]
    json_ids = [int(item["instance_id"]) for item in instances]
    if len(set(json_ids)) != len(json_ids):
        problems.append(f"instance ids repeat in the label JSON: {sorted(json_ids)}")
    map_ids = set(np.unique(instance_map).tolist()) - {0}
    unknown = sorted(map_ids - set(json_ids))
    if unknown:
        problems.append(f"instance map holds ids {unknown} that the label JSON does not list")
    if sorted(arrays["amodal_ids"].tolist()) != sorted(json_ids):
        problems.append(
            f"npz amodal masks cover ids {sorted(arrays['amodal_ids'].tolist())}, "
            f"the label JSON lists {sorted(json_ids)}"
        )
    for item in instances:
        problems += [
            f"instance {item['instance_id']} ({item['category']}): {p}"
            for p in _one_instance_problems(item, instance_map, semantic)
        ]
    return problems


def _one_instance_problems(item: dict, instance_map: np.ndarray, semantic: np.ndarray) -> list[str]:
    mask = instance_map == int(item["instance_id"])
    pixels = int(mask.sum())
    problems = []
    if pixels != item["visible_pixels"]:
        problems.append(f"visible_pixels is {item['visible_pixels']} but its mask has {pixels}")
    box = item["box"]
    if pixels == 0 and box is not None:
        problems.append(f"no visible pixel but a box {box} (an invisible instance kept)")
    if box is not None:
        x0, y0, x1, y1 = box
        if x1 <= x0 or y1 <= y0:
            problems.append(f"degenerate box {box} (zero area)")
        elif pixels and tuple(box) != tuple(mask_box(mask)):
            problems.append(f"box {box} differs from its mask's box {list(mask_box(mask))}")
    elif pixels:
        problems.append("visible pixels but no box")
    if not 0.0 <= float(item["visible_fraction"]) <= 1.0:
        problems.append(f"visible_fraction {item['visible_fraction']} is outside [0, 1]")
    if pixels and not np.all(semantic[mask] == int(item["category_id"])):
        problems.append(
            f"semantic map differs from category id {item['category_id']} inside its mask"
        )
    return problems


def _check_stray_files(dataset: Path, ok_records: dict, report: ValidationReport) -> None:
    listed = {
        path
        for name in ok_records
        for paths in (frame_paths(name), frame_paths(name, LEGACY_IMAGE_DIR))
        for path in paths.values()
    }
    for folder, pattern in (
        (IMAGE_DIR, "*.png"),
        (LEGACY_IMAGE_DIR, "*.png"),
        ("labels", "*.json"),
        ("labels", "*.npz"),
    ):
        for path in sorted((dataset / folder).glob(pattern)):
            relative = f"{folder}/{path.name}"
            if relative not in listed:
                report.warn(
                    DATASET,
                    f"{relative} is not an 'ok' frame of the manifest (stray or "
                    "failed frame's file; exporters ignore it)",
                )


def check_coco_file(
    coco_path: Path, dataset: Path, ok_records: dict, frame_labels: dict, report: ValidationReport
) -> None:
    """Load ``coco_path`` with pycocotools and compare it with the frames' labels."""
    import contextlib
    import io

    from pycocotools.coco import COCO  # pylint: disable=import-outside-toplevel

    where = coco_path.name
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            coco = COCO(str(coco_path))
    except Exception as error:  # pycocotools raises bare AssertionError/KeyError/ValueError
        report.add(DATASET, f"{where} does not load with pycocotools: {error!r}")
        return
    _check_coco_ids(coco, where, report)
    by_file = {}
    for image in coco.dataset.get("images", []):
        by_file[_coco_image_path(coco_path.parent, image.get("file_name", ""))] = image
    categories = {cat["id"]: cat["name"] for cat in coco.dataset.get("categories", [])}
    frames_seen = set()
    for name in ok_records:
        image = by_file.get((dataset / frame_paths_in(dataset, name)["image"]).resolve())
        if image is None:
            report.add(
                name,
                f"{where} has no image entry for this frame (re-export it: "
                "synthscene export DIR --format coco)",
            )
            continue
        frames_seen.add(image["id"])
        if name in frame_labels:
            for problem in _coco_frame_problems(coco, image, frame_labels[name], categories):
                report.add(name, f"{where}: {problem}")
    for image in coco.dataset.get("images", []):
        if image["id"] not in frames_seen:
            report.add(
                DATASET,
                f"{where} image {image['id']} ({image.get('file_name')}) is not "
                "an 'ok' frame of this dataset",
            )


def _coco_image_path(folder: Path, file_name: str) -> Path:
    """A COCO image's file: under the ``data/`` image root, or (older files) the JSON's folder."""
    under_root = folder / IMAGE_DIR / file_name
    return (under_root if under_root.is_file() else folder / file_name).resolve()


def _check_coco_ids(coco, where: str, report: ValidationReport) -> None:
    for kind in ("images", "annotations", "categories"):
        ids = [item.get("id") for item in coco.dataset.get(kind, [])]
        if len(set(ids)) != len(ids):
            report.add(DATASET, f"{where}: {kind} ids repeat")
    for annotation in coco.dataset.get("annotations", []):
        if annotation.get("image_id") not in coco.imgs:
            report.add(
                DATASET,
                f"{where}: annotation {annotation.get('id')} points at a missing "
                f"image {annotation.get('image_id')}",
            )


def _coco_frame_problems(coco, image: dict, labels: dict, categories: dict) -> list[str]:
    problems = []
    if (image.get("width"), image.get("height")) != (labels["width"], labels["height"]):
        problems.append(
            f"image size {image.get('width')}x{image.get('height')} differs from "
            f"the frame's {labels['width']}x{labels['height']}"
        )
    visible = {
        int(item["instance_id"]): item for item in labels["instances"] if item.get("visible_pixels")
    }
    annotations = coco.imgToAnns.get(image["id"], [])
    seen = set()
    for annotation in annotations:
        bbox = annotation.get("bbox") or [0, 0, 0, 0]
        label = f"annotation {annotation.get('id')}"
        if bbox[2] <= 0 or bbox[3] <= 0 or annotation.get("area", 0) <= 0:
            problems.append(f"{label} is degenerate (bbox {bbox}, area {annotation.get('area')})")
        instance_id = annotation.get(
            "instance_map_id", annotation.get("instance_id", _instance_by_bbox(bbox, visible))
        )
        item = visible.get(instance_id)
        if item is None:
            problems.append(
                f"{label} (instance {instance_id}) is no visible instance of the "
                "frame (invisible instance kept, or labels changed since export)"
            )
            continue
        seen.add(instance_id)
        problems += [f"{label}: {p}" for p in _annotation_mismatches(annotation, item, categories)]
    missing = sorted(set(visible) - seen)
    if missing:
        problems.append(f"visible instances {missing} have no annotation")
    return problems


def _instance_by_bbox(bbox: list, visible: dict):
    """The visible instance whose box is ``bbox`` (COCO files without ``instance_id``)."""
    for instance_id, item in visible.items():
        x0, y0, x1, y1 = item["box"]
        if [float(v) for v in bbox] == [x0, y0, x1 - x0, y1 - y0]:
            return instance_id
    return None


def _annotation_mismatches(annotation: dict, item: dict, categories: dict) -> list[str]:
    problems = []
    if categories.get(annotation.get("category_id")) != item["category"]:
        problems.append(
            f"category {categories.get(annotation.get('category_id'))!r} but the "
            f"frame says {item['category']!r}"
        )
    x0, y0, x1, y1 = item["box"]
    if [float(v) for v in annotation.get("bbox", [])] != [x0, y0, x1 - x0, y1 - y0]:
        problems.append(f"bbox {annotation.get('bbox')} but the frame's box is {item['box']}")
    if annotation.get("area") != item["visible_pixels"]:
        problems.append(
            f"area {annotation.get('area')} but {item['visible_pixels']} visible pixels"
        )
    return problems
