"""Errors for bad recipe input. All are ``ValueError`` subclasses whose message names the input
and the fix; the CLI prints them without a traceback (catch :data:`USER_ERRORS`)."""

from assets.errors import AssetError


class RecipeError(ValueError):
    """A recipe cannot be found, loaded or run (unknown name, bad file, syntax error)."""


class ParameterError(RecipeError):
    """A ``--set name=value`` override is unknown, has the wrong type or is out of range."""


class SpecError(RecipeError):
    """A spec (JSON or object) is malformed or a recipe returned something that is not a spec."""


USER_ERRORS = (RecipeError, AssetError)

__all__ = ["RecipeError", "ParameterError", "SpecError", "AssetError", "USER_ERRORS"]
