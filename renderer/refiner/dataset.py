"""Refining a native dataset folder (see :mod:`labels.native`) into a new folder.

For every ``ok`` frame of ``SOURCE/manifest.jsonl``: refine ``data/<frame>.png``, score it with
the label-consistency gate, retry at half the strength while it fails (``retries`` times), and
keep the unrefined image if it still fails. ``labels/<frame>.npz`` and ``.json`` are copied
byte for byte. The frame's manifest line is copied with the new image checksum and a
``refinement`` record (gate scores, strength used, accepted or not, model checksum); failed
frames' lines are copied as they are. Top-level files (``coco.json``, ...) are copied too: their
image file names stay valid. Other folders (e.g. a YOLO export holding image copies) are not.

Resumable: a frame already in ``OUT/manifest.jsonl`` with the same settings is skipped.
Per-frame noise seeds are derived from ``seed`` and the frame name, so a frame's result does not
depend on which other frames were refined or in what order.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import shutil
import zlib
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from fileio.atomic import append_line, to_json_text, write_bytes_atomic, write_json_atomic
from fileio.digest import sha256_file
from fileio.images import write_png_atomic
from labels.native import (
    MANIFEST,
    FrameReadError,
    frame_paths_in,
    latest_records,
    read_frame_arrays,
    read_image,
)
from renderer.refiner.errors import RefinerInputError
from renderer.refiner.label_gate import DEFAULT_THRESHOLD, gate
from renderer.refiner.photo_stats import PhotoMatch
from renderer.refiner.sdedit import RefineOptions

log = logging.getLogger(__name__)
SUMMARY = "refinement.json"


@dataclasses.dataclass
class GateOptions:
    threshold: float = DEFAULT_THRESHOLD
    retries: int = 1


def frame_seed(seed: int, frame: str) -> int:
    """Noise seed of one frame: independent of frame order, stable across runs."""
    return (int(seed) * 1_000_003 + zlib.crc32(frame.encode("utf-8"))) % (2**31)


def refine_frame(
    refine: Callable[[np.ndarray, RefineOptions], np.ndarray],
    image: np.ndarray,
    instance_ids: np.ndarray,
    options: RefineOptions,
    gating: GateOptions,
    matching: Optional[PhotoMatch] = None,
) -> tuple[np.ndarray, dict]:
    """Refine, gate, retry at half strength; return (image to keep, refinement record).

    With ``matching`` the frame is first colour-matched to a photo (a per-pixel colour map: it
    cannot move a boundary), the model refines that, its grain is capped, and the gate compares
    the model's output, before and after the cap (the worse score counts), with the colour-matched
    frame, which is also what is kept on rejection."""
    if matching is not None:
        image = matching.prepare(image, options.seed)
    attempts = []
    strength = options.strength
    for _attempt in range(gating.retries + 1):
        refined = refine(image, dataclasses.replace(options, strength=strength))
        result = gate(image, refined, instance_ids, threshold=gating.threshold)
        if matching is not None:  # the grain cap can hide a drift the model made: both must pass
            refined = matching.finish(image, refined, options.seed)
            result = min(
                result,
                gate(image, refined, instance_ids, threshold=gating.threshold),
                key=lambda item: item.score,
            )
        attempts.append({"strength": strength, **result.to_json()})
        if result.passed:
            return refined, {
                "accepted": True,
                "strength_used": strength,
                "gate": attempts[-1],
                "attempts": len(attempts),
            }
        strength = strength / 2
    return image.copy(), {
        "accepted": False,
        "strength_used": 0.0,
        "gate": attempts[-1],
        "attempts": len(attempts),
        "rejected_strengths": [a["strength"] for a in attempts],
    }


def refine_dataset(
    source: str | Path,
    out: str | Path,
    refine: Callable[[np.ndarray, RefineOptions], np.ndarray],
    options: RefineOptions,
    gating: GateOptions,
    model_info: dict,
    progress: Optional[Callable[[str, dict], None]] = None,
    matching: Optional[PhotoMatch] = None,
) -> dict:
    """Refine every finished frame of ``source`` into ``out``; return the summary also written to
    ``out/refinement.json``. ``refine(image, options)`` is e.g. :meth:`Refiner.refine`;
    ``matching`` adds the photo-matching steps (see :func:`refine_frame`)."""
    source, out = Path(source), Path(out)
    options.validate()
    records = check_dataset_paths(source, out)
    settings = {
        "model_sha256": model_info.get("sha256"),
        "strength": options.strength,
        "steps": options.steps,
        "seed": options.seed,
        "guidance_downsample": options.guidance_downsample,
        "guidance_weight": options.guidance_weight,
        "tile": options.tile,
        "resize_to": options.resize_to,
        "gate_threshold": gating.threshold,
        "retries": gating.retries,
    }
    if matching:
        settings["photo_match"] = matching.description
    done = {
        name: record
        for name, record in latest_records(out).items()
        if record.get("status") != "ok" or record.get("refinement", {}).get("settings") == settings
    }
    _copy_top_level_files(source, out)
    for name, record in records.items():
        if name in done:
            continue
        if record.get("status") != "ok":
            append_line(out / MANIFEST, to_json_text(record))
        else:
            done[name] = _refine_one(
                source, out, record, refine, options, gating, settings, matching
            )
        if progress:
            progress(name, done.get(name, record))
    return _write_summary(out, records, latest_records(out), settings, model_info)


def check_dataset_paths(source: str | Path, out: str | Path) -> dict[str, dict]:
    """The source dataset's latest manifest records; errors for a missing/empty dataset or
    an output folder that is the dataset itself."""
    source, out = Path(source), Path(out)
    records = _source_records(source)
    if out.resolve() == source.resolve():
        raise RefinerInputError(f"--out {out} is the dataset itself; refine into a new folder")
    return records


def _source_records(source: Path) -> dict[str, dict]:
    if not source.is_dir():
        raise RefinerInputError(
            f"dataset {source} is not a folder; pass a folder written by `synthscene render`"
        )
    records = latest_records(source)
    if not any(record.get("status") == "ok" for record in records.values()):
        raise RefinerInputError(
            f"dataset {source} has no finished frames in {MANIFEST}; "
            "pass a folder written by `synthscene render`"
        )
    return records


def _refine_one(
    source: Path,
    out: Path,
    record: dict,
    refine,
    options: RefineOptions,
    gating: GateOptions,
    settings: dict,
    matching: Optional[PhotoMatch],
) -> dict:
    name = record["frame"]
    paths = frame_paths_in(source, name)
    try:
        image = read_image(source, name)
        instance_ids = read_frame_arrays(source, name)["instance"]
    except FrameReadError as error:
        raise RefinerInputError(
            f"dataset {source}: {error}; re-render that frame or remove its manifest line"
        ) from None
    frame_options = dataclasses.replace(options, seed=frame_seed(options.seed, name))
    kept, refinement = refine_frame(refine, image, instance_ids, frame_options, gating, matching)
    alpha = _alpha_channel(source / paths["image"])
    if alpha is not None:  # transparent renders keep their alpha: only colour is refined
        kept = np.dstack([kept, alpha])
    image_sha = hashlib.sha256(write_png_atomic(out / paths["image"], kept)).hexdigest()
    for key in ("labels_npz", "labels_json"):
        write_bytes_atomic(out / paths[key], (source / paths[key]).read_bytes())
    updated = dict(record)
    updated["sha256"] = {**record.get("sha256", {}), paths["image"]: image_sha}
    updated["refinement"] = {
        **refinement,
        "source_image_sha256": record.get("sha256", {}).get(paths["image"]),
        "settings": settings,
    }
    append_line(out / MANIFEST, to_json_text(updated))
    return updated


def _alpha_channel(path: Path) -> Optional[np.ndarray]:
    import cv2

    data = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    return data[..., 3] if data is not None and data.ndim == 3 and data.shape[2] == 4 else None


def _copy_top_level_files(source: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        if (
            path.is_file()
            and path.name not in (MANIFEST, SUMMARY)
            and not path.name.startswith(".")
        ):
            target = out / path.name
            if not target.exists() or sha256_file(target) != sha256_file(path):
                temporary = out / f".{path.name}.copying"
                shutil.copyfile(path, temporary)
                temporary.replace(target)


def _write_summary(
    out: Path, source_records: dict, out_records: dict, settings: dict, model_info: dict
) -> dict:
    refined = [
        record["refinement"]
        for name, record in out_records.items()
        if name in source_records and "refinement" in record
    ]
    accepted = sum(1 for item in refined if item["accepted"])
    scores = [item["gate"]["score"] for item in refined]
    summary = {
        "frames": len(refined),
        "accepted": accepted,
        "rejected": len(refined) - accepted,
        "pass_rate": round(accepted / len(refined), 4) if refined else None,
        "gate_score_mean": round(float(np.mean(scores)), 4) if scores else None,
        "gate_score_min": round(float(np.min(scores)), 4) if scores else None,
        "settings": settings,
        "model": model_info,
    }
    write_json_atomic(out / SUMMARY, summary, indent=1)
    return summary
