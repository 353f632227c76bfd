"""Rendering backends (Blender/Cycles, pyrender), the batch runner, the refiner and the CLI.

Importing this package is cheap; ``bpy`` is imported only by :mod:`renderer.blender`.
"""
