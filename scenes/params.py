"""Declared recipe parameters and ``--set name=value`` overrides.

A recipe declares its parameters as ``{"lights.strength": Param(1.0, low=0.0, high=10.0), ...}``.
Names may contain dots to group them. The type is the default's type (bool, int, float, str).
Overrides arrive as strings from the command line (or as Python values from code) and are
converted and checked against the declaration; every problem raises :class:`ParameterError`
naming the parameter, the recipe and the fix.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Iterable, Iterator, Optional

from scenes.errors import ParameterError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclasses.dataclass(frozen=True)
class Param:
    """A declared parameter: ``default`` (its type is the parameter's type), optional inclusive
    range ``low``/``high`` for numbers, optional ``choices``, and ``help`` text."""

    default: Any
    low: Optional[float] = None
    high: Optional[float] = None
    choices: Optional[tuple] = None
    help: str = ""

    @property
    def type(self) -> type:
        return type(self.default)

    def describe(self) -> str:
        text = f"{self.type.__name__} = {self.default!r}"
        if self.low is not None or self.high is not None:
            text += (
                f" in [{'-inf' if self.low is None else self.low}, "
                f"{'inf' if self.high is None else self.high}]"
            )
        if self.choices:
            text += f" one of {', '.join(map(str, self.choices))}"
        return text + (f"  {self.help}" if self.help else "")

    def convert(self, name: str, raw: Any, recipe: str) -> Any:
        """Convert and check one value; raises ParameterError."""
        value = _convert(self.type, raw, name, recipe)
        if self.low is not None and value < self.low or self.high is not None and value > self.high:
            raise ParameterError(
                f"parameter {name!r} of recipe {recipe!r}: {value!r} is out of range "
                f"[{self.low}, {self.high}]; pick a value inside it."
            )
        if self.choices and value not in self.choices:
            raise ParameterError(
                f"parameter {name!r} of recipe {recipe!r}: {value!r} is not one of "
                f"{', '.join(map(repr, self.choices))}."
            )
        return value


def _convert(kind: type, raw: Any, name: str, recipe: str) -> Any:
    if not isinstance(raw, str):
        if kind is float and isinstance(raw, int) and not isinstance(raw, bool):
            return float(raw)
        if isinstance(raw, kind) and not (kind is int and isinstance(raw, bool)):
            return raw
        raw = str(raw)
    text = raw.strip()
    try:
        if kind is bool:
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise ValueError
        if kind is int:
            return int(text)
        if kind is float:
            value = float(text)
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError
            return value
        return kind(text)
    except ValueError:
        raise ParameterError(
            f"parameter {name!r} of recipe {recipe!r} expects {_type_words(kind)}, got {raw!r}."
        ) from None


def _type_words(kind: type) -> str:
    return {bool: "true/false", int: "an integer", float: "a finite number", str: "text"}.get(
        kind, kind.__name__
    )


def parse_overrides(items: Iterable[str]) -> dict[str, str]:
    """``["a.b=1", "c=x"]`` -> ``{"a.b": "1", "c": "x"}``; ParameterError for malformed items."""
    overrides: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ParameterError(
                f"--set {item!r} must look like name=value (e.g. --set lights.strength=2.0)."
            )
        overrides[name.strip()] = value
    return overrides


def resolve_params(
    declared: Mapping[str, Param], overrides: Mapping[str, Any], recipe: str
) -> dict[str, Any]:
    """Defaults of ``declared`` updated with checked ``overrides``, keys sorted."""
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        known = ", ".join(sorted(declared)) or "none"
        raise ParameterError(
            f"recipe {recipe!r} has no parameter {unknown[0]!r}; its parameters: {known}."
        )
    values = {}
    for name in sorted(declared):
        param = declared[name]
        raw = overrides.get(name, param.default)
        values[name] = param.convert(name, raw, recipe)
    return values


class Params(Mapping):
    """Resolved parameter values: ``params["lights.strength"]`` or ``params.lights.strength``."""

    def __init__(self, values: Mapping[str, Any], prefix: str = ""):
        self._values = dict(values)
        self._prefix = prefix

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        full = f"{self._prefix}{name}"
        if full in self._values:
            return self._values[full]
        if any(key.startswith(full + ".") for key in self._values):
            return _Group(self._values, full + ".")
        raise AttributeError(f"no parameter {full!r}; declared: {', '.join(sorted(self._values))}")

    def __repr__(self) -> str:
        return f"Params({self._values!r})"


class _Group:
    """Attribute access to the dotted sub-names of :class:`Params`."""

    def __init__(self, values: Mapping[str, Any], prefix: str):
        self._values, self._prefix = values, prefix

    def __getattr__(self, name: str) -> Any:
        return Params.__getattr__(self, name)  # type: ignore[arg-type]
