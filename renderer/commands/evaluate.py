"""``synthscene evaluate SYNTH_DIR --real REAL_DIR --classes bottle=bottle,cup=mug``: train on
renders only, test on labelled real photos (DESIGN.md §10; :mod:`renderer.transfer`).

Prints a table per real folder and over all real crops (mean +- std over ``--seeds`` seeds) and
writes everything (per seed, per epoch, confusion matrices) to ``--out`` (default
``SYNTH_DIR/evaluation.json``). ``--detection`` also trains ``examples/train_detector.py`` on the
batch once per seed and reports its COCO AP / AP50 on the real photos.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

NAME = "evaluate"
HELP = "train a small classifier on rendered crops only and test it on labelled real photos"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "synthetic", metavar="SYNTH_DIR", nargs="+", help="synthscene batch folder(s)"
    )
    parser.add_argument(
        "--real",
        action="append",
        required=True,
        metavar="REAL_DIR",
        help="folder of labelled real photos: COCO, YOLO or Pascal-VOC (repeatable)",
    )
    parser.add_argument(
        "--classes",
        required=True,
        metavar="REAL=SYNTH,...",
        help="which rendered class stands for which real one, e.g. bottle=bottle,cup=mug",
    )
    parser.add_argument("--seeds", type=int, default=3, help="training seeds (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    parser.add_argument(
        "--val-fraction",
        type=float,
        default=0.2,
        help="share of synthetic frames held out to choose the epoch (default 0.2)",
    )
    parser.add_argument("--max-epochs", type=int, default=30, help="epoch limit (default 30)")
    parser.add_argument(
        "--patience",
        type=int,
        default=6,
        help="stop after this many epochs without a better held-out score (default 6)",
    )
    parser.add_argument(
        "--lr-drop-after",
        type=int,
        default=3,
        metavar="N",
        help="cut the learning rate x0.2 after every N epochs without a better held-out score "
        "(default 3; 0 = a constant rate)",
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="torch CPU threads (default 1; 0 = torch default)"
    )
    parser.add_argument(
        "--frames",
        type=int,
        metavar="N",
        help="use only the first N frames of each batch (ablations at equal size, learning curves)",
    )
    parser.add_argument(
        "--image-only",
        action="store_true",
        help="feed the classifier the RGB crop alone, without the channel marking the labelled "
        "box inside the crop",
    )
    parser.add_argument(
        "--single-view",
        action="store_true",
        help="classify each crop as cut, instead of averaging it with its mirror image and a "
        "zoom to the training augmentation's mean (4 views)",
    )
    parser.add_argument(
        "--real-format",
        choices=("coco", "yolo", "voc"),
        help="label format of every --real folder (default: detected per folder)",
    )
    parser.add_argument(
        "--out", metavar="JSON", help="report file (default SYNTH_DIR/evaluation.json)"
    )
    parser.add_argument(
        "--crops-sheet",
        metavar="PNG",
        help="also write a sheet of synthetic (top) and real (bottom) crops per class",
    )
    parser.add_argument(
        "--detection",
        action="store_true",
        help="also train examples/train_detector.py per seed and report AP/AP50 on the real photos",
    )
    parser.add_argument(
        "--detection-steps", type=int, default=300, help="detector training steps (default 300)"
    )


def run(args: argparse.Namespace) -> int:
    from labels.real_sources import RealLabelsError, read_real_dataset
    from labels.sources import collect_categories
    from renderer.errors import UserError
    from renderer.transfer.crops import checked_batches
    from renderer.transfer.protocol import (
        EvaluationSettings,
        check_mapping,
        collect_crops,
        evaluate_transfer,
        parse_class_mapping,
    )

    if (
        min(args.seeds, args.max_epochs, args.patience, args.frames or 1) < 1
        or not 0 < args.val_fraction < 1
        or args.lr_drop_after < 0
    ):
        raise UserError(
            "--seeds, --max-epochs, --patience and --frames must be >= 1, --lr-drop-after >= 0 "
            "and --val-fraction in (0, 1)"
        )
    mapping = parse_class_mapping(args.classes)
    synthetic_dirs = checked_batches(args.synthetic)
    try:
        real_sets = [read_real_dataset(folder, args.real_format) for folder in args.real]
    except RealLabelsError as error:
        raise UserError(str(error)) from None
    check_mapping(mapping, set(collect_categories(synthetic_dirs)), real_sets)
    crops = collect_crops(synthetic_dirs, real_sets, mapping, frames=args.frames)
    if args.crops_sheet:
        _write_sheet(Path(args.crops_sheet), crops, len(mapping.synthetic))
    settings = EvaluationSettings(
        seeds=args.seeds,
        first_seed=args.seed,
        val_fraction=args.val_fraction,
        max_epochs=args.max_epochs,
        patience=args.patience,
        lr_drop_after=args.lr_drop_after,
        threads=args.threads,
        box_channel=not args.image_only,
        test_views=not args.single_view,
    )
    report = evaluate_transfer(synthetic_dirs, real_sets, mapping, settings, crops=crops)
    report["frames_per_batch"] = args.frames  # None: every finished frame
    if args.detection:
        report["detection"] = detection_report(
            synthetic_dirs, real_sets, mapping, settings, args.detection_steps
        )
    _print(report)
    out = Path(args.out) if args.out else synthetic_dirs[0] / "evaluation.json"
    from fileio.atomic import write_bytes_atomic

    write_bytes_atomic(out, (json.dumps(report, indent=1) + "\n").encode())
    print(f"wrote {out}")
    return 0


def _write_sheet(path: Path, crops, classes: int) -> None:
    import cv2
    import numpy as np

    from fileio.atomic import write_bytes_atomic
    from renderer.errors import UserError
    from renderer.transfer.crops import contact_sheet
    from renderer.transfer.protocol import pooled_crops

    synthetic, real = crops
    sheet = np.concatenate(
        [contact_sheet(synthetic, 16, classes), contact_sheet(pooled_crops(real), 16, classes)]
    )
    ok, encoded = cv2.imencode(".png", sheet[:, :, ::-1])
    if not ok:
        raise UserError(f"--crops-sheet {path}: PNG encoding failed; give a path ending in .png")
    write_bytes_atomic(path, encoded.tobytes())


def detection_report(synthetic_dirs, real_sets, mapping, settings, steps: int) -> dict:
    """AP / AP50 on the real photos of ``examples/train_detector.py`` trained per seed."""
    from renderer.errors import UserError

    script = Path(__file__).resolve().parents[2] / "examples" / "train_detector.py"
    if not script.is_file():
        raise UserError(
            f"--detection needs {script} (a source checkout of synthscene); leave out --detection"
        )
    results = []
    with tempfile.TemporaryDirectory(prefix="synthscene-eval-") as folder:
        coco_file = Path(folder) / "real.json"
        coco_file.write_text(json.dumps(real_coco(real_sets, mapping)), encoding="utf-8")
        for seed in range(settings.first_seed, settings.first_seed + settings.seeds):
            metrics_file = Path(folder) / f"detector-{seed}.json"
            command = [
                sys.executable,
                str(script),
                *map(str, synthetic_dirs),
                "--model",
                "tiny",
                "--cpu",
                "--seed",
                str(seed),
                "--steps",
                str(steps),
                "--threads",
                str(settings.threads or 0),
                "--real-coco",
                str(coco_file),
                "--out",
                str(metrics_file),
            ]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise UserError(
                    f"examples/train_detector.py failed (seed {seed}): "
                    f"{done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}"
                )
            metrics = json.loads(metrics_file.read_text(encoding="utf-8"))
            results.append(
                {
                    "seed": seed,
                    "real": metrics.get("real", {}),
                    "synthetic_val": metrics.get("synthetic_val", {}),
                }
            )
    summary = {}
    for key in ("AP", "AP50"):
        values = [r["real"].get(key) for r in results if r["real"].get(key) is not None]
        summary[key] = (
            {"mean": round(sum(values) / len(values), 4), "values": values} if values else None
        )
    return {
        "model": "examples/train_detector.py --model tiny",
        "steps": steps,
        "real_images": "photos with at least one box of a mapped class; real classes renamed to the "
        "synthetic ones",
        "summary": summary,
        "runs": results,
    }


def real_coco(real_sets, mapping) -> dict:
    """One COCO dict of every real photo holding a mapped box; categories named as the synthetic
    classes; ``width``/``height`` give the frame the boxes refer to (EXIF orientation applied or
    not, ``labels.real_sources``), which the detector's reader matches."""
    from labels.real_sources import labelled_size

    categories = [{"id": i + 1, "name": name} for i, name in enumerate(mapping.synthetic)]
    images, annotations = [], []
    for dataset in real_sets:
        for photo in dataset.images:
            boxes = [box for box in photo.boxes if box.category.casefold() in mapping.real]
            if not boxes:
                continue
            width, height = labelled_size(photo)  # the frame the boxes refer to
            if not width:
                continue
            image_id = len(images) + 1
            images.append(
                {
                    "id": image_id,
                    "file_name": str(photo.path.resolve()),
                    "width": width,
                    "height": height,
                }
            )
            for box in boxes:
                x0, y0, x1, y1 = box.box
                annotations.append(
                    {
                        "id": len(annotations) + 1,
                        "image_id": image_id,
                        "category_id": mapping.real[box.category.casefold()] + 1,
                        "bbox": [x0, y0, x1 - x0, y1 - y0],
                        "area": (x1 - x0) * (y1 - y0),
                        "iscrowd": 0,
                    }
                )
    return {"images": images, "annotations": annotations, "categories": categories}


