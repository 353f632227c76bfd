"""Errors shown to users without a traceback."""
from __future__ import annotations


class UserError(Exception):
    """An error caused by the user's input. The message names the input and the fix."""


def user_facing_errors() -> tuple[type[BaseException], ...]:
    """Exception types whose message is meant for the user (input named, fix given)."""
    from assets.errors import AssetError  # pylint: disable=import-outside-toplevel
    from renderer.refiner.errors import RefinerInputError  # pylint: disable=import-outside-toplevel
    from scenes.errors import RecipeError  # pylint: disable=import-outside-toplevel
    return (UserError, RecipeError, AssetError, RefinerInputError, FileNotFoundError,
            PermissionError)
