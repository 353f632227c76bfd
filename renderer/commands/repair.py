"""``synthscene repair DIR``: re-render every frame ``synthscene validate`` flags, in place.

The batch's settings come from ``DIR/batch.json`` (or, without it, from the identity its frames'
manifest lines carry). Flagged frames (corrupt or truncated files, inconsistent labels, frames of
another batch, frames drawn with an unreadable input image) and failed frames are rendered again
under the same names; the COCO file is rewritten. Exit status: 0 when ``validate`` passes after.
"""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "repair"
HELP = "re-render every frame 'synthscene validate' flags (and failed frames), in place"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", metavar="DIR", help="batch folder ('synthscene render --out')")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes (default 1; 0 = render in this process)",
    )
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "gpu"))
    parser.add_argument(
        "--frame-timeout",
        type=float,
        metavar="SECONDS",
        help="stop a frame that takes longer (default: derived from the settings)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def flagged_frames(dataset: Path) -> tuple[int, ...]:
    """Indices of the frames ``validate`` reports a problem for, plus failed frames."""
    from labels.validate import DATASET, validate_dataset  # pylint: disable=import-outside-toplevel

    report = validate_dataset(dataset, check_coco=False)
    names = {name for name, problems in report.problems.items() if problems and name != DATASET}
    names |= {
        name
        for name, warnings in report.warnings.items()
        if name != DATASET and any(w.startswith("recorded as failed") for w in warnings)
    }
    return tuple(sorted(int(name) for name in names if name.isdigit()))


def config_for_repair(dataset: Path, frames: tuple[int, ...], args: argparse.Namespace):
    """The :class:`BatchConfig` of the folder's own batch, limited to ``frames``."""
    from renderer.batch import BatchConfig  # pylint: disable=import-outside-toplevel
    from renderer.batch.config import recorded_identity  # pylint: disable=import-outside-toplevel
    from renderer.errors import UserError  # pylint: disable=import-outside-toplevel

    identity = recorded_identity(dataset)
    if identity is None:
        raise UserError(
            f"{str(dataset)!r} holds no batch (no batch.json and no manifest line "
            "with a batch identity); give the folder 'synthscene render --out' wrote"
        )
    return BatchConfig(
        recipe=identity["recipe"],
        out=dataset,
        count=max(frames) + 1,
        seed=int(identity["seed"]),
        overrides=tuple(sorted(identity.get("overrides", {}).items())),
        engine=identity["engine"],
        resolution=tuple(identity["resolution"]) if identity.get("resolution") else None,
        samples=int(identity["samples"]),
        workers=args.workers,
        device=args.device,
        frame_timeout=args.frame_timeout,
        frames=frames,
    )


def run(args: argparse.Namespace) -> int:
    from renderer.commands._common import existing_dataset  # pylint: disable=import-outside-toplevel
    from labels.validate import validate_dataset  # pylint: disable=import-outside-toplevel
    from renderer.batch import run_batch  # pylint: disable=import-outside-toplevel
    from renderer.batch.progress import QuietReporter, RichReporter  # pylint: disable=import-outside-toplevel
    from renderer.errors import UserError  # pylint: disable=import-outside-toplevel

    dataset = existing_dataset(args.dataset)
    from labels.native import MANIFEST  # pylint: disable=import-outside-toplevel

    if not (dataset / MANIFEST).is_file():
        raise UserError(
            f"{str(dataset)!r} holds no batch (no {MANIFEST}); give the folder "
            "'synthscene render --out' wrote"
        )
    frames = flagged_frames(dataset)
    if not frames:
        print(f"{dataset}: validate flags no frame; nothing to repair")
        return 0
    config = config_for_repair(dataset, frames, args)
    print(
        f"re-rendering {len(frames)} flagged frames: "
        f"{', '.join(map(str, frames[:10]))}{' ...' if len(frames) > 10 else ''}"
    )
    reporter = QuietReporter() if args.quiet else RichReporter(f"repair {config.recipe}")
    summary = run_batch(config, reporter, rerender=frames)
    if summary.stopped or summary.failed:
        return 1
    report = validate_dataset(dataset)
    print(report.describe().splitlines()[-1])
    return 0 if report.ok else 1
