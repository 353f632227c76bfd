"""Argument helpers shared by sub-commands."""
from __future__ import annotations

from renderer.errors import UserError


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
        raise UserError(f"--resolution {text!r} is invalid: give WIDTHxHEIGHT in pixels, "
                        "e.g. 256x256")
    return values
