"""The recipe API as a user meets it: a short recipe file, parameters, and clear bad-input errors."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from scenes import ParameterError, RecipeError, SceneSpec, load_recipe, sample_spec, settle
from scenes.checks import contact_report
from assets.errors import AssetError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenes" / "examples" / "shapes_on_floor.py"


def test_example_user_recipe_is_short_uses_public_api_and_makes_a_valid_spec(tmp_path):
    source = EXAMPLE.read_text()
    assert len(source.splitlines()) <= 20
    imports = [line for line in source.splitlines() if line.startswith(("import", "from"))]
    assert all(line.startswith("from synthscene import") for line in imports)
    spec = sample_spec(f"{EXAMPLE}:shapes", 3, {"count": "5"})
    assert spec.recipe.endswith("shapes_on_floor.py:shapes") and spec.params == {"count": 5}
    assert (
        sorted(o.category for o in spec.labelled_objects()) != []
        and len(spec.labelled_objects()) == 5
    )
    settled = settle(spec, tmp_path)
    assert contact_report(settled).penetrations() == {}
    assert SceneSpec.from_json(settled.to_json()) == settled


def test_file_reference_without_name_finds_the_single_recipe():
    assert load_recipe(str(EXAMPLE)).name == "shapes"


def test_class_recipe_and_params_attribute_access(tmp_path):
    path = tmp_path / "cls.py"
    path.write_text(
        textwrap.dedent("""
        from scenes import Param, SceneSpec, recipe, Uniform

        @recipe
        class Lens:
            PARAMS = {"lens.focal": Param(35.0, low=10.0, high=200.0)}

            def __call__(self, rng, params):
                spec = SceneSpec()
                spec.camera.focal_length = params.lens.focal + Uniform(0, 1).sample(rng)
                return spec
    """)
    )
    spec = sample_spec(f"{path}:Lens", 1, {"lens.focal": "50"})
    assert 50.0 <= spec.camera.focal_length <= 51.0
    with pytest.raises(
        ParameterError, match=r"'lens.focal'.*300.0 is out of range \[10.0, 200.0\]"
    ):
        sample_spec(f"{path}:Lens", 1, {"lens.focal": "300"})


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"lights.strength": "20"}, r"'lights.strength'.*20.0 is out of range \[0.0, 10.0\]"),
        ({"objects.count": "many"}, r"'objects.count'.*expects an integer, got 'many'"),
        (
            {"lights.strenght": "2"},
            r"no parameter 'lights.strenght'; its parameters: .*lights.strength",
        ),
        ({"objects.classes": "mug,unicorn"}, r"unknown class\(es\) unicorn; known: .*mug"),
    ],
)
def test_bad_parameters_name_the_parameter_and_the_fix(overrides, message):
    with pytest.raises(ParameterError, match=message):
        sample_spec("tabletop", 0, overrides)


def test_unknown_recipe_lists_the_known_ones():
    with pytest.raises(
        RecipeError,
        match="unknown recipe 'tabeltop'; built-in recipes: bin, clevr, hello, household, tabletop",
    ):
        load_recipe("tabeltop")


def test_syntax_error_names_file_and_line(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("from scenes import recipe\n\n@recipe\ndef f(rng, params)\n    pass\n")
    with pytest.raises(RecipeError, match=rf"{path}:4: syntax error"):
        load_recipe(f"{path}:f")


def test_error_inside_a_recipe_names_the_users_line(tmp_path):
    path = tmp_path / "oops.py"
    path.write_text("from scenes import recipe\n\n@recipe\ndef f(rng, params):\n    return 1 / 0\n")
    with pytest.raises(RecipeError, match=rf"ZeroDivisionError.*{path}:5"):
        sample_spec(f"{path}:f", 0)


def test_recipe_returning_something_else_is_explained(tmp_path):
    path = tmp_path / "nothing.py"
    path.write_text("def f(rng, params):\n    return {'camera': 1}\n")
    with pytest.raises(RecipeError, match="returned dict, expected a scenes.SceneSpec"):
        sample_spec(f"{path}:f", 0)


def test_empty_asset_folder_and_unreadable_hdri(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(AssetError, match=f"mesh folder {empty} holds no meshes"):
        sample_spec("tabletop", 0, {"objects.folder": str(empty)})
    with pytest.raises(AssetError, match=f"texture folder {empty} holds no images"):
        sample_spec("tabletop", 0, {"textures.folder": str(empty)})
    (empty / "sky.exr").write_bytes(b"this is not an exr")
    with pytest.raises(AssetError, match=f"cannot read HDRI {empty / 'sky.exr'}: not an OpenEXR"):
        sample_spec("tabletop", 0, {"hdri.folder": str(empty)})


def test_cli_prints_spec_json_and_reports_bad_input_without_traceback():
    command = [sys.executable, "-m", "renderer.cli", "spec", "clevr", "--seed", "4", "--canonical"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == sample_spec("clevr", 4).to_json()
    bad = subprocess.run(
        [sys.executable, "-m", "renderer.cli", "spec", "tabletop", "--set", "lights.strength=99"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2
    assert "out of range" in bad.stderr and "Traceback" not in bad.stderr
    listing = subprocess.run(
        [sys.executable, "-m", "renderer.cli", "recipes"], cwd=ROOT, capture_output=True, text=True
    )
    assert listing.returncode == 0 and all(
        n in listing.stdout for n in ("hello", "tabletop", "clevr", "bin")
    )


def test_scenes_package_import_stays_light():
    code = (
        "import sys, scenes; heavy = [m for m in ('numpy', 'trimesh', 'kubric', 'bpy') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"


def test_image_textures_and_image_backgrounds_come_from_folders(tmp_path):
    import cv2
    import numpy as np

    folder = tmp_path / "images"
    folder.mkdir()
    for index in range(3):
        cv2.imwrite(str(folder / f"img{index}.png"), np.full((8, 8, 3), 40 * index, np.uint8))
    specs = [
        sample_spec(
            "tabletop", seed, {"textures.folder": str(folder), "background.folder": str(folder)}
        )
        for seed in range(12)
    ]
    textures = [o.material.texture for s in specs for o in s.objects if o.material.texture]
    assert textures and all(t.kind == "image" and Path(t.image).parent == folder for t in textures)
    backgrounds = [s.world for s in specs if s.world.background == "image"]
    assert backgrounds and all(Path(w.image).parent == folder for w in backgrounds)


def test_recipe_file_can_import_a_helper_module_next_to_it(tmp_path):
    (tmp_path / "my_palette_helpers.py").write_text("FOCAL = 42.0\n")
    (tmp_path / "uses_helper.py").write_text(
        "from scenes import SceneSpec, recipe\nimport my_palette_helpers\n\n@recipe\n"
        "def scene(rng, params):\n    spec = SceneSpec()\n"
        "    spec.camera.focal_length = my_palette_helpers.FOCAL\n    return spec\n"
    )
    assert sample_spec(str(tmp_path / "uses_helper.py"), 0).camera.focal_length == 42.0


def test_spec_mistakes_in_a_recipe_are_reported_with_the_fix(tmp_path):
    path = tmp_path / "dupes.py"
    path.write_text(
        "from scenes import SceneSpec, ObjectSpec, AssetSpec, recipe\n\n@recipe\n"
        "def scene(rng, params):\n"
        "    ball = lambda: ObjectSpec(name='ball', asset=AssetSpec('primitive', 'sphere'),\n"
        "                              category='ball')\n"
        "    box = ObjectSpec(name='box', asset=AssetSpec('primitive', 'cube'))\n"
        "    return SceneSpec(objects=[ball(), ball(), box])\n"
    )
    with pytest.raises(RecipeError) as caught:
        sample_spec(str(path), 0)
    message = str(caught.value)
    assert "object names must be unique, repeated: ball" in message
    assert "'box': a labelled object needs a category (or use role='distractor')" in message
