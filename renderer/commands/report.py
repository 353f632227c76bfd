"""``synthscene report DIR``: a self-contained HTML page of frames, overlays and distributions.

Writes ``DIR/report.html`` (or ``--out``) and prints a short text summary. Works on rendered and
refined batch folders alike (see :mod:`labels.report`).
"""

from __future__ import annotations

import argparse

NAME = "report"
HELP = "write an HTML report (overlays, depth/normals, label and parameter distributions)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", metavar="DIR", help="batch folder ('synthscene render --out')")
    parser.add_argument("--out", metavar="HTML", help="output file (default DIR/report.html)")
    parser.add_argument(
        "--max-frames",
        type=int,
        default=24,
        metavar="N",
        help="frames shown in the grid, spread over the dataset (default 24)",
    )


def run(args: argparse.Namespace) -> int:
    from renderer.commands._common import existing_dataset  # pylint: disable=import-outside-toplevel
    from renderer.errors import UserError  # pylint: disable=import-outside-toplevel
    from labels.report import build_report  # pylint: disable=import-outside-toplevel

    dataset = existing_dataset(args.dataset)
    if args.max_frames < 0:
        raise UserError(f"--max-frames {args.max_frames} must be zero or more")
    if args.out:
        from renderer.commands._common import output_file  # pylint: disable=import-outside-toplevel

        output_file(args.out)
    try:
        result = build_report(dataset, args.out, max_frames=args.max_frames)
    except ValueError as error:
        raise UserError(str(error)) from None
    print(result.summary_text)
    print(f"wrote {result.path} ({len(result.frames_shown)} frames, {result.plots} charts)")
    return 0
