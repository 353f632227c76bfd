"""Scene recipes, distributions, the SceneSpec and its instantiation as a ``kubric.Scene``.

Imported at every interpreter start (through ``scenes.kubric_compat``), so this file stays
light: the public API below is loaded on first attribute access (PEP 562), never at import.

Public API (``from scenes import ...``):

* authoring: ``recipe``, ``Param``, ``Params``, ``SceneSpec`` and its parts (``ObjectSpec``,
  ``AssetSpec``, ``MaterialSpec``, ``TextureSpec``, ``LightSpec``, ``CameraSpec``, ``WorldSpec``,
  ``HdriSpec``, ``PhysicsSpec``, ``DepthOfFieldSpec``);
* distributions: ``Uniform``, ``LogUniform``, ``Normal``, ``RandInt``, ``Choice``,
  ``VectorUniform``, ``ColorHSV``, ``kelvin_to_rgb``;
* randomizers: ``random_camera``, ``random_light``, ``random_lights``, ``random_hdri``,
  ``random_world``, ``random_material``, ``random_texture``, ``procedural_object``,
  ``file_object``, ``mesh_folder_objects``, ``balanced_categories``, ``support_box``,
  ``scatter``, ``random_rotation``, ``procedural_classes``;
* running: ``load_recipe``, ``sample_spec``, ``known_recipes``, ``parse_overrides``;
* Kubric: ``build_kubric_scene``, ``settle``, ``instantiate``, ``scene_extras``;
* errors: ``RecipeError``, ``ParameterError``, ``SpecError``, ``AssetError``, ``USER_ERRORS``.
"""
from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "scenes.recipe_api": ("recipe", "Recipe", "load_recipe", "sample_spec", "known_recipes"),
    "scenes.params": ("Param", "Params", "parse_overrides", "resolve_params"),
    "scenes.spec": ("SceneSpec", "ObjectSpec", "AssetSpec", "MaterialSpec", "TextureSpec",
                    "LightSpec", "CameraSpec", "WorldSpec", "HdriSpec", "PhysicsSpec",
                    "DepthOfFieldSpec"),
    "scenes.distributions": ("Distribution", "Uniform", "LogUniform", "Normal", "RandInt",
                             "Choice", "VectorUniform", "ColorHSV", "kelvin_to_rgb"),
    "scenes.randomizers": ("random_camera", "random_light", "random_lights", "random_hdri",
                           "random_world", "random_material", "random_texture",
                           "procedural_object", "file_object", "mesh_folder_objects",
                           "balanced_categories", "support_box", "scatter", "random_rotation",
                           "procedural_classes", "shell_position"),
    "scenes.build": ("build_kubric_scene", "settle", "instantiate"),
    "scenes.extras": ("scene_extras",),
    "scenes.errors": ("RecipeError", "ParameterError", "SpecError", "AssetError", "USER_ERRORS"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'scenes' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
