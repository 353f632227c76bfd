"""Labelled frames/s of the raster backend on seeded recipe scenes (optionally vs Cycles).

    python -m renderer.raster.benchmark --resolution 256 --recipes clevr tabletop --seeds 3 \\
        [--no-shadows] [--cycles-spp 64]

Scenes are built once (spec -> settle -> kubric.Scene); each gets its own Raster view on the
shared OpenGL context; one warm-up render per view, then ``--repeats`` rounds over all views.
A "labelled frame" is one ``render_raw()``: RGB + ids + depth + normals + object coordinates.
With ``--cycles-spp`` the same scenes are rendered once each with renderer.blender (scene setup
included) in the same run, and the ratio is printed.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time


def _scenes(recipes, seeds: int, resolution: int, scratch: str):
    from scenes.build import instantiate  # pylint: disable=import-outside-toplevel
    from scenes.recipe_api import sample_spec  # pylint: disable=import-outside-toplevel

    return [
        instantiate(sample_spec(recipe, seed, {"resolution": resolution}), scratch)[1]
        for recipe in recipes
        for seed in range(seeds)
    ]


def raster_frames_per_second(scenes, shadows: bool = True, repeats: int = 5) -> float:
    """Labelled frames/s, cycling over ``scenes`` (warm views)."""
    from renderer.backend import ViewSettings, open_view  # pylint: disable=import-outside-toplevel

    views = [open_view("raster", scene, ViewSettings(shadows=shadows)) for scene in scenes]
    for view in views:
        view.render_raw()
    started = time.perf_counter()
    for _ in range(repeats):
        for view in views:
            view.render_raw()
    elapsed = time.perf_counter() - started
    for view in views:
        view.close()
    return repeats * len(views) / elapsed


def cycles_frames_per_second(scenes, samples_per_pixel: int, scratch: str) -> float:
    """Labelled frames/s of renderer.blender, one frame per scene, setup included."""
    from renderer.backend import ViewSettings, open_view  # pylint: disable=import-outside-toplevel

    settings = ViewSettings(samples_per_pixel=samples_per_pixel, scratch_dir=scratch)
    started = time.perf_counter()
    for scene in scenes:
        open_view("cycles", scene, settings).render_raw()
    return len(scenes) / (time.perf_counter() - started)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", type=int, default=256)
    parser.add_argument("--recipes", nargs="+", default=["clevr", "tabletop"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-shadows", action="store_true")
    parser.add_argument(
        "--cycles-spp",
        type=int,
        default=0,
        help="also render the scenes with Cycles at this many samples",
    )
    args = parser.parse_args(argv)
    scratch = tempfile.mkdtemp(prefix="raster-bench-")
    scenes = _scenes(args.recipes, args.seeds, args.resolution, scratch)
    load_before = os.getloadavg()[0]
    raster = raster_frames_per_second(scenes, shadows=not args.no_shadows, repeats=args.repeats)
    print(
        f"raster {args.resolution}x{args.resolution}, {len(scenes)} scenes, shadows="
        f"{not args.no_shadows}: {raster:.1f} labelled frames/s "
        f"(load average {load_before:.1f} on {os.cpu_count()} CPUs)"
    )
    if args.cycles_spp:
        cycles = cycles_frames_per_second(scenes, args.cycles_spp, scratch)
        print(
            f"cycles {args.cycles_spp} spp: {cycles:.3f} labelled frames/s; "
            f"raster is {raster / cycles:.0f}x faster"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
