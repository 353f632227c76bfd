"""Contact sheet of the household library: one close-up per object, Cycles above raster.

    python examples/household_contact_sheet.py out.png --classes bottle,cup,can,bowl,carton,jar \
        --count 12 --size 160 --samples 32 --seed 0

Each tile is one object of the library (household_object) standing on a plain slab, lit by
Blender's bundled "interior" HDRI plus a soft area light, framed so it fills most of the tile.
Column pairs: Cycles (left) and the raster backend (right) of the same scene.
"""

from __future__ import annotations

import argparse
import math
import tempfile

import cv2
import numpy as np

from scenes.build import build_kubric_scene
from scenes.geometry import object_mesh_world, scaled_extents
from scenes.randomizers import household_object, support_box
from scenes.spec import CameraSpec, HdriSpec, LightSpec, MaterialSpec, SceneSpec, WorldSpec


def close_up_spec(category: str, seed: int, size: int) -> SceneSpec:
    """One household object of ``category`` on a slab, the camera ~1.4 diagonals away."""
    rng = np.random.default_rng(seed)
    obj = household_object(rng, category, "object")
    obj.position = (0.0, 0.0, float(-object_mesh_world(obj).bounds[0, 2]))
    extents = scaled_extents(obj)
    diagonal = float(np.linalg.norm(extents))
    distance = 1.5 * diagonal
    azimuth = rng.uniform(0, 2 * math.pi)
    elevation = rng.uniform(math.radians(10), math.radians(35))
    centre = (0.0, 0.0, float(extents[2] * 0.5))
    position = (
        distance * math.cos(elevation) * math.cos(azimuth),
        distance * math.cos(elevation) * math.sin(azimuth),
        centre[2] + distance * math.sin(elevation),
    )
    slab = support_box(
        "table",
        (3.0, 3.0),
        material=MaterialSpec(
            color=tuple(rng.uniform(0.2, 0.6, 3)) + (1.0,), roughness=0.5, name="slab"
        ),
    )
    light = LightSpec(
        kind="area",
        name="key",
        position=(0.5, -0.6, 0.9),
        look_at=centre,
        intensity=6.0,
        width=0.6,
        height=0.6,
    )
    world = WorldSpec(background="hdri", hdri=HdriSpec(name="interior", licence="CC0-1.0"))
    return (
        SceneSpec(
            recipe="household_sheet",
            seed=seed,
            resolution=(size, size),
            camera=CameraSpec(
                position=position, look_at=centre, focal_length=50.0, sensor_width=36.0
            ),
            lights=[light],
            world=world,
            objects=[slab, obj],
        )
        .normalised()
        .validate()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--classes", default="bottle,cup,can,bowl,carton,jar")
    parser.add_argument("--count", type=int, default=12)
    parser.add_argument("--size", type=int, default=160)
    parser.add_argument("--samples", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from renderer.backend import ViewSettings, open_view  # pylint: disable=import-outside-toplevel

    classes = args.classes.split(",")
    tiles = []
    with tempfile.TemporaryDirectory() as scratch:
        for index in range(args.count):
            spec = close_up_spec(classes[index % len(classes)], args.seed + index, args.size)
            scene = build_kubric_scene(spec, scratch)
            cycles = open_view(
                "cycles", scene, ViewSettings(samples_per_pixel=args.samples, scratch_dir=scratch)
            )
            raster = open_view("raster", scene)
            pair = np.concatenate([cycles.render_raw().rgba, raster.render_raw().rgba], axis=1)
            tiles.append(pair[..., :3])
            print(
                spec.objects[1].asset.name,
                spec.objects[1].asset.params["subtype"],
                [(p.name, p.material.name) for p in spec.objects[1].parts],
                flush=True,
            )
    columns = 3
    rows = [
        np.concatenate(
            tiles[i : i + columns]
            + [np.zeros_like(tiles[0])] * (columns - len(tiles[i : i + columns])),
            axis=1,
        )
        for i in range(0, len(tiles), columns)
    ]
    cv2.imwrite(args.out, cv2.cvtColor(np.concatenate(rows, axis=0), cv2.COLOR_RGB2BGR))


if __name__ == "__main__":
    main()
