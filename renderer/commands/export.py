"""``synthscene export DIR [DIR ...] --format coco|yolo``: detector-ready files from batch folders.

Images are hard-linked into the export where the filesystem allows (``--copy-images`` copies).
With ``--polygons`` the summary says what polygons lose: instances kept as exact RLE (COCO) or
dropped (YOLO), and the polygons' mean mask IoU against the exact masks.
Frames whose label files are missing or corrupt are reported by name and skipped; the rest is
exported. Exit status: 0 when every frame was exported, 1 when some were skipped.
"""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "export"
HELP = "export rendered batch folders as COCO JSON or a YOLO dataset"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "datasets",
        nargs="+",
        metavar="DIR",
        help="batch folder(s) written by 'synthscene render' (shards merge)",
    )
    parser.add_argument(
        "--format",
        required=True,
        choices=["coco", "yolo"],
        help="coco: OUT/coco.json; yolo: Ultralytics folder with data.yaml",
    )
    parser.add_argument(
        "--out",
        metavar="OUT",
        help="output folder (default: DIR for coco, DIR/yolo for yolo; required with several DIRs)",
    )
    parser.add_argument(
        "--polygons",
        action="store_true",
        help="polygon masks (COCO segmentation / YOLO-seg labels) instead of "
        "RLE (coco) or boxes (yolo)",
    )
    parser.add_argument(
        "--val-fraction",
        type=float,
        default=0.2,
        metavar="F",
        help="yolo: share of frames in the val split, by a hash of the name (default 0.2)",
    )
    parser.add_argument(
        "--categories",
        metavar="A,B,...",
        help="explicit class list fixing the ids (default: sorted names)",
    )
    parser.add_argument(
        "--copy-images",
        action="store_true",
        help="copy images into the export instead of hard-linking them",
    )
    parser.add_argument(
        "--no-verify",
        action="store_true",
        help="skip checking files against the manifest checksums",
    )


def run(args: argparse.Namespace) -> int:
    from renderer.errors import UserError
    from labels.coco import write_coco
    from labels.yolo import export_yolo

    datasets = [Path(folder) for folder in args.datasets]
    out = _output_folder(args, datasets, UserError)
    order = [name.strip() for name in args.categories.split(",")] if args.categories else None
    try:
        if args.format == "coco":
            summary = write_coco(
                datasets,
                out / "coco.json",
                polygons=args.polygons,
                category_order=order,
                verify=not args.no_verify,
            )
        else:
            summary = export_yolo(
                datasets,
                out,
                polygons=args.polygons,
                val_fraction=args.val_fraction,
                category_order=order,
                verify=not args.no_verify,
                copy_images=args.copy_images,
            )
    except ValueError as error:
        raise UserError(str(error)) from None
    print(summary.describe())
    return 1 if summary.skipped else 0


def _output_folder(args: argparse.Namespace, datasets: list[Path], user_error) -> Path:
    from renderer.commands._common import output_folder  # pylint: disable=import-outside-toplevel

    for dataset in datasets:
        if not dataset.is_dir():
            raise user_error(
                f"DIR {str(dataset)!r} is not a folder; give the folder "
                "'synthscene render --out' wrote"
            )
    if not 0.0 <= args.val_fraction < 1.0:
        raise user_error(f"--val-fraction {args.val_fraction} must be in [0, 1)")
    if args.out:
        return output_folder(args.out)
    if len(datasets) > 1:
        raise user_error("several batch folders need --out OUT to say where the merged export goes")
    return output_folder(str(datasets[0] if args.format == "coco" else datasets[0] / "yolo"), "DIR")
