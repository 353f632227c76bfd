"""The proxy experiment: does refining raster renders move them toward a "real" domain?

"sim" = pyrender (raster) renders of held-out recipe specs; "real" = Cycles renders of the same
specs (both through :func:`renderer.backend.open_view`, so with the specs' HDRIs and textures)
through the render-time camera model :mod:`renderer.sensor` with fixed settings
(:func:`proxy_sensor`: blur, vignetting, colour cast, noise, JPEG).
The refiner is trained on a disjoint set of "real" frames only (unpaired), then refines the
held-out "sim" frames. Reported per strength: PSNR/SSIM of sim vs its paired real image before
and after, the domain-gap score against the held-out real frames, and the gate's pass rate.

Layout under ``out``: ``real_train/``, ``real_test/``, ``sim_test/`` (native datasets, resumable),
``model.pt``, ``refined_<strength>/`` and ``proxy.json`` (all numbers).
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
import time
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from fileio.atomic import write_json_atomic
from labels.native import finished_frames, latest_records, read_image, write_frame
from renderer.refiner.label_gate import luminance, ssim_map
from renderer.sensor import apply_sensor
from scenes.spec import SensorSpec

log = logging.getLogger(__name__)
TRAIN_SEED_OFFSET = 100_000  # training specs never overlap the held-out test specs


@dataclasses.dataclass
class ProxySettings:
    recipe: str = "tabletop"
    train_count: int = 60
    test_count: int = 30
    size: int = 64
    samples_per_pixel: int = 32
    train_steps: int = 1500
    crop: int = 32
    channels: tuple[int, ...] = (32, 64, 128)
    batch_size: int = 16
    strengths: tuple[float, ...] = (0.2, 0.4, 0.6)
    refine_steps: int = 25
    guidance_downsample: int = 8
    grid_phase: int = 0
    seed: int = 0


def proxy_sensor(seed: int, size: int) -> SensorSpec:
    """The proxy's fixed "real camera": 0.8 px lens blur, 35 % vignetting, a warm cast, noise
    (read 0.01, shot 0.05) and JPEG quality 70, for a ``size``-px image, noise seeded by ``seed``."""
    return SensorSpec(
        white_balance=(1.06, 1.0, 0.9),
        blur=0.8 / size,
        vignetting=0.35,
        read_noise=0.01,
        shot_noise=0.05,
        jpeg_quality=70,
        seed=int(seed),
    )


def render_frames(
    out: Path, recipe: str, seeds: Sequence[int], size: int, samples_per_pixel: int, with_sim: bool
) -> None:
    """Write ``out/real`` (Cycles + camera model) and, if ``with_sim``, ``out/sim`` (raster)."""
    from renderer.backend import ViewSettings, open_view
    from scenes.build import instantiate
    from scenes.recipe_api import sample_spec

    real_done = set(finished_frames(out / "real"))
    sim_done = set(finished_frames(out / "sim")) if with_sim else None
    for seed in seeds:
        name = f"{seed:06d}"
        if name in real_done and (not with_sim or name in sim_done):
            continue
        with tempfile.TemporaryDirectory(prefix="synthscene-proxy-") as scratch:
            _, scene = instantiate(sample_spec(recipe, seed, {"resolution": size}), scratch)
            metadata = {"seed": seed, "recipe": recipe}
            settings = ViewSettings(samples_per_pixel=samples_per_pixel, scratch_dir=scratch)
            cycles = open_view("cycles", scene, settings).render_raw()
            cycles.rgba[..., :3] = apply_sensor(cycles.rgba, proxy_sensor(seed, size))
            write_frame(out / "real", name, cycles, {**metadata, "proxy_domain": "cycles+camera"})
            if with_sim:
                sim = open_view("raster", scene, settings).render_raw()
                write_frame(out / "sim", name, sim, {**metadata, "proxy_domain": "raster"})


def paired_metrics(images: Sequence[np.ndarray], references: Sequence[np.ndarray]) -> dict:
    """Mean PSNR (dB, RGB) and mean SSIM (luminance) of ``images`` against paired ``references``."""
    psnr, ssim = [], []
    for image, reference in zip(images, references):
        error = np.mean((image.astype(np.float64) - reference.astype(np.float64)) ** 2)
        psnr.append(10 * np.log10(255.0**2 / max(error, 1e-10)))
        ssim.append(float(ssim_map(luminance(image), luminance(reference)).mean()))
    return {"psnr_db": round(float(np.mean(psnr)), 3), "ssim": round(float(np.mean(ssim)), 4)}


def dataset_images(folder: Path) -> dict[str, np.ndarray]:
    return {
        name: read_image(folder, name)
        for name, record in latest_records(folder).items()
        if record.get("status") == "ok"
    }


def run_proxy(
    out: str | Path, settings: ProxySettings, progress: bool = True, device: str = "cpu"
) -> dict:
    """Render, train, refine and measure (see module docstring); returns what ``proxy.json`` holds."""
    from renderer.refiner.dataset import GateOptions, refine_dataset
    from fileio.digest import sha256_file
    from renderer.refiner.model import ModelConfig, load_checkpoint
    from renderer.refiner.sdedit import RefineOptions, Refiner
    from renderer.refiner.training import TrainingOptions, summarize_photos, train

    out = Path(out)
    timings = {}
    started = time.perf_counter()
    render_frames(
        out / "train",
        settings.recipe,
        range(TRAIN_SEED_OFFSET, TRAIN_SEED_OFFSET + settings.train_count),
        settings.size,
        settings.samples_per_pixel,
        with_sim=False,
    )
    render_frames(
        out / "test",
        settings.recipe,
        range(settings.test_count),
        settings.size,
        settings.samples_per_pixel,
        with_sim=True,
    )
    timings["render_s"] = round(time.perf_counter() - started, 1)

    real_train = list(dataset_images(out / "train" / "real").values())
    real_test = dataset_images(out / "test" / "real")
    sim_test = dataset_images(out / "test" / "sim")
    names = [name for name in sim_test if name in real_test]
    config = ModelConfig(
        image_size=settings.crop,
        block_out_channels=settings.channels,
        layers_per_block=1,
        attention_levels=(len(settings.channels) - 1,),
        grid_phase=settings.grid_phase,
    )
    started = time.perf_counter()
    model_path = out / (
        "model.pt" if not settings.grid_phase else f"model_grid{settings.grid_phase}.pt"
    )
    checkpoint = train(
        real_train,
        model_path,
        config,
        TrainingOptions(
            steps=settings.train_steps,
            batch_size=settings.batch_size,
            lr=5e-4,
            seed=settings.seed,
            progress=progress,
            device=device,
        ),
        summarize_photos(real_train, str(out / "train" / "real")),
        photo_side=settings.size,
    )
    timings["train_s"] = round(time.perf_counter() - started, 1)

    refiner = Refiner(load_checkpoint(model_path), device=device)
    model_info = {
        "path": str(model_path),
        "sha256": sha256_file(model_path),
        **checkpoint.describe(),
    }
    reals = [real_test[name] for name in names]
    results = {"sim": _measure([sim_test[name] for name in names], reals, settings.seed)}
    for strength in settings.strengths:
        grid = f"_grid{settings.grid_phase}" if settings.grid_phase else ""
        target = out / f"refined_s{strength:g}_g{settings.guidance_downsample}{grid}"
        started = time.perf_counter()
        refined_now = []
        summary = refine_dataset(
            out / "test" / "sim",
            target,
            refiner.refine,
            RefineOptions(
                strength=strength,
                steps=settings.refine_steps,
                seed=settings.seed,
                guidance_downsample=settings.guidance_downsample,
            ),
            GateOptions(),
            model_info,
            progress=lambda name, record: refined_now.append(name),
        )
        elapsed = time.perf_counter() - started
        refined = dataset_images(target)
        results[target.name] = {
            **_measure([refined[name] for name in names], reals, settings.seed),
            "gate_pass_rate": summary["pass_rate"],
            "gate_score_mean": summary["gate_score_mean"],
            "refine_s_per_frame": round(elapsed / len(refined_now), 3) if refined_now else None,
        }
    report = {
        "settings": {
            **dataclasses.asdict(settings),
            "channels": list(settings.channels),
            "strengths": list(settings.strengths),
        },
        "frames": {"real_train": len(real_train), "test_pairs": len(names)},
        "model": {
            "parameters": sum(value.numel() for value in refiner.model.parameters()),
            "first_loss": checkpoint.losses[0]["loss"],
            "final_loss": checkpoint.losses[-1]["loss"],
        },
        "timings": timings,
        "results": results,
        "real_vs_real_gap_reference": _real_split_gap(
            list(real_test.values()), real_train, settings.seed
        ),
    }
    write_json_atomic(out / "proxy.json", report, indent=1)
    return report


def _measure(images: list[np.ndarray], reals: list[np.ndarray], seed: int) -> dict:
    from renderer.refiner.gap import domain_gap

    size = min(images[0].shape[:2])
    gap = domain_gap(images, reals, size=size, seed=seed)
    without_jpeg_grid = domain_gap(images, reals, size=size, seed=seed, exclude=["blockiness"])
    return {
        **paired_metrics(images, reals),
        "gap_accuracy": round(gap.accuracy, 4),
        "gap_accuracy_std": round(gap.accuracy_std, 4),
        "gap_accuracy_without_blockiness": round(without_jpeg_grid.accuracy, 4),
    }


def _real_split_gap(
    real_test: list[np.ndarray], real_train: list[np.ndarray], seed: int
) -> Optional[float]:
    """Gap between two real sets: the floor the score can reach with these set sizes."""
    from renderer.refiner.gap import domain_gap

    count = min(len(real_test), len(real_train))
    if count < 2:
        return None
    return round(
        domain_gap(
            real_train[:count], real_test[:count], size=min(real_test[0].shape[:2]), seed=seed
        ).accuracy,
        4,
    )
