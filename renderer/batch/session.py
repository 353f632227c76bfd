"""Rendering frames inside one (warm) worker process.

A :class:`RenderSession` is created once per worker: the backend's libraries (bpy or pyrender) are
imported once, the mesh cache is shared, and each frame builds a fresh Kubric scene and view.
The Blender view resets Blender to factory settings when it is created, which frees every data
block of the previous frame, so memory stays flat over long batches.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import logging
import os
import time
from pathlib import Path
from typing import Any

from renderer.batch.config import (
    IDENTITY_KEY,
    BatchConfig,
    frame_name,
    frame_seed,
    recipe_overrides,
    recipe_sha256,
    spec_resolution,
)
from scenes.extras import scene_extras

logger = logging.getLogger(__name__)
SPECS_DIR = "specs"


@dataclasses.dataclass
class FrameResult:
    """What a worker reports for a finished frame."""

    index: int
    name: str
    instances: int
    seconds: float
    rss_bytes: int
    rendered_at: float = 0.0  # time.time() when its passes were rendered (before the writes)


def resident_bytes() -> int:
    """Current resident set size of this process, bytes (Linux /proc)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def versions(engine: str) -> dict:
    """Versions recorded with every frame."""
    found = {"synthscene": _version("synthscene"), "kubric": _version("kubric-nightly")}
    if engine == "cycles":
        import bpy  # pylint: disable=import-outside-toplevel

        found["blender"] = bpy.app.version_string
    else:
        found["pyrender"] = _version("pyrender")
    return found


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


@dataclasses.dataclass
class Prepared:
    """A frame whose scene is built but not rendered yet."""

    index: int
    spec: Any
    scene: Any
    seconds: float


@dataclasses.dataclass
class Rendered:
    """A frame whose passes are rendered but not written yet."""

    prepared: Prepared
    raw: Any  # labels.passes.RawPasses
    seconds: float
    rendered_at: float  # time.time() when the passes were done


