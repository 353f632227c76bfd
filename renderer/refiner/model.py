"""The refiner's denoising model and its self-describing, resumable checkpoint file.

The model is a diffusers ``UNet2DModel`` (epsilon prediction) built from :class:`ModelConfig`,
never downloaded. A checkpoint is one ``torch.save`` file holding plain data and tensors only
(so ``torch.load(weights_only=True)`` reads it):

``format``/``format_version``  identify the file; a different version is refused with a message.
``synthscene_version``          the package that wrote it.
``config``                      :class:`ModelConfig` as a dict (architecture, image size, noise schedule).
``data``                        summary of the training images (folder, count, sizes, mean colour).
``seed``, ``step``              training seed and optimizer steps done so far.
``model``, ``optimizer``        state dicts; ``rng`` the training RNG states, so a resumed run
                                continues exactly where an uninterrupted one would be.
``losses``                      mean loss per logging interval, for the record.
"""

from __future__ import annotations

import dataclasses
import io
import math
import os
from pathlib import Path
from typing import Any, Optional

from fileio.atomic import write_bytes_atomic
from renderer.refiner.errors import RefinerInputError, require_torch

FORMAT = "synthscene-refiner"
FORMAT_VERSION = 1


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Architecture and noise schedule of the denoiser.

    image_size: training crop size in pixels (square). The network is convolutional, so it
      refines frames of other sizes too (sides padded to a multiple of ``2 ** (levels - 1)``).
    block_out_channels: channels per resolution level; (32, 64, 128) ~ a few million parameters.
    layers_per_block: ResNet blocks per level.
    attention_levels: indices of levels that get self-attention (the lowest resolution is cheap).
    num_train_timesteps, beta_schedule: the DDPM forward process.
    grid_phase: 0, or a period in pixels (8 for JPEG blocks): the UNet then gets 4 extra input
      channels, sin/cos of 2 pi x / period and 2 pi y / period with x, y pixel positions from the
      frame's top-left, so it can put artefacts on a fixed grid (a convolutional net alone is
      translation-equivariant and cannot). Training crops then start on that grid and photos are
      not resized (resizing would move their grid).
    """

    image_size: int = 64
    block_out_channels: tuple[int, ...] = (32, 64, 128)
    layers_per_block: int = 2
    attention_levels: tuple[int, ...] = (2,)
    num_train_timesteps: int = 1000
    beta_schedule: str = "squaredcos_cap_v2"
    grid_phase: int = 0

    def to_json(self) -> dict:
        return {
            key: list(value) if isinstance(value, tuple) else value
            for key, value in dataclasses.asdict(self).items()
        }

    @classmethod
    def from_json(cls, data: dict) -> "ModelConfig":
        known = {field.name for field in dataclasses.fields(cls)}
        values = {
            key: tuple(value) if isinstance(value, list) else value
            for key, value in data.items()
            if key in known
        }
        return cls(**values)

    @property
    def size_multiple(self) -> int:
        """Frame sides must be a multiple of this (one halving per level below the top)."""
        return 2 ** (len(self.block_out_channels) - 1)


def build_unet(config: ModelConfig):
    """A freshly initialised ``diffusers.UNet2DModel`` for ``config`` (3 channels in and out)."""
    require_torch()
    from diffusers import UNet2DModel

    levels = range(len(config.block_out_channels))
    down = tuple(
        "AttnDownBlock2D" if i in config.attention_levels else "DownBlock2D" for i in levels
    )
    up = tuple(
        "AttnUpBlock2D" if i in config.attention_levels else "UpBlock2D" for i in reversed(levels)
    )
    groups = min(8, min(config.block_out_channels))
    return UNet2DModel(
        sample_size=config.image_size,
        in_channels=3 + (4 if config.grid_phase else 0),
        out_channels=3,
        block_out_channels=tuple(config.block_out_channels),
        layers_per_block=config.layers_per_block,
        down_block_types=down,
        up_block_types=up,
        norm_num_groups=groups,
        attention_head_dim=min(32, config.block_out_channels[-1]),
    )


def with_grid_phase(config: ModelConfig, sample, top: int = 0, left: int = 0):
    """``sample`` (N, 3, H, W) with the grid-phase channels appended if ``config`` asks for them;
    ``top``/``left``: position of the sample's first pixel in the frame."""
    if not config.grid_phase:
        return sample
    import torch

    height, width = sample.shape[-2:]
    angle_y = (torch.arange(height, dtype=sample.dtype) + top) * (2 * math.pi / config.grid_phase)
    angle_x = (torch.arange(width, dtype=sample.dtype) + left) * (2 * math.pi / config.grid_phase)
    channels = torch.stack(
        [
            angle_x.sin()[None, :].expand(height, width),
            angle_x.cos()[None, :].expand(height, width),
            angle_y.sin()[:, None].expand(height, width),
            angle_y.cos()[:, None].expand(height, width),
        ]
    )
    return torch.cat(
        [sample, channels[None].expand(sample.shape[0], -1, -1, -1).to(sample.device)], dim=1
    )


