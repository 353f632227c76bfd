"""``synthscene refiner``: train the diffusion refiner, export the embedded photos, inspect a model.

synthscene refiner train --out MODEL [--real DIR] [--size 64] [--steps 2000] ...
synthscene refiner photos --out DIR [--count 64] [--size 128]
synthscene refiner info MODEL
synthscene refiner apply DATASET --model MODEL --strength S --out DIR2
    (refine a dataset's images; ``synthscene refine`` is the same command, kept as an alias)
synthscene refiner proxy --out DIR   (the raster -> camera-modelled Cycles experiment)
"""

from __future__ import annotations

import argparse
import json

NAME = "refiner"
HELP = (
    "train the diffusion refiner on real photos (train), refine a dataset with it (apply), "
    "export the embedded photos (photos), show a model (info)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="refiner_action", metavar="ACTION", required=True)
    train = actions.add_parser(
        "train",
        help="train a denoising diffusion model from scratch on real photos "
        "(resumes if --out exists)",
    )
    train.add_argument(
        "--real",
        metavar="DIR",
        help="folder of real photos (.png/.jpg, searched recursively); "
        "default: perspective crops of Blender's bundled CC0 HDRIs",
    )
    train.add_argument(
        "--out", metavar="MODEL", required=True, help="model file to write (and resume)"
    )
    train.add_argument("--size", type=int, default=64, help="training crop size in px (default 64)")
    train.add_argument(
        "--photo-side",
        type=int,
        default=None,
        help="resize photos so their shorter side is this many px before cropping; match the "
        "scale of the frames you will refine (default: 2 x --size)",
    )
    train.add_argument(
        "--channels", default="32,64,128", help="UNet channels per level (default 32,64,128)"
    )
    train.add_argument("--layers", type=int, default=2, help="ResNet blocks per level (default 2)")
    train.add_argument(
        "--attention",
        default="last",
        help="levels with self-attention: 'last', 'none' or e.g. '1,2'",
    )
    train.add_argument(
        "--grid-phase",
        type=int,
        default=0,
        metavar="PX",
        help="give the model its position on a PX-pixel grid (8: JPEG blocks) so it can learn "
        "grid-aligned artefacts; photos are then cropped on that grid, not resized (default 0: off)",
    )
    train.add_argument(
        "--steps", type=int, default=2000, help="total optimizer steps (default 2000)"
    )
    train.add_argument("--batch", type=int, default=16, help="batch size (default 16)")
    train.add_argument("--lr", type=float, default=2e-4, help="AdamW learning rate (default 2e-4)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument(
        "--hdri-count",
        type=int,
        default=256,
        help="embedded photos to crop when --real is not given",
    )
    train.add_argument(
        "--save-every", type=int, default=250, help="rewrite the model file every N steps"
    )
    train.add_argument("--device", default="auto", help="cpu, cuda or auto (default)")
    train.add_argument("--fresh", action="store_true", help="start over even if --out exists")
    add_threads_argument(train)
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.set_defaults(refiner_run=_train)

    photos = actions.add_parser(
        "photos", help="write the embedded real-photo default (HDRI crops) as PNGs"
    )
    photos.add_argument("--out", metavar="DIR", required=True)
    photos.add_argument("--count", type=int, default=64)
    photos.add_argument("--size", type=int, default=128)
    photos.add_argument("--seed", type=int, default=0)
    photos.set_defaults(refiner_run=_photos)

    proxy = actions.add_parser(
        "proxy",
        help="proxy experiment: refine raster renders toward camera-modelled "
        "Cycles renders of the same specs; report PSNR/SSIM, gap, gate pass rate",
    )
    proxy.add_argument("--out", metavar="DIR", required=True, help="working folder (resumable)")
    proxy.add_argument("--recipe", default="tabletop")
    proxy.add_argument(
        "--train-count", type=int, default=60, help="'real' frames to train on (default 60)"
    )
    proxy.add_argument(
        "--test-count", type=int, default=30, help="held-out sim/real pairs (default 30)"
    )
    proxy.add_argument("--size", type=int, default=64, help="frame size in px (default 64)")
    proxy.add_argument("--spp", type=int, default=32, help="Cycles samples per pixel (default 32)")
    proxy.add_argument("--steps", type=int, default=1500, help="training steps (default 1500)")
    proxy.add_argument("--crop", type=int, default=32, help="training crop size (default 32)")
    proxy.add_argument("--channels", default="32,64,128")
    proxy.add_argument("--strengths", default="0.2,0.4,0.6")
    proxy.add_argument("--refine-steps", type=int, default=25)
    proxy.add_argument("--guidance-downsample", type=int, default=8)
    proxy.add_argument("--grid-phase", type=int, default=0, help="see `refiner train --grid-phase`")
    proxy.add_argument("--device", default="auto")
    proxy.add_argument("--no-progress", action="store_true")
    add_threads_argument(proxy)
    proxy.set_defaults(refiner_run=_proxy)

    info = actions.add_parser(
        "info", help="print a model file's config, data summary, seed and step as JSON"
    )
    info.add_argument("model", metavar="MODEL")
    info.set_defaults(refiner_run=_info)

    from renderer.commands import refine  # pylint: disable=import-outside-toplevel

    apply = actions.add_parser("apply", help=refine.HELP)
    refine.add_arguments(apply)
    apply.set_defaults(refiner_run=refine.run)


def run(args: argparse.Namespace) -> int:
    return args.refiner_run(args)


def add_threads_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU threads for torch (default: torch's choice; 1 is often faster on a busy machine)",
    )


def apply_threads(threads) -> None:
    if threads:
        import torch

        torch.set_num_threads(max(1, int(threads)))


def pick_device(requested: str) -> str:
    """``auto`` -> ``cuda`` when torch sees a GPU, else ``cpu``; ``cuda`` without one, or an
    unknown name, is refused with one line."""
    from renderer.errors import SetupError, UserError

    if requested not in ("auto", "cpu", "cuda") and not requested.startswith("cuda:"):
        raise UserError(f"--device {requested!r} is unknown; use auto, cpu or cuda")
    if requested == "cpu":
        return requested
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if not torch.cuda.is_available():
        raise SetupError(
            f"--device {requested} was asked for but torch sees no CUDA GPU "
            "(this torch build or driver has none); use --device cpu or auto"
        )
    return requested


def _model_config(args: argparse.Namespace):
    from renderer.errors import UserError
    from renderer.refiner.model import ModelConfig

    try:
        channels = tuple(int(value) for value in args.channels.split(","))
    except ValueError:
        raise UserError(
            f"--channels {args.channels!r}: give comma-separated integers, e.g. 32,64,128"
        ) from None
    if args.attention == "last":
        attention = (len(channels) - 1,)
    elif args.attention == "none":
        attention = ()
    else:
        attention = tuple(int(value) for value in args.attention.split(","))
    config = ModelConfig(
        image_size=args.size,
        block_out_channels=channels,
        layers_per_block=args.layers,
        attention_levels=attention,
        grid_phase=max(0, args.grid_phase),
    )
    if args.size < config.size_multiple or args.size % config.size_multiple:
        raise UserError(
            f"--size {args.size} must be a multiple of {config.size_multiple} "
            f"for {len(channels)} UNet levels"
        )
    return config


def _train(args: argparse.Namespace) -> int:
    from pathlib import Path
    from renderer.errors import UserError
    from renderer.refiner.errors import require_torch

    require_torch()
    from renderer.refiner.training import TrainingOptions, summarize_photos, train

    apply_threads(args.threads)
    if args.steps < 1 or args.batch < 1:
        raise UserError("--steps and --batch must be at least 1")
    config = _model_config(args)
    photo_side = args.photo_side or 2 * args.size
    photos, source, files = _training_photos(args, photo_side)
    out = Path(args.out)
    if args.fresh and out.exists():
        out.unlink()
    options = TrainingOptions(
        steps=args.steps,
        batch_size=args.batch,
        lr=args.lr,
        seed=args.seed,
        save_every=args.save_every,
        progress=not args.no_progress,
        device=pick_device(args.device),
    )
    checkpoint = train(
        photos, out, config, options, summarize_photos(photos, source, files), photo_side
    )
    final = checkpoint.losses[-1]["loss"] if checkpoint.losses else float("nan")
    first = checkpoint.losses[0]["loss"] if checkpoint.losses else float("nan")
    print(
        f"model {out}: {checkpoint.step} steps on {len(photos)} photos ({source}), "
        f"loss {first:.4f} -> {final:.4f}, device {options.device}"
    )
    return 0


def _training_photos(args: argparse.Namespace, photo_side: int):
    from renderer.refiner.images import read_image_folder

    if args.real:
        photos, files = read_image_folder(args.real, min_side=args.size)
        return photos, str(args.real), [str(path) for path in files]
    from renderer.refiner.hdri_photos import LICENCE, hdri_photos

    photos = hdri_photos(args.hdri_count, size=photo_side, seed=args.seed)
    return photos, f"embedded HDRI crops ({LICENCE})", None


def _photos(args: argparse.Namespace) -> int:
    from pathlib import Path
    from renderer.refiner.hdri_photos import hdri_photos
    from fileio.images import write_png_atomic

    out = Path(args.out)
    for index, photo in enumerate(hdri_photos(args.count, size=args.size, seed=args.seed)):
        write_png_atomic(out / f"hdri_{index:05d}.png", photo)
    print(f"wrote {args.count} embedded photos ({args.size}x{args.size}) to {out}")
    return 0


def _proxy(args: argparse.Namespace) -> int:
    from renderer.refiner.errors import require_torch

    require_torch()
    from renderer.refiner.proxy import ProxySettings, run_proxy

    apply_threads(args.threads)
    settings = ProxySettings(
        recipe=args.recipe,
        train_count=args.train_count,
        test_count=args.test_count,
        size=args.size,
        samples_per_pixel=args.spp,
        train_steps=args.steps,
        crop=args.crop,
        channels=tuple(int(v) for v in args.channels.split(",")),
        strengths=tuple(float(v) for v in args.strengths.split(",")),
        refine_steps=args.refine_steps,
        guidance_downsample=args.guidance_downsample,
        grid_phase=args.grid_phase,
    )
    report = run_proxy(
        args.out, settings, progress=not args.no_progress, device=pick_device(args.device)
    )
    print(
        json.dumps(
            {
                "frames": report["frames"],
                "timings": report["timings"],
                "results": report["results"],
                "real_vs_real_gap_reference": report["real_vs_real_gap_reference"],
            },
            indent=1,
        )
    )
    return 0


def _info(args: argparse.Namespace) -> int:
    from renderer.refiner.model import load_checkpoint

    print(json.dumps(load_checkpoint(args.model).describe(), indent=1))
    return 0
