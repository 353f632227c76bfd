"""The category table of a batch: one id per class for every frame, written before any frame.

Frame label JSON, ``coco.json``, YOLO and the torch dataset then agree on every id. The list is
``DIR/categories.json`` (``{"categories": [name, ...], "frames_sampled": N}``, id = position
+ 1): the labelled categories of the specs of frames 0..N-1 (recipes are seeded, so sampling the
specs gives exactly the classes the frames will hold) in sorted order; a later run over more
frames appends the names it finds new (sorted), so ids already written never change.

The specs are sampled in a separate process, so a recipe that crashes on one frame costs only
that frame: if the sampler dies, frames fall back to per-frame tables (logged).
"""
from __future__ import annotations

import concurrent.futures
import json
import logging
import multiprocessing
from pathlib import Path
from typing import Optional

from labels.atomic import write_json_atomic
from labels.native import CATEGORIES

logger = logging.getLogger(__name__)


def batch_categories(config) -> Optional[dict[str, int]]:
    """Category name -> id for the batch of ``config`` (a :class:`BatchConfig`); writes
    ``categories.json`` when it had to sample. None if the specs could not be sampled."""
    path = Path(config.out) / CATEGORIES
    listed, sampled = _read(path)
    count = max([config.count] + [index + 1 for index in (config.frames or ())])
    if sampled < count:
        try:
            with concurrent.futures.ProcessPoolExecutor(
                    1, mp_context=multiprocessing.get_context("spawn")) as pool:
                names = pool.submit(sampled_categories, config.recipe, config.seed,
                                    config.overrides_dict, count).result()
        except Exception as error:  # a crashing or failing recipe: its frames report it
            logger.warning("could not sample the batch's categories (%s); frames use their "
                           "own category tables", error)
            return None
        listed = listed + sorted(set(names) - set(listed))
        write_json_atomic(path, {"categories": listed, "frames_sampled": count}, indent=1)
    return {name: index + 1 for index, name in enumerate(listed)}


def sampled_categories(recipe: str, seed: int, overrides: dict, count: int) -> list[str]:
    """Sorted categories of the labelled objects of frames 0..count-1 (runs in the sampler)."""
    from renderer.batch.config import frame_seed  # pylint: disable=import-outside-toplevel
    from scenes.recipe_api import load_recipe  # pylint: disable=import-outside-toplevel
    loaded = load_recipe(recipe)
    names = set()
    for index in range(count):
        try:
            spec = loaded.sample(frame_seed(seed, index), overrides)
        except Exception:  # this frame's render reports the recipe error
            continue
        names.update(obj.category for obj in spec.objects if obj.labelled)
    return sorted(names)


def _read(path: Path) -> tuple[list[str], int]:
    if not path.is_file():
        return [], 0
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return list(data["categories"]), int(data.get("frames_sampled", 0))
    except (OSError, ValueError, KeyError, TypeError):
        return [], 0
