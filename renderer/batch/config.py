"""What a batch is: recipe, parameters, seeds, engine and output folder.

A batch's *identity* (:meth:`BatchConfig.identity`: recipe and its source hash, parameters,
seed, engine, resolution, samples and the versions that change bytes) is written to
``batch.json`` and into every manifest line. Rerunning with other content arguments is refused
so two batches never mix, with or without ``batch.json`` (it is rebuilt from the manifest).
``count``, ``workers``, ``device`` and the time limit may change between runs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any, Optional

import numpy as np

from labels.native import BATCH_FILE, IDENTITY_KEY
from renderer.backend import ENGINES
from renderer.errors import UserError

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
      frame_timeout: seconds a worker may spend on a frame before it is stopped and the frame
        counts as failed; None = :func:`default_frame_timeout` of the settings.
      force: render into a folder that holds files the tool did not write (they are left alone).
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
    frame_timeout: Optional[float] = None
    force: bool = False

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise UserError(f"--engine {self.engine!r} is unknown; use one of {', '.join(ENGINES)}")
        for flag, value, low in (
            ("--count", self.count, 0),
            ("--samples", self.samples, 1),
            ("--workers", self.workers, 0),
            ("--seed", self.seed, 0),
            ("--retries", self.max_retries, 0),
            ("--recycle-after", self.recycle_after, 1),
        ):
            if not isinstance(value, int) or value < low:
                raise UserError(f"{flag} {value} must be an integer >= {low}")
        if self.seed >= 2**63:
            raise UserError(f"--seed {self.seed} is too large; give a seed below 2**63")
        if self.frame_timeout is not None and not 0 < self.frame_timeout < float("inf"):
            raise UserError(
                f"--frame-timeout {self.frame_timeout} must be a number of seconds above 0"
            )
        if self.frames is not None and any(i < 0 for i in self.frames):
            raise UserError(f"--frames {min(self.frames)} is negative; frame indices start at 0")
        if self.resolution is not None and (len(self.resolution) != 2 or min(self.resolution) < 1):
            raise UserError(f"--resolution {self.resolution} must be two sizes >= 1 pixel")

    def time_limit(self) -> float:
        """Seconds one frame may take in a worker (``frame_timeout`` or the default)."""
        return self.frame_timeout or default_frame_timeout(
            self.engine, self.resolution, self.samples
        )

    @property
    def overrides_dict(self) -> dict[str, Any]:
        return dict(self.overrides)

    def frame_indices(self) -> list[int]:
        return list(self.frames) if self.frames is not None else list(range(self.count))

    def identity(self) -> dict:
        """What makes two runs the same batch (stored in ``batch.json``)."""
        return {
            "format": BATCH_FORMAT,
            "recipe": self.recipe,
            "recipe_sha256": recipe_sha256(self.recipe),
            "overrides": {k: v for k, v in sorted(self.overrides)},
            "seed": self.seed,
            "engine": self.engine,
            "resolution": list(self.resolution) if self.resolution else None,
            "samples": self.samples,
            "versions": content_versions(self.engine),
        }

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


DEFAULT_RESOLUTION_PIXELS = 256 * 256
RESOLUTION_PARAM = "resolution"
MAX_SIDE = 4096  # for recipes that declare no resolution parameter (the built-ins' limit)


def recipe_overrides(recipe, config: BatchConfig) -> dict[str, Any]:
    """The parameter overrides frames of ``config`` are sampled with.

    ``--resolution WxH`` goes through the recipe's ``resolution`` parameter when it declares
    one: each side is checked against the declared range by the parameter itself, exactly as
    ``--set resolution=`` is (so ``100000x100000`` is refused, not rendered), and a square size
    becomes that parameter's value; ``--set resolution=`` that disagrees is refused. A recipe
    without the parameter gets sides within [1, MAX_SIDE]. See :func:`spec_resolution`."""
    overrides = config.overrides_dict
    if config.resolution is None or RESOLUTION_PARAM not in recipe.params:
        return overrides
    param = recipe.params[RESOLUTION_PARAM]
    width, height = (
        param.convert(RESOLUTION_PARAM, side, config.recipe) for side in config.resolution
    )
    given = overrides.get(RESOLUTION_PARAM)
    if given is not None and (width != height or str(given).strip() != str(width)):
        raise UserError(
            f"--resolution {width}x{height} and --set resolution={given} disagree; give only one"
        )
    return {**overrides, RESOLUTION_PARAM: width} if width == height else overrides


def spec_resolution(recipe, config: BatchConfig) -> Optional[tuple[int, int]]:
    """The (width, height) imposed on each spec by ``--resolution`` (None without it), after
    :func:`recipe_overrides` checked it; MAX_SIDE bounds recipes without the parameter."""
    if config.resolution is None:
        return None
    if RESOLUTION_PARAM not in recipe.params and max(config.resolution) > MAX_SIDE:
        raise UserError(
            f"--resolution {config.resolution[0]}x{config.resolution[1]} is larger "
            f"than {MAX_SIDE} px per side; give a smaller size"
        )
    return tuple(config.resolution)


def default_frame_timeout(
    engine: str, resolution: Optional[tuple[int, int]], samples: int
) -> float:
    """A generous per-frame time limit, seconds: 10 minutes, plus (Cycles) 10x a slow CPU's
    path-tracing time of ``width*height*samples`` at 0.2 M samples/s (this machine's two cores
    do ~1 M/s), so only a stuck frame reaches it. Raster frames take well under a second."""
    pixels = resolution[0] * resolution[1] if resolution else DEFAULT_RESOLUTION_PIXELS
    if engine != "cycles":
        return 600.0
    return 600.0 + 10.0 * pixels * samples / 0.2e6


def content_versions(engine: str) -> dict:
    """Versions of the software that changes a frame's bytes (from package metadata, without
    importing it): synthscene, kubric and the engine's renderer."""
    import importlib.metadata  # pylint: disable=import-outside-toplevel

    def version(distribution: str) -> str:
        try:
            return importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            return "unknown"

    renderer = "bpy" if engine == "cycles" else "pyrender"
    return {
        "synthscene": version("synthscene"),
        "kubric": version("kubric-nightly"),
        renderer: version(renderer),
    }


