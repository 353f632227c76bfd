"""Training the refiner's denoiser from scratch on a folder of real images.

Standard DDPM training (Ho et al. 2020): pick a random crop, a random timestep t and Gaussian
noise, form ``x_t = sqrt(a_t) x_0 + sqrt(1 - a_t) noise`` and regress the noise with MSE.
Crops are ``config.image_size`` square, flipped left-right at random, from photos first resized so
their shorter side is ``photo_side`` pixels (match this to the scale of the frames you refine).

Runs are resumable: the model file is rewritten every ``save_every`` steps with the optimizer and
RNG states, and training again with the same ``out`` continues from there to ``steps`` in total.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path
from typing import Optional

import cv2
import numpy as np

from renderer.refiner.errors import RefinerInputError, require_torch
from renderer.refiner.model import (
    Checkpoint,
    ModelConfig,
    build_noise_scheduler,
    build_unet,
    load_checkpoint,
    with_grid_phase,
)

log = logging.getLogger(__name__)


@dataclasses.dataclass
class TrainingOptions:
    """steps: total optimizer steps (a resumed run stops there too); lr: AdamW learning rate."""

    steps: int = 2000
    batch_size: int = 16
    lr: float = 2e-4
    seed: int = 0
    save_every: int = 250
    log_every: int = 25
    progress: bool = True
    device: str = "cpu"


def prepare_photos(
    images: list[np.ndarray], crop: int, photo_side: Optional[int]
) -> list[np.ndarray]:
    """Resize each photo so its shorter side is ``photo_side`` (at least ``crop``) pixels;
    ``photo_side=None`` keeps photos as they are (unless smaller than ``crop``)."""
    if photo_side is None:
        return [
            image if min(image.shape[:2]) >= crop else prepare_photos([image], crop, crop)[0]
            for image in images
        ]
    side = max(crop, photo_side)
    prepared = []
    for image in images:
        height, width = image.shape[:2]
        scale = side / min(height, width)
        if abs(scale - 1.0) > 1e-9:
            size = (max(crop, round(width * scale)), max(crop, round(height * scale)))
            image = cv2.resize(
                image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
            )
        prepared.append(image)
    return prepared


def summarize_photos(images: list[np.ndarray], source: str, files: Optional[list] = None) -> dict:
    """The ``data`` record of a checkpoint: where the photos came from and what they look like."""
    import hashlib

    digest = hashlib.sha256()
    for image in images:
        digest.update(np.ascontiguousarray(image).tobytes())
    sides = [min(image.shape[:2]) for image in images]
    pixels = np.concatenate([image.reshape(-1, 3) for image in images]).astype(np.float64)
    return {
        "source": source,
        "count": len(images),
        "files": len(files) if files else len(images),
        "shorter_side_px": {"min": int(min(sides)), "max": int(max(sides))},
        "mean_rgb": [round(v, 2) for v in pixels.mean(0).tolist()],
        "std_rgb": [round(v, 2) for v in pixels.std(0).tolist()],
        "sha256": digest.hexdigest(),
    }


def sample_batch(
    photos: list[np.ndarray], crop: int, batch_size: int, rng: np.random.Generator, align: int = 1
) -> np.ndarray:
    """(batch, crop, crop, 3) uint8 random crops starting at multiples of ``align`` pixels, each
    flipped left-right with probability 1/2."""
    batch = np.empty((batch_size, crop, crop, 3), np.uint8)
    for slot in range(batch_size):
        photo = photos[rng.integers(len(photos))]
        top = rng.integers((photo.shape[0] - crop) // align + 1) * align
        left = rng.integers((photo.shape[1] - crop) // align + 1) * align
        patch = photo[top : top + crop, left : left + crop]
        batch[slot] = patch[:, ::-1] if rng.random() < 0.5 else patch
    return batch


def train(
    photos: list[np.ndarray],
    out: str | os.PathLike,
    config: ModelConfig,
    options: TrainingOptions,
    data_summary: dict,
    photo_side: Optional[int] = None,
) -> Checkpoint:
    """Train (or resume training of) the model file ``out`` to ``options.steps`` steps; return it.

    If ``out`` already holds a model, its config must equal ``config`` and training continues
    from its step with its optimizer and RNG states; otherwise a fresh model starts from ``seed``.
    """
    require_torch()
    import torch
    from renderer.refiner.images import to_model_range

    out = Path(out)
    checkpoint = _resume_or_start(out, config, options, data_summary)
    crops = prepare_photos(photos, config.image_size, None if config.grid_phase else photo_side)
    align = config.grid_phase or 1
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(checkpoint.seed)  # initial weights follow the seed
        model = build_unet(config)
    if checkpoint.model_state:
        model.load_state_dict(checkpoint.model_state)
    model.to(options.device).train()
    scheduler = build_noise_scheduler(config, "ddpm")
    optimizer = torch.optim.AdamW(model.parameters(), lr=options.lr, weight_decay=0.0)
    if checkpoint.optimizer_state:
        optimizer.load_state_dict(checkpoint.optimizer_state)
    data_rng, noise_rng = _restore_rngs(checkpoint)

    window: list[float] = []
    with _progress(options.progress, checkpoint.step, options.steps) as advance:
        while checkpoint.step < options.steps:
            clean = to_model_range(
                sample_batch(crops, config.image_size, options.batch_size, data_rng, align)
            )
            noise = torch.randn(clean.shape, generator=noise_rng)
            timesteps = torch.randint(
                0, config.num_train_timesteps, (clean.shape[0],), generator=noise_rng
            )
            noisy = with_grid_phase(config, scheduler.add_noise(clean, noise, timesteps)).to(
                options.device
            )
            predicted = model(noisy, timesteps.to(options.device)).sample
            noise = noise.to(options.device)
            loss = torch.nn.functional.mse_loss(predicted, noise)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            checkpoint.step += 1
            window.append(float(loss.detach()))
            if len(window) == options.log_every or checkpoint.step == options.steps:
                checkpoint.losses.append({"step": checkpoint.step, "loss": float(np.mean(window))})
                window.clear()
            advance(window[-1] if window else checkpoint.losses[-1]["loss"])
            if checkpoint.step % options.save_every == 0 or checkpoint.step == options.steps:
                _save(checkpoint, model, optimizer, data_rng, noise_rng, out)
    return checkpoint


def _resume_or_start(
    out: Path, config: ModelConfig, options: TrainingOptions, data_summary: dict
) -> Checkpoint:
    if out.exists():
        checkpoint = load_checkpoint(out)
        if checkpoint.config != config:
            raise RefinerInputError(
                f"model file {out} exists with a different config ({checkpoint.config.to_json()}); "
                "use the same --size/--channels to resume it, or pass --fresh to start over"
            )
        if checkpoint.data.get("sha256") != data_summary.get("sha256"):
            log.warning("resuming %s on different training images than it started with", out)
        log.info("resuming %s at step %d of %d", out, checkpoint.step, options.steps)
        return checkpoint
    return Checkpoint(
        config=config,
        model_state={},
        data=data_summary,
        seed=options.seed,
        rng={},
        optimizer_state=None,
    )


def _restore_rngs(checkpoint: Checkpoint):
    import torch

    data_rng = np.random.default_rng(checkpoint.seed)
    noise_rng = torch.Generator().manual_seed(checkpoint.seed)
    if checkpoint.rng:
        data_rng.bit_generator.state = checkpoint.rng["data"]
        noise_rng.set_state(checkpoint.rng["noise"])
    return data_rng, noise_rng


def _save(checkpoint: Checkpoint, model, optimizer, data_rng, noise_rng, out: Path) -> None:
    checkpoint.model_state = {
        key: value.detach().cpu().clone() for key, value in model.state_dict().items()
    }
    checkpoint.optimizer_state = _to_cpu(optimizer.state_dict())
    checkpoint.rng = {"data": data_rng.bit_generator.state, "noise": noise_rng.get_state()}
    checkpoint.save(out)


def _to_cpu(state):
    import torch

    if isinstance(state, torch.Tensor):
        return state.detach().cpu().clone()
    if isinstance(state, dict):
        return {key: _to_cpu(value) for key, value in state.items()}
    if isinstance(state, (list, tuple)):
        return type(state)(_to_cpu(value) for value in state)
    return state


class _progress:
    """A rich progress bar showing the running loss; a no-op when disabled."""

    def __init__(self, enabled: bool, done: int, total: int):
        self.enabled, self.done, self.total = enabled, done, total

    def __enter__(self):
        if not self.enabled:
            return lambda loss: None
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(
            TextColumn("training"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]:.4f}"),
            TimeRemainingColumn(),
        )
        self.bar.__enter__()
        task = self.bar.add_task("train", total=self.total, completed=self.done, loss=float("nan"))
        return lambda loss: self.bar.update(task, advance=1, loss=loss)

    def __exit__(self, *exc):
        if self.enabled:
            self.bar.__exit__(*exc)
        return False
