"""The SceneSpec: a scene as plain data (dataclasses) that round-trips through JSON.

Conventions: world frame +Z up, metres, radians; quaternions are Kubric's (w, x, y, z); colours
are linear RGB(A) in [0, 1]; field names follow Kubric's traits where one exists.

* ``SceneSpec.to_json()`` is *canonical*: keys sorted, no spaces, every float written with 10
  significant digits (correctly rounded by Python, so identical on every machine). ``from_json``
  reads it back exactly; :func:`scenes.recipe_api.sample_spec` returns the spec normalised through
  this round trip, so ``spec == SceneSpec.from_json(spec.to_json())`` holds.
* ``SceneSpec.hash()`` is the sha256 of the canonical JSON.
* Paths are stored as the user gave them (Blender's bundled HDRIs by name only), so spec bytes do
  not depend on the machine.
* ``sampled_parameters()`` flattens the spec into ``{"camera.focal_length": 35.0, ...}`` for
  previews and reports.

Object roles: ``"object"`` (labelled, ``category`` set), ``"distractor"`` (clutter, unlabelled,
``category`` None) and ``"support"`` (floor, table, bin walls; unlabelled, usually static).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
import typing
from typing import Any, Optional

from scenes.errors import SpecError

Vec3 = tuple[float, float, float]
Quat = tuple[float, float, float, float]
RGB = tuple[float, float, float]
RGBA = tuple[float, float, float, float]

FORMAT_VERSION = 1
FLOAT_DIGITS = 10


@dataclasses.dataclass
class TextureSpec:
    """A texture driving a material's base colour (mixed between ``material.color`` and ``color2``).

    Attributes:
      kind: Blender texture node: "noise", "voronoi", "wave", "checker", "brick", "magic",
        "gradient", or "image" (then ``image`` is the file), or "print": an RGBA image laid over
        the base colour by the mesh's UV map (alpha = coverage), either ``image`` (a user file)
        or generated when the scene is built from ``params`` ({"style", "seed", "aspect"}, see
        assets/prints.py).
      scale: the node's Scale input (texture cycles per metre in object coordinates).
      color2: second colour (RGBA).
      params: extra node inputs by Blender socket name, e.g. {"Detail": 4.0, "Distortion": 1.0}.
      image: image file path (kind "image"), as the user gave it.
      rotation: rotation of the texture coordinates (XYZ Euler, radians).
    """

    kind: str
    scale: float = 5.0
    color2: RGBA = (0.0, 0.0, 0.0, 1.0)
    params: dict = dataclasses.field(default_factory=dict)
    image: Optional[str] = None
    rotation: Vec3 = (0.0, 0.0, 0.0)


def _optional(default: Any = None, factory: Any = None) -> Any:
    """A field left out of the canonical JSON while it holds its default, so specs written
    before the field existed keep their bytes and hash."""
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata={"omit_default": True})
    return dataclasses.field(default=default, metadata={"omit_default": True})


@dataclasses.dataclass
class MaterialSpec:
    """Kubric's PrincipledBSDFMaterial fields (or a FlatMaterial when kind == "flat").

    Beyond Kubric (Blender only; the raster backend ignores them): ``coat`` = Principled
    "Coat Weight" (a glaze or lacquer layer, 0..1); ``bump`` = strength (0..1) of a noise bump
    map of ``bump_scale`` cycles per metre (surface imperfections); ``roughness_noise`` =
    amplitude (0..1) of a noise added to ``roughness`` (smudges, wear). Texture kind "print"
    (see TextureSpec) maps an RGBA print by the mesh's UVs over ``color``."""

    kind: str = "principled"
    color: RGBA = (0.8, 0.8, 0.8, 1.0)
    metallic: float = 0.0
    specular: float = 0.5
    specular_tint: float = 0.0
    roughness: float = 0.4
    ior: float = 1.45
    transmission: float = 0.0
    transmission_roughness: float = 0.0
    emission: RGBA = (0.0, 0.0, 0.0, 1.0)
    texture: Optional[TextureSpec] = None
    name: str = ""
    coat: float = _optional(0.0)
    bump: float = _optional(0.0)
    bump_scale: float = _optional(2000.0)
    roughness_noise: float = _optional(0.0)


