"""Argument helpers shared by sub-commands."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from renderer.errors import UserError


def add_override_argument(parser: argparse.ArgumentParser) -> None:
    """``--set KEY=VALUE`` (repeatable) into ``args.overrides``: recipe parameter overrides."""
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="recipe parameter override (repeatable)",
    )


def existing_dataset(path: str) -> Path:
    """``path`` as a batch folder that exists; refused (one line) when it does not."""
    dataset = Path(path)
    if not dataset.is_dir():
        raise UserError(
            f"dataset folder {str(dataset)!r} does not exist; give the folder "
            "'synthscene render --out' wrote"
        )
    return dataset


def parse_resolution(text: str) -> tuple[int, int]:
    """``"256x192"`` -> (256, 192); a single number means a square image."""
    parts = text.lower().split("x")
    try:
        values = tuple(int(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) == 1:
        values = values * 2
    if len(values) != 2 or min(values) <= 0:
        raise UserError(
            f"--resolution {text!r} is invalid: give WIDTHxHEIGHT in pixels, e.g. 256x256"
        )
    return values


def output_file(path: str, flag: str = "--out") -> Path:
    """``path`` as a file to write: refused (one line naming ``flag``) when it is a folder or
    its folder cannot be created."""
    from renderer.errors import RuntimeFailure  # pylint: disable=import-outside-toplevel

    target = Path(path)
    if target.is_dir():
        raise UserError(
            f"{flag} {path!r} is a folder; give a file path, e.g. {target / 'out'}"
            f"{target.suffix or ''}"
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RuntimeFailure(
            f"{flag} {path!r}: cannot create its folder ({error.strerror}); give a writable path"
        ) from None
    if not os.access(target.parent, os.W_OK):
        raise RuntimeFailure(f"{flag} {path!r}: its folder is not writable; give a writable path")
    return target


def output_folder(path: str, flag: str = "--out") -> Path:
    """``path`` as a folder to write into: refused when it is a file or cannot be created."""
    from renderer.errors import RuntimeFailure  # pylint: disable=import-outside-toplevel

    target = Path(path)
    if target.exists() and not target.is_dir():
        raise UserError(f"{flag} {path!r} is a file, not a folder; give a folder")
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RuntimeFailure(
            f"{flag} {path!r}: cannot create the folder ({error.strerror}); give a writable path"
        ) from None
    if not os.access(target, os.W_OK):
        raise RuntimeFailure(f"{flag} {path!r} is not writable; give a writable folder")
    return target
