"""The layering, enforced: each package imports only the packages below it, and only the Blender
backend (and the one Blender-version lookup of the batch session) imports bpy.

Layers, bottom to top (see tests/import_graph.py for the graph itself)::

    synthscene_kubric_compat   start-up shim, standard library only
    fileio                     atomic writes, hashes, image encoding
    assets                     meshes, HDRIs, textures           -> fileio
    scenes                     recipes, specs, Kubric scenes     -> assets, fileio
    labels                     label derivation, writers, report -> scenes (specs), fileio
    renderer                   backends, batch, CLI, refiner     -> everything above
    synthscene                 the public namespace              -> everything
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from import_graph import PACKAGES, ROOT, module_graph, package_of

ALLOWED = {
    "synthscene_kubric_compat": set(),
    "fileio": set(),
    "assets": {"fileio"},
    "scenes": {"assets", "fileio", "synthscene_kubric_compat"},
    "labels": {"scenes", "fileio"},
    "renderer": {"labels", "scenes", "assets", "fileio"},
    "synthscene": {"renderer", "labels", "scenes", "assets", "fileio"},
}
BPY_ALLOWED = ("renderer.blender", "renderer.batch.session")
USER_CODE = ("scenes.examples.",)  # example recipes import the public namespace, as users do


@pytest.fixture(scope="module")
def graph():
    return module_graph()


def test_every_package_has_a_layer(graph):
    assert {package_of(module) for module in graph} == set(PACKAGES) == set(ALLOWED)


def test_no_package_imports_upward_or_sideways(graph):
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        for target in targets
        if not module.startswith(USER_CODE)
        and package_of(target) in PACKAGES
        and package_of(target) != package_of(module)
        and package_of(target) not in ALLOWED[package_of(module)]
    )
    assert wrong == []


def test_only_the_blender_backend_imports_bpy(graph):
    importers = sorted(module for module, targets in graph.items() if "bpy" in targets)
    assert importers and all(module.startswith(BPY_ALLOWED) for module in importers), importers


def _closure(graph, start: str) -> set[str]:
    seen, todo = set(), [m for m in graph if m == start or m.startswith(start + ".")]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(t for t in graph.get(module, ()) if t in graph)
    return seen


@pytest.mark.parametrize("package", ["labels", "scenes", "assets", "fileio"])
def test_package_never_reaches_bpy_through_our_modules(graph, package):
    reached = sorted(m for m in _closure(graph, package) if "bpy" in graph[m])
    assert reached == [], f"{package} reaches bpy through {reached}"


def test_importing_every_labels_module_loads_no_blender():
    """The same at run time, third-party imports included (e.g. kubric)."""
    code = (
        "import importlib, pkgutil, sys, labels\n"
        "for info in pkgutil.walk_packages(labels.__path__, 'labels.'):\n"
        "    importlib.import_module(info.name)\n"
        "print('bpy' in sys.modules, any(m.startswith('renderer') for m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]
