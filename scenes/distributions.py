"""Named distributions sampled through a seeded ``numpy.random.Generator``.

Every distribution knows its declared support (:meth:`Distribution.bounds` for numbers,
``options`` for :class:`Choice`), so tests and reports can check samples against it. Samples are
plain Python values (float, str, tuple of floats), never numpy scalars, so they serialise to JSON
identically everywhere.
"""

from __future__ import annotations

import colorsys
import dataclasses
import math
from typing import Any, Optional, Sequence

import numpy as np


class Distribution:
    """Base class: ``sample(rng)`` draws one value; ``contains(value)`` checks the support."""

    def sample(self, rng: np.random.Generator) -> Any:
        raise NotImplementedError

    def contains(self, value: Any) -> bool:
        raise NotImplementedError


def sample(value: Any, rng: np.random.Generator) -> Any:
    """Draw from ``value`` if it is a Distribution, else return it unchanged (a constant)."""
    return value.sample(rng) if isinstance(value, Distribution) else value


@dataclasses.dataclass(frozen=True)
class Uniform(Distribution):
    """Uniform on [low, high]."""

    low: float
    high: float

    def __post_init__(self):
        if not self.low <= self.high:
            raise ValueError(f"Uniform: low {self.low} > high {self.high}")

    def sample(self, rng):
        return float(rng.uniform(self.low, self.high))

    def bounds(self) -> tuple[float, float]:
        return (self.low, self.high)

    def contains(self, value):
        return self.low <= value <= self.high


@dataclasses.dataclass(frozen=True)
class LogUniform(Distribution):
    """Log-uniform on [low, high] (both > 0): uniform in log space, for scales and intensities."""

    low: float
    high: float

    def __post_init__(self):
        if not 0 < self.low <= self.high:
            raise ValueError(f"LogUniform needs 0 < low <= high, got {self.low}, {self.high}")

    def sample(self, rng):
        value = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        return float(min(max(value, self.low), self.high))

    def bounds(self):
        return (self.low, self.high)

    def contains(self, value):
        return self.low <= value <= self.high


@dataclasses.dataclass(frozen=True)
class Normal(Distribution):
    """Normal(mean, std) clipped to [low, high] (defaults: mean -/+ 3 std)."""

    mean: float
    std: float
    low: Optional[float] = None
    high: Optional[float] = None

    def bounds(self):
        low = self.mean - 3 * self.std if self.low is None else self.low
        high = self.mean + 3 * self.std if self.high is None else self.high
        return (low, high)

    def sample(self, rng):
        low, high = self.bounds()
        return float(np.clip(rng.normal(self.mean, self.std), low, high))

    def contains(self, value):
        low, high = self.bounds()
        return low <= value <= high


@dataclasses.dataclass(frozen=True)
class RandInt(Distribution):
    """Uniform integer on [low, high] inclusive."""

    low: int
    high: int

    def sample(self, rng):
        return int(rng.integers(self.low, self.high + 1))

    def bounds(self):
        return (self.low, self.high)

    def contains(self, value):
        return self.low <= value <= self.high and int(value) == value


@dataclasses.dataclass(frozen=True)
class Choice(Distribution):
    """One of ``options``, with optional ``weights`` (normalised; default equal)."""

    options: tuple
    weights: Optional[tuple] = None

    def __init__(self, options: Sequence, weights: Optional[Sequence[float]] = None):
        if not options:
            raise ValueError("Choice needs at least one option")
        if weights is not None and len(weights) != len(options):
            raise ValueError(f"Choice: {len(weights)} weights for {len(options)} options")
        object.__setattr__(self, "options", tuple(options))
        object.__setattr__(
            self, "weights", None if weights is None else tuple(float(w) for w in weights)
        )

    def probabilities(self) -> np.ndarray:
        if self.weights is None:
            return np.full(len(self.options), 1.0 / len(self.options))
        weights = np.asarray(self.weights, float)
        return weights / weights.sum()

    def sample(self, rng):
        return self.options[int(rng.choice(len(self.options), p=self.probabilities()))]

    def contains(self, value):
        return value in self.options


