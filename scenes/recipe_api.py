"""Recipes: user functions (or classes) that turn a seeded RNG and parameters into a SceneSpec.

A recipe is referenced either by a built-in name (``hello``, ``tabletop``, ``clevr``, ``bin``,
``household``) or as ``path/to/file.py:name`` (``:name`` may be left out when the file defines exactly one
recipe). Writing one::

    from scenes import recipe, Param, SceneSpec

    @recipe(params={"count": Param(5, low=1, high=20)})
    def my_scene(rng, params) -> SceneSpec:
        ...

The function receives a ``numpy.random.Generator`` seeded from the seed (its only source of
randomness: use it, never ``random``/``np.random`` globals) and :class:`scenes.params.Params`.
A class works too: ``PARAMS = {...}`` as class attribute and ``__call__(self, rng, params)``.
An undecorated function ``f(rng, params)`` is a recipe without parameters.

Recipes are Python and run with the user's rights: only load recipe files you trust.

:func:`sample_spec` runs a recipe: same recipe + parameters + seed -> identical spec bytes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import importlib.util
import inspect
import sys
import traceback
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence

import numpy as np

from scenes.errors import RecipeError, SpecError, USER_ERRORS
from scenes.params import Param, Params, resolve_params
from scenes.spec import SceneSpec

BUILTIN_RECIPES = {
    "hello": "scenes.recipes.hello:hello",
    "tabletop": "scenes.recipes.tabletop:tabletop",
    "clevr": "scenes.recipes.clevr:clevr",
    "bin": "scenes.recipes.bin:bin_picking",
    "household": "scenes.recipes.household:household",
}
RECIPE_ATTRIBUTE = "__synthscene_recipe__"


@dataclasses.dataclass
class Recipe:
    """A loaded recipe: a callable ``(rng, params) -> SceneSpec`` with declared parameters."""

    name: str
    function: Callable[[np.random.Generator, Params], SceneSpec]
    params: dict[str, Param] = dataclasses.field(default_factory=dict)
    description: str = ""
    reference: str = ""
    classes: Optional[Callable[[Params], Sequence[str]]] = None

    def declared_classes(self, overrides: Optional[Mapping[str, Any]] = None) -> Optional[list]:
        """The labelled classes the recipe declares for these parameter ``overrides`` (sorted),
        or None when it declares none (then only sampling its specs tells)."""
        if self.classes is None:
            return None
        values = resolve_params(self.params, overrides or {}, self.reference or self.name)
        return sorted(set(self.classes(Params(values))))

    def sample(self, seed: int, overrides: Optional[Mapping[str, Any]] = None) -> SceneSpec:
        """Run the recipe with ``seed`` and checked parameter ``overrides`` (see sample_spec)."""
        reference = self.reference or self.name
        values = resolve_params(self.params, overrides or {}, reference)
        rng = np.random.default_rng(_check_seed(seed))
        try:
            spec = self.function(rng, Params(values))
        except USER_ERRORS:
            raise
        except Exception as error:  # a bug in the recipe: say where, keep the cause
            raise RecipeError(
                f"recipe {reference!r} failed: {type(error).__name__}: {error}"
                f"{_user_location(error)}"
            ) from error
        if not isinstance(spec, SceneSpec):
            raise SpecError(
                f"recipe {reference!r} returned {type(spec).__name__}, "
                "expected a scenes.SceneSpec; end the recipe with `return spec`."
            )
        spec = dataclasses.replace(spec, recipe=reference, seed=int(seed), params=values)
        return spec.normalised().validate()


def recipe(
    function: Optional[Callable] = None,
    *,
    name: Optional[str] = None,
    params: Optional[Mapping[str, Param]] = None,
    description: str = "",
    classes: Optional[Callable[[Params], Sequence[str]]] = None,
) -> Callable:
    """Decorator marking a function (or class) as a recipe with declared ``params``.

    Usable bare (``@recipe``) or with arguments (``@recipe(params={...})``). The decorated
    object is returned unchanged, so it can still be called directly. ``classes(params)``, when
    given, names every labelled class the recipe can produce with those parameters; a batch then
    numbers its categories from it at once instead of sampling every frame's spec first.
    """

    def mark(target: Callable) -> Callable:
        made = _make_recipe(target, name, params, description)
        setattr(target, RECIPE_ATTRIBUTE, dataclasses.replace(made, classes=classes))
        return target

    return mark(function) if function is not None else mark


def _make_recipe(
    target: Any, name: Optional[str], params: Optional[Mapping[str, Param]], description: str
) -> Recipe:
    declared = dict(params if params is not None else getattr(target, "PARAMS", {}) or {})
    for key, value in declared.items():
        if not isinstance(value, Param):
            raise RecipeError(
                f"recipe {name or target.__name__!r}: parameter {key!r} must be "
                f"declared as scenes.Param(default, low=..., high=...), got {value!r}"
            )
    function = target() if inspect.isclass(target) else target
    doc = description or (inspect.getdoc(target) or "").split("\n")[0]
    return Recipe(name=name or target.__name__, function=function, params=declared, description=doc)


def as_recipe(obj: Any, reference: str) -> Recipe:
    """The Recipe behind a decorated function/class, a plain function or an instance."""
    found = getattr(obj, RECIPE_ATTRIBUTE, None)
    if isinstance(found, Recipe):
        return dataclasses.replace(found, reference=reference)
    if inspect.isclass(obj) or callable(obj):
        return dataclasses.replace(_make_recipe(obj, None, None, ""), reference=reference)
    raise RecipeError(f"{reference!r} is a {type(obj).__name__}, not a recipe function or class.")


def known_recipes() -> list[str]:
    """Names of the built-in recipes."""
    return sorted(BUILTIN_RECIPES)


def load_recipe(reference: str) -> Recipe:
    """Load a built-in recipe by name or a user recipe ``path/to/file.py[:name]``."""
    reference = str(reference)
    if reference in BUILTIN_RECIPES:
        module_name, attribute = BUILTIN_RECIPES[reference].split(":")
        return as_recipe(getattr(importlib.import_module(module_name), attribute), reference)
    path_text, _, attribute = (
        reference.partition(":") if ".py:" in reference else (reference, "", "")
    )
    if not path_text.endswith(".py"):
        raise RecipeError(
            f"unknown recipe {reference!r}; built-in recipes: "
            f"{', '.join(known_recipes())}; or give a file as path/to/file.py:name."
        )
    module = _import_file(Path(path_text))
    if not attribute:
        found = [
            n
            for n, v in vars(module).items()
            if isinstance(getattr(v, RECIPE_ATTRIBUTE, None), Recipe)
            and getattr(v, "__module__", None) == module.__name__
        ]
        if len(found) != 1:
            raise RecipeError(
                f"{path_text} defines {len(found)} @recipe objects "
                f"({', '.join(found) or 'none'}); name one as {path_text}:NAME."
            )
        attribute = found[0]
    if not hasattr(module, attribute):
        names = [
            n
            for n, v in vars(module).items()
            if callable(v)
            and not n.startswith("_")
            and getattr(v, "__module__", None) == module.__name__
        ]
        raise RecipeError(
            f"{path_text} has no {attribute!r}; it defines: "
            f"{', '.join(sorted(names)) or 'nothing callable'}."
        )
    return as_recipe(getattr(module, attribute), reference)


def _import_file(path: Path):
    """Import a user recipe file as a uniquely named module; clear errors for common failures."""
    if not path.is_file():
        raise RecipeError(
            f"recipe file {path} not found; check the path "
            f"(built-in recipes: {', '.join(known_recipes())})."
        )
    source = path.read_text()
    try:
        compile(source, str(path), "exec")
    except SyntaxError as error:
        raise RecipeError(
            f"{path}:{error.lineno}: syntax error in recipe file: {error.msg}{_line_excerpt(error)}"
        ) from None
    module_name = (
        "synthscene_user_recipe_" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    )
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    folder = str(path.resolve().parent)
    if folder not in sys.path:
        sys.path.append(folder)  # helpers next to the recipe import; appended, so never shadowing
    try:
        spec.loader.exec_module(module)
    except USER_ERRORS:
        raise
    except Exception as error:
        sys.modules.pop(module_name, None)
        raise RecipeError(
            f"{path}: error while loading the recipe file: "
            f"{type(error).__name__}: {error}{_user_location(error)}"
        ) from error
    return module


def _line_excerpt(error: SyntaxError) -> str:
    return f"\n    {error.text.rstrip()}" if error.text else ""


def _user_location(error: BaseException) -> str:
    """' (at file:line)' for the innermost traceback frame outside synthscene's own code."""
    own = Path(__file__).resolve().parent.parent
    frames = [
        f
        for f in traceback.extract_tb(error.__traceback__)
        if not Path(f.filename).resolve().is_relative_to(own)
    ]
    if not frames:
        frames = traceback.extract_tb(error.__traceback__)[-1:]
    return f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise RecipeError(f"seed must be a non-negative integer, got {seed!r}.")
    return int(seed)


def sample_spec(
    reference: str, seed: int, overrides: Optional[Mapping[str, Any]] = None
) -> SceneSpec:
    """Load ``reference`` and sample its spec for ``seed`` with parameter ``overrides``.

    Same reference + overrides + seed -> byte-identical ``spec.to_json()`` on any machine.
    """
    return load_recipe(reference).sample(seed, overrides)
