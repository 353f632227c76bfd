"""Photo matching around the refiner (renderer/refiner/photo_stats.py): the colour step moves CIELAB
statistics to the target photo's, the noise ceiling keeps grain at or below the photo's level,
both deterministic. Synthetic images only (seeded numpy), no model."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from renderer.refiner.dataset import GateOptions, refine_frame
from renderer.refiner.errors import RefinerInputError
from renderer.refiner.sdedit import RefineOptions
from renderer.refiner.photo_stats import (
    PhotoMatch,
    PhotoStats,
    cap_noise,
    grain_sigma,
    match_colour,
    noise_sigma,
    photo_set_stats,
    photo_stats,
    pick_photo,
)

SIZE = 48


def smooth_image(seed: int, tint=(1.0, 1.0, 1.0)) -> np.ndarray:
    """A smooth, structured uint8 image (blurred random field) with a colour tint."""
    rng = np.random.default_rng(seed)
    field = cv2.GaussianBlur(rng.uniform(0, 255, (SIZE, SIZE, 3)).astype(np.float32), (0, 0), 4.0)
    field = (field - field.mean()) * 4.0 + 128.0
    return np.clip(field * np.asarray(tint, np.float32), 0, 255).astype(np.uint8)


def noisy(image: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(image + rng.normal(0, sigma, image.shape) + 0.5, 0, 255).astype(np.uint8)


def lab_stats(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lab = cv2.cvtColor(image.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB).reshape(-1, 3)
    return lab.mean(0), lab.std(0)


@pytest.fixture(scope="module")
def warm_photos() -> list[np.ndarray]:
    """'Photos': warm, brighter, with grain (sigma ~4/255), at twice the frame size."""
    return [
        cv2.resize(noisy(smooth_image(100 + i, (1.25, 1.0, 0.7)), 4.0, i), (2 * SIZE, 2 * SIZE))
        for i in range(6)
    ]


def test_colour_statistics_move_to_the_target_photo(warm_photos):
    render = smooth_image(1, (0.7, 0.9, 1.2))  # bluish
    target = photo_stats(warm_photos[0], SIZE)
    moved = match_colour(render, target)
    mean, std = lab_stats(moved)
    start_mean, _ = lab_stats(render)
    goal_mean, goal_std = np.array(target.lab_mean), np.array(target.lab_std)
    assert np.abs(mean - goal_mean).max() < 0.1 * np.abs(start_mean - goal_mean).max()
    assert np.allclose(std, goal_std, rtol=0.15, atol=1.0)
    half = match_colour(render, target, weight=0.5)
    assert np.abs(lab_stats(half)[0] - goal_mean).max() < np.abs(start_mean - goal_mean).max()
    assert np.array_equal(match_colour(render, target, weight=0.0), render)
    assert np.array_equal(moved, match_colour(render, target))  # deterministic


def test_set_level_colour_moves_toward_the_photo_set(warm_photos):
    renders = [smooth_image(10 + i, (0.7, 0.9, 1.2)) for i in range(8)]
    stats = photo_set_stats(warm_photos, SIZE)
    matched = [match_colour(image, pick_photo(stats, seed)) for seed, image in enumerate(renders)]
    photo_mean = np.mean(
        [
            lab_stats(cv2.resize(p, (SIZE, SIZE), interpolation=cv2.INTER_AREA))[0]
            for p in warm_photos
        ],
        axis=0,
    )
    before = np.abs(np.mean([lab_stats(r)[0] for r in renders], axis=0) - photo_mean)
    after = np.abs(np.mean([lab_stats(m)[0] for m in matched], axis=0) - photo_mean)
    assert (after < 0.3 * before + 0.5).all()


def test_noise_ceiling_caps_added_grain_and_keeps_low_frequencies():
    before = smooth_image(3)
    brighter = np.clip(before.astype(np.float32) + 12.0, 0, 255)
    after = noisy(brighter, 12.0, seed=5)  # a 'refiner' that brightened and added heavy grain
    ceiling = 0.01
    assert noise_sigma(after) > 2 * ceiling > noise_sigma(before)
    capped = cap_noise(before, after, ceiling)
    budget = np.sqrt(ceiling**2 - noise_sigma(before) ** 2)
    assert grain_sigma(capped.astype(np.float32) - before) <= budget + 0.5 / 255
    assert noise_sigma(capped) <= ceiling
    assert grain_sigma(capped.astype(np.float32) - before) > 0.5 * budget  # capped, not flattened
    # the smooth part of the change (brightening by 12) survives the cap
    change = cv2.GaussianBlur(capped.astype(np.float32) - before, (0, 0), 3.0)
    assert abs(float(np.median(change)) - 12.0) < 2.0
    assert np.array_equal(capped, cap_noise(before, after, ceiling))  # deterministic


def test_noise_ceiling_leaves_quiet_results_and_the_renders_own_noise_alone():
    before = noisy(smooth_image(4), 6.0, seed=1)  # sensor noise already above the ceiling
    quiet = np.clip(before.astype(np.int16) + 3, 0, 255).astype(np.uint8)
    assert np.array_equal(cap_noise(before, quiet, 0.0), quiet)  # a smooth change is no grain
    louder = noisy(before, 10.0, seed=2)
    capped = cap_noise(before, louder, 0.001)  # no budget left: the model's grain goes
    assert grain_sigma(capped.astype(np.float32) - before) <= 1.0 / 255  # what a 2-px blur leaves
    assert noise_sigma(capped) <= 1.05 * noise_sigma(before)


def test_photo_is_drawn_from_the_seed_alone(warm_photos):
    stats = photo_set_stats(warm_photos, SIZE)
    assert pick_photo(stats, 7) == pick_photo(stats, 7)
    assert len({pick_photo(stats, seed) for seed in range(40)}) > 1
    assert isinstance(stats[0], PhotoStats) and stats[0].noise_sigma > 0


def frame_with_labels() -> tuple[np.ndarray, np.ndarray]:
    """A bluish frame with two labelled squares (instance ids 1, 2)."""
    image = smooth_image(2, (0.7, 0.9, 1.2))
    ids = np.zeros((SIZE, SIZE), np.int32)
    ids[8:24, 8:24], ids[28:44, 20:40] = 1, 2
    image[ids == 1], image[ids == 2] = (220, 60, 40), (40, 60, 200)
    return image, ids


def test_photo_matched_frame_is_seeded_capped_and_gated_after_the_colour_step(warm_photos):
    image, ids = frame_with_labels()
    matching = PhotoMatch(warm_photos)
    options = RefineOptions(strength=0.5, seed=11)

    def grainy(frame, opts):  # a 'model' that only adds grain (seeded)
        return noisy(frame, 8.0, seed=opts.seed)

    first, record = refine_frame(grainy, image, ids, options, GateOptions(), matching)
    second, _ = refine_frame(grainy, image, ids, options, GateOptions(), matching)
    assert np.array_equal(first, second) and record["accepted"]
    target = matching.target(image, options.seed)
    coloured = matching.prepare(image, options.seed)
    assert noise_sigma(first) <= max(matching.noise_ceiling(SIZE), noise_sigma(coloured)) + 1e-3
    assert np.abs(lab_stats(first)[0] - np.array(target.lab_mean)).max() < 3.0

    def drifting(frame, opts):  # a 'model' that moves everything by 8 px: labels no longer hold
        return np.roll(frame, 8, axis=1)

    kept, record = refine_frame(drifting, image, ids, options, GateOptions(retries=0), matching)
    assert not record["accepted"] and np.array_equal(kept, coloured)


def test_bad_inputs_are_clear_errors(warm_photos):
    with pytest.raises(RefinerInputError, match="--photos"):
        PhotoMatch([])
    with pytest.raises(RefinerInputError, match="--colour-weight"):
        PhotoMatch(warm_photos, colour_weight=1.5)


def test_flat_render_is_not_stretched_past_the_gain_limit(warm_photos):
    from renderer.refiner.photo_stats import MAX_GAIN

    flat = noisy(np.full((SIZE, SIZE, 3), 235, np.uint8), 1.0, seed=3)  # a white wall, faint noise
    target = PhotoStats((50.0, 10.0, 20.0), (30.0, 15.0, 15.0), 0.01)
    moved = match_colour(flat, target)
    assert (lab_stats(moved)[1] <= MAX_GAIN * lab_stats(flat)[1] + 0.5).all()
    assert abs(lab_stats(moved)[0][0] - 50.0) < 1.0  # the mean still moves all the way