def build_noise_scheduler(config: ModelConfig, kind: str = "ddpm"):
    """The training (``ddpm``) or sampling (``ddim``) scheduler for ``config``'s schedule."""
    require_torch()
    from diffusers import DDIMScheduler, DDPMScheduler

    common = dict(
        num_train_timesteps=config.num_train_timesteps,
        beta_schedule=config.beta_schedule,
        clip_sample=True,
        prediction_type="epsilon",
    )
    if kind == "ddim":
        return DDIMScheduler(**common, set_alpha_to_one=True)
    return DDPMScheduler(**common)


def synthscene_version() -> str:
    try:
        from importlib.metadata import version

        return version("synthscene")
    except Exception:  # running from a source tree that was never installed
        return "unknown"


@dataclasses.dataclass
class Checkpoint:
    """A loaded (or about to be saved) refiner model file; see the module docstring."""

    config: ModelConfig
    model_state: dict
    data: dict
    seed: int
    step: int = 0
    optimizer_state: Optional[dict] = None
    rng: dict = dataclasses.field(default_factory=dict)
    losses: list = dataclasses.field(default_factory=list)
    synthscene_version: str = dataclasses.field(default_factory=synthscene_version)

    def _header(self) -> dict[str, Any]:
        """Format, versions, config, data, seed and step: the fields both the saved file and
        :meth:`describe` lead with, in this order."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "synthscene_version": self.synthscene_version,
            "config": self.config.to_json(),
            "data": self.data,
            "seed": self.seed,
            "step": self.step,
        }

    def save(self, path: str | os.PathLike) -> None:
        """Write atomically (temporary file, then rename)."""
        import torch

        payload = {
            **self._header(),
            "model": self.model_state,
            "optimizer": self.optimizer_state,
            "rng": self.rng,
            "losses": self.losses,
        }
        buffer = io.BytesIO()
        torch.save(payload, buffer)
        write_bytes_atomic(path, buffer.getvalue())

    def build_model(self):
        """The UNet with this checkpoint's weights, in eval mode."""
        model = build_unet(self.config)
        model.load_state_dict(self.model_state)
        return model.eval()

    def describe(self) -> dict[str, Any]:
        """Everything but the tensors, for ``synthscene refiner info`` and provenance records."""
        return {
            **self._header(),
            "final_loss": self.losses[-1]["loss"] if self.losses else None,
        }


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read a model file written by :meth:`Checkpoint.save`; refuse other formats and versions."""
    require_torch()
    import torch

    path = Path(path)
    if not path.is_file():
        raise RefinerInputError(
            f"model file {path} does not exist; train one with "
            f"`synthscene refiner train --out {path}`"
        )
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (
        Exception
    ) as error:  # torch raises many types for foreign files (pickle, zip, KeyError...)
        # torch's own text advises weights_only=False, i.e. running the file's code: never
        reason = str(error).strip().splitlines()[0][:160] if str(error).strip() else ""
        reason = "" if "weights_only" in str(error) else f" ({type(error).__name__}: {reason})"
        raise RefinerInputError(
            f"model file {path} is not a synthscene refiner model{reason} "
            "(it is read as plain data, never as code); train one with "
            "`synthscene refiner train`"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise RefinerInputError(
            f"model file {path} is not a synthscene refiner model; "
            "train one with `synthscene refiner train`"
        )
    version = payload.get("format_version")
    if version != FORMAT_VERSION:
        raise RefinerInputError(
            f"model file {path} has refiner format version {version} (written by synthscene "
            f"{payload.get('synthscene_version')}); this synthscene reads version {FORMAT_VERSION}: "
            "retrain it with `synthscene refiner train`, or use the synthscene version that wrote it"
        )
    return Checkpoint(
        config=ModelConfig.from_json(payload["config"]),
        model_state=payload["model"],
        data=payload["data"],
        seed=int(payload["seed"]),
        step=int(payload["step"]),
        optimizer_state=payload.get("optimizer"),
        rng=payload.get("rng") or {},
        losses=list(payload.get("losses") or []),
        synthscene_version=payload.get("synthscene_version", "unknown"),
    )
