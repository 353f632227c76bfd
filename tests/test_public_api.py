"""The public namespace: ``import synthscene`` gives the user-facing API, cheaply; the start-up
hook imports one standalone module; the README's recipe is the shipped example, verbatim."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import scenes
import synthscene

ROOT = Path(__file__).resolve().parents[1]


def _python(code: str, *flags: str) -> str:
    return subprocess.run(
        [sys.executable, *flags, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    ).stdout.strip()


def test_synthscene_exports_the_user_api():
    for name in (
        "recipe",
        "Param",
        "Params",
        "Uniform",
        "Choice",
        "ColorHSV",
        "SceneSpec",
        "ObjectSpec",
        "random_camera",
        "procedural_object",
        "scatter",
        "sample_spec",
        "BatchConfig",
        "run_batch",
        "DetectionDataset",
        "RecipeError",
    ):
        assert name in synthscene.__all__, name
    from renderer.batch import run_batch  # pylint: disable=import-outside-toplevel
    from scenes.recipe_api import recipe  # pylint: disable=import-outside-toplevel

    assert synthscene.run_batch is run_batch and synthscene.recipe is recipe


def test_scenes_exports_only_what_a_recipe_author_needs():
    for internal in (
        "USER_ERRORS",
        "instantiate",
        "build_kubric_scene",
        "settle",
        "scene_extras",
        "load_recipe",
        "parse_overrides",
    ):
        assert internal not in scenes.__all__, internal
    assert scenes.instantiate.__module__ == "scenes.build"  # still reachable for old code


def test_import_synthscene_loads_neither_blender_nor_torch_nor_kubric():
    loaded = _python(
        "import sys, synthscene; synthscene.SceneSpec; "
        "print(sorted(m for m in ('bpy', 'torch', 'kubric', 'pyrender', 'renderer')"
        " if m in sys.modules))"
    )
    assert loaded == "[]"


def test_start_up_hook_is_one_standalone_module():
    pth = (ROOT / "scenes" / "synthscene_kubric_compat.pth").read_text().strip()
    assert pth == "import synthscene_kubric_compat"
    loaded = _python(
        "import sys; import synthscene_kubric_compat; "
        "print([m for m in sys.modules if m.split('.')[0] in "
        "('scenes', 'renderer', 'labels', 'assets', 'fileio', 'synthscene')])",
        "-S",
    )  # no site: this checkout's module, not an installed .pth's import
    assert loaded == "[]"
    assert _python("import kubric; print(kubric.__name__)") == "kubric"  # TF stand-in works


def test_readme_recipe_is_the_shipped_example():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```python\n# my_shapes.py\n(.*?)```", readme, re.S).group(1)
    example = (ROOT / "scenes" / "examples" / "shapes_on_floor.py").read_text()
    code = example.split('"""', 2)[2].lstrip("\n")  # without its docstring
    assert block.strip() == code.strip()
    assert block.startswith("from synthscene import (")
