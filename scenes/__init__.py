"""Scene recipes, distributions, the SceneSpec and its instantiation as a ``kubric.Scene``.

Imported at every interpreter start (through ``scenes.kubric_compat``), so this file stays
light: the public API below is loaded on first attribute access (PEP 562), never at import.

Public API (``from scenes import ...``):

* authoring: ``recipe``, ``Param``, ``Params``, ``SceneSpec`` and its parts (``ObjectSpec``,
  ``AssetSpec``, ``MaterialSpec``, ``TextureSpec``, ``LightSpec``, ``CameraSpec``, ``WorldSpec``,
  ``HdriSpec``, ``PhysicsSpec``, ``DepthOfFieldSpec``, ``FramingSpec``, ``SensorSpec``);
* distributions: ``Uniform``, ``LogUniform``, ``Normal``, ``RandInt``, ``Choice``,
  ``VectorUniform``, ``ColorHSV``, ``kelvin_to_rgb``;
* randomizers: ``random_camera``, ``random_light``, ``random_lights``, ``random_hdri``,
  ``random_world``, ``random_material``, ``random_texture``, ``procedural_object``,
  ``file_object``, ``mesh_folder_objects``, ``balanced_categories``, ``support_box``,
  ``scatter``, ``random_rotation``, ``procedural_classes``;
* running: ``load_recipe``, ``sample_spec``, ``known_recipes``, ``parse_overrides``;
* framing, sensor, context: ``random_framing``, ``solve_framing``, ``parse_size_range``,
  ``random_sensor``, ``sensor_for``, ``ranges_matching``, ``SensorRanges``, ``fit_photos``,
  ``surface_material``, ``wall_material``, ``table``, ``back_wall``, ``indoor_hdri_choice``;
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
                    "DepthOfFieldSpec", "FramingSpec", "SensorSpec"),
    "scenes.distributions": ("Distribution", "Uniform", "LogUniform", "Normal", "RandInt",
                             "Choice", "VectorUniform", "ColorHSV", "kelvin_to_rgb"),
    "scenes.randomizers": ("random_camera", "random_light", "random_lights", "random_hdri",
                           "random_world", "random_material", "random_texture",
                           "procedural_object", "file_object", "mesh_folder_objects",
                           "balanced_categories", "support_box", "scatter", "random_rotation",
                           "procedural_classes", "shell_position"),
    "scenes.build": ("build_kubric_scene", "settle", "instantiate", "scene_extras"),
    "scenes.framing": ("random_framing", "solve_framing", "parse_size_range"),
    "scenes.sensor": ("random_sensor", "sensor_for", "ranges_matching", "SensorRanges"),
    "scenes.photo_fit": ("fit_photos",),
    "scenes.context": ("surface_material", "wall_material", "table", "back_wall",
                       "indoor_hdri_choice"),
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
