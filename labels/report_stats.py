"""Dataset statistics for the report: per-instance label statistics and randomized parameters.

Read from a native batch folder (see :mod:`labels.native`) without the renderer: label JSONs for
boxes/visibility, ``specs/<frame>.json`` (the settled scene spec each frame was rendered from) for
the parameter distributions, and manifest lines for refinement gate scores (refined datasets).
"""

from __future__ import annotations

import collections
import dataclasses
import json
import re
from pathlib import Path
from typing import Any, Optional, Union

from labels.native import FrameReadError, latest_records, read_frame_json
from scenes.spec import flatten

PathLike = Union[str, Path]
# Spec keys that identify a frame rather than describe a randomized choice.
_NOT_PARAMETERS = {"seed", "recipe", "format_version", "frame_start", "frame_end"}
_INDEX = re.compile(r"\.\d+(?=\.|$)")
_MAX_VECTOR_LENGTH = 4


@dataclasses.dataclass
class DatasetStats:
    """What the report plots. Boxes are pixel-edge; sizes in pixels.

    ``truncation`` is the share of each instance's projected (unclipped) extent that falls outside
    the image, 0 when fully inside; ``object_sizes`` is each visible instance's box size as
    ``max(width / image width, height / image height)``; ``framing_requested`` and
    ``framing_realised`` are, for frames whose camera was framed (``camera.framing`` in the spec),
    the size the recipe drew and the size of the target's projected (unclipped) extent in the
    labels, same convention, and ``framing_ranges`` counts the requested ``(low, high)`` ranges; ``parameters`` maps a spec key (indices of lists of objects or
    lights replaced by ``*``, vector components as ``[i]``) to the values seen over all frames.
    """

    dataset: Path
    frames: list[str] = dataclasses.field(default_factory=list)
    failed: dict[str, str] = dataclasses.field(default_factory=dict)
    unreadable: dict[str, str] = dataclasses.field(default_factory=dict)
    class_counts: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    box_widths: list[float] = dataclasses.field(default_factory=list)
    box_heights: list[float] = dataclasses.field(default_factory=list)
    aspect_ratios: list[float] = dataclasses.field(default_factory=list)
    visible_fractions: list[float] = dataclasses.field(default_factory=list)
    truncation: list[float] = dataclasses.field(default_factory=list)
    truncated_flags: list[bool] = dataclasses.field(default_factory=list)
    invisible_instances: int = 0
    objects_per_image: list[int] = dataclasses.field(default_factory=list)
    image_sizes: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    backends: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    parameters: dict[str, list] = dataclasses.field(default_factory=dict)
    frames_with_spec: int = 0
    gate_scores: list[float] = dataclasses.field(default_factory=list)
    refined_accepted: int = 0
    object_sizes: list[float] = dataclasses.field(default_factory=list)
    framing_requested: list[float] = dataclasses.field(default_factory=list)
    framing_realised: list[float] = dataclasses.field(default_factory=list)
    framing_ranges: collections.Counter = dataclasses.field(default_factory=collections.Counter)

    @property
    def refined(self) -> bool:
        return bool(self.gate_scores)

    def randomized_parameters(self) -> dict[str, list]:
        """Parameters that took more than one value over the dataset."""
        return {
            key: values
            for key, values in self.parameters.items()
            if len({json.dumps(v) for v in values}) > 1
        }

    def fixed_parameters(self) -> dict[str, Any]:
        """Parameters with one value over the dataset: key -> that value."""
        return {
            key: values[0]
            for key, values in self.parameters.items()
            if values and len({json.dumps(v) for v in values}) == 1
        }


def collect_stats(dataset: PathLike) -> DatasetStats:
    """Read every ``ok`` frame of a batch folder; unreadable frames are listed, not fatal."""
    dataset = Path(dataset)
    stats = DatasetStats(dataset=dataset)
    for name, record in latest_records(dataset).items():
        if record.get("status") != "ok":
            stats.failed[name] = str(record.get("error", "failed"))
            continue
        try:
            labels = read_frame_json(dataset, name)
        except FrameReadError as error:
            stats.unreadable[name] = error.reason
            continue
        stats.frames.append(name)
        _add_frame_labels(stats, labels)
        _add_refinement(stats, record)
        spec = read_spec(dataset, name, record)
        if spec is not None:
            _add_framing(stats, spec, labels)
            stats.frames_with_spec += 1
            for key, values in flatten_spec(spec).items():
                stats.parameters.setdefault(key, []).extend(values)
    return stats


