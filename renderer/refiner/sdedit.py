"""SDEdit refinement: partially noise a render, then denoise it with the real-photo model.

``strength`` s in [0, 1] picks how far into the forward process the render is pushed: the DDIM
schedule of ``steps`` steps over the full noise range is cut to its last ``round(s * steps)``
steps. s = 0 returns the input unchanged (bit for bit); s = 1 starts from (almost) pure noise.

Guidance by the render (ILVR, Choi et al. 2021): after every denoising step the low frequencies
of the sample are replaced by those of the render noised to the same level (with the same noise),
so the final image keeps the render's coarse layout — objects stay where the labels say — while
the model rewrites texture, noise and fine detail. "Low frequencies" are the means over
``guidance_downsample`` x ``guidance_downsample`` pixel blocks, matched by a smooth (bilinear)
correction; 0 switches guidance off.

Large frames: ``tile`` denoises overlapping square tiles and blends their noise predictions at
every step (seam-free); ``resize_to`` refines a downscaled copy and adds the change it made,
upsampled, to the full-resolution render. Noise comes from a CPU generator seeded with ``seed``,
so results are deterministic for a seed on a given machine.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Optional

import cv2
import numpy as np

from renderer.refiner.errors import RefinerInputError


@dataclasses.dataclass
class RefineOptions:
    strength: float = 0.3
    steps: int = 25
    seed: int = 0
    guidance_downsample: int = 8
    guidance_weight: float = 1.0
    tile: Optional[int] = None
    tile_overlap: int = 16
    resize_to: Optional[int] = None

    def validate(self) -> None:
        if not 0.0 <= self.strength <= 1.0 or math.isnan(self.strength):
            raise RefinerInputError(
                f"strength {self.strength} is outside [0, 1]; use e.g. --strength 0.3 "
                "(0 keeps the render, 1 redraws it from noise)"
            )
        if self.steps < 1:
            raise RefinerInputError(f"--steps {self.steps}: need at least 1 denoising step")
        if self.guidance_downsample < 0 or not 0.0 <= self.guidance_weight <= 1.0:
            raise RefinerInputError(
                "guidance: --guidance-downsample must be >= 0 and --guidance-weight in [0, 1]"
            )


class Refiner:
    """A loaded model plus its sampling scheduler; call :meth:`refine` per image."""

    def __init__(self, checkpoint, device: str = "cpu"):
        from renderer.refiner.model import build_noise_scheduler

        self.checkpoint = checkpoint
        self.config = checkpoint.config
        self.device = device
        self.model = checkpoint.build_model().to(device)
        self.scheduler = build_noise_scheduler(self.config, "ddim")
        self.scheduler.register_to_config(timestep_spacing="trailing")

    def refine(self, image: np.ndarray, options: RefineOptions) -> np.ndarray:
        """Refined uint8 (H, W, 3) copy of uint8 (H, W, 3) ``image`` (see module docstring)."""
        options.validate()
        image = np.ascontiguousarray(image[..., :3])
        if options.strength == 0.0 or round(options.strength * options.steps) == 0:
            return image.copy()
        if options.resize_to and max(image.shape[:2]) > options.resize_to:
            return self._refine_resized(image, options)
        return self._refine_padded(image, options)

    def _refine_resized(self, image: np.ndarray, options: RefineOptions) -> np.ndarray:
        height, width = image.shape[:2]
        scale = options.resize_to / max(height, width)
        small_size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = cv2.resize(image, small_size, interpolation=cv2.INTER_AREA)
        change = self._refine_padded(small, options).astype(np.float32) - small.astype(np.float32)
        change = cv2.resize(change, (width, height), interpolation=cv2.INTER_LINEAR)
        return np.clip(image.astype(np.float32) + change + 0.5, 0, 255).astype(np.uint8)

    def _refine_padded(self, image: np.ndarray, options: RefineOptions) -> np.ndarray:
        height, width = image.shape[:2]
        multiple = self.config.size_multiple
        pad_bottom, pad_right = (-height) % multiple, (-width) % multiple
        padded = (
            cv2.copyMakeBorder(image, 0, pad_bottom, 0, pad_right, cv2.BORDER_REFLECT_101)
            if pad_bottom or pad_right
            else image
        )
        refined = self._denoise(padded, options)
        return refined[:height, :width]

    def _denoise(self, image: np.ndarray, options: RefineOptions) -> np.ndarray:
        import torch
        from renderer.refiner.images import from_model_range, to_model_range

        render = to_model_range([image])
        generator = torch.Generator().manual_seed(int(options.seed))
        noise = torch.randn(render.shape, generator=generator)
        scheduler = self.scheduler
        scheduler.set_timesteps(options.steps)
        run = max(1, round(options.strength * options.steps))
        timesteps = scheduler.timesteps[options.steps - run :]
        sample = scheduler.add_noise(render, noise, timesteps[:1])
        with torch.inference_mode():
            for index, timestep in enumerate(timesteps):
                epsilon = self._predict_noise(sample, timestep, options)
                sample = scheduler.step(epsilon.cpu(), timestep, sample, eta=0.0).prev_sample
                if options.guidance_downsample and options.guidance_weight > 0:
                    reference = (
                        render
                        if index + 1 == len(timesteps)
                        else scheduler.add_noise(render, noise, timesteps[index + 1 : index + 2])
                    )
                    sample = match_low_frequencies(
                        sample, reference, options.guidance_downsample, options.guidance_weight
                    )
        return from_model_range(sample)[0]

    def _predict_noise(self, sample, timestep, options: RefineOptions):
        """The model's noise prediction for the whole frame, or blended over overlapping tiles."""
        import torch
        from renderer.refiner.model import with_grid_phase

        height, width = sample.shape[-2:]
        tile = options.tile
        if not tile or (height <= tile and width <= tile):
            return self.model(with_grid_phase(self.config, sample).to(self.device), timestep).sample
        tile = max(self.config.size_multiple, tile - tile % self.config.size_multiple)
        tops = _tile_starts(height, tile, options.tile_overlap)
        lefts = _tile_starts(width, tile, options.tile_overlap)
        weight = _feather(min(tile, height), min(tile, width))
        total = torch.zeros_like(sample)
        weights = torch.zeros_like(sample[:, :1])
        for top in tops:
            for left in lefts:
                window = (
                    slice(None),
                    slice(None),
                    slice(top, top + tile),
                    slice(left, left + tile),
                )
                tile_input = with_grid_phase(self.config, sample[window], top, left)
                predicted = self.model(tile_input.to(self.device), timestep).sample.cpu()
                total[window] += predicted * weight
                weights[window] += weight
        return total / weights