def identity_differences(
    expected: dict, found: dict, here: str = "asked", there: str = "in the folder"
) -> list[str]:
    """``"seed 1 asked, 0 in the folder"`` for each key of ``expected`` that ``found`` differs in."""
    return [
        f"{key} {expected[key]!r} {here}, {found.get(key)!r} {there}"
        for key in sorted(expected)
        if found.get(key) != expected[key]
    ]


def recorded_identity(out: Path) -> Optional[dict]:
    """The batch identity the folder records: ``batch.json``, else rebuilt from the manifest
    (the identity most of its finished frames carry); None for a new folder."""
    from labels.native import latest_records  # pylint: disable=import-outside-toplevel

    marker = Path(out) / BATCH_FILE
    if marker.exists():
        try:
            identity = json.loads(marker.read_text(encoding="utf-8"))
            if not isinstance(identity, dict) or identity.get("format") != BATCH_FORMAT:
                raise ValueError("not a batch identity")
            return identity
        except (OSError, ValueError) as error:
            raise UserError(
                f"{marker} is corrupt ({error}); delete it and rerun: it is rebuilt "
                "from manifest.jsonl"
            ) from None
    counts: dict[str, list] = {}
    for record in latest_records(out).values():
        identity = record.get(IDENTITY_KEY)
        if record.get("status") == "ok" and isinstance(identity, dict):
            key = json.dumps(identity, sort_keys=True)
            counts.setdefault(key, [identity, 0])[1] += 1
    if not counts:
        return None
    return max(counts.values(), key=lambda item: item[1])[0]


def foreign_frames(out: Path, identity: dict) -> dict[str, str]:
    """Finished frames of the manifest that do not carry ``identity``: name -> how they differ."""
    from labels.native import latest_records  # pylint: disable=import-outside-toplevel

    foreign = {}
    for name, record in latest_records(out).items():
        if record.get("status") != "ok":
            continue
        theirs = record.get(IDENTITY_KEY)
        if not isinstance(theirs, dict):
            continue  # unverifiable: resume re-renders it (see runner.verified_finished_frames)
        if differences := identity_differences(identity, theirs, "in the batch", "in the frame"):
            foreign[name] = ", ".join(differences)
    return foreign


def claim_output_folder(config: BatchConfig, repair: bool = False):
    """Lock ``config.out`` for this process and check that it is ours to write: writable, no
    files the tool did not write (unless ``force``), the same batch identity as the one it
    holds, and no finished frame of another batch (unless ``repair``, which re-renders them).
    Returns the :class:`~renderer.batch.folder.FolderLock` (release it when done)."""
    from fileio.atomic import write_json_atomic  # pylint: disable=import-outside-toplevel
    from renderer.batch.folder import FolderLock, foreign_files  # pylint: disable=import-outside-toplevel

    out = Path(config.out)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {str(out)!r} is a file, not a folder; choose a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        lock = FolderLock(out)
    except OSError as error:
        raise UserError(
            f"cannot write to output folder {str(out)!r} ({error.strerror}); choose "
            "a writable --out"
        ) from None
    try:
        _check_folder_content(config, out, repair, foreign_files)
        if not (out / BATCH_FILE).exists():
            write_json_atomic(out / BATCH_FILE, config.identity(), indent=1)
    except BaseException:
        lock.release()
        raise
    return lock


def _check_folder_content(config: BatchConfig, out: Path, repair: bool, foreign_files) -> None:
    strangers = foreign_files(out)
    if strangers and not config.force:
        raise UserError(
            f"output folder {str(out)!r} holds files synthscene did not write "
            f"({', '.join(strangers)}); choose an empty or new --out, or pass "
            "--force to render beside them (they are left untouched)"
        )
    identity = config.identity()
    existing = recorded_identity(out)
    if existing is not None:
        differs = identity_differences(identity, existing)
        if differs and differs == identity_differences(
            {"versions": identity["versions"]}, existing
        ):
            raise UserError(
                f"output folder {str(out)!r} holds a batch rendered by other "
                f"software ({'; '.join(differs)}); its frames would differ in bytes "
                "from new ones: finish it with those versions, or choose another "
                "--out"
            )
        if differs:
            raise UserError(
                f"output folder {str(out)!r} holds a different batch "
                f"({'; '.join(differs)}); rerun with the same arguments to resume "
                "it, or choose another --out"
            )
    foreign = foreign_frames(out, identity)
    if foreign and not repair:
        name, why = next(iter(foreign.items()))
        raise UserError(
            f"output folder {str(out)!r} holds {len(foreign)} finished frames that "
            f"are not of this batch (frame {name}: {why}); run 'synthscene repair "
            f"{out}' to re-render them, or choose another --out"
        )