def _print(report: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 130))
    classes, names = report["classes"], report["real_names"]
    seeds = report["settings"]["seeds"]
    table = Table(
        title=f"train on synthetic, test on real ({seeds} seed{'s' * (seeds > 1)}; mean +- std "
        "over seeds, [95 % bootstrap interval over the real crops])"
    )
    table.add_column("real set")
    table.add_column("crops")
    table.add_column("accuracy")
    table.add_column("balanced acc.")
    for real_name, synthetic_name in zip(names, classes):
        table.add_column(f"{real_name} (as {synthetic_name})")
    table.add_column("confusion (true row: predicted counts, all seeds)")
    for source, entry in report["summary"].items():
        if source == "synthetic held-out":
            continue
        table.add_row(
            source,
            str(entry["crops"]),
            _stat(entry["accuracy"]),
            _stat(entry["balanced_accuracy"]) + _interval(entry.get("balanced_accuracy_interval")),
            *("-" if value is None else f"{value:.3f}" for value in entry["per_class_accuracy"]),
            _confusion(entry["confusion_summed_over_seeds"]),
        )
    console.print(table)
    held_out = report["summary"]["synthetic held-out"]
    console.print(
        f"synthetic held-out balanced accuracy {_stat(held_out['balanced_accuracy'])}; "
        f"chosen epochs {held_out['chosen_epochs']}; crops {report['crops']}; "
        f"{report['model']['parameters']} parameters; {report['seconds']} s"
    )
    if "by_box_shape" in report:
        console.print(_box_shape_table(report["by_box_shape"], classes))
    if "detection" in report:
        summary = report["detection"]["summary"]
        console.print(
            "detection on real photos (examples/train_detector.py): "
            + ", ".join(
                f"{key} {value['mean']:.4f} {value['values']}"
                for key, value in summary.items()
                if value
            )
        )


