"""Instantiate a SceneSpec as a ``kubric.Scene``, and settle it with Kubric's PyBullet simulator.

Pipeline (what the renderer does per frame)::

    spec = sample_spec("tabletop", seed=7)              # recipe -> spec (poses before physics)
    spec = settle(spec, scratch_dir)                    # drop-and-settle; a *new* spec whose poses
                                                        # are the settled ones (physics.settled)
    scene = build_kubric_scene(spec, scratch_dir)       # what gets rendered

or ``spec, scene = instantiate(spec, scratch_dir)`` for both. ``settle`` is a no-op for specs
with ``physics.settle == False`` or already settled, so the rendered scene is always exactly the
(settled) spec; store that spec with the frame. Objects that leave the support while settling
are removed and listed in ``spec.physics.removed``.

Reproducibility: a recipe's spec is byte-identical on every machine. Settled poses are
deterministic for one machine and PyBullet build (tested), but physics amplifies tiny
floating-point differences, so another CPU/build may settle differently: keep the settled spec
with each frame (it is the ground truth of what was rendered).

How spec fields map onto the Kubric scene
-----------------------------------------
* ``kb.Scene(resolution=(width, height), frame_start, frame_end)``; ``scene.background`` is
  ``world.color`` and ``scene.ambient_illumination`` is ``world.ambient_illumination``.
* Objects: primitive cube/sphere -> ``kb.Cube``/``kb.Sphere`` (scale as in the spec); procedural
  and file meshes -> ``kb.FileBasedObject`` with ``render_filename`` = a cached ``.ply`` (Z-up
  coordinates written as-is, which is how renderer.blender and renderer.raster read PLY;
  ``render_import_kwargs`` stays empty), ``simulation_filename`` = a URDF whose collision shape
  is the convex hull, ``bounds`` = the mesh bounds, ``asset_id`` = the mesh cache key. Cache
  files live in ``cache_dir`` (default ``<scratch_dir>/meshes``), named by key, so a warm worker
  reuses them; the folder is pruned to 1 GiB, oldest files first, at most once a minute per
  process (random procedural shapes make new meshes for almost every object: ~20-150 kB each).
* ``asset.metadata`` of every object (JSON-serialisable)::

      {"category": "mug" | None,    # None for distractors and supports: labels skip them
       "role": "object" | "distractor" | "support",
       "distractor": bool, "source": str, "licence": str,
       "asset": {"kind", "name", "params", "path", "sha256"}, "spec_name": str}

* Materials: ``kb.PrincipledBSDFMaterial`` (or ``kb.FlatMaterial``) with the spec's fields;
  ``material.metadata["texture"]`` is the TextureSpec as a dict (kind, scale, color2, params by
  Blender socket name, image path, rotation) or None; ``material.metadata["surface"]`` (only
  when set) holds coat, bump, bump_scale and roughness_noise. A generated print (texture kind
  "print" without an image) is drawn into the mesh cache folder and its path put in ``image``.
* Objects made of parts (``ObjectSpec.parts``): the cached PLY holds every part (UVs per vertex,
  part index per face; see assets/meshes.py ``parted_ply_bytes``); the Kubric material is the
  first part's, and ``asset.metadata["parts"]`` lists ``{"name", "material"}`` per part in mesh
  order, ``material`` None for the first part and otherwise the MaterialSpec as a dict with
  ``texture`` resolved as above and ``surface`` (see :func:`material_description`). The base colour is
  ``mix(material.color, texture.color2, factor)`` where factor is the texture node's Fac output
  (Color output luminance for image textures); texture coordinates are object coordinates
  (generated for images), rotated by ``texture.rotation`` and scaled by ``texture.scale``.
* Lights: sun -> ``kb.DirectionalLight`` (shadow_softness), point -> ``kb.PointLight``, area ->
  ``kb.RectAreaLight`` (width, height), spot -> ``kb.SpotLight`` (spot_size, spot_blend); all
  at ``position`` with ``look_at``; ``light.metadata = {"temperature": K or None,
  "kind": ...}``.
* Camera: ``kb.PerspectiveCamera(focal_length, sensor_width, position, look_at)``;
  ``camera.metadata = {"depth_of_field": {"focus_distance", "fstop"} | None,
  "motion_blur": shutter | None, "exposure": EV}``.
* Everything Blender needs beyond Kubric is in ``scene.metadata["synthscene"]``
  (see :func:`scenes.extras.scene_extras`)::

      {"spec_hash": str, "recipe": str, "seed": int,
       "world": {"background": "hdri" | "color" | "image",
                 "hdri": {"path": abs path, "name", "rotation" (rad about +Z),
                          "strength", "licence"} | None,
                 "image": abs path | None, "color": RGBA},
       "camera": camera.metadata as above,
       "assets": [{"name", "category", "source", "licence"} ...]}   # objects, then the HDRI
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from pathlib import Path
from typing import Optional

import numpy as np
import pyquaternion

from assets.hdri import resolve_hdri
from assets.meshes import MeshCache
from assets.prints import print_file
from scenes.errors import SpecError
from scenes.extras import EXTRAS_KEY
from scenes.framing import solve_framing
from scenes.geometry import asset_hull, asset_key, asset_mesh, asset_part_names, object_mesh_world
from scenes.spec import LightSpec, MaterialSpec, ObjectSpec, SceneSpec

logger = logging.getLogger(__name__)

RENDER_IMPORT_KWARGS: dict = {}  # the renderers read the cached PLY in its own (Z-up) axes
SETTLE_CHUNK_SECONDS = 0.5
REST_SPEED = 0.01  # m/s (and 0.1 rad/s): below this every body counts as at rest
CACHE_LIMIT_BYTES = 1 << 30  # mesh cache pruned (oldest files first) above 1 GiB
CACHE_PRUNE_SECONDS = 60.0  # ... checked at most this often per process


def build_kubric_scene(
    spec: SceneSpec, scratch_dir: str | Path, cache_dir: Optional[str | Path] = None
):
    """A ``kubric.Scene`` holding exactly the spec's objects, lights, camera and world."""
    scene = _physical_scene(spec, scratch_dir, cache_dir)
    scene.metadata[EXTRAS_KEY] = _extras(spec, scene)
    return scene