@dataclasses.dataclass
class PartSpec:
    """One part of a multi-part object (named as its asset builds it) and its material."""

    name: str
    material: MaterialSpec = dataclasses.field(default_factory=MaterialSpec)


@dataclasses.dataclass
class AssetSpec:
    """Where an object's geometry comes from.

    Attributes:
      kind: "primitive" (``name`` "cube"/"sphere": Kubric's kb.Cube/kb.Sphere, unit half-size,
        sized by ``ObjectSpec.scale``), "procedural" (``name`` is a class of
        ``assets.procedural``; ``params`` its shape parameters in metres), "household" (``name``
        is a class of ``assets.household``, ``params`` its sub-type and shape parameters; an
        object made of parts, see ``ObjectSpec.parts``) or "file" (a user mesh at ``path`` with
        ``sha256`` of its bytes, ``up`` axis and ``units_to_metres``).
      source, licence: provenance, copied into the Kubric object's metadata.
    """

    kind: str
    name: str
    params: dict = dataclasses.field(default_factory=dict)
    path: Optional[str] = None
    sha256: Optional[str] = None
    up: str = "Z"
    units_to_metres: float = 1.0
    source: str = ""
    licence: str = ""


@dataclasses.dataclass
class ObjectSpec:
    """One physical object; pose in world frame. ``scale`` multiplies the asset (uniform for
    meshes and spheres; a cube's scale is its half-extents, as in Kubric).

    ``parts``: for an asset made of parts (kind "household"), one entry per part in the order the
    asset builds them, each with its own material; ``material`` is then the first part's
    material. Still one object: one instance id, mask and box, one rigid body (the convex hull
    of all parts). Empty for single-mesh objects (and then left out of the JSON)."""

    name: str
    asset: AssetSpec
    position: Vec3 = (0.0, 0.0, 0.0)
    quaternion: Quat = (1.0, 0.0, 0.0, 0.0)
    scale: Vec3 = (1.0, 1.0, 1.0)
    material: MaterialSpec = dataclasses.field(default_factory=MaterialSpec)
    category: Optional[str] = None
    role: str = "object"
    static: bool = False
    mass: float = 1.0
    friction: float = 0.5
    restitution: float = 0.2
    parts: list[PartSpec] = _optional(factory=list)

    @property
    def labelled(self) -> bool:
        """True for objects that get labels (role "object" with a category)."""
        return self.role == "object" and self.category is not None


@dataclasses.dataclass
class LightSpec:
    """A Kubric light. ``intensity``: sun = irradiance in W/m^2 (Blender sun strength); point,
    spot, area = power in W. Pose: at ``position`` looking at ``look_at``.
    ``temperature`` (K) is recorded when ``color`` was derived from it."""

    kind: str
    name: str
    position: Vec3 = (0.0, 0.0, 3.0)
    look_at: Vec3 = (0.0, 0.0, 0.0)
    intensity: float = 1.0
    color: RGB = (1.0, 1.0, 1.0)
    temperature: Optional[float] = None
    width: float = 1.0
    height: float = 1.0
    spot_size: float = math.pi / 4
    spot_blend: float = 1.0
    shadow_softness: float = 0.2


@dataclasses.dataclass
class DepthOfFieldSpec:
    """Thin-lens depth of field: focus distance (m) and aperture f-number."""

    focus_distance: float
    fstop: float


