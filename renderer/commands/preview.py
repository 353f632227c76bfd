"""``synthscene preview RECIPE --count 16``: a contact sheet of quick renders."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from renderer.commands._common import add_override_argument

NAME = "preview"
HELP = "contact sheet of quick labelled renders of a recipe, with the sampled parameters"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("recipe", help="built-in recipe name or path/to/file.py:name")
    parser.add_argument("--count", type=int, default=16, help="tiles (default 16)")
    parser.add_argument("--out", default="preview.png", help="PNG to write (JSON alongside)")
    parser.add_argument("--seed", type=int, default=0, help="batch seed (same frames as render)")
    add_override_argument(parser)
    parser.add_argument("--engine", default="cycles", choices=("cycles", "raster"))
    parser.add_argument("--resolution", default="160x160", help="tile size WxH")
    parser.add_argument("--samples", type=int, default=8, help="Cycles samples per pixel")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "gpu"))


def run(args: argparse.Namespace) -> int:
    from renderer.batch import BatchConfig  # pylint: disable=import-outside-toplevel
    from renderer.commands._common import parse_resolution  # pylint: disable=import-outside-toplevel
    from renderer.preview import render_preview  # pylint: disable=import-outside-toplevel
    from renderer.batch.runner import check_recipe  # pylint: disable=import-outside-toplevel
    from scenes.params import parse_overrides  # pylint: disable=import-outside-toplevel
    from renderer.commands._common import output_file  # pylint: disable=import-outside-toplevel
    from renderer.errors import UserError  # pylint: disable=import-outside-toplevel

    output_file(args.out)
    if args.count < 1:
        raise UserError(f"--count {args.count} must be at least 1")
    config = BatchConfig(
        recipe=args.recipe,
        out=Path(args.out).parent,
        count=args.count,
        seed=args.seed,
        engine=args.engine,
        device=args.device,
        overrides=tuple(sorted(parse_overrides(args.overrides).items())),
        resolution=parse_resolution(args.resolution),
        samples=args.samples,
        workers=0,
    )
    check_recipe(config)
    started = time.perf_counter()
    png, parameters = render_preview(config, Path(args.out))
    print(f"{args.count} previews of {args.recipe!r} in {time.perf_counter() - started:.1f} s")
    print(f"  contact sheet  {png}\n  parameters     {parameters}")
    return 0
