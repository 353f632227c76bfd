"""``synthscene gap SYNTH_DIR REAL_DIR [REAL_DIR ...]``: how far apart two image sets are, no
downloaded weights. Several real folders (e.g. the ``--real`` folders of ``synthscene evaluate``:
COCO, YOLO or Pascal-VOC layouts, whose photos are found recursively) are pooled.

Prints the held-out accuracy of a small classifier telling the sets apart (0.5 = indistinguishable)
and per-set colour/frequency statistics (see :mod:`renderer.refiner.gap`).
"""

from __future__ import annotations

import argparse
import json

NAME = "gap"
HELP = "domain-gap score between two image folders (classifier accuracy, 0.5 = indistinguishable) + statistics"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "synthetic",
        metavar="SYNTH_DIR",
        help="dataset folder (its data/ images are used) or image folder",
    )
    parser.add_argument(
        "real",
        metavar="REAL_DIR",
        nargs="+",
        help="folder(s) of real photos (or dataset folders); several are pooled",
    )
    parser.add_argument(
        "--size", type=int, default=128, help="images are resized to this square size (default 128)"
    )
    parser.add_argument(
        "--limit", type=int, default=1000, help="use at most this many images per set"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the cross-validation split")
    parser.add_argument(
        "--exclude",
        default="",
        metavar="NAMES",
        help="comma-separated features the classifier may not use (e.g. blockiness)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the report as JSON")


def run(args: argparse.Namespace) -> int:
    from renderer.refiner.gap import domain_gap

    synthetic = _read_shrunk(args.synthetic, 4 * args.size)
    real = [image for folder in args.real for image in _read_shrunk(folder, 4 * args.size)]
    exclude = [name.strip() for name in args.exclude.split(",") if name.strip()]
    report = domain_gap(
        synthetic[: args.limit], real[: args.limit], size=args.size, seed=args.seed, exclude=exclude
    )
    _print(report)
    if args.json:
        from fileio.atomic import write_bytes_atomic

        write_bytes_atomic(args.json, (json.dumps(report.to_json(), indent=1) + "\n").encode())
    return 0


def _read_shrunk(folder: str, max_side: int) -> list:
    """The readable images of ``folder`` (see ``read_image_folder``), each shrunk (area filter) to
    at most ``max_side`` px on its longer side as it is read, so folders of 12-megapixel phone photos
    fit in memory; the gap features are computed at ``--size`` px anyway."""
    import cv2
    from renderer.refiner.images import read_image_folder

    images = []
    for path in _image_files(folder):
        data = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if data is None:
            continue
        scale = max_side / max(data.shape[:2])
        if scale < 1:
            data = cv2.resize(data, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        images.append(data[:, :, ::-1].copy())
    return images or read_image_folder(folder)[0]  # none readable: its error names the folder


def _image_files(folder: str) -> list:
    from renderer.refiner.images import list_image_files

    return list_image_files(folder)


def _print(report) -> None:
    from rich.console import Console
    from rich.table import Table

    data = report.to_json()
    console = Console()
    console.print(
        f"gap score (held-out classifier accuracy, 0.5 = indistinguishable): "
        f"[bold]{data['gap_accuracy']:.3f}[/bold] +- {data['gap_accuracy_std']:.3f} "
        f"({data['folds']}-fold, {data['counts']})"
    )
    names = list(data["statistics"])
    table = Table("statistic", *names)
    for key in data["statistics"][names[0]]:
        table.add_row(key, *(f"{data['statistics'][name][key]:.4f}" for name in names))
    console.print(table)
