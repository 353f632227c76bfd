"""Errors about asset inputs (folders, files, HDRIs). A ``ValueError``: the message names the
input and the fix, so the CLI prints it as is."""


class AssetError(ValueError):
    """A user-supplied asset (mesh folder, mesh file, HDRI, texture folder) cannot be used."""
