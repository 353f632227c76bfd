"""synthscene: procedural synthetic scenes with exact labels for object detectors.

The public Python API, in one namespace so user code does not depend on the internal package
layout (``scenes``, ``labels``, ``renderer``)::

    from synthscene import Param, SceneSpec, Uniform, procedural_object, recipe   # recipes
    from synthscene import BatchConfig, run_batch                                 # rendering
    from synthscene import DetectionDataset                                       # training

* recipes: everything ``scenes`` exports (``recipe``, ``Param``, ``Params``, ``SceneSpec`` and
  its parts, the distributions, the randomizers, the recipe errors), plus ``sample_spec`` and
  ``load_recipe`` to try a recipe;
* rendering: ``BatchConfig``, ``run_batch``, ``BatchSummary`` (see :mod:`renderer.batch`);
* training: ``DetectionDataset`` (PyTorch; needs the ``torch`` extra).

Names load on first access (PEP 562): ``import synthscene`` imports neither Blender nor torch.
"""

from __future__ import annotations

import importlib
from typing import Any

import scenes

_EXPORTS = {
    **{name: "scenes" for name in scenes.__all__},
    "sample_spec": "scenes.recipe_api",
    "load_recipe": "scenes.recipe_api",
    "BatchConfig": "renderer.batch",
    "BatchSummary": "renderer.batch",
    "run_batch": "renderer.batch",
    "DetectionDataset": "labels.torch_dataset",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'synthscene' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