def _physical_scene(
    spec: SceneSpec, scratch_dir: str | Path, cache_dir: Optional[str | Path] = None
):
    """The Kubric scene without the synthscene extras (all that settling needs)."""
    import kubric as kb
    from kubric.utils import next_global_count

    # Kubric numbers repeated asset names per process ("ball", "ball.001", ...); restart the
    # count so a scene's uids do not depend on what the process built before (warm workers).
    next_global_count("", reset=True)
    cache = MeshCache(cache_dir or Path(scratch_dir) / "meshes")
    _prune_now_and_then(cache)
    scene = kb.Scene(
        resolution=tuple(spec.resolution), frame_start=spec.frame_start, frame_end=spec.frame_end
    )
    for obj in spec.objects:
        scene += _kubric_object(kb, obj, cache)
    for light in spec.lights:
        scene += _kubric_light(kb, light)
    scene.camera = _kubric_camera(kb, spec)
    scene.background = kb.Color(*spec.world.color)
    scene.ambient_illumination = kb.Color(*spec.world.ambient_illumination)
    return scene


_last_prune: dict[Path, float] = {}  # mesh cache folder -> time.monotonic() of its last prune


def _prune_now_and_then(cache: MeshCache) -> None:
    """Keep the mesh cache under :data:`CACHE_LIMIT_BYTES`. Pruning lists the whole folder, so
    a process does it at most every :data:`CACHE_PRUNE_SECONDS` per folder, not per scene."""
    now = time.monotonic()
    if now - _last_prune.get(cache.folder, -math.inf) >= CACHE_PRUNE_SECONDS:
        cache.prune(CACHE_LIMIT_BYTES)
        _last_prune[cache.folder] = now


def _metadata(obj: ObjectSpec) -> dict:
    asset = obj.asset
    return {
        "category": obj.category if obj.labelled else None,
        "role": obj.role,
        "distractor": obj.role == "distractor",
        "source": asset.source,
        "licence": asset.licence,
        "spec_name": obj.name,
        "asset": {
            "kind": asset.kind,
            "name": asset.name,
            "params": dict(asset.params),
            "path": asset.path,
            "sha256": asset.sha256,
        },
    }


def _check_parts(obj: ObjectSpec) -> None:
    """The spec's parts must name the asset's parts in mesh order (one material each)."""
    built = asset_part_names(obj.asset) if obj.asset.kind == "household" else []
    named = [part.name for part in obj.parts]
    if named != built:
        raise SpecError(
            f"object {obj.name!r}: parts {named} do not match the asset's parts "
            f"{built}; give one PartSpec per asset part, in that order (or re-sample)."
        )