@dataclasses.dataclass
class FramingSpec:
    """Image-space framing of one object, solved after physics (see :mod:`scenes.framing`).

    Attributes:
      target: name of the object to frame.
      size: wanted size of its projected box: the larger of width / image width and
        height / image height (the *unclipped* projection, so a box cut by the border counts
        whole); 0.5 = half the frame.
      offset: where the box centre goes, as fractions of the image (x right, y down) from the
        image centre; |offset| near 0.5 puts the object across the border.
      elevation, azimuth: viewing direction from the object (radians; elevation above the XY
        plane, azimuth counter-clockwise from +X).
      requested: (low, high) range ``size`` was drawn from (for reports).
      solved: True once ``CameraSpec.position``/``look_at`` hold the solution.
      group: names of objects framed together (empty: ``target`` alone). When set, ``size``
        and ``offset`` refer to the union of their projected boxes and ``target`` is the
        group's first member left after physics.
    """

    target: str
    size: float
    offset: tuple[float, float] = (0.0, 0.0)
    elevation: float = 0.5
    azimuth: float = 0.0
    requested: tuple[float, float] = (0.0, 1.0)
    solved: bool = False
    group: list[str] = dataclasses.field(default_factory=list, metadata={"omit_default": True})


@dataclasses.dataclass
class CameraSpec:
    """Kubric PerspectiveCamera at ``position`` looking at ``look_at`` (+Z up). Lengths in mm for
    the lens, metres for the pose. ``motion_blur``: shutter as a fraction of a frame, or None
    (off). ``exposure``: film exposure in EV stops (0 = unchanged). ``framing``: when set, the
    pose is solved after physics so an object gets a chosen size in the image. ``roll``: turn
    of the camera about its viewing axis, radians; positive turns the camera counter-clockwise
    as its holder sees it, so the scene appears turned clockwise in the image (0 = level: the
    image's vertical is the world's +Z projected)."""

    position: Vec3 = (2.0, -0.5, 4.0)
    look_at: Vec3 = (0.0, 0.0, 0.0)
    focal_length: float = 35.0
    sensor_width: float = 32.0
    depth_of_field: Optional[DepthOfFieldSpec] = None
    motion_blur: Optional[float] = None
    exposure: float = 0.0
    framing: Optional[FramingSpec] = _optional(None)
    roll: float = _optional(0.0)


@dataclasses.dataclass
class SensorSpec:
    """The camera/sensor model applied to the rendered RGB only (never to labels); see
    :mod:`scenes.sensor` for the sampling and ``renderer.sensor`` for the image operations.

    Blur lengths are fractions of the image width (so they scale with the resolution); noise is
    in linear-light units of the [0, 1] signal.

    Attributes:
      auto_exposure: the metered key: linear light is scaled so the image's mean sRGB luminance
        becomes this (a camera's auto exposure; 0 = off), before the exposure error.
      exposure: exposure error, EV stops (multiplies linear light by 2**exposure).
      white_balance: per-channel gains (R, G, B) of a white-balance error, G = 1.
      blur: Gaussian lens blur sigma.
      defocus: radius of a disk (out-of-focus) kernel; 0 = sharp.
      motion: length of a linear motion-blur kernel; ``motion_angle`` its direction (radians).
      chromatic_aberration: lateral shift of red (outward) and blue (inward) at the image corner.
      vignetting: relative light fall-off at the corners (0 = none).
      shot_noise, read_noise: noise sigma = sqrt(read**2 + shot**2 * signal).
      saturation: chroma multiplier about the luminance (linear light; 1 = unchanged).
      contrast: strength 0..1 of an S-shaped tone curve on the sRGB values (0 = none).
      levels: strength 0..1 of auto levels (black/white points stretched towards the image's
        luminance percentiles); clarity: amount of large-radius local contrast; sharpen: amount
        of a 1-pixel unsharp mask (0 = none each; a phone's finishing steps).
      jpeg_quality: JPEG re-encoding quality 1-100; 0 = none.
      seed: seed of the noise.
      matched: photo statistics the ranges were centred on (``--match-photos``), else {}.
    """

    auto_exposure: float = 0.0
    exposure: float = 0.0
    white_balance: RGB = (1.0, 1.0, 1.0)
    blur: float = 0.0
    defocus: float = 0.0
    motion: float = 0.0
    motion_angle: float = 0.0
    chromatic_aberration: float = 0.0
    vignetting: float = 0.0
    shot_noise: float = 0.0
    read_noise: float = 0.0
    saturation: float = 1.0
    contrast: float = 0.0
    jpeg_quality: int = 0
    seed: int = 0
    levels: float = 0.0
    clarity: float = 0.0
    sharpen: float = 0.0
    matched: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class HdriSpec:
    """An environment map: ``source`` "blender" (bundled, by ``name``) or "folder" (``folder``/
    ``name``.exr|.hdr). ``rotation``: about world +Z in radians; ``strength``: multiplier."""

    name: str
    source: str = "blender"
    folder: Optional[str] = None
    rotation: float = 0.0
    strength: float = 1.0
    licence: str = ""


