"""``synthscene refiner apply DATASET --model MODEL --strength S --out DIR2``: refine a rendered
dataset. ``synthscene refine ...`` is the same command under its first name (kept as an alias).

Labels are carried over byte-identical; the manifest gets the refined image checksums and the
label-consistency gate's scores (see :mod:`renderer.refiner.dataset`).
"""

from __future__ import annotations

import argparse
import json

NAME = "refine"
PHOTO_MAX_SIDE = 512  # px: --photos are shrunk to this shorter side as read (12-MP phone photos)
HELP = "refine a rendered dataset's images toward real photos with a trained refiner (labels kept)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "dataset", metavar="DATASET", help="native dataset folder (data/, labels/, manifest.jsonl)"
    )
    parser.add_argument(
        "--model",
        help="model file from `synthscene refiner train` "
        "(not needed with --strength 0 --photos DIR: photo matching only)",
    )
    parser.add_argument(
        "--strength",
        type=float,
        required=True,
        help="SDEdit strength in [0, 1]: 0 keeps the render, 1 redraws from noise (try 0.2-0.4)",
    )
    parser.add_argument(
        "--out", required=True, metavar="DIR2", help="new dataset folder to write (resumable)"
    )
    parser.add_argument(
        "--steps", type=int, default=25, help="DDIM steps over the full noise range (default 25)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--guidance-downsample",
        type=int,
        default=8,
        help="keep the render's low frequencies at this block size in px; 0 = no guidance (default 8)",
    )
    parser.add_argument(
        "--guidance-weight", type=float, default=1.0, help="0..1 strength of that guidance"
    )
    parser.add_argument(
        "--tile", type=int, default=None, help="denoise in overlapping tiles of this size (px)"
    )
    parser.add_argument(
        "--resize-to",
        type=int,
        default=None,
        help="refine frames larger than this (longer side, px) at this size and upsample the change",
    )
    parser.add_argument(
        "--gate-threshold",
        type=float,
        default=None,
        help="minimum label-consistency score to accept a refined frame (default 0.5)",
    )
    parser.add_argument(
        "--retries", type=int, default=1, help="retries at half strength after a gate rejection"
    )
    parser.add_argument(
        "--photos",
        metavar="DIR",
        help="real photos to match: each frame's CIELAB colour mean/std is moved to a photo's "
        "(drawn per frame) before the model, and the grain the model adds is capped at "
        "that photo's noise level (renderer/refiner/photo_stats.py)",
    )
    parser.add_argument(
        "--colour-weight",
        type=float,
        default=1.0,
        help="with --photos: 0..1, how far colour statistics move to the photo's (default 1)",
    )
    parser.add_argument("--device", default="auto", help="cpu, cuda or auto (default)")
    from renderer.commands.refiner import add_threads_argument

    add_threads_argument(parser)


def run(args: argparse.Namespace) -> int:
    from renderer.refiner.label_gate import DEFAULT_THRESHOLD
    from renderer.refiner.sdedit import RefineOptions

    options = RefineOptions(
        strength=args.strength,
        steps=args.steps,
        seed=args.seed,
        guidance_downsample=args.guidance_downsample,
        guidance_weight=args.guidance_weight,
        tile=args.tile,
        resize_to=args.resize_to,
    )
    options.validate()  # before loading anything: bad input fails fast
    if not 0.0 <= args.colour_weight <= 1.0:
        from renderer.refiner.errors import RefinerInputError

        raise RefinerInputError(
            f"--colour-weight {args.colour_weight} is outside [0, 1]; use e.g. 1 "
            "(photos' colour statistics) or 0 (render's colours)"
        )
    if not args.model and (args.strength > 0 or not args.photos):
        from renderer.refiner.errors import RefinerInputError

        raise RefinerInputError(
            "--model is missing: pass a model from `synthscene refiner train`, "
            "or use --strength 0 --photos DIR for photo matching alone"
        )
    from renderer.refiner.dataset import GateOptions, check_dataset_paths, refine_dataset

    records = check_dataset_paths(args.dataset, args.out)
    refine, model_info = _model_refine(args) if args.model else (_unchanged, {})
    matching = None
    if args.photos:
        from renderer.refiner.images import read_image_folder
        from renderer.refiner.photo_stats import PhotoMatch

        photos, files = read_image_folder(args.photos, max_side=PHOTO_MAX_SIDE)
        matching = PhotoMatch(photos, args.colour_weight, {"photos": str(args.photos)})
    gating = GateOptions(
        threshold=DEFAULT_THRESHOLD if args.gate_threshold is None else args.gate_threshold,
        retries=max(0, args.retries),
    )
    total = sum(1 for record in records.values() if record.get("status") == "ok")
    summary = _with_progress(
        total,
        lambda progress: refine_dataset(
            args.dataset, args.out, refine, options, gating, model_info, progress, matching
        ),
    )
    print(
        json.dumps(
            {
                key: summary[key]
                for key in (
                    "frames",
                    "accepted",
                    "rejected",
                    "pass_rate",
                    "gate_score_mean",
                    "gate_score_min",
                )
            }
        )
    )
    return 0


def _model_refine(args: argparse.Namespace):
    """(the loaded model's refine function, its description for the manifest)."""
    from fileio.digest import sha256_file
    from renderer.commands.refiner import apply_threads, pick_device
    from renderer.refiner.errors import require_torch
    from renderer.refiner.model import load_checkpoint
    from renderer.refiner.sdedit import Refiner

    require_torch()
    apply_threads(args.threads)
    device = pick_device(args.device)  # before the model: a missing GPU is said at once
    checkpoint = load_checkpoint(args.model)
    refiner = Refiner(checkpoint, device=device)
    return refiner.refine, {
        "path": str(args.model),
        "sha256": sha256_file(args.model),
        **checkpoint.describe(),
    }


def _unchanged(image, options):
    """Strength 0 without a model: the image as it is (photo matching does the work)."""
    return image[..., :3].copy()


def _with_progress(total: int, work):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("refining"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[last]}"),
        TimeRemainingColumn(),
    ) as bar:
        task = bar.add_task("refine", total=total or None, last="")

        def progress(frame: str, record: dict) -> None:
            refinement = record.get("refinement", {})
            verdict = "kept" if refinement.get("accepted") else "rejected"
            bar.update(
                task,
                advance=1,
                last=f"{frame} {verdict} gate {refinement.get('gate', {}).get('score', '-')}",
            )

        return work(progress)
