"""Colour meshes of objects made of parts (``ObjectMesh.part_names``; see scenes/build.py).

Part 0 takes the Kubric material, part i > 0 the material described in
``asset.metadata["parts"][i]["material"]``; a "print" texture is laid over the part's colour by
the part's own UVs (baked, as textures.baked_print). Transmissive parts are drawn last, smallest
first (the liquid before the glass around it): pyrender keeps depth writes on while blending,
so a part drawn after an enclosing transparent one would be hidden. Labels do not use any of
this (label_pass.py draws the merged mesh).
"""

from __future__ import annotations

import numpy as np
import trimesh

from renderer.raster import shading, textures


def part_states(
    base: shading.MaterialState, parts: list[dict], exposure: float
) -> tuple[shading.MaterialState, ...]:
    """The material state of every part (part 0 = ``base``, the Kubric material's)."""
    return (base,) + tuple(
        shading.description_state(part["material"], exposure) for part in parts[1:]
    )


def colour_mesh(
    pyrender, parts: tuple[trimesh.Trimesh, ...], states: tuple[shading.MaterialState, ...]
):
    """One pyrender mesh with a primitive per part, each with its own material."""
    primitives = []
    for index in _draw_order(parts, states):
        part, state = parts[index], states[index]
        texture = state.texture
        gl_texture = None
        if state.kind == "principled" and textures.is_print(texture):
            gl_texture = pyrender.Texture(
                source=textures.baked_print(state.colour, texture),
                source_channels="RGB",
                sampler=pyrender.Sampler(),
            )
            state_for_material = state
        else:
            state_for_material = state
            part = trimesh.Trimesh(
                part.vertices, part.faces, process=False, vertex_normals=part.vertex_normals
            )
        material = shading.pyrender_material(pyrender, state_for_material, gl_texture)
        primitives += pyrender.Mesh.from_trimesh(part, material=material, smooth=True).primitives
    return pyrender.Mesh(primitives)


def _draw_order(parts, states) -> list[int]:
    """Opaque parts first, then transmissive ones from the smallest bounding box up."""

    def key(index: int):
        size = float(np.linalg.norm(np.ptp(parts[index].vertices, axis=0)))
        return (
            states[index].transmission > 0,
            size if states[index].transmission > 0 else 0.0,
            index,
        )

    return sorted(range(len(parts)), key=key)
