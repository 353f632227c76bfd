"""``synthscene demo``: render the embedded default scene and say where the files are."""
from __future__ import annotations

import argparse
import time
from pathlib import Path

NAME = "demo"
HELP = "render the embedded default scene (Kubric's hello world, lit by a bundled HDRI)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="out/demo", help="output folder (default: out/demo)")
    parser.add_argument("--resolution", default="256x256", help="WxH in pixels")
    parser.add_argument("--samples", type=int, default=32, help="colour samples per pixel")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "gpu"))


def run(args: argparse.Namespace) -> int:
    from renderer.commands._common import parse_resolution  # pylint: disable=import-outside-toplevel
    from renderer.demo import render_demo  # pylint: disable=import-outside-toplevel

    started = time.perf_counter()
    written = render_demo(Path(args.out), parse_resolution(args.resolution), args.samples,
                          args.device)
    print(f"Rendered the demo scene in {time.perf_counter() - started:.1f} s. Files:")
    for label, path in written.items():
        print(f"  {label:<13} {path}")
    return 0