@dataclasses.dataclass
class WorldSpec:
    """What lights the scene from afar and what the camera sees behind everything.

    ``hdri`` (when set) always lights the scene. ``background`` says what camera rays that miss
    every object see: "hdri" (the map), "color" (``color``) or "image" (``image``, a file shown
    behind the scene, screen-aligned). ``ambient_illumination`` is Kubric's ambient term (RGBA).
    """

    background: str = "color"
    color: RGBA = (0.05, 0.05, 0.05, 1.0)
    hdri: Optional[HdriSpec] = None
    image: Optional[str] = None
    ambient_illumination: RGBA = (0.0, 0.0, 0.0, 1.0)


@dataclasses.dataclass
class PhysicsSpec:
    """Drop-and-settle settings and what happened. ``settle``: run PyBullet before rendering;
    ``seconds``: the most simulated time; ``support_height``: top of the support (m), objects
    ending below it were lost. Filled in by settling: ``settled`` (poses are the settled ones),
    ``removed`` (objects that left the support), ``simulated_seconds``, ``at_rest`` (every body
    slower than 1 cm/s at the end)."""

    settle: bool = False
    seconds: float = 2.0
    settled: bool = False
    removed: list = dataclasses.field(default_factory=list)
    support_height: Optional[float] = None
    simulated_seconds: float = 0.0
    at_rest: Optional[bool] = None


