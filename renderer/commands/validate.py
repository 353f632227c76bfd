"""``synthscene validate DIR``: checksums, label/image consistency, COCO validity, degenerate
annotations (see :mod:`labels.validate`). Prints problems by frame; exit status 1 if any."""

from __future__ import annotations

import argparse
import json

NAME = "validate"
HELP = "check a batch folder (checksums, label/image consistency, COCO, degenerate annotations)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", metavar="DIR", help="batch folder ('synthscene render --out')")
    parser.add_argument("--no-coco", action="store_true", help="skip checking DIR/coco.json")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace) -> int:
    from renderer.commands._common import existing_dataset  # pylint: disable=import-outside-toplevel
    from labels.validate import validate_dataset  # pylint: disable=import-outside-toplevel

    dataset = existing_dataset(args.dataset)
    report = validate_dataset(dataset, check_coco=not args.no_coco)
    print(json.dumps(report.to_json(), indent=1) if args.json else report.describe())
    return 0 if report.ok else 1
