"""``synthscene render RECIPE --count N --out DIR``: render a labelled batch, resumably."""

from __future__ import annotations

import argparse
from pathlib import Path

from renderer.commands._common import add_override_argument

MATCH_PHOTOS_PARAM = "sensor.match_photos"
NAME = "render"
HELP = "render a labelled batch of a recipe (rerun the same command to resume)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("recipe", help="built-in recipe name or path/to/file.py:name")
    parser.add_argument("--count", type=int, required=True, help="number of frames")
    parser.add_argument("--out", required=True, help="output folder (the batch lives here)")
    parser.add_argument("--seed", type=int, default=0, help="batch seed (default 0)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes (default 1; 0 = render in this process)",
    )
    parser.add_argument("--engine", default="cycles", choices=("cycles", "raster"))
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "gpu"))
    parser.add_argument("--resolution", help="WxH overriding the recipe's, e.g. 256x256")
    parser.add_argument("--samples", type=int, default=32, help="Cycles samples per pixel")
    add_override_argument(parser)
    parser.add_argument(
        "--match-photos",
        metavar="DIR",
        help="centre the camera/sensor model on these photos (recipes with a "
        "sensor.match_photos parameter, e.g. household)",
    )
    parser.add_argument("--frames", help="only these frame indices, e.g. 3,7,10-12")
    parser.add_argument(
        "--retries", type=int, default=1, help="retries of a frame whose worker crashed (default 1)"
    )
    parser.add_argument(
        "--recycle-after",
        type=int,
        default=200,
        help="replace a worker after this many frames (default 200)",
    )
    parser.add_argument(
        "--frame-timeout",
        type=float,
        metavar="SECONDS",
        help="stop a frame that takes longer (default: 10 min plus 10x a slow "
        "CPU's render time for the resolution and samples)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="render into a folder that holds files synthscene did not write "
        "(they are left untouched)",
    )
    parser.add_argument(
        "--repair",
        action="store_true",
        help="also re-render every frame 'synthscene validate' flags",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--log-json", help="append machine-readable progress events here")
    parser.add_argument("--ray", action="store_true", help="run workers as local Ray actors")
    parser.add_argument("--ray-address", help="run workers on the Ray cluster at ADDRESS")


def parse_frames(text: str) -> tuple[int, ...]:
    """``"3,7,10-12"`` -> (3, 7, 10, 11, 12)."""
    from renderer.errors import UserError  # pylint: disable=import-outside-toplevel

    frames = []
    try:
        for part in text.split(","):
            low, _, high = part.partition("-")
            if int(high or low) < int(low):
                raise ValueError("empty range")
            frames.extend(range(int(low), int(high or low) + 1))
    except ValueError:
        raise UserError(
            f"--frames {text!r} is invalid: give indices >= 0 and ranges like 3,7,10-12"
        ) from None
    return tuple(frames)


def config_from_args(args: argparse.Namespace):
    from renderer.batch import BatchConfig  # pylint: disable=import-outside-toplevel
    from renderer.commands._common import parse_resolution  # pylint: disable=import-outside-toplevel
    from scenes.params import parse_overrides  # pylint: disable=import-outside-toplevel

    overrides = parse_overrides(args.overrides)
    if getattr(args, "match_photos", None):
        overrides[MATCH_PHOTOS_PARAM] = args.match_photos
    return BatchConfig(
        recipe=args.recipe,
        out=Path(args.out),
        count=args.count,
        seed=args.seed,
        overrides=tuple(sorted(overrides.items())),
        engine=args.engine,
        device=args.device,
        resolution=parse_resolution(args.resolution) if args.resolution else None,
        samples=args.samples,
        workers=args.workers,
        max_retries=args.retries,
        recycle_after=args.recycle_after,
        frame_timeout=args.frame_timeout,
        force=args.force,
        frames=parse_frames(args.frames) if args.frames else None,
    )


def run(args: argparse.Namespace) -> int:
    from renderer.batch import run_batch  # pylint: disable=import-outside-toplevel
    from renderer.batch.progress import JsonLog, QuietReporter, RichReporter  # pylint: disable=import-outside-toplevel

    config = config_from_args(args)
    if args.match_photos:
        match_photos(config)
    rerender = ()
    if args.repair:
        from renderer.commands.repair import flagged_frames  # pylint: disable=import-outside-toplevel

        rerender = flagged_frames(config.out)
    reporter = QuietReporter() if args.quiet else RichReporter(f"{config.recipe}")
    if args.log_json:
        reporter = JsonLog(Path(args.log_json), reporter)
    pool = None
    if args.ray or args.ray_address:
        from renderer.batch.ray_pool import RayPool  # pylint: disable=import-outside-toplevel

        pool = RayPool(config, address=args.ray_address)
    return exit_status(run_batch(config, reporter, pool=pool, rerender=rerender))


def exit_status(summary) -> int:
    """0 when every frame is finished; 128+signal when interrupted (130 Ctrl-C, 143 SIGTERM);
    1 when stopped early or frames failed."""
    if summary.stopped == "interrupted":
        return 128 + int(summary.signal or 2)
    return 1 if summary.stopped or summary.failed else 0


def match_photos(config) -> dict:
    """Fit the sensor model to ``--match-photos`` once, up front (one clear error for a bad
    folder or a recipe without the parameter), and print what was measured; every frame records
    the fit in ``provenance.sensor.matched``."""
    from renderer.errors import UserError  # pylint: disable=import-outside-toplevel
    from scenes.photo_fit import fit_photos  # pylint: disable=import-outside-toplevel
    from scenes.recipe_api import load_recipe  # pylint: disable=import-outside-toplevel

    recipe = load_recipe(config.recipe)
    if MATCH_PHOTOS_PARAM not in recipe.params:
        raise UserError(
            f"--match-photos: recipe {config.recipe!r} has no "
            f"{MATCH_PHOTOS_PARAM!r} parameter; use a recipe with a sensor model "
            "(e.g. household) or drop --match-photos"
        )
    folder = config.overrides_dict[MATCH_PHOTOS_PARAM]
    # measured at the recipe's own resolution, as the recipe does (cached: fitted once)
    fit = fit_photos(folder, int(recipe.sample(0, config.overrides_dict).resolution[0]))
    print(
        f"matched {fit['photos']} photos in {folder}: noise sigma {fit['noise_sigma']:.4f}, "
        f"blur {fit['blur_px']:.2f} px, JPEG quality {fit['jpeg_quality']}, grey-world "
        f"gains R {fit['gray_world_gains'][0]:.3f} B {fit['gray_world_gains'][2]:.3f}, "
        f"luminance {fit['luminance']:.3f}"
    )
    return fit
