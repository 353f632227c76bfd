"""Refiner model on CPU with a tiny UNet: training, resuming, SDEdit refinement, bad inputs.

Needs the ``refiner`` extra (torch, diffusers); skipped without it.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from renderer.cli import main  # noqa: E402
from renderer.refiner.errors import RefinerInputError  # noqa: E402
from renderer.refiner.hdri_photos import hdri_photos  # noqa: E402
from renderer.refiner.model import FORMAT_VERSION, ModelConfig, load_checkpoint  # noqa: E402
from renderer.refiner.sdedit import RefineOptions, Refiner  # noqa: E402
from renderer.refiner.training import TrainingOptions, summarize_photos, train  # noqa: E402

TINY = ModelConfig(
    image_size=16, block_out_channels=(16, 32), layers_per_block=1, attention_levels=()
)


def tiny_options(steps: int, **overrides) -> TrainingOptions:
    values = dict(
        steps=steps, batch_size=8, lr=2e-3, seed=3, save_every=1000, log_every=5, progress=False
    )
    return TrainingOptions(**{**values, **overrides})


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


@pytest.fixture(scope="module")
def photos():
    return hdri_photos(12, 24, seed=2)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, photos):
    path = tmp_path_factory.mktemp("model") / "tiny.pt"
    checkpoint = train(photos, path, TINY, tiny_options(30), summarize_photos(photos, "hdri"))
    return path, checkpoint


def test_training_loss_falls(trained):
    _path, checkpoint = trained
    losses = [entry["loss"] for entry in checkpoint.losses]
    assert len(losses) == 6
    assert losses[-1] < 0.6 * losses[0]


def test_checkpoint_is_self_describing(trained, photos):
    path, _ = trained
    loaded = load_checkpoint(path)
    description = loaded.describe()
    assert description["format_version"] == FORMAT_VERSION and description["step"] == 30
    assert loaded.config == TINY and loaded.seed == 3
    assert description["data"]["count"] == len(photos) and len(description["data"]["sha256"]) == 64


def test_resumed_training_equals_uninterrupted(tmp_path, photos):
    summary = summarize_photos(photos, "hdri")
    straight = train(photos, tmp_path / "straight.pt", TINY, tiny_options(8), summary)
    train(photos, tmp_path / "resumed.pt", TINY, tiny_options(4), summary)
    resumed = train(photos, tmp_path / "resumed.pt", TINY, tiny_options(8), summary)
    assert resumed.step == 8
    for key, value in straight.model_state.items():
        assert torch.equal(value, resumed.model_state[key]), key


@pytest.fixture(scope="module")
def refiner(trained):
    return Refiner(load_checkpoint(trained[0]))


def test_strength_zero_returns_the_input_exactly(refiner):
    image = hdri_photos(1, 20, seed=9)[0]
    out = refiner.refine(image, RefineOptions(strength=0.0, steps=4))
    assert out.dtype == np.uint8 and np.array_equal(out, image)


def test_refinement_is_deterministic_per_seed(refiner):
    image = hdri_photos(1, 20, seed=9)[0]  # 20 px: padded to the UNet's multiple and cropped back
    first = refiner.refine(image, RefineOptions(strength=0.5, steps=4, seed=1))
    again = refiner.refine(image, RefineOptions(strength=0.5, steps=4, seed=1))
    other = refiner.refine(image, RefineOptions(strength=0.5, steps=4, seed=2))
    assert first.shape == image.shape and np.array_equal(first, again)
    assert not np.array_equal(first, other) and not np.array_equal(first, image)


def test_guidance_keeps_the_low_frequencies_of_the_render(refiner):
    """With ILVR guidance the 8x8 block means of the result follow the render's."""
    image = hdri_photos(1, 32, seed=4)[0]

    def block_means(array):
        return array.astype(np.float32).reshape(4, 8, 4, 8, 3).mean(axis=(1, 3))

    guided = refiner.refine(image, RefineOptions(strength=0.8, steps=5, guidance_downsample=8))
    free = refiner.refine(image, RefineOptions(strength=0.8, steps=5, guidance_downsample=0))
    guided_error = np.abs(block_means(guided) - block_means(image)).mean()
    free_error = np.abs(block_means(free) - block_means(image)).mean()
    assert guided_error < 3.0 and guided_error < 0.5 * free_error


def test_tiles_and_resize_give_full_size_frames(refiner):
    image = hdri_photos(1, 40, seed=4)[0]
    tiled = refiner.refine(image, RefineOptions(strength=0.4, steps=3, tile=16, tile_overlap=4))
    resized = refiner.refine(image, RefineOptions(strength=0.4, steps=3, resize_to=16))
    assert tiled.shape == resized.shape == image.shape
    assert np.abs(tiled.astype(int) - image).mean() < 40


