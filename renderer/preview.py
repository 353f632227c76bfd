"""Contact sheets: quick renders of a recipe's distribution before paying for a batch.

Tile ``i`` shows frame ``i`` of the batch ``synthscene render`` would produce with the same
recipe, parameters and seed (same per-frame seeds), rendered small and fast, with labelled boxes
and a caption of the main sampled values. All sampled values go to a JSON file next to the PNG.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import cv2
import numpy as np

from fileio.atomic import write_json_atomic
from fileio.images import write_png_atomic
from labels.frame import compute_frame_labels
from renderer.batch.config import BatchConfig, frame_seed
from renderer.batch.session import RenderSession
from renderer.sensor import apply_to_passes

CAPTION_HEIGHT = 46  # pixels under each tile


def caption_lines(spec, seed: int) -> list[str]:
    """Short description of a spec: seed, classes, world, camera."""
    categories = sorted(o.category for o in spec.objects if o.category)
    world = spec.world.hdri.name if spec.world.hdri else spec.world.background
    counts = ", ".join(
        f"{c} x{categories.count(c)}" if categories.count(c) > 1 else c
        for c in dict.fromkeys(categories)
    )
    return [
        f"{world}, {len(categories)} objects",
        counts[:48] or "no labelled objects",
        f"seed {seed} f={spec.camera.focal_length:.0f}mm L{len(spec.lights)}",
    ]


def render_tile(session: RenderSession, index: int) -> tuple[np.ndarray, dict]:
    """One labelled preview tile (RGB uint8, caption included) and its sampled parameters."""
    prepared = session.prepare(index)
    spec = prepared.spec
    raw = session.make_view(prepared.scene).render_raw()
    apply_to_passes(raw, spec.sensor)  # the camera/sensor model, as in the batch
    labels = compute_frame_labels(raw)
    image = np.ascontiguousarray(raw.rgba[..., :3])
    for instance in labels.instances:
        if instance.visible_pixels == 0:
            continue
        x0, y0, x1, y1 = (int(v) for v in instance.box)
        cv2.rectangle(image, (x0, y0), (x1 - 1, y1 - 1), (255, 230, 0), 1)
        cv2.putText(
            image,
            str(instance.category),
            (x0 + 1, max(y0 - 2, 8)),
            cv2.FONT_HERSHEY_PLAIN,
            0.7,
            (255, 230, 0),
            1,
            cv2.LINE_AA,
        )
    caption = np.full((CAPTION_HEIGHT, image.shape[1], 3), 24, np.uint8)
    for row, line in enumerate(caption_lines(spec, frame_seed(session.config.seed, index))):
        cv2.putText(
            caption,
            line,
            (3, 13 + 14 * row),
            cv2.FONT_HERSHEY_PLAIN,
            0.8,
            (235, 235, 235),
            1,
            cv2.LINE_AA,
        )
    return np.vstack([image, caption]), spec.sampled_parameters()


def contact_sheet(tiles: list[np.ndarray], columns: int) -> np.ndarray:
    """Tiles (same size) on a grid, 2 px apart, left to right then top to bottom."""
    height, width = tiles[0].shape[:2]
    rows = math.ceil(len(tiles) / columns)
    sheet = np.full((rows * (height + 2), columns * (width + 2), 3), 255, np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, columns)
        sheet[
            r * (height + 2) : r * (height + 2) + height, c * (width + 2) : c * (width + 2) + width
        ] = tile
    return sheet


def render_preview(config: BatchConfig, out_png: Path) -> tuple[Path, Path]:
    """Render ``config.count`` tiles into a contact sheet; return (png, json) paths."""
    session = RenderSession(dataclasses.replace(config, out=out_png.parent / ".preview"))
    tiles, parameters = [], {}
    for index in config.frame_indices():
        tile, sampled = render_tile(session, index)
        tiles.append(tile)
        parameters[str(index)] = {"seed": frame_seed(config.seed, index), **sampled}
    sheet = contact_sheet(tiles, columns=math.ceil(math.sqrt(len(tiles))))
    write_png_atomic(out_png, sheet)
    out_json = out_png.with_suffix(".json")
    write_json_atomic(out_json, parameters, indent=1)
    return out_png, out_json
