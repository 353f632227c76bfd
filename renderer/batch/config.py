"""What a batch is: recipe, parameters, seeds, engine and output folder.

The folder remembers its batch in ``batch.json``; rerunning with other *content* arguments
(recipe, parameters, seed, engine, resolution, samples) is refused so two batches never mix.
``count``, ``workers`` and ``device`` may change between runs.
"""
from __future__ import annotations

import dataclasses
import os
import hashlib
import json
from pathlib import Path
from typing import Any, Optional

import numpy as np

from renderer.backend import ENGINES
from renderer.errors import UserError

BATCH_FILE = "batch.json"
BATCH_FORMAT = "synthscene-batch/1"


def frame_seed(batch_seed: int, index: int) -> int:
    """Seed of frame ``index``: a 32-bit value derived from (batch seed, index) with numpy's
    SeedSequence, so frame streams are independent and reproducible on any machine."""
    sequence = np.random.SeedSequence(entropy=int(batch_seed), spawn_key=(int(index),))
    return int(sequence.generate_state(1, np.uint32)[0])


def frame_name(index: int) -> str:
    """File stem of frame ``index``: zero-padded to six digits (``000042``)."""
    return f"{int(index):06d}"


@dataclasses.dataclass(frozen=True)
class BatchConfig:
    """One batch.

    Attributes:
      recipe: built-in name or ``path/to/file.py:name``.
      out: output folder.
      count: number of frames (indices 0..count-1).
      seed: batch seed; frame i renders with ``frame_seed(seed, i)``.
      overrides: recipe parameter overrides (``--set key=value``), already parsed.
      engine: "cycles" (Blender) or "raster" (pyrender).
      device: "auto", "cpu" or "gpu" (Cycles only).
      resolution: (width, height) overriding the recipe's, or None.
      samples: colour samples per pixel (Cycles).
      workers: worker processes; 0 renders in this process (no crash isolation).
      max_retries: times a frame is retried after its worker crashed or it raised.
      recycle_after: a worker is replaced after this many frames (memory safety net).
      frames: explicit frame indices to render (default: all of 0..count-1).
    """
    recipe: str
    out: Path
    count: int
    seed: int = 0
    overrides: tuple = ()
    engine: str = "cycles"
    device: str = "auto"
    resolution: Optional[tuple[int, int]] = None
    samples: int = 32
    workers: int = 1
    max_retries: int = 1
    recycle_after: int = 200
    frames: Optional[tuple[int, ...]] = None

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise UserError(f"--engine {self.engine!r} is unknown; use one of {', '.join(ENGINES)}")
        if self.count < 0:
            raise UserError(f"--count {self.count} must be zero or more")
        if self.samples < 1:
            raise UserError(f"--samples {self.samples} must be at least 1")
        if self.workers < 0:
            raise UserError(f"--workers {self.workers} must be zero or more")

    @property
    def overrides_dict(self) -> dict[str, Any]:
        return dict(self.overrides)

    def frame_indices(self) -> list[int]:
        return list(self.frames) if self.frames is not None else list(range(self.count))

    def identity(self) -> dict:
        """What makes two runs the same batch (stored in ``batch.json``)."""
        return {"format": BATCH_FORMAT, "recipe": self.recipe,
                "recipe_sha256": recipe_sha256(self.recipe),
                "overrides": {k: v for k, v in sorted(self.overrides)}, "seed": self.seed,
                "engine": self.engine,
                "resolution": list(self.resolution) if self.resolution else None,
                "samples": self.samples}

    def to_json(self) -> dict:
        data = dataclasses.asdict(self)
        data["out"] = str(self.out)
        return data

    @classmethod
    def from_json(cls, data: dict) -> "BatchConfig":
        data = dict(data)
        data["out"] = Path(data["out"])
        data["overrides"] = tuple(tuple(item) for item in data["overrides"])
        if data.get("resolution"):
            data["resolution"] = tuple(data["resolution"])
        if data.get("frames") is not None:
            data["frames"] = tuple(data["frames"])
        return cls(**data)


def recipe_sha256(reference: str) -> Optional[str]:
    """sha256 of a file recipe's source (None for built-in recipes, versioned with synthscene)."""
    path = Path(reference.rsplit(":", 1)[0]) if ":" in reference else None
    if path is None or not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def claim_output_folder(config: BatchConfig) -> None:
    """Create/check ``config.out``: writable, and not holding a different batch."""
    out = Path(config.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise UserError(f"cannot write to output folder {str(out)!r} ({error.strerror}); choose "
                        "a writable --out") from None
    identity = config.identity()
    marker = out / BATCH_FILE
    if marker.exists():
        try:
            existing = json.loads(marker.read_text(encoding="utf-8"))
        except ValueError:
            raise UserError(f"{marker} is corrupt; move it away if {str(out)!r} holds no batch "
                            "you want to keep") from None
        differs = sorted(k for k in identity if existing.get(k) != identity[k])
        if differs:
            theirs = ", ".join(f"{k}={existing.get(k)!r}" for k in differs)
            raise UserError(f"output folder {str(out)!r} holds a different batch ({theirs}); "
                            "rerun with the same arguments to resume it, or choose another --out")
        return
    from fileio.atomic import write_json_atomic  # pylint: disable=import-outside-toplevel
    write_json_atomic(marker, identity, indent=1)