def _kubric_object(kb, obj: ObjectSpec, cache: MeshCache):
    metadata = _metadata(obj)
    if obj.parts or obj.asset.kind == "household":
        _check_parts(obj)
    if obj.parts:
        metadata["parts"] = [
            {
                "name": part.name,
                "material": None
                if index == 0
                else material_description(part.material, cache.folder),
            }
            for index, part in enumerate(obj.parts)
        ]
    common = dict(
        name=obj.name,
        position=obj.position,
        quaternion=obj.quaternion,
        material=_kubric_material(kb, obj.material, obj.name, cache.folder),
        static=obj.static,
        mass=obj.mass,
        friction=min(max(obj.friction, 0.0), 1.0),
        restitution=min(max(obj.restitution, 0.0), 1.0),
        metadata=metadata,
    )
    if obj.asset.kind == "primitive" and obj.asset.name == "cube":
        return kb.Cube(scale=obj.scale, **common)
    if obj.asset.kind == "primitive" and obj.asset.name == "sphere":
        _check_uniform(obj)
        return kb.Sphere(scale=obj.scale, **common)
    _check_uniform(obj)
    key = asset_key(obj.asset)
    files = cache.get(
        key,
        lambda: asset_mesh(obj.asset),
        mass=max(obj.mass, 1e-3),
        friction=obj.friction,
        make_hull=lambda: asset_hull(obj.asset),
    )
    return kb.FileBasedObject(
        asset_id=key,
        render_filename=str(files.render_path),
        simulation_filename=str(files.urdf_path),
        render_import_kwargs=dict(RENDER_IMPORT_KWARGS),
        bounds=files.bounds,
        scale=obj.scale,
        **common,
    )


def _check_uniform(obj: ObjectSpec) -> None:
    if not (obj.scale[0] == obj.scale[1] == obj.scale[2]):
        raise SpecError(
            f"object {obj.name!r}: scale {obj.scale} must be uniform for spheres and "
            "meshes (PyBullet cannot scale them unevenly); bake it into the shape."
        )


def _texture_description(material: MaterialSpec, print_folder: Path) -> Optional[dict]:
    """The TextureSpec as a dict with an absolute ``image`` path; a generated print is drawn
    (once) into ``print_folder``."""
    texture = dataclasses.asdict(material.texture) if material.texture else None
    if texture and texture["kind"] == "print" and not texture.get("image"):
        params = texture["params"]
        try:
            texture["image"] = str(
                print_file(
                    print_folder, params["style"], int(params["seed"]), float(params["aspect"])
                )
            )
        except (KeyError, ValueError) as error:
            raise SpecError(
                f"material {material.name!r}: print texture needs params style, seed "
                f"and aspect ({error}); or give it an image."
            ) from None
    if texture and texture.get("image"):
        texture["image"] = str(Path(texture["image"]).resolve())
    return texture


def surface_description(material: MaterialSpec) -> Optional[dict]:
    """Coat, bump and roughness noise (Blender only), or None when the material has none."""
    surface = {
        "coat": material.coat,
        "bump": material.bump,
        "bump_scale": material.bump_scale,
        "roughness_noise": material.roughness_noise,
    }
    return surface if material.coat or material.bump or material.roughness_noise else None


def material_description(material: MaterialSpec, print_folder: Path) -> dict:
    """A part's material as plain data for the backends: the MaterialSpec fields with the
    texture resolved (see :func:`_texture_description`) and ``surface``."""
    described = dataclasses.asdict(material)
    described["texture"] = _texture_description(material, print_folder)
    described["surface"] = surface_description(material)
    return described


def _kubric_material(kb, material: MaterialSpec, owner: str, print_folder: Path):
    metadata = {"texture": _texture_description(material, print_folder), "spec_name": material.name}
    surface = surface_description(material)
    if surface:
        metadata["surface"] = surface
    if material.kind == "flat":
        return kb.FlatMaterial(
            name=f"{owner}_material", color=kb.Color(*material.color), metadata=metadata
        )
    return kb.PrincipledBSDFMaterial(
        name=f"{owner}_material",
        color=kb.Color(*material.color),
        metallic=material.metallic,
        specular=material.specular,
        specular_tint=material.specular_tint,
        roughness=material.roughness,
        ior=material.ior,
        transmission=material.transmission,
        transmission_roughness=material.transmission_roughness,
        emission=kb.Color(*material.emission),
        metadata=metadata,
    )


def _kubric_light(kb, light: LightSpec):
    common = dict(
        name=light.name,
        position=light.position,
        look_at=light.look_at,
        intensity=light.intensity,
        color=kb.Color(*light.color),
        metadata={"temperature": light.temperature, "kind": light.kind},
    )
    if light.kind == "sun":
        return kb.DirectionalLight(shadow_softness=light.shadow_softness, **common)
    if light.kind == "point":
        return kb.PointLight(**common)
    if light.kind == "area":
        return kb.RectAreaLight(width=light.width, height=light.height, **common)
    if light.kind == "spot":
        return kb.SpotLight(spot_size=light.spot_size, spot_blend=light.spot_blend, **common)
    raise SpecError(
        f"light {light.name!r}: kind {light.kind!r} unknown; use sun, point, area or spot."
    )


