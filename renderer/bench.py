"""``synthscene bench``: throughput measured against baselines taken in the same run.

Section 1 renders the same recipe scenes three ways, in interleaved blocks of consecutive scenes
(ours then the baselines on block 1, the baselines then ours on block 2, and so on: ABBA), so
that the machine getting faster or slower during the run does not favour either side. On a shared
machine whose speed wanders by +-10% within minutes, a single ABBA over two halves gave ratios
from 88% to 104% for the same code; blocks of ~6 scenes keep the two sides within seconds of each
other:

* **bare loop** (the ceiling): the scene is already built in Blender; only
  ``bpy.ops.render.render()`` of the colour image is timed, with our render settings;
* **synthscene**: the whole per-frame pipeline from a seed — sample the spec, settle it with
  PyBullet, build the Kubric scene and the Blender scene, colour pass, label pass, label
  derivation (masks, boxes, visibility), and the atomic writes of image, labels, spec and manifest;
* **Kubric stock**: ``kubric.renderer.blender.Blender`` on the same scene, where it runs on this
  Blender (it is reported with its error where it does not).

With ``--engine raster`` the synthscene pipeline runs on pyrender and is compared with the same
pipeline on Cycles.

Section 2 renders ``--batch`` *different* scenes twice through the batch runner: one warm worker
process, then one fresh process per scene (``recycle_after=1``), and reports the worker's resident
memory after warm-up and at the end.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from renderer.batch import BatchConfig, run_batch
from renderer.batch.runner import SilentReporter
from renderer.batch.session import RenderSession


@dataclasses.dataclass
class Measure:
    """Frames/s of one way of rendering, or why it could not run."""

    name: str
    frames: int = 0
    seconds: float = 0.0
    error: Optional[str] = None
    note: str = ""

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 and not self.error else 0.0


@dataclasses.dataclass
class Contender:
    """One way of rendering: ``render_one(index)`` renders a scene and returns the seconds that
    count."""

    measure: Measure
    render_one: Callable[[int], float]

    def run(self, index: int, warm_up: bool) -> None:
        if self.measure.error:
            return
        try:
            seconds = self.render_one(index)
        except Exception as error:  # pylint: disable=broad-except
            self.measure.error = f"{type(error).__name__}: {str(error).splitlines()[0][:160]}"
            return
        if not warm_up:
            self.measure.seconds += seconds
            self.measure.frames += 1


def race(contenders: list[Contender], indices: list[int], warm_up: bool = True) -> list[Measure]:
    """Render every scene with every contender in turn (interleaved, so load changes on the
    machine hit all of them alike); with ``warm_up`` the first scene is not counted."""
    for position, index in enumerate(indices):
        for contender in contenders:
            contender.run(index, warm_up=warm_up and position == 0)
    return [c.measure for c in contenders]


def bare_loop(session: RenderSession) -> Contender:
    """Colour render only, scene already in Blender: the same Blender scene as ours
    (:meth:`RenderSession.make_view`, so the same settings, extras and warm-worker reset) and
    the same colour-pass call, without the label pass, preparation or writes."""
    from renderer.blender import passes  # pylint: disable=import-outside-toplevel
    from renderer.blender.stdout import silenced_stdout  # pylint: disable=import-outside-toplevel

    def render_one(index: int) -> float:
        view = session.make_view(session.prepare(index).scene)
        started = time.perf_counter()
        with silenced_stdout():
            passes.render_color(view.blender_scene, session.scratch / "bare.png", view.motion_blur)
        return time.perf_counter() - started

    return Contender(
        Measure("bare bpy render loop", note="colour only, scene prebuilt"), render_one
    )


class _FrameClock(SilentReporter):
    """Records when each frame of a batch was rendered (its passes done, in the worker)."""

    def __init__(self):
        self.rendered: list[float] = []

    def frame_done(self, result) -> None:
        self.rendered.append(result.rendered_at)


def worker_pipeline(config: BatchConfig, name: str, measure: Optional[Measure] = None) -> Measure:
    """The full synthscene frame (seed to manifest line) in one warm worker process, as
    ``synthscene render --workers 1`` runs it (the next scene is prepared while one renders and
    the previous one written). Steady state: frames rendered after the first, over the time since
    the first was rendered (render ends, not "done" messages: a frame's files are written while
    the next one renders, so the first frame's "done" comes late and the last one's early,
    which would flatter a short run); added to ``measure`` when given."""
    clock = _FrameClock()
    summary = run_batch(dataclasses.replace(config, workers=1), clock)
    measure = measure or Measure(name, note="spec+physics+both passes+labels+writes, warm worker")
    if summary.failed or summary.stopped or len(clock.rendered) < 2:
        measure.error = f"{len(summary.failed)} failed {summary.stopped or ''}".strip()
        return measure
    rendered = sorted(clock.rendered)
    measure.frames += len(rendered) - 1
    measure.seconds += rendered[-1] - rendered[0]
    return measure


def scene_blocks(scenes: int, blocks: Optional[int] = None) -> list[list[int]]:
    """Scenes 1..``scenes`` (scene 0 is the warm-up) in ``blocks`` runs of consecutive scenes
    (default: about six scenes each, at most eight blocks)."""
    count = blocks or max(1, min(8, round(scenes / 6)))
    count = max(1, min(count, scenes))
    bounds = [1 + round(k * scenes / count) for k in range(count + 1)]
    return [list(range(bounds[k], bounds[k + 1])) for k in range(count)]


class PipelineBlocks:
    """Our pipeline on one block of scenes after another, each in a fresh warm worker whose
    warm-up frame is the scene before the block (so it counts exactly the block's scenes), all
    added up in one :class:`Measure`."""

    def __init__(self, config: BatchConfig, name: str):
        self.config, self.name = config, name
        self.measure: Optional[Measure] = None
        self.folders: list[Path] = []  # one output folder per block

    def run(self, block: list[int]) -> list[Measure]:
        folder = self.config.out / f"block{len(self.folders)}"
        self.folders.append(folder)
        self.measure = worker_pipeline(
            dataclasses.replace(self.config, frames=(block[0] - 1, *block), out=folder),
            self.name,
            self.measure,
        )
        return [self.measure]


def interleaved(
    ours: PipelineBlocks,
    blocks: list[list[int]],
    baselines: Callable[[list[int], bool], list[Measure]],
) -> list[Measure]:
    """``ours`` and ``baselines(block, first)`` on each block in turn, the order flipped every
    block (ABBA...), so a machine getting slower or faster affects both alike."""
    measured: list[Measure] = []
    for number, block in enumerate(blocks):
        if number % 2:
            measured = baselines(block, False)
            ours.run(block)
        else:
            ours.run(block)
            measured = baselines(block, number == 0)
    return [ours.measure, *measured]


def kubric_stock(session: RenderSession) -> Contender:
    """Kubric's own Blender renderer on the same scenes."""

    def render_one(index: int) -> float:
        from kubric.renderer.blender import Blender as KubricBlender  # pylint: disable=import-outside-toplevel

        scene = session.prepare(index).scene
        started = time.perf_counter()
        KubricBlender(
            scene,
            scratch_dir=str(session.scratch / "kubric"),
            samples_per_pixel=session.config.samples,
        ).render_still()
        return time.perf_counter() - started

    return Contender(Measure("Kubric stock renderer", note="scene build excluded"), render_one)


def batch_throughput(config: BatchConfig, recycle_after: int, name: str) -> tuple[Measure, list]:
    """Frames/s of the batch runner on ``config``; also the per-frame resident memory."""
    summary = run_batch(dataclasses.replace(config, recycle_after=recycle_after))
    measure = Measure(name, frames=summary.done, seconds=summary.seconds)
    if summary.failed or summary.stopped:
        measure.error = f"{len(summary.failed)} failed; {summary.stopped or ''}"
    return measure, summary.rss_bytes


def run_bench(
    recipe: str,
    engine: str,
    scenes: int,
    batch: int,
    resolution: tuple[int, int],
    samples: int,
    device: str,
    out: Optional[Path] = None,
    report: Callable[[str], None] = print,
    blocks: Optional[int] = None,
) -> dict:
    """Run both sections; ``report`` receives progress lines. Returns the numbers."""
    root = Path(out or tempfile.mkdtemp(prefix="synthscene-bench-"))
    base = dict(
        recipe=recipe,
        count=scenes + 1,
        resolution=resolution,
        samples=samples,
        device=device,
        workers=0,
        seed=12345,
    )
    results: dict = {
        "recipe": recipe,
        "resolution": list(resolution),
        "samples": samples,
        "engine": engine,
    }
    config = BatchConfig(out=root / f"ours-{engine}", engine=engine, **base)
    chunks = scene_blocks(scenes, blocks)
    results["blocks"] = len(chunks)
    report(
        f"section 1: {scenes} scenes of {recipe!r} at {resolution[0]}x{resolution[1]}, "
        f"{samples} spp, in {len(chunks)} interleaved blocks (+1 warm-up each)"
    )
    ours = PipelineBlocks(config, f"synthscene ({engine})")
    if engine == "cycles":
        baseline = RenderSession(dataclasses.replace(config, out=root / "baselines"))
        contenders = [bare_loop(baseline), kubric_stock(baseline)]
        # the baselines warm up once, on scene 0, before the first block
        section = interleaved(
            ours, chunks, lambda block, first: race(contenders, [0] * first + block, warm_up=first)
        )
    else:
        cycles = PipelineBlocks(
            dataclasses.replace(config, engine="cycles", out=root / "ours-cycles"),
            "synthscene (cycles)",
        )
        section = interleaved(ours, chunks, lambda block, first: cycles.run(block))
    results["device"] = _device(ours.folders[0])
    results["section1"] = [dataclasses.asdict(m) | {"fps": m.fps} for m in section]
    if batch > 0:
        report(f"section 2: {batch} different scenes, warm worker vs one process per scene")
        config = BatchConfig(
            out=root / "warm", engine=engine, **{**base, "count": batch, "workers": 1}
        )
        warm, rss = batch_throughput(config, 10**6, "warm worker (1 process)")
        cold, _ = batch_throughput(
            dataclasses.replace(config, out=root / "cold"), 1, "one process per scene"
        )
        results["section2"] = [dataclasses.asdict(m) | {"fps": m.fps} for m in (warm, cold)]
        results["memory"] = memory_growth(rss)
    return results


MEMORY_WARMUP_FRAMES = 50  # caches fill meanwhile: meshes, HDRIs, Cycles kernels
MEMORY_WINDOW_FRAMES = 25  # frames whose median RSS stands for "after warm-up" and "end"


def memory_growth(
    rss_bytes: list, warmup: int = MEMORY_WARMUP_FRAMES, window: int = MEMORY_WINDOW_FRAMES
) -> dict:
    """Resident memory of the warm worker after ``warmup`` frames and at the end, each the
    median of ``window`` frames (one frame's RSS swings by tens of MB with what it has just
    freed), ({} when the batch is too short; use --batch 500 for a memory measurement)."""
    if len(rss_bytes) < warmup + 2 * window:
        return {}
    after = float(np.median(rss_bytes[warmup : warmup + window]))
    end = float(np.median(rss_bytes[-window:]))
    return {
        "frames": len(rss_bytes),
        "warmup_frames": warmup,
        "window_frames": window,
        "after_warmup_mb": round(after / 2**20, 1),
        "end_mb": round(end / 2**20, 1),
        "peak_mb": round(max(rss_bytes) / 2**20, 1),
        "growth_percent": round(100.0 * (end - after) / after, 2),
    }


def _device(out: Path) -> str:
    from labels.native import read_manifest  # pylint: disable=import-outside-toplevel

    for record in read_manifest(out):
        device = record.get("device") or {}
        return f"{device.get('backend', '?')}: {', '.join(device.get('names', []))}"
    return "unknown"


def format_results(results: dict) -> str:
    """The table ``synthscene bench`` prints (Markdown, so it can go into the README)."""
    blocks = f", section 1 in {results['blocks']} ABBA blocks" if results.get("blocks") else ""
    lines = [
        f"recipe {results['recipe']}, {results['resolution'][0]}x"
        f"{results['resolution'][1]}, {results['samples']} spp, device {results['device']}"
        f"{blocks}",
        "",
        "| way | frames | frames/s | vs first row | note |",
        "|---|---:|---:|---:|---|",
    ]
    for key in ("section1", "section2"):
        rows = results.get(key) or []
        if key == "section2" and rows:
            lines += [
                "",
                "| batch of different scenes | frames | frames/s | vs first row | note |",
                "|---|---:|---:|---:|---|",
            ]
        reference = rows[0]["fps"] if rows else 0.0
        for row in rows:
            ratio = f"{row['fps'] / reference:.2f}x" if reference and row["fps"] else "-"
            fps = f"{row['fps']:.3f}" if not row["error"] else "failed"
            note = row["error"] or row["note"]
            lines.append(f"| {row['name']} | {row['frames']} | {fps} | {ratio} | {note} |")
        if (
            rows
            and key == "section1"
            and results["engine"] == "cycles"
            and len(rows) > 1
            and rows[1]["fps"]
        ):
            lines.append(
                f"\nsynthscene reaches {100 * rows[0]['fps'] / rows[1]['fps']:.0f}% "
                "of the bare render loop's frames/s.\n"
            )
    memory = results.get("memory")
    if memory:
        lines.append(
            f"\nwarm worker memory: {memory['after_warmup_mb']} MB after warm-up "
            f"({memory['warmup_frames']} frames), "
            f"{memory['end_mb']} MB after {memory['frames']} frames "
            f"({memory['growth_percent']:+.1f}%), peak {memory['peak_mb']} MB"
        )
    return "\n".join(lines)
