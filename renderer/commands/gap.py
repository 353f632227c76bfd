"""``synthscene gap SYNTH_DIR REAL_DIR``: how far apart two image sets are, no downloaded weights.

Prints the held-out accuracy of a small classifier telling the sets apart (0.5 = indistinguishable)
and per-set colour/frequency statistics (see :mod:`renderer.refiner.gap`).
"""
from __future__ import annotations

import argparse
import json

NAME = "gap"
HELP = "domain-gap score between two image folders (classifier accuracy, 0.5 = indistinguishable) + statistics"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("synthetic", metavar="SYNTH_DIR", help="dataset folder (its data/ images are used) or image folder")
    parser.add_argument("real", metavar="REAL_DIR", help="folder of real photos (or a dataset folder)")
    parser.add_argument("--size", type=int, default=128, help="images are resized to this square size (default 128)")
    parser.add_argument("--limit", type=int, default=1000, help="use at most this many images per set")
    parser.add_argument("--seed", type=int, default=0, help="seed of the cross-validation split")
    parser.add_argument("--exclude", default="", metavar="NAMES",
                        help="comma-separated features the classifier may not use (e.g. blockiness)")
    parser.add_argument("--json", metavar="FILE", help="also write the report as JSON")


def run(args: argparse.Namespace) -> int:
    from renderer.refiner.gap import domain_gap
    from renderer.refiner.images import read_image_folder
    synthetic, _ = read_image_folder(args.synthetic)
    real, _ = read_image_folder(args.real)
    exclude = [name.strip() for name in args.exclude.split(",") if name.strip()]
    report = domain_gap(synthetic[:args.limit], real[:args.limit], size=args.size, seed=args.seed, exclude=exclude)
    _print(report)
    if args.json:
        from fileio.atomic import write_bytes_atomic
        write_bytes_atomic(args.json, (json.dumps(report.to_json(), indent=1) + "\n").encode())
    return 0


def _print(report) -> None:
    from rich.console import Console
    from rich.table import Table
    data = report.to_json()
    console = Console()
    console.print(f"gap score (held-out classifier accuracy, 0.5 = indistinguishable): "
                  f"[bold]{data['gap_accuracy']:.3f}[/bold] +- {data['gap_accuracy_std']:.3f} "
                  f"({data['folds']}-fold, {data['counts']})")
    names = list(data["statistics"])
    table = Table("statistic", *names)
    for key in data["statistics"][names[0]]:
        table.add_row(key, *(f"{data['statistics'][name][key]:.4f}" for name in names))
    console.print(table)
