"""Reading the frames of one or more native batch folders (shards) for the exporters.

A frame that cannot be read — label file missing, corrupt, or differing from its manifest
checksum — is reported by name in an :class:`ExportSummary` and skipped; the rest goes on.
"""
from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Iterator, Optional, Sequence, Union

import numpy as np

from labels.categories import category_table
from labels.native import FrameReadError, latest_records, read_frame_arrays, read_frame_json, verify_frame

log = logging.getLogger(__name__)

PathLike = Union[str, Path]


@dataclasses.dataclass
class SkippedFrame:
    dataset: str
    frame: str
    reason: str


@dataclasses.dataclass
class ExportSummary:
    """What an export wrote and what it had to skip."""
    output: str = ""
    frames: int = 0
    annotations: int = 0
    skipped: list[SkippedFrame] = dataclasses.field(default_factory=list)

    def skip(self, dataset: Path, frame: str, reason: str) -> None:
        log.warning("skipped %s frame %s: %s", dataset, frame, reason)
        self.skipped.append(SkippedFrame(str(dataset), frame, reason))

    def describe(self) -> str:
        lines = [f"wrote {self.output}: {self.frames} frames, {self.annotations} annotations, "
                 f"{len(self.skipped)} frames skipped"]
        lines += [f"  skipped {item.dataset} frame {item.frame}: {item.reason}"
                  for item in self.skipped]
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
        return self.dataset / self.labels["image"]


def ok_frames(dataset: Path) -> list[tuple[str, dict]]:
    """(frame name, manifest record) of each frame whose latest manifest line is ``ok``."""
    return [(name, record) for name, record in latest_records(dataset).items()
            if record.get("status") == "ok"]


def iter_frames(datasets: Sequence[PathLike], summary: ExportSummary,
                verify: bool = True) -> Iterator[DatasetFrame]:
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
                summary.skip(dataset, name, f"label maps are {arrays['instance'].shape}, the "
                             f"label JSON says (height, width) = {shape}")
                continue
            if not (dataset / labels["image"]).is_file():
                summary.skip(dataset, name, f"image {dataset / labels['image']} is missing")
                continue
            yield DatasetFrame(dataset, name, labels, arrays)


def collect_categories(datasets: Sequence[PathLike],
                       order: Optional[Sequence[str]] = None) -> dict[str, int]:
    """Category name -> id (1..N) over all frames of all shards; see :mod:`labels.categories`.

    Unreadable frames are ignored here; :func:`iter_frames` reports them.
    """
    names: set[str] = set()
    for dataset in map(Path, datasets):
        for name, _ in ok_frames(dataset):
            try:
                labels = read_frame_json(dataset, name)
            except FrameReadError:
                continue
            names.update(labels.get("categories", {}))
            names.update(item["category"] for item in labels.get("instances", []))
    return category_table(names, order)


def check_datasets(datasets: Sequence[PathLike]) -> list[Path]:
    """The batch folders as paths; ValueError naming any that has no manifest."""
    paths = [Path(dataset) for dataset in datasets]
    for path in paths:
        if not (path / "manifest.jsonl").is_file():
            raise ValueError(f"{path} is not a synthscene batch folder (no manifest.jsonl); "
                             "pass the folder a render wrote")
    return paths