@dataclasses.dataclass(frozen=True)
class VectorUniform(Distribution):
    """Each component uniform on [low[i], high[i]]; samples are tuples of floats."""

    low: tuple
    high: tuple

    def __init__(self, low: Sequence[float], high: Sequence[float]):
        if len(low) != len(high) or any(a > b for a, b in zip(low, high)):
            raise ValueError(f"VectorUniform: bad bounds {low}, {high}")
        object.__setattr__(self, "low", tuple(float(v) for v in low))
        object.__setattr__(self, "high", tuple(float(v) for v in high))

    def sample(self, rng):
        return tuple(float(rng.uniform(a, b)) for a, b in zip(self.low, self.high))

    def contains(self, value):
        return len(value) == len(self.low) and all(
            a <= v <= b for a, v, b in zip(self.low, value, self.high)
        )


@dataclasses.dataclass(frozen=True)
class ColorHSV(Distribution):
    """A colour drawn uniformly in HSV ranges, returned as linear-ish RGBA (r, g, b, 1) in [0, 1].

    ``hue`` wraps around (a range like (0.9, 1.1) is allowed); saturation and value are in [0, 1].
    """

    hue: tuple = (0.0, 1.0)
    saturation: tuple = (0.0, 1.0)
    value: tuple = (0.0, 1.0)

    def sample(self, rng):
        hue = rng.uniform(*self.hue) % 1.0
        saturation = rng.uniform(*self.saturation)
        value = rng.uniform(*self.value)
        return tuple(float(c) for c in colorsys.hsv_to_rgb(hue, saturation, value)) + (1.0,)

    def contains(self, color):
        hue, saturation, value = colorsys.rgb_to_hsv(*color[:3])
        eps = 1e-6
        return (
            self.saturation[0] - eps <= saturation <= self.saturation[1] + eps
            and self.value[0] - eps <= value <= self.value[1] + eps
            and (saturation < eps or value < eps or _hue_in(hue, self.hue, eps))
            and color[3] == 1.0
        )


def _hue_in(hue: float, bounds: tuple, eps: float) -> bool:
    low, high = bounds
    if high - low >= 1.0:
        return True
    low, high = low % 1.0, high % 1.0
    if low <= high:
        return low - eps <= hue <= high + eps
    return hue >= low - eps or hue <= high + eps


def kelvin_to_rgb(kelvin: float) -> tuple[float, float, float]:
    """Approximate RGB (each in [0, 1], max component 1) of a black body at ``kelvin`` K.

    Tanner Helland's fit of the CIE 1964 black-body colours, valid for 1000-40000 K.
    """
    temperature = min(max(kelvin, 1000.0), 40000.0) / 100.0
    if temperature <= 66:
        red = 255.0
        green = 99.4708025861 * math.log(temperature) - 161.1195681661
        blue = (
            0.0
            if temperature <= 19
            else 138.5177312231 * math.log(temperature - 10) - 305.0447927307
        )
    else:
        red = 329.698727446 * (temperature - 60) ** -0.1332047592
        green = 288.1221695283 * (temperature - 60) ** -0.0755148492
        blue = 255.0
    rgb = [min(max(c, 0.0), 255.0) / 255.0 for c in (red, green, blue)]
    peak = max(rgb)
    return tuple(float(c / peak) for c in rgb)


# Streams drawn beside a recipe's generator, one per optional feature: a copy of the generator's
# state jumped this many times. The generator itself does not advance, so switching a feature
# on or off changes no other draw of the frame.
SIDE_STREAM_JUMPS = {
    "hands": 1,
    "roll": 2,
    "dents": 3,
    "stacks": 4,
    "reusable": 5,
    "eye_level": 6,
    "floor": 7,
}


def side_stream(rng: np.random.Generator, purpose: str) -> np.random.Generator:
    """An independent generator for ``purpose`` (a key of :data:`SIDE_STREAM_JUMPS`), derived
    from ``rng``'s current state without advancing it."""
    return np.random.Generator(rng.bit_generator.jumped(SIDE_STREAM_JUMPS[purpose]))
