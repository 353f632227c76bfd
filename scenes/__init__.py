"""Scene recipes: what a recipe author imports (``from synthscene import ...`` re-exports it).

Nothing here runs at interpreter start (the Kubric start-up hook is the standalone module
``synthscene_kubric_compat``); the names below are still loaded on first access (PEP 562), so
``import scenes`` stays cheap.

Recipe-author API (``from scenes import ...``):

* authoring: ``recipe``, ``Param``, ``Params``, ``SceneSpec`` and its parts (``ObjectSpec``,
  ``AssetSpec``, ``MaterialSpec``, ``TextureSpec``, ``PartSpec``, ``LightSpec``, ``CameraSpec``,
  ``WorldSpec``, ``HdriSpec``, ``PhysicsSpec``, ``DepthOfFieldSpec``, ``FramingSpec``,
  ``SensorSpec``);
* distributions: ``Distribution``, ``Uniform``, ``LogUniform``, ``Normal``, ``RandInt``,
  ``Choice``, ``VectorUniform``, ``ColorHSV``, ``kelvin_to_rgb``;
* randomizers: ``random_camera``, ``random_light``, ``random_lights``, ``random_hdri``,
  ``random_world``, ``random_material``, ``random_texture``, ``procedural_object``,
  ``household_object``, ``file_object``, ``mesh_folder_objects``, ``balanced_categories``, ``support_box``,
  ``scatter``, ``random_rotation``, ``procedural_classes``, ``shell_position``;
* framing, camera/sensor model, context: ``random_framing``, ``parse_size_range``,
  ``random_sensor``, ``sensor_for``, ``ranges_matching``, ``SensorRanges``, ``surface_material``,
  ``wall_material``, ``table``, ``back_wall``, ``indoor_hdri_choice``;
* errors a recipe may raise: ``RecipeError``, ``ParameterError``, ``SpecError``, ``AssetError``.

Running recipes and building scenes live in their modules: :mod:`scenes.recipe_api`
(``load_recipe``, ``sample_spec``, ``known_recipes``), :mod:`scenes.params` (``parse_overrides``),
:mod:`scenes.build` (``build_kubric_scene``, ``settle``, ``instantiate``), :mod:`scenes.extras`
(``scene_extras``), :mod:`scenes.errors` (``USER_ERRORS``), :mod:`scenes.framing`
(``solve_framing``, run after physics), :mod:`scenes.photo_fit` (``fit_photos``). Those names are still reachable as
``scenes.<name>`` for code written against the earlier, wider API, but are not part of it.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "scenes.recipe_api": ("recipe",),
    "scenes.params": ("Param", "Params"),
    "scenes.spec": (
        "SceneSpec",
        "ObjectSpec",
        "AssetSpec",
        "MaterialSpec",
        "TextureSpec",
        "PartSpec",
        "LightSpec",
        "CameraSpec",
        "WorldSpec",
        "HdriSpec",
        "PhysicsSpec",
        "DepthOfFieldSpec",
        "FramingSpec",
        "SensorSpec",
    ),
    "scenes.distributions": (
        "Distribution",
        "Uniform",
        "LogUniform",
        "Normal",
        "RandInt",
        "Choice",
        "VectorUniform",
        "ColorHSV",
        "kelvin_to_rgb",
    ),
    "scenes.randomizers": (
        "random_camera",
        "random_light",
        "random_lights",
        "random_hdri",
        "random_world",
        "random_material",
        "random_texture",
        "procedural_object",
        "household_object",
        "file_object",
        "mesh_folder_objects",
        "balanced_categories",
        "support_box",
        "scatter",
        "random_rotation",
        "procedural_classes",
        "shell_position",
    ),
    "scenes.framing": ("random_framing", "parse_size_range"),
    "scenes.sensor": ("random_sensor", "sensor_for", "ranges_matching", "SensorRanges"),
    "scenes.context": (
        "surface_material",
        "wall_material",
        "table",
        "back_wall",
        "indoor_hdri_choice",
    ),
    "scenes.errors": ("RecipeError", "ParameterError", "SpecError", "AssetError"),
}
_EARLIER_API = {  # reachable for existing code; not exported
    "scenes.recipe_api": ("Recipe", "load_recipe", "sample_spec", "known_recipes"),
    "scenes.params": ("parse_overrides", "resolve_params"),
    "scenes.build": ("build_kubric_scene", "settle", "instantiate"),
    "scenes.extras": ("scene_extras",),
    "scenes.errors": ("USER_ERRORS",),
}
_WHERE = {
    name: module
    for table in (_EXPORTS, _EARLIER_API)
    for module, names in table.items()
    for name in names
}

__all__ = sorted(name for names in _EXPORTS.values() for name in names)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'scenes' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
