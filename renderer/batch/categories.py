"""The category table of a batch: one id per class for every frame, written before any frame.

Frame label JSON, ``coco.json``, YOLO and the torch dataset then agree on every id. The list is
``DIR/categories.json`` (``{"categories": [name, ...], "frames_sampled": N}``, id = position
+ 1): the labelled categories of the specs of frames 0..N-1 (recipes are seeded, so sampling the
specs gives exactly the classes the frames will hold) in sorted order; a later run over more
frames appends the names it finds new (sorted), so ids already written never change.

A recipe that declares its classes (``@recipe(classes=...)``) is asked instead of sampled.
The specs are sampled in a separate Python process (workers are daemons: no multiprocessing), so a recipe that crashes on one frame costs only
that frame: if the sampler dies, frames fall back to per-frame tables (logged); a spec that takes
longer than ``SECONDS_PER_SPEC`` (a stuck recipe) is skipped.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Optional

from fileio.atomic import write_json_atomic
from labels.native import CATEGORIES

logger = logging.getLogger(__name__)


def batch_categories(config) -> Optional[dict[str, int]]:
    """Category name -> id for the batch of ``config`` (a :class:`BatchConfig`); writes
    ``categories.json`` when it had to sample. None if the specs could not be sampled."""
    path = Path(config.out) / CATEGORIES
    listed, sampled = _read(path)
    count = max([config.count] + [index + 1 for index in (config.frames or ())])
    if sampled < count:
        request = json.dumps([str(config.recipe), int(config.seed), config.overrides_dict, count])
        environment = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        done = subprocess.run(
            [sys.executable, "-m", __name__, request],
            capture_output=True,
            text=True,
            check=False,
            env=environment,
        )
        if done.returncode != 0:  # a crashing or failing recipe: its frames report it
            logger.warning(
                "could not sample the batch's categories (exit %s: %s); frames use "
                "their own category tables",
                done.returncode,
                done.stderr.strip()[-300:],
            )
            return None
        names = json.loads(done.stdout.strip().splitlines()[-1])
        listed = listed + sorted(set(names) - set(listed))
        write_json_atomic(path, {"categories": listed, "frames_sampled": count}, indent=1)
    return {name: index + 1 for index, name in enumerate(listed)}


SECONDS_PER_SPEC = 5  # a spec that takes longer (a stuck recipe) is skipped; its frame reports it


class _SpecTooSlow(Exception):
    pass


def _too_slow(signum, frame):
    raise _SpecTooSlow()


def sampled_categories(recipe: str, seed: int, overrides: dict, count: int) -> list[str]:
    """Sorted categories of the labelled objects of frames 0..count-1, or the recipe's declared
    classes (runs in the sampler)."""
    from renderer.batch.config import frame_seed  # pylint: disable=import-outside-toplevel
    from scenes.recipe_api import load_recipe  # pylint: disable=import-outside-toplevel

    loaded = load_recipe(recipe)
    declared = loaded.declared_classes(overrides)
    if declared is not None:
        return declared
    names = set()
    signal.signal(signal.SIGALRM, _too_slow)
    for index in range(count):
        signal.alarm(SECONDS_PER_SPEC)
        try:
            spec = loaded.sample(frame_seed(seed, index), overrides)
        except (Exception, _SpecTooSlow):  # this frame's own render reports the problem
            continue
        finally:
            signal.alarm(0)
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


if __name__ == "__main__":
    print(json.dumps(sampled_categories(*json.loads(sys.argv[1]))))
