"""``synthscene demo``: the embedded default scene, then small labelled batches (``tabletop`` and
``household``) with COCO."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

NAME = "demo"
HELP = (
    "render Kubric's hello world (RGBA, segmentation, depth, .blend) and small labelled "
    "batches of the tabletop and household recipes (images, labels, manifest, COCO)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="out/demo", help="output folder (default: out/demo)")
    parser.add_argument("--resolution", default="256x256", help="WxH in pixels")
    parser.add_argument("--samples", type=int, default=32, help="colour samples per pixel")
    parser.add_argument("--count", type=int, default=24, help="frames in the batch (0: none)")
    parser.add_argument(
        "--household-count", type=int, default=8, help="frames of the household batch (0: none)"
    )
    parser.add_argument(
        "--household-resolution", default="160x160", help="WxH of the household batch"
    )
    parser.add_argument("--workers", type=int, default=2, help="batch worker processes")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "gpu"))


def run(args: argparse.Namespace) -> int:
    from renderer.commands._common import parse_resolution  # pylint: disable=import-outside-toplevel
    from renderer.demo import render_demo  # pylint: disable=import-outside-toplevel

    from renderer.commands._common import output_folder  # pylint: disable=import-outside-toplevel
    from renderer.errors import UserError  # pylint: disable=import-outside-toplevel

    for flag, value, low in (
        ("--samples", args.samples, 1),
        ("--count", args.count, 0),
        ("--workers", args.workers, 0),
    ):
        if value < low:
            raise UserError(f"{flag} {value} must be at least {low}")
    started = time.perf_counter()
    out, resolution = output_folder(args.out), parse_resolution(args.resolution)
    written = render_demo(out / "hello", resolution, args.samples, args.device)
    print(f"Rendered the hello-world scene in {time.perf_counter() - started:.1f} s:")
    for label, path in written.items():
        print(f"  {label:<13} {path}")
    if args.count > 0:
        _render_batch(args, "tabletop", out / "tabletop", resolution, args.count, args.samples)
    if args.household_count > 0:
        _render_batch(
            args,
            "household",
            out / "household",
            parse_resolution(args.household_resolution),
            args.household_count,
            min(args.samples, 16),
        )
    return 0


def _render_batch(
    args: argparse.Namespace,
    recipe: str,
    out: Path,
    resolution: tuple[int, int],
    count: int,
    samples: int,
) -> None:
    from renderer.batch import BatchConfig, run_batch  # pylint: disable=import-outside-toplevel
    from renderer.batch.progress import RichReporter  # pylint: disable=import-outside-toplevel

    config = BatchConfig(
        recipe=recipe,
        out=out,
        count=count,
        seed=0,
        resolution=resolution,
        samples=samples,
        workers=args.workers,
        device=args.device,
    )
    summary = run_batch(config, RichReporter(f"{recipe} batch"))
    print(f"Batch of {summary.requested} {recipe} frames in {out}:")
    for label, path in (
        ("images", out / "data"),
        ("labels", out / "labels"),
        ("specs", out / "specs"),
        ("manifest", out / "manifest.jsonl"),
        ("COCO", summary.coco),
    ):
        print(f"  {label:<13} {path}")
    print(f"Next: synthscene export {out} --format yolo   |   rerun `make demo` to resume")