@pytest.mark.parametrize("strength", [-0.1, 1.5, float("nan")])
def test_strength_outside_unit_interval_is_refused(refiner, strength):
    with pytest.raises(RefinerInputError, match=r"outside \[0, 1\]"):
        refiner.refine(np.zeros((16, 16, 3), np.uint8), RefineOptions(strength=strength))


def test_model_from_another_version_is_refused(trained, tmp_path):
    payload = torch.load(trained[0], weights_only=True)
    payload["format_version"] = FORMAT_VERSION + 1
    torch.save(payload, tmp_path / "future.pt")
    with pytest.raises(RefinerInputError, match="format version 2.*retrain"):
        load_checkpoint(tmp_path / "future.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a model")
    with pytest.raises(RefinerInputError, match="not a synthscene refiner model"):
        load_checkpoint(tmp_path / "junk.pt")


def test_cli_bad_inputs_get_clear_messages(tmp_path, trained, capsys):
    (tmp_path / "empty").mkdir()
    assert (
        main(
            ["refiner", "train", "--real", str(tmp_path / "empty"), "--out", str(tmp_path / "m.pt")]
        )
        == 2
    )
    assert "no image files" in capsys.readouterr().err
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "photo.jpg").write_bytes(b"\xff\xd8 truncated")
    assert (
        main(
            [
                "refiner",
                "train",
                "--real",
                str(tmp_path / "broken"),
                "--out",
                str(tmp_path / "m.pt"),
            ]
        )
        == 2
    )
    assert "none readable" in capsys.readouterr().err
    assert (
        main(
            [
                "refine",
                str(tmp_path),
                "--model",
                str(trained[0]),
                "--strength",
                "1.2",
                "--out",
                str(tmp_path / "out"),
            ]
        )
        == 2
    )
    assert "strength 1.2 is outside [0, 1]" in capsys.readouterr().err


def test_cli_train_and_info(tmp_path, capsys):
    photos_dir = tmp_path / "photos"
    assert (
        main(["refiner", "photos", "--out", str(photos_dir), "--count", "6", "--size", "24"]) == 0
    )
    model = tmp_path / "cli.pt"
    arguments = [
        "refiner",
        "train",
        "--real",
        str(photos_dir),
        "--out",
        str(model),
        "--size",
        "16",
        "--channels",
        "8,16",
        "--layers",
        "1",
        "--attention",
        "none",
        "--batch",
        "4",
        "--no-progress",
    ]
    assert main(arguments + ["--steps", "3"]) == 0
    assert main(arguments + ["--steps", "5"]) == 0  # resumes from step 3
    capsys.readouterr()
    assert main(["refiner", "info", str(model)]) == 0
    assert '"step": 5' in capsys.readouterr().out


def test_grid_phase_model_trains_on_grid_aligned_crops_and_refines_tiles(tmp_path, photos):
    from renderer.refiner.model import with_grid_phase
    from renderer.refiner.training import sample_batch

    config = ModelConfig(
        image_size=16,
        block_out_channels=(16, 32),
        layers_per_block=1,
        attention_levels=(),
        grid_phase=8,
    )
    phase = with_grid_phase(config, torch.zeros(1, 3, 16, 16), top=8, left=16)
    assert phase.shape == (1, 7, 16, 16)
    assert torch.allclose(
        phase[0, 3:], with_grid_phase(config, torch.zeros(1, 3, 16, 16))[0, 3:], atol=1e-5
    )
    # crops start on the 8-px grid: every crop of a frame whose pixels encode (row % 8, col % 8) starts at 0
    rows, cols = np.mgrid[0:40, 0:40]
    grid_image = np.stack([rows % 8 * 30, cols % 8 * 30, np.zeros_like(rows)], axis=-1).astype(
        np.uint8
    )
    crops = sample_batch([grid_image], 16, 6, np.random.default_rng(0), align=8)
    assert np.all(crops[:, 0, 0, 0] == 0) and set(crops[:, 0, 0, 1]) <= {0, 7 * 30}  # 7*30: flipped
    checkpoint = train(
        photos, tmp_path / "grid.pt", config, tiny_options(3), summarize_photos(photos, "hdri")
    )
    refiner = Refiner(load_checkpoint(tmp_path / "grid.pt"))
    assert refiner.config.grid_phase == 8 and checkpoint.step == 3
    image = hdri_photos(1, 40, seed=4)[0]
    options = RefineOptions(strength=0.4, steps=3, tile=16, tile_overlap=4)
    assert refiner.refine(image, options).shape == image.shape