@dataclasses.dataclass
class SceneSpec:
    """A whole scene: where it came from (recipe, seed, params) and everything in it."""

    recipe: str = ""
    seed: int = 0
    params: dict = dataclasses.field(default_factory=dict)
    resolution: tuple[int, int] = (256, 256)
    camera: CameraSpec = dataclasses.field(default_factory=CameraSpec)
    lights: list[LightSpec] = dataclasses.field(default_factory=list)
    world: WorldSpec = dataclasses.field(default_factory=WorldSpec)
    objects: list[ObjectSpec] = dataclasses.field(default_factory=list)
    physics: PhysicsSpec = dataclasses.field(default_factory=PhysicsSpec)
    sensor: Optional[SensorSpec] = _optional(None)
    frame_start: int = 1
    frame_end: int = 1
    format_version: int = FORMAT_VERSION

    # -- serialisation -------------------------------------------------------------------
    def to_dict(self) -> dict:
        """JSON-ready dict with floats canonicalised (see module docstring)."""
        return canonical(_as_dict(self))

    def to_json(self, indent: Optional[int] = None) -> str:
        """Canonical JSON (sorted keys; compact unless ``indent``)."""
        separators = (",", ":") if indent is None else (",", ": ")
        return json.dumps(
            self.to_dict(), sort_keys=True, separators=separators, indent=indent, allow_nan=False
        )

    @classmethod
    def from_dict(cls, data: dict) -> "SceneSpec":
        if not isinstance(data, dict) or "recipe" not in data:
            raise SpecError("not a scene spec: expected a JSON object with 'recipe', 'seed', ...")
        return _from_value(cls, data, "spec")

    @classmethod
    def from_json(cls, text: str) -> "SceneSpec":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise SpecError(f"scene spec is not valid JSON: {error}") from None
        return cls.from_dict(data)

    def hash(self) -> str:
        """sha256 hex digest of the canonical JSON."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()

    def normalised(self) -> "SceneSpec":
        """A copy that went through the canonical JSON round trip (rounded floats, tuples)."""
        return SceneSpec.from_json(self.to_json())

    def validate(self) -> "SceneSpec":
        """Check what JSON types cannot: unique names, known kinds/roles, sane numbers.
        Returns self; raises SpecError naming the field and the fix."""
        problems = []
        for group, items in (("object", self.objects), ("light", self.lights)):
            names = [item.name for item in items]
            duplicates = sorted({n for n in names if names.count(n) > 1})
            if duplicates:
                problems.append(f"{group} names must be unique, repeated: {', '.join(duplicates)}")
        if len(self.resolution) != 2 or min(self.resolution) <= 0:
            problems.append(f"resolution {self.resolution} must be two positive integers")
        for obj in self.objects:
            problems += _object_problems(obj)
        for light in self.lights:
            if light.kind not in ("sun", "point", "area", "spot"):
                problems.append(
                    f"light {light.name!r}: kind {light.kind!r} is not sun, point, area or spot"
                )
            if light.intensity < 0:
                problems.append(f"light {light.name!r}: intensity {light.intensity} < 0")
        if self.camera.focal_length <= 0 or self.camera.sensor_width <= 0:
            problems.append("camera: focal_length and sensor_width must be > 0 (mm)")
        framing = self.camera.framing
        if framing is not None and framing.target not in {obj.name for obj in self.objects}:
            problems.append(
                f"camera.framing.target {framing.target!r} is not an object of the scene"
            )
        if framing is not None and not 0 < framing.size:
            problems.append(f"camera.framing.size {framing.size} must be > 0")
        if self.sensor is not None and not 0 <= self.sensor.jpeg_quality <= 100:
            problems.append(
                f"sensor.jpeg_quality {self.sensor.jpeg_quality} must be 0 (off) to 100"
            )
        if self.world.background not in ("hdri", "color", "image"):
            problems.append(
                f"world.background {self.world.background!r} is not hdri, color or image"
            )
        if self.world.background == "hdri" and self.world.hdri is None:
            problems.append("world.background is 'hdri' but world.hdri is not set")
        if self.world.background == "image" and not self.world.image:
            problems.append("world.background is 'image' but world.image is not set")
        if problems:
            raise SpecError("invalid scene spec: " + "; ".join(problems))
        return self

    # -- views ---------------------------------------------------------------------------
    def sampled_parameters(self) -> dict[str, Any]:
        """The spec as a flat dict ``{"camera.focal_length": 35.0, "objects.0.category": ...}``."""
        return flatten(self.to_dict())

    def labelled_objects(self) -> list[ObjectSpec]:
        return [obj for obj in self.objects if obj.labelled]

    def object(self, name: str) -> ObjectSpec:
        for obj in self.objects:
            if obj.name == name:
                return obj
        raise KeyError(name)


def _object_problems(obj: ObjectSpec) -> list[str]:
    problems = []
    if obj.role not in ("object", "distractor", "support"):
        problems.append(
            f"object {obj.name!r}: role {obj.role!r} is not object, distractor or support"
        )
    if obj.role == "object" and not obj.category:
        problems.append(
            f"object {obj.name!r}: a labelled object needs a category (or use role='distractor')"
        )
    if min(obj.scale) <= 0:
        problems.append(f"object {obj.name!r}: scale {obj.scale} must be > 0")
    if abs(math.fsum(q * q for q in obj.quaternion) - 1.0) > 1e-6:
        problems.append(f"object {obj.name!r}: quaternion {obj.quaternion} is not unit length")
    if obj.asset.kind not in ("primitive", "procedural", "household", "file"):
        problems.append(
            f"object {obj.name!r}: asset kind {obj.asset.kind!r} is not primitive, "
            "procedural, household or file"
        )
    if obj.parts and obj.parts[0].material != obj.material:
        problems.append(
            f"object {obj.name!r}: material must equal parts[0].material (the "
            "first part's); set both"
        )
    return problems


def _as_dict(value: Any) -> Any:
    """``dataclasses.asdict`` that leaves out ``omit_default`` fields holding their default."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        for field in dataclasses.fields(value):
            item = getattr(value, field.name)
            if field.metadata.get("omit_default"):
                default = (
                    field.default_factory()
                    if field.default_factory is not dataclasses.MISSING
                    else field.default
                )
                if item == default:
                    continue
            out[field.name] = _as_dict(item)
        return out
    if isinstance(value, (list, tuple)):
        return type(value)(_as_dict(v) for v in value)
    if isinstance(value, dict):
        return {k: _as_dict(v) for k, v in value.items()}
    return value