def _tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    if length <= tile:
        return [0]
    stride = max(1, tile - overlap)
    starts = list(range(0, length - tile, stride))
    return starts + [length - tile]


def _feather(height: int, width: int):
    """Blend weights for one tile: 1 in the middle, falling linearly towards the edges (never 0)."""
    import torch

    ramp_y = torch.minimum(torch.arange(height) + 1.0, height - torch.arange(height).float())
    ramp_x = torch.minimum(torch.arange(width) + 1.0, width - torch.arange(width).float())
    return (ramp_y[:, None] * ramp_x[None, :]).clamp(max=64.0)[None, None] / 64.0


def match_low_frequencies(sample, reference, factor: int, weight: float = 1.0, iterations: int = 6):
    """Shift ``sample`` by a smooth (bilinear) correction so that its ``factor`` x ``factor``
    block means equal ``reference``'s (times ``weight``); the correction is solved on the coarse
    grid by a few fixed-point iterations, since block-averaging a bilinear upsampling blurs."""
    import torch.nn.functional as functional

    height, width = sample.shape[-2:]
    coarse_size = (max(1, math.ceil(height / factor)), max(1, math.ceil(width / factor)))

    def down(batch):
        return functional.interpolate(batch, size=coarse_size, mode="area")

    def up(batch):
        return functional.interpolate(
            batch, size=(height, width), mode="bilinear", align_corners=False
        )

    target = weight * (down(sample) - down(reference))
    correction = target.clone()
    for _ in range(iterations):
        correction = correction + (target - down(up(correction)))
    return sample - up(correction)