def _camera_metadata(spec: SceneSpec) -> dict:
    camera = spec.camera
    dof = camera.depth_of_field
    return {
        "depth_of_field": dataclasses.asdict(dof) if dof else None,
        "motion_blur": camera.motion_blur,
        "exposure": camera.exposure,
    }


def _kubric_camera(kb, spec: SceneSpec):
    """The spec's camera; ``roll`` turns the look-at pose about the camera's own Z axis (it
    looks along local -Z, +Y up), so both backends, which read the pose, see the same roll."""
    camera = spec.camera
    built = kb.PerspectiveCamera(
        name="camera",
        focal_length=camera.focal_length,
        sensor_width=camera.sensor_width,
        position=camera.position,
        look_at=camera.look_at,
        metadata=_camera_metadata(spec),
    )
    if camera.roll:
        turn = pyquaternion.Quaternion(axis=(0.0, 0.0, 1.0), angle=camera.roll)
        built.quaternion = tuple(pyquaternion.Quaternion(*built.quaternion) * turn)
    return built


def _extras(spec: SceneSpec, scene) -> dict:
    world = spec.world
    hdri = None
    if world.hdri is not None:
        path = resolve_hdri(world.hdri.name, world.hdri.source, world.hdri.folder)
        hdri = {
            "path": str(path),
            "name": world.hdri.name,
            "rotation": world.hdri.rotation,
            "strength": world.hdri.strength,
            "licence": world.hdri.licence,
        }
    image = str(Path(world.image).resolve()) if world.image else None
    return {
        "spec_hash": spec.hash(),
        "recipe": spec.recipe,
        "seed": spec.seed,
        "world": {
            "background": world.background,
            "hdri": hdri,
            "image": image,
            "color": list(world.color),
        },
        "camera": _camera_metadata(spec),
        "assets": _asset_provenance(spec),
    }


def _asset_provenance(spec: SceneSpec) -> list[dict]:
    """Source and licence of every asset the spec uses: its objects, then its HDRI."""
    assets = [
        {
            "name": o.name,
            "category": o.category,
            "source": o.asset.source,
            "licence": o.asset.licence,
        }
        for o in spec.objects
    ]
    if spec.world.hdri is not None:
        assets.append(
            {
                "name": f"hdri:{spec.world.hdri.name}",
                "category": None,
                "source": spec.world.hdri.source,
                "licence": spec.world.hdri.licence,
            }
        )
    return assets


# -- physics -----------------------------------------------------------------------------------
def settle(
    spec: SceneSpec, scratch_dir: str | Path, cache_dir: Optional[str | Path] = None
) -> SceneSpec:
    """Drop-and-settle with Kubric's PyBullet simulator; returns the spec with final poses.

    Simulates in chunks of 0.5 s until every body is at rest (speed < 1 cm/s) or
    ``spec.physics.seconds`` have passed. Dynamic objects whose lowest point ends below
    ``physics.support_height`` - 2 cm (they fell off) are removed and named in
    ``physics.removed``. Specs without ``physics.settle`` or already settled come back unchanged.
    """
    if not spec.physics.settle or spec.physics.settled:
        return spec
    from kubric.simulator import PyBullet

    scratch_dir = Path(scratch_dir)
    scratch_dir.mkdir(parents=True, exist_ok=True)
    scene = _physical_scene(spec, scratch_dir, cache_dir)
    simulator = PyBullet(scene, scratch_dir)
    _stop_mesh_file_caching(simulator)
    try:
        moving, chunk, at_rest = _settle_bodies(simulator, scene, spec.physics.seconds)
    finally:
        _disconnect(simulator)
    if not at_rest:
        logger.warning(
            "spec %s (seed %s): bodies still moving after %.1f s of settling",
            spec.recipe,
            spec.seed,
            chunk * SETTLE_CHUNK_SECONDS,
        )
    poses = {
        a.name: (tuple(map(float, a.position)), tuple(map(float, a.quaternion))) for a in moving
    }
    return _with_poses(spec, poses, simulated=chunk * SETTLE_CHUNK_SECONDS, at_rest=at_rest)


