"""Headless batch rendering: warm worker processes, resume after any crash, progress, Ray.

``run_batch(BatchConfig(...))`` renders frames ``0..count-1`` of a recipe into one folder in the
native layout of :mod:`labels.native`. Frame ``i`` uses the seed ``frame_seed(seed, i)``, so any
frame can be rendered alone and shards never overlap.
"""

from renderer.batch.config import BatchConfig, frame_name, frame_seed
from renderer.batch.runner import BatchSummary, run_batch

__all__ = ["BatchConfig", "BatchSummary", "frame_name", "frame_seed", "run_batch"]
