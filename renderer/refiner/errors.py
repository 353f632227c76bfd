"""Errors the refiner raises for bad user input (the CLI prints them as one line, see
renderer.errors)."""

from __future__ import annotations


class RefinerInputError(ValueError):
    """Bad user input for the refiner. The message names the input and the fix."""


def require_torch() -> None:
    """Raise a clear error when the optional ``refiner`` extra (torch, diffusers) is missing."""
    try:
        import diffusers  # noqa: F401
        import torch  # noqa: F401
    except ImportError as error:
        raise RefinerInputError(
            f"the refiner needs torch and diffusers ({error}); install them with "
            "`pip install -c constraints.txt -e '.[refiner]'` (torch==2.13.0)"
        ) from error