def canonical(value: Any) -> Any:
    """Recursively turn tuples into lists, numpy scalars into Python, round floats."""
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if hasattr(value, "item") and not isinstance(value, (int, float)):
        value = value.item()  # numpy scalar
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SpecError(f"spec holds a non-finite number ({value}); specs must be finite")
        rounded = float(f"{value:.{FLOAT_DIGITS}g}")
        return 0.0 if rounded == 0 else rounded
    raise SpecError(
        f"spec holds a {type(value).__name__} ({value!r}); use plain numbers, "
        "strings, lists and dicts"
    )


def flatten(data: dict) -> dict[str, Any]:
    """A spec dict (or any JSON object) as one level: nested keys joined by ``.``, items of lists
    of objects by their index (``objects.0.category``); other values (numbers, strings, vectors
    as lists) are kept as they are. The one key format of flattened specs."""
    flat: dict[str, Any] = {}
    _flatten(data, "", flat)
    return flat


def _flatten(value: Any, prefix: str, out: dict) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}{key}.", out)
    elif isinstance(value, list) and value and all(isinstance(v, (dict, list)) for v in value):
        for index, item in enumerate(value):
            _flatten(item, f"{prefix}{index}.", out)
    else:
        out[prefix[:-1]] = value


@functools.lru_cache(maxsize=None)
def _type_hints(kind: type) -> dict:
    """Resolved field types of a spec dataclass (cached: resolving is slow)."""
    return {f.name: typing.get_type_hints(kind)[f.name] for f in dataclasses.fields(kind)}


def _from_value(kind: Any, value: Any, where: str) -> Any:
    """Build an instance of type hint ``kind`` from JSON data (dataclasses, Optional, list, tuple)."""
    origin = typing.get_origin(kind)
    args = typing.get_args(kind)
    if dataclasses.is_dataclass(kind):
        if not isinstance(value, dict):
            raise SpecError(f"{where}: expected an object for {kind.__name__}, got {value!r}")
        hints = _type_hints(kind)
        names = hints.keys()
        unknown = set(value) - names
        if unknown:
            raise SpecError(f"{where}: unknown field(s) {sorted(unknown)} for {kind.__name__}")
        return kind(**{k: _from_value(hints[k], v, f"{where}.{k}") for k, v in value.items()})
    if origin is typing.Union:
        if value is None:
            return None
        non_none = [a for a in args if a is not type(None)]
        return _from_value(non_none[0], value, where)
    if origin is list:
        return [
            _from_value(args[0] if args else Any, v, f"{where}.{i}") for i, v in enumerate(value)
        ]
    if origin is tuple:
        if not isinstance(value, (list, tuple)) or len(value) != len(args):
            raise SpecError(f"{where}: expected {len(args)} numbers, got {value!r}")
        return tuple(_from_value(a, v, where) for a, v in zip(args, value))
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SpecError(f"{where}: expected an integer, got {value!r}")
        return value
    return value
