"""Errors shown to users without a traceback."""

from __future__ import annotations


class UserError(Exception):
    """An error caused by the user's input (a bad argument: exit status 2). The message names
    the input and the fix."""


class RuntimeFailure(UserError):
    """A failure while doing the work (disk full, folder locked, no GPU: exit status 1),
    explained in one line naming what and the fix."""


class SetupError(RuntimeFailure):
    """The machine cannot do what was asked (``--device gpu`` without a GPU...): no retry
    helps, so a batch stops at once."""


def user_facing_errors() -> tuple[type[BaseException], ...]:
    """Exception types whose message is meant for the user (input named, fix given)."""
    from assets.errors import AssetError  # pylint: disable=import-outside-toplevel
    from renderer.refiner.errors import RefinerInputError  # pylint: disable=import-outside-toplevel
    from scenes.errors import RecipeError  # pylint: disable=import-outside-toplevel

    return (
        UserError,
        RecipeError,
        AssetError,
        RefinerInputError,
        FileNotFoundError,
        PermissionError,
    )
