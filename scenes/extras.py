"""Where a scene built from a spec keeps what Kubric's scene model has no field for.

:func:`scenes.build.build_kubric_scene` stores it in ``scene.metadata["synthscene"]`` (world,
camera extras, spec hash, assets; the layout is in :mod:`scenes.build`'s docstring); every
backend reads it through :func:`scene_extras` (see :mod:`renderer.backend`).
"""

from __future__ import annotations

from typing import Any

EXTRAS_KEY = "synthscene"


def scene_extras(scene: Any) -> dict:
    """``scene.metadata["synthscene"]``, or {} for a scene not built from a spec."""
    return (getattr(scene, "metadata", None) or {}).get(EXTRAS_KEY) or {}