def _settle_bodies(simulator, scene, max_seconds: float) -> tuple[list, int, bool]:
    """Simulate in chunks until every dynamic body rests or ``max_seconds`` (simulated s) pass;
    returns ``(moving bodies, chunks simulated, at rest)``."""
    bodies = [a for a in scene.assets if hasattr(a, "static") and simulator in a.linked_objects]
    _tune_dynamics(simulator, bodies)
    chunks = max(1, math.ceil(max_seconds / SETTLE_CHUNK_SECONDS))
    moving = [a for a in bodies if not a.static]
    at_rest, chunk = False, 0
    for chunk in range(1, chunks + 1):
        _simulate(simulator, moving, SETTLE_CHUNK_SECONDS)
        at_rest = all(
            np.linalg.norm(a.velocity) < REST_SPEED
            and np.linalg.norm(a.angular_velocity) < 10 * REST_SPEED
            for a in moving
        )
        if at_rest:
            break
    return moving, chunk, at_rest


def _stop_mesh_file_caching(simulator) -> None:
    """Turn off PyBullet's cache of loaded mesh files. It is process-wide, outlives every
    physics world and is keyed by file name, so in a warm worker, where almost every object is a
    new mesh file, it only grows: ~30 MB per 300 scenes of six new files in a bare PyBullet loop,
    flat without it. The setting is process-wide as well; the first scene's own files may stay
    cached."""
    simulator._physics_client.setPhysicsEngineParameter(  # pylint: disable=protected-access
        enableFileCaching=0
    )


def _disconnect(simulator) -> None:
    """Free the simulator's PyBullet world now. Kubric leaves that to ``__del__``, but the
    simulator and its scene reference each other, so the world (meshes, contact caches) lives
    until Python's cyclic garbage collector runs: in a warm worker dozens of dead worlds pile up
    between collections and fragment the heap (80 settles in one process: resident memory
    335 -> 761 MB; 334 -> 461 MB with each world freed here, the rest being PyBullet's file
    cache, see :func:`_stop_mesh_file_caching`). PyBullet reuses client ids, so the client is
    then marked closed (id -1): its late ``__del__`` would otherwise disconnect whichever world
    got the id next."""
    client = simulator._physics_client  # pylint: disable=protected-access
    if client.client >= 0:
        client.disconnect()
        client._client = -1  # pylint: disable=protected-access


def _simulate(simulator, moving: list, seconds: float) -> None:
    """Step PyBullet for ``seconds`` at the scene's step rate, then copy the final poses and
    velocities to ``moving``. (Kubric's ``run()`` also collects every contact and keyframes every
    frame, which settling does not need and which cost most of its time.)"""
    client = simulator._physics_client  # pylint: disable=protected-access
    for _ in range(max(1, round(seconds * simulator.scene.step_rate))):
        client.stepSimulation()
    for asset in moving:
        body = asset.linked_objects[simulator]
        asset.position, asset.quaternion = simulator.get_position_and_rotation(body)
        asset.velocity, asset.angular_velocity = simulator.get_velocities(body)


def _tune_dynamics(simulator, bodies) -> None:
    """Apply the spec's friction/restitution (Kubric only forwards later changes) and a little
    rolling friction and damping so round things come to rest."""
    client = simulator._physics_client  # pylint: disable=protected-access
    for asset in bodies:
        extra = {} if asset.static else {"mass": asset.mass}
        client.changeDynamics(
            asset.linked_objects[simulator],
            -1,
            lateralFriction=asset.friction,
            restitution=asset.restitution,
            rollingFriction=0.005,
            spinningFriction=0.005,
            linearDamping=0.1,
            angularDamping=0.2,
            **extra,
        )


def _with_poses(spec: SceneSpec, poses: dict, simulated: float, at_rest: bool) -> SceneSpec:
    support = spec.physics.support_height
    objects, removed = [], list(spec.physics.removed)
    for obj in spec.objects:
        if obj.name in poses:
            position, quaternion = poses[obj.name]
            obj = dataclasses.replace(obj, position=position, quaternion=quaternion)
            if support is not None and object_mesh_world(obj).bounds[0, 2] < support - 0.02:
                removed.append(obj.name)
                continue
        objects.append(obj)
    physics = dataclasses.replace(
        spec.physics, settled=True, removed=removed, simulated_seconds=simulated, at_rest=at_rest
    )
    return dataclasses.replace(spec, objects=objects, physics=physics).normalised()


def instantiate(spec: SceneSpec, scratch_dir: str | Path, cache_dir: Optional[str | Path] = None):
    """``(settled_spec, kubric_scene)``: settle (when asked), solve the camera framing (when
    asked, :func:`scenes.framing.solve_framing`), then build; render this scene."""
    settled = solve_framing(settle(spec, scratch_dir, cache_dir))
    return settled, build_kubric_scene(settled, scratch_dir, cache_dir)
