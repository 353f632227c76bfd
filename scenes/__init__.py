"""Scene recipes, distributions, the SceneSpec and its instantiation as a ``kubric.Scene``.

Imported at every interpreter start (through ``scenes.kubric_compat``), so this file stays
light: the public API is loaded on first attribute access.
"""
