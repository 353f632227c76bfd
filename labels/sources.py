"""Reading the frames of one or more native batch folders (shards) for the exporters.

A frame that cannot be read — label file missing, corrupt, or differing from its manifest
checksum — is reported by name in an :class:`ExportSummary` and skipped; the rest goes on.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
from pathlib import Path
from typing import Iterator, Optional, Sequence, Union

import numpy as np

from fileio.atomic import temporary_sibling
from labels.categories import category_table
from labels.native import (
    FrameReadError,
    frame_paths_in,
    latest_records,
    read_categories,
    read_frame_arrays,
    read_frame_json,
    verify_frame,
)

log = logging.getLogger(__name__)

PathLike = Union[str, Path]


@dataclasses.dataclass
class SkippedFrame:
    dataset: str
    frame: str
    reason: str


@dataclasses.dataclass
class PolygonReport:
    """What a polygon export lost against the exact masks.

    Attributes:
      instances: visible instances the export saw.
      polygons: instances written as polygons; ``mean_iou`` is their mean mask IoU, polygon
        (rasterized as the consumer does) vs the exact visible mask.
      kept_rle: instances written as exact RLE instead (COCO: a hole, or too thin to trace).
      dropped: instances left out (YOLO-seg: too thin to trace; it has no RLE).
      with_holes: instances whose mask has holes (COCO keeps them as RLE; YOLO-seg bridges the
        holes into the polygon).
    """

    instances: int = 0
    polygons: int = 0
    kept_rle: int = 0
    dropped: int = 0
    with_holes: int = 0
    iou_sum: float = 0.0

    @property
    def mean_iou(self) -> float:
        return self.iou_sum / self.polygons if self.polygons else 1.0

    def describe(self) -> str:
        return (
            f"polygons: {self.polygons} of {self.instances} instances, mean mask IoU "
            f"{self.mean_iou:.4f} vs the exact masks; {self.kept_rle} kept as exact RLE, "
            f"{self.dropped} dropped (too thin to trace), {self.with_holes} with holes"
        )

    def to_json(self) -> dict:
        return {
            "instances": self.instances,
            "polygons": self.polygons,
            "kept_rle": self.kept_rle,
            "dropped": self.dropped,
            "with_holes": self.with_holes,
            "mean_iou": round(self.mean_iou, 6),
        }


@dataclasses.dataclass
class ExportSummary:
    """What an export wrote and what it had to skip (and, for polygons, lose)."""

    output: str = ""
    frames: int = 0
    annotations: int = 0
    skipped: list[SkippedFrame] = dataclasses.field(default_factory=list)
    polygons: Optional[PolygonReport] = None
    images_linked: int = 0
    images_copied: int = 0

    def skip(self, dataset: Path, frame: str, reason: str) -> None:
        log.warning("skipped %s frame %s: %s", dataset, frame, reason)
        self.skipped.append(SkippedFrame(str(dataset), frame, reason))

    def describe(self) -> str:
        lines = [
            f"wrote {self.output}: {self.frames} frames, {self.annotations} annotations, "
            f"{len(self.skipped)} frames skipped"
        ]
        if self.images_linked or self.images_copied:
            lines.append(f"  images: {self.images_linked} hard-linked, {self.images_copied} copied")
        if self.polygons is not None:
            lines.append("  " + self.polygons.describe())
        lines += [
            f"  skipped {item.dataset} frame {item.frame}: {item.reason}" for item in self.skipped
        ]
        return "\n".join(lines)


@dataclasses.dataclass
class DatasetFrame:
    """One readable frame: its batch folder, name, label JSON and label arrays."""

    dataset: Path
    name: str
    labels: dict
    arrays: dict[str, np.ndarray]

    @property
    def image_path(self) -> Path:
        """The image file (``data/``, or ``images/`` in folders of the older layout)."""
        return self.dataset / frame_paths_in(self.dataset, self.name)["image"]


def ok_frames(dataset: Path) -> list[tuple[str, dict]]:
    """(frame name, manifest record) of each frame whose latest manifest line is ``ok``, sorted
    by frame name (= frame index for batches): the order does not depend on which worker
    finished first."""
    return sorted(
        (
            (name, record)
            for name, record in latest_records(dataset).items()
            if record.get("status") == "ok"
        ),
        key=lambda item: item[0],
    )


def frame_numbers(datasets: Sequence[PathLike]) -> dict[tuple[Path, str], int]:
    """(batch folder, frame name) -> 1-based number over the ``ok`` frames of all folders, in
    folder order then frame-name order: COCO image ids and ``DetectionDataset`` indices + 1.

    A frame keeps its number when another frame is unreadable, and in every run that renders
    the same frames, whatever the number of workers.
    """
    keys = [(Path(dataset), name) for dataset in datasets for name, _ in ok_frames(Path(dataset))]
    return {key: number for number, key in enumerate(keys, start=1)}


def stem_prefixes(datasets: Sequence[Path]) -> dict[Path, str]:
    """File-name prefix per batch folder when several are exported into one folder: the folder
    name (or ``shardNNN``) + ``_``; none for a single folder."""
    if len(datasets) == 1:
        return {datasets[0]: ""}
    names = [dataset.resolve().name for dataset in datasets]
    if len(set(names)) == len(names):
        return {dataset: f"{name}_" for dataset, name in zip(datasets, names)}
    return {dataset: f"shard{index:03d}_" for index, dataset in enumerate(datasets)}


def iter_frames(
    datasets: Sequence[PathLike], summary: ExportSummary, verify: bool = True
) -> Iterator[DatasetFrame]:
    """Yield every readable frame of the given batch folders; report the others in ``summary``."""
    for dataset in map(Path, datasets):
        for name, record in ok_frames(dataset):
            problems = verify_frame(dataset, record) if verify else []
            if problems:
                summary.skip(dataset, name, "; ".join(problems))
                continue
            try:
                labels = read_frame_json(dataset, name)
                arrays = read_frame_arrays(dataset, name)
            except FrameReadError as error:
                summary.skip(dataset, name, error.reason)
                continue
            shape = (labels["height"], labels["width"])
            if arrays["instance"].shape != shape:
                summary.skip(
                    dataset,
                    name,
                    f"label maps are {arrays['instance'].shape}, the "
                    f"label JSON says (height, width) = {shape}",
                )
                continue
            frame = DatasetFrame(dataset, name, labels, arrays)
            if not frame.image_path.is_file():
                summary.skip(dataset, name, f"image {frame.image_path} is missing")
                continue
            yield frame


def collect_categories(
    datasets: Sequence[PathLike], order: Optional[Sequence[str]] = None
) -> dict[str, int]:
    """Category name -> id (1..N) over all frames of all shards; see :mod:`labels.categories`.

    Without ``order``, the ids the frames were written with are kept, so an export and the
    frames' label JSON agree: the batch's ``categories.json`` list when every folder has the
    same one, else the frames' own table when every frame has the same one, else sorted names.
    Unreadable frames are ignored here; :func:`iter_frames` reports them.
    """
    names: set[str] = set()
    tables = set()
    for dataset in map(Path, datasets):
        for name, _ in ok_frames(dataset):
            try:
                labels = read_frame_json(dataset, name)
            except FrameReadError:
                continue
            names.update(labels.get("categories", {}))
            names.update(item["category"] for item in labels.get("instances", []))
            tables.add(tuple(sorted(labels.get("categories", {}).items(), key=lambda kv: kv[1])))
    if order is None:
        order = _written_order(datasets, names, tables)
    return category_table(names, order)


def _written_order(
    datasets: Sequence[PathLike], names: set[str], tables: set[tuple]
) -> Optional[list[str]]:
    """The category list the frames were written with, if one is shared (see above)."""
    lists = {tuple(read_categories(dataset) or ()) for dataset in datasets}
    if len(lists) == 1 and (listed := next(iter(lists))) and names <= set(listed):
        return list(listed)
    if len(tables) == 1:
        table = next(iter(tables))
        if names <= {name for name, _ in table} and [i for _, i in table] == list(
            range(1, len(table) + 1)
        ):
            return [name for name, _ in table]
    return None


def place_image(source: Path, target: Path, summary: ExportSummary, copy: bool = False) -> None:
    """Put ``source`` at ``target``: a hard link where the filesystem allows (no second copy of
    the bytes; a moved or copied folder keeps real files), else, or with ``copy``, a copy.
    Atomic (temporary name, then rename); a target that already is ``source`` is left alone."""
    if target.exists() and not copy and os.path.samefile(source, target):
        summary.images_linked += 1
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_sibling(target)
    try:
        if copy:
            raise OSError("copy requested")
        os.link(source, temporary)
        summary.images_linked += 1
    except OSError:
        shutil.copyfile(source, temporary)
        summary.images_copied += 1
    os.replace(temporary, target)


def check_datasets(datasets: Sequence[PathLike]) -> list[Path]:
    """The batch folders as paths; ValueError naming any that has no manifest."""
    paths = [Path(dataset) for dataset in datasets]
    for path in paths:
        if not (path / "manifest.jsonl").is_file():
            raise ValueError(
                f"{path} is not a synthscene batch folder (no manifest.jsonl); "
                "pass the folder a render wrote"
            )
    return paths