def _box_shape_table(shapes: dict, classes: list[str]):
    """Real accuracy per folder, class and box shape, under the synthetic training crops'
    share of each shape (the shape prior the classifier learns from the renders)."""
    from rich.table import Table

    edges = shapes["edges"]
    labels = [f"< {edges[0]:g}"]
    labels += [f"{low:g}-{high:g}" for low, high in zip(edges, edges[1:])]
    labels += [f">= {edges[-1]:g}"]
    table = Table(title="accuracy by labelled box shape (width / height; crops in brackets)")
    table.add_column("real set")
    table.add_column("class")
    for label in labels:
        table.add_column(label)
    for name, share in zip(classes, shapes["synthetic_train_share"]):
        if share is not None:
            table.add_row("synthetic training share", name, *(f"{value:.2f}" for value in share))
    for source, per_class in shapes["real_accuracy"].items():
        for name, cells in zip(classes, per_class):
            if cells is None:
                continue
            table.add_row(
                source,
                name,
                *(
                    "-" if cell["accuracy"] is None else f"{cell['accuracy']:.2f} ({cell['crops']})"
                    for cell in cells
                ),
            )
    return table


def _confusion(rows) -> str:
    return "-" if rows is None else " | ".join("/".join(map(str, row)) for row in rows)


def _interval(bounds) -> str:
    return "" if not bounds else f" [{bounds[0]:.2f}, {bounds[1]:.2f}]"


def _stat(value) -> str:
    return "-" if value is None else f"{value['mean']:.3f} +- {value['std']:.3f}"