def read_spec(dataset: Path, name: str, record: dict) -> Optional[dict]:
    """The frame's scene spec (``specs/<frame>.json`` or the manifest's ``spec_file``), or None."""
    relative = record.get("spec_file") or f"specs/{name}.json"
    try:
        data = json.loads((dataset / relative).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def flatten_spec(spec: dict) -> dict[str, list]:
    """A spec as flat ``{key: [values]}``: keys as :func:`scenes.spec.flatten` makes them, list
    items (objects, lights) pooled under ``.*``, short numeric vectors split into ``[i]``
    components, other lists as JSON text."""
    pooled: dict[str, Any] = {}
    for key, value in flatten(spec).items():
        if key in _NOT_PARAMETERS:
            continue
        for component, item in _split_vector(key, value):
            pooled.setdefault(_INDEX.sub(".*", component), []).append(item)
    return pooled


def _split_vector(key: str, value: Any) -> list[tuple[str, Any]]:
    if not isinstance(value, list):
        return [(key, value)]
    if (
        value
        and len(value) <= _MAX_VECTOR_LENGTH
        and all(isinstance(v, (int, float)) for v in value)
    ):
        return [(f"{key}[{index}]", item) for index, item in enumerate(value)]
    return [(key, json.dumps(value))]


def _add_frame_labels(stats: DatasetStats, labels: dict) -> None:
    width, height = int(labels["width"]), int(labels["height"])
    stats.image_sizes[f"{width}x{height}"] += 1
    stats.backends[str(labels.get("backend", "?"))] += 1
    visible = 0
    for item in labels["instances"]:
        stats.truncated_flags.append(bool(item["truncated"]))
        stats.truncation.append(truncation_share(item.get("amodal_extent"), width, height))
        stats.visible_fractions.append(float(item["visible_fraction"]))
        if not item.get("visible_pixels") or item.get("box") is None:
            stats.invisible_instances += 1
            continue
        visible += 1
        stats.class_counts[item["category"]] += 1
        x0, y0, x1, y1 = item["box"]
        box_w, box_h = x1 - x0, y1 - y0
        stats.object_sizes.append(max(box_w / width, box_h / height))
        stats.box_widths.append(float(box_w))
        stats.box_heights.append(float(box_h))
        if box_h > 0:
            stats.aspect_ratios.append(box_w / box_h)
    stats.objects_per_image.append(visible)


def extent_size(extent: Optional[list], width: int, height: int) -> Optional[float]:
    """``max(extent width / image width, extent height / image height)`` of an xyxy extent."""
    if not extent:
        return None
    x0, y0, x1, y1 = (float(v) for v in extent)
    return max((x1 - x0) / width, (y1 - y0) / height)


def _add_framing(stats: DatasetStats, spec: dict, labels: dict) -> None:
    """Requested vs realised size of the framed target, or of the union of its group's boxes
    (frames with ``camera.framing``)."""
    framing = (spec.get("camera") or {}).get("framing")
    if not isinstance(framing, dict) or not framing.get("solved"):
        return
    members = set(framing.get("group") or [framing.get("target")])
    extents = [
        item.get("amodal_extent")
        for item in labels["instances"]
        if item.get("uid") in members and item.get("amodal_extent")
    ]
    union = (
        [
            min(e[0] for e in extents),
            min(e[1] for e in extents),
            max(e[2] for e in extents),
            max(e[3] for e in extents),
        ]
        if extents
        else None
    )
    realised = extent_size(union, int(labels["width"]), int(labels["height"]))
    if realised is None:
        return
    stats.framing_requested.append(float(framing["size"]))
    stats.framing_realised.append(realised)
    stats.framing_ranges[tuple(framing.get("requested") or ())] += 1


def truncation_share(extent: Optional[list], width: int, height: int) -> float:
    """Share of the projected extent box ``[x0, y0, x1, y1]`` (pixels) outside the image.

    1.0 when there is no extent (object wholly behind the camera), 0.0 when inside."""
    if not extent:
        return 1.0
    x0, y0, x1, y1 = (float(v) for v in extent)
    area = max(x1 - x0, 0.0) * max(y1 - y0, 0.0)
    if area <= 0:
        return 0.0
    inside_w = max(min(x1, width) - max(x0, 0.0), 0.0)
    inside_h = max(min(y1, height) - max(y0, 0.0), 0.0)
    return max(0.0, 1.0 - inside_w * inside_h / area)


def _add_refinement(stats: DatasetStats, record: dict) -> None:
    refinement = record.get("refinement")
    if not isinstance(refinement, dict):
        return
    score = (refinement.get("gate") or {}).get("score")
    if isinstance(score, (int, float)):
        stats.gate_scores.append(float(score))
    stats.refined_accepted += bool(refinement.get("accepted"))