class RenderSession:
    """Renders frames of one batch; keep one per worker process."""

    def __init__(self, config: BatchConfig):
        from scenes.recipe_api import load_recipe  # pylint: disable=import-outside-toplevel

        self.config = config
        self.out = Path(config.out)
        self.scratch = self.out / ".scratch" / f"worker-{os.getpid()}"
        self.mesh_cache = self.out / ".scratch" / "meshes"
        self.recipe = load_recipe(config.recipe)
        self.versions = versions(config.engine)
        self.recipe_sha256 = recipe_sha256(config.recipe)
        self.identity = config.identity()
        self.overrides = recipe_overrides(self.recipe, config)
        self.resolution = spec_resolution(self.recipe, config)
        self.views_made = 0
        self._category_ids = None
        self._image_hashes: dict[tuple, str] = {}

    def sample(self, index: int):
        """The (unsettled) spec of frame ``index``, with the batch's resolution."""
        spec = self.recipe.sample(frame_seed(self.config.seed, index), self.overrides)
        if self.resolution:
            spec = dataclasses.replace(spec, resolution=self.resolution)
        return spec

    def prepare(self, index: int) -> Prepared:
        """Sample, settle and build frame ``index``'s scene. Touches no Blender state, so a worker
        may run it in a thread while the previous frame renders."""
        from scenes.build import instantiate  # pylint: disable=import-outside-toplevel

        started = time.perf_counter()
        spec, scene = instantiate(self.sample(index), self.scratch, self.mesh_cache)
        return Prepared(index, spec, scene, time.perf_counter() - started)

    def finish(self, prepared: Prepared) -> FrameResult:
        """Render a prepared frame and write it (spec, image, labels, then the manifest line)."""
        return self.write(self.render_passes(prepared))

    def render_passes(self, prepared: Prepared) -> "Rendered":
        """The backend's part of a frame (Blender state: call it from the thread that owns it)."""
        started = time.perf_counter()
        raw = self.make_view(prepared.scene).render_raw()
        raw.render_info.pop("timings", None)  # keeps label files identical between runs
        return Rendered(prepared, raw, time.perf_counter() - started, time.time())

    def write(self, rendered: "Rendered") -> FrameResult:
        """Apply the spec's camera/sensor model to the colour image (:mod:`renderer.sensor`;
        labels untouched), derive the labels and write the frame's files, then its manifest
        line. Touches no backend state, so a worker runs it in a thread while the next frame
        renders."""
        from fileio.atomic import write_json_atomic  # pylint: disable=import-outside-toplevel
        from labels.native import write_frame  # pylint: disable=import-outside-toplevel
        from renderer.sensor import apply_to_passes  # pylint: disable=import-outside-toplevel

        started = time.perf_counter()
        prepared, raw = rendered.prepared, rendered.raw
        apply_to_passes(raw, prepared.spec.sensor)
        name = frame_name(prepared.index)
        spec_file = f"{SPECS_DIR}/{name}.json"
        spec_bytes = write_json_atomic(self.out / spec_file, prepared.spec.to_dict(), indent=1)
        provenance = self._provenance(prepared, raw, spec_file, spec_bytes)
        record = write_frame(self.out, name, raw, provenance, category_ids=self.category_ids(raw))
        seconds = prepared.seconds + rendered.seconds + time.perf_counter() - started
        return FrameResult(
            index=prepared.index,
            name=name,
            instances=record["instances"],
            seconds=seconds,
            rss_bytes=resident_bytes(),
            rendered_at=rendered.rendered_at,
        )

    def category_ids(self, raw) -> dict[str, int]:
        """The batch's category table (see :mod:`renderer.batch.categories`), extended for this
        frame only if its passes hold a class no spec announced."""
        from renderer.batch.categories import batch_categories  # pylint: disable=import-outside-toplevel

        if self._category_ids is None:
            self._category_ids = batch_categories(self.config) or {}
        table = dict(self._category_ids)
        for name in sorted({item.category for item in raw.instances if item.category} - set(table)):
            table[name] = len(table) + 1
        return table

    def render(self, index: int) -> FrameResult:
        """Prepare, render and write frame ``index``."""
        return self.finish(self.prepare(index))

    def make_view(self, scene) -> Any:
        """The configured backend's view of ``scene``, with the spec's extras applied
        (:func:`renderer.backend.open_view`); after the first, Blender views purge instead of a
        factory reset (warm worker)."""
        from renderer.backend import ViewSettings, open_view  # pylint: disable=import-outside-toplevel

        config = self.config
        settings = ViewSettings(
            samples_per_pixel=config.samples,
            device=config.device,
            scratch_dir=self.scratch,
            reset="purge" if self.views_made else "factory",
        )
        self.views_made += 1
        return open_view(config.engine, scene, settings)

    def _provenance(self, prepared: Prepared, raw, spec_file: str, spec_bytes: bytes) -> dict:
        index = prepared.index
        return {
            "index": index,
            "seed": frame_seed(self.config.seed, index),
            "batch_seed": self.config.seed,
            "recipe": self.config.recipe,
            "recipe_sha256": self.recipe_sha256,
            "params": self.config.overrides_dict,
            "spec_hash": scene_extras(prepared.scene)["spec_hash"],
            "spec_file": spec_file,
            "spec_sha256": hashlib.sha256(spec_bytes).hexdigest(),
            "engine": self.config.engine,
            "device": raw.render_info.get("device"),
            "versions": self.versions,
            "assets": scene_extras(prepared.scene)["assets"],
            "sensor": (dataclasses.asdict(prepared.spec.sensor) if prepared.spec.sensor else None),
            "input_images": self._input_images(prepared.spec),
            IDENTITY_KEY: self.identity,
        }

    def _input_images(self, spec) -> dict[str, str]:
        """sha256 of every image file the spec uses (cached per file version), so ``validate``
        can tell an image that was broken at render time from one changed since."""
        from fileio.digest import sha256_file  # pylint: disable=import-outside-toplevel
        from labels.validate import spec_image_paths  # pylint: disable=import-outside-toplevel

        hashes = {}
        for path in spec_image_paths(spec.to_dict()):
            stat = os.stat(path)
            key = (path, stat.st_size, stat.st_mtime_ns)
            if key not in self._image_hashes:
                self._image_hashes[key] = sha256_file(path)
            hashes[path] = self._image_hashes[key]
        return hashes
