"""Callbacks on Blender events for code outside the view (the batch worker)."""

from __future__ import annotations

import contextlib
from typing import Callable, Iterator

import bpy


@contextlib.contextmanager
def on_render_start(callback: Callable[[], None]) -> Iterator[None]:
    """Call ``callback()`` (in the rendering thread, before Cycles starts) whenever a render
    starts, until the block ends. The handler is persistent, so the factory reset of a view
    inside the block keeps it.

    It is removed when the block ends: a Python handler still registered when the process exits
    made bpy 4.5's exit hang for good in a destructor (``delayed_close_thread``), so a worker
    needed its coordinator's 30 s kill to go away."""

    @bpy.app.handlers.persistent
    def render_started(*_args) -> None:
        callback()

    bpy.app.handlers.render_pre.append(render_started)
    try:
        yield
    finally:
        if render_started in bpy.app.handlers.render_pre:
            bpy.app.handlers.render_pre.remove(render_started)
