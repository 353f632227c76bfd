"""``synthscene bench``: frames/s against baselines measured in the same run."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

NAME = "bench"
HELP = (
    "benchmark: our pipeline vs a bare bpy render loop and Kubric's renderer, and warm "
    "workers vs one process per scene"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--recipe", default="tabletop")
    parser.add_argument("--engine", default="cycles", choices=("cycles", "raster"))
    parser.add_argument("--scenes", type=int, default=6, help="scenes for section 1")
    parser.add_argument(
        "--blocks",
        type=int,
        default=None,
        help="interleaved blocks for section 1 (default: ~6 scenes each, <= 8)",
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=50,
        help="different scenes for the warm-worker comparison (0: skip)",
    )
    parser.add_argument("--resolution", default=None, help="WxH (default 128x128, raster 256x256)")
    parser.add_argument("--samples", type=int, default=32)
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "gpu"))
    parser.add_argument("--out", help="keep the rendered frames here (default: a temp folder)")
    parser.add_argument("--json", help="also write the numbers to this JSON file")


def run(args: argparse.Namespace) -> int:
    from renderer.bench import format_results, run_bench  # pylint: disable=import-outside-toplevel
    from renderer.commands._common import parse_resolution  # pylint: disable=import-outside-toplevel
    from renderer.commands._common import output_file, output_folder  # pylint: disable=import-outside-toplevel
    from renderer.errors import UserError  # pylint: disable=import-outside-toplevel

    for flag, value, low in (
        ("--scenes", args.scenes, 1),
        ("--batch", args.batch, 0),
        ("--samples", args.samples, 1),
        ("--blocks", args.blocks, 1),
    ):
        if value is not None and value < low:
            raise UserError(f"{flag} {value} must be at least {low}")
    if args.blocks is not None and args.blocks > args.scenes:
        raise UserError(f"--blocks {args.blocks} is more than --scenes {args.scenes}")
    if args.out:
        output_folder(args.out)
    if args.json:
        output_file(args.json, "--json")
    default = "256x256" if args.engine == "raster" else "128x128"
    results = run_bench(
        args.recipe,
        args.engine,
        args.scenes,
        args.batch,
        parse_resolution(args.resolution or default),
        args.samples,
        args.device,
        Path(args.out) if args.out else None,
        report=lambda line: print(line, file=sys.stderr),
        blocks=args.blocks,
    )
    print(format_results(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0
