"""The backend contract (renderer.backend.open_view): every caller gets the spec's extras.

One recipe uses every extra a spec can hold (HDRI lighting and background, an image background,
exposure, depth of field, image and procedural textures). Each caller path renders it and must
give the same picture as ``open_view`` itself: the batch session (which ``render``, ``inspect
--rerender`` and ``bench``'s synthscene side run), the contact-sheet preview, bench's bare loop,
the refiner proxy and the demo. The reference renders must show the extras (they differ from a
bare view of the same scene), and the two backends must agree on what they show.
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

pytest.importorskip("bpy")

from labels.native import read_image  # noqa: E402
from renderer.backend import View, ViewSettings, open_view  # noqa: E402
from renderer.batch import BatchConfig  # noqa: E402
from renderer.batch.session import RenderSession  # noqa: E402
from scenes.build import instantiate  # noqa: E402
from scenes.recipe_api import sample_spec  # noqa: E402

SIZE, SAMPLES, SEED = 32, 1, 4

RECIPE = '''
from scenes import (AssetSpec, CameraSpec, DepthOfFieldSpec, HdriSpec, LightSpec, MaterialSpec,
                    ObjectSpec, Param, SceneSpec, TextureSpec, WorldSpec, recipe)

PRIMITIVE = dict(source="kubric primitive", licence="Apache-2.0")
TEXTURE, BACKGROUND = TEXTURE_FILE, BACKGROUND_FILE


@recipe(params={"resolution": Param(32, low=8, high=256, help="px"),
                "background": Param("hdri", help="hdri or image")})
def every_extra(rng, params):
    """A textured floor, cube and ball under a rotated HDRI, with exposure and depth of field."""
    del rng
    floor = ObjectSpec(name="floor", asset=AssetSpec("primitive", "cube", **PRIMITIVE),
                       position=(0.0, 0.0, -0.1), scale=(3.0, 3.0, 0.1), role="support",
                       static=True, material=MaterialSpec(texture=TextureSpec(
                           "checker", scale=2.0, color2=(0.1, 0.3, 0.1, 1.0))))
    cube = ObjectSpec(name="box", asset=AssetSpec("primitive", "cube", **PRIMITIVE),
                      position=(-0.6, 0.0, 0.4), scale=(0.4, 0.4, 0.4), category="box",
                      material=MaterialSpec(color=(0.8, 0.1, 0.1, 1.0), texture=TextureSpec(
                          "image", image=TEXTURE, color2=(0.1, 0.1, 0.8, 1.0),
                          rotation=(0.0, 0.0, 0.3))))
    ball = ObjectSpec(name="ball", asset=AssetSpec("primitive", "sphere", **PRIMITIVE),
                      position=(0.6, 0.0, 0.4), scale=(0.4, 0.4, 0.4), category="ball",
                      material=MaterialSpec(texture=TextureSpec("noise", scale=6.0)))
    camera = CameraSpec(position=(0.0, -4.0, 1.6), look_at=(0.0, 0.0, 0.4), focal_length=30.0,
                        exposure=0.5, depth_of_field=DepthOfFieldSpec(4.0, 8.0))
    world = WorldSpec(background=params.background, color=(0.0, 0.0, 0.0, 1.0),
                      hdri=HdriSpec("sunset", rotation=1.0, strength=0.8),
                      image=BACKGROUND if params.background == "image" else None)
    sun = LightSpec(kind="sun", name="sun", position=(1.0, -1.0, 3.0), intensity=1.0)
    return SceneSpec(resolution=(params.resolution, params.resolution), camera=camera,
                     lights=[sun], objects=[floor, cube, ball], world=world)
'''


@pytest.fixture(scope="module")
def recipe_file(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("recipe")
    texture = np.zeros((32, 32, 3), np.uint8)
    texture[:, 16:] = 255
    background = np.zeros((16, 16, 3), np.uint8)
    background[:, :8] = (40, 200, 250)  # BGR: left half orange
    cv2.imwrite(str(folder / "texture.png"), texture)
    cv2.imwrite(str(folder / "background.png"), background)
    path = folder / "every_extra.py"
    path.write_text(
        RECIPE.replace("TEXTURE_FILE", repr(str(folder / "texture.png"))).replace(
            "BACKGROUND_FILE", repr(str(folder / "background.png"))
        ),
        encoding="utf-8",
    )
    return str(path)


def _config(recipe_file: str, out, engine: str, background: str) -> BatchConfig:
    return BatchConfig(
        recipe=recipe_file,
        out=out,
        count=1,
        seed=SEED,
        engine=engine,
        device="cpu",
        resolution=(SIZE, SIZE),
        samples=SAMPLES,
        workers=0,
        overrides=(("background", background),),
    )


def _settings(scratch) -> ViewSettings:
    return ViewSettings(samples_per_pixel=SAMPLES, device="cpu", scratch_dir=scratch)


def _bare_render(engine: str, scene, scratch):
    """The scene through a bare Kubric view: no HDRI, no textures, no exposure."""
    if engine == "cycles":
        from renderer.blender import Blender  # pylint: disable=import-outside-toplevel

        return Blender(
            scene, scratch_dir=scratch, samples_per_pixel=SAMPLES, device="cpu"
        ).render_raw()
    from renderer.raster import Raster  # pylint: disable=import-outside-toplevel

    view = Raster(scene)
    for material in {
        id(a.material): a.material for a in scene.assets if hasattr(a, "material")
    }.values():
        material.metadata.pop("texture", None)  # the raster view reads textures itself
    return view.render_raw()


CASES = [
    (engine, background) for engine in ("cycles", "raster") for background in ("hdri", "image")
]


@pytest.fixture(scope="module", params=CASES, ids=[f"{e}-{b}" for e, b in CASES])
def rendered(request, recipe_file, tmp_path_factory):
    """Frame 0 of the recipe: the reference (open_view), the batch's image, a preview tile,
    bench's bare-loop image (Cycles), and a bare view's render of the same scene."""
    from renderer.bench import bare_loop  # pylint: disable=import-outside-toplevel
    from renderer.preview import render_tile  # pylint: disable=import-outside-toplevel

    engine, background = request.param
    out = tmp_path_factory.mktemp(f"{engine}-{background}")
    session = RenderSession(_config(recipe_file, out / "batch", engine, background))
    prepared = session.prepare(0)
    view = open_view(engine, prepared.scene, _settings(out / "scratch"))
    assert isinstance(view, View)
    found = {
        "engine": engine,
        "background": background,
        "reference": view.render_raw(),
        "applied": _applied_settings(view, engine),
    }  # Blender's scene goes with the next view
    found["batch"] = read_image(out / "batch", session.render(0).name)
    found["preview"] = render_tile(session, 0)[0][:SIZE]
    if engine == "cycles":
        bare_loop(session).render_one(0)
        found["bench"] = cv2.cvtColor(
            cv2.imread(str(session.scratch / "bare.png")), cv2.COLOR_BGR2RGB
        )
    _, scene = instantiate(session.sample(0), out / "bare")
    found["bare"] = _bare_render(engine, scene, out / "bare")
    return found


def _instance_id(raw, name: str) -> int:
    return next(i.instance_id for i in raw.instances if i.uid == name)


def _applied_settings(view, engine: str) -> dict:
    if engine == "raster":
        return {"exposure": view.exposure}
    dof = view.blender_scene.camera.data.dof
    return {
        "exposure": view.blender_scene.view_settings.exposure,
        "use_dof": dof.use_dof,
        "focus_distance": dof.focus_distance,
        "fstop": dof.aperture_fstop,
    }


def test_view_applies_exposure_and_depth_of_field(rendered):
    expected = {"exposure": 0.5}
    if rendered["engine"] == "cycles":
        expected.update(use_dof=True, focus_distance=4.0, fstop=8.0)
    assert rendered["applied"] == pytest.approx(expected)


def test_reference_shows_the_world_and_textures(rendered):
    reference, bare = rendered["reference"], rendered["bare"]
    np.testing.assert_array_equal(reference.instance_ids, bare.instance_ids)
    background = reference.instance_ids == 0
    assert background.sum() > 20
    # the bare world is black; the spec's HDRI or image is not
    assert reference.rgba[background][:, :3].mean() > 30
    assert bare.rgba[background][:, :3].mean() < 5
    for name, channel in (("floor", 1), ("box", 2)):  # the textures' second colours show
        mask = reference.instance_ids == _instance_id(reference, name)
        assert mask.sum() > 20
        with_texture = reference.rgba[mask][:, channel].astype(float).mean()
        assert abs(with_texture - bare.rgba[mask][:, channel].astype(float).mean()) > 10, name
    if rendered["background"] == "image":  # left half orange, right half black
        rgb = reference.rgba[..., :3].astype(float)
        left, right = background[:, : SIZE // 2], background[:, SIZE // 2 :]
        assert rgb[:, : SIZE // 2][left][:, 0].mean() > rgb[:, SIZE // 2 :][right][:, 0].mean() + 60


def test_batch_image_is_the_reference(rendered):
    np.testing.assert_array_equal(rendered["batch"], rendered["reference"].rgba[..., :3])


def test_preview_tile_is_the_reference_except_its_boxes(rendered):
    tile, reference = rendered["preview"], rendered["reference"].rgba[..., :3]
    same = np.all(tile == reference, axis=-1)
    assert same.mean() > 0.6  # boxes and their captions cover the rest
    drawn = np.all(np.abs(tile[~same].astype(int) - (255, 230, 0)) < 120, axis=-1)
    assert drawn.mean() > 0.5


def test_bench_bare_loop_renders_the_reference(rendered):
    if rendered["engine"] != "cycles":
        pytest.skip("the bare loop times Cycles only")
    np.testing.assert_array_equal(rendered["bench"], rendered["reference"].rgba[..., :3])


@pytest.fixture(scope="module", params=["hdri", "image"])
def both_backends(request, recipe_file, tmp_path_factory):
    """Frame 0 through open_view on Cycles and on raster (one scene, two views)."""
    out = tmp_path_factory.mktemp(f"both-{request.param}")
    session = RenderSession(_config(recipe_file, out, "cycles", request.param))
    scene = session.prepare(0).scene
    return [
        open_view(engine, scene, _settings(out)).render_raw() for engine in ("cycles", "raster")
    ]


def test_backends_agree_on_labels_and_world(both_backends):
    cycles, raster = both_backends
    assert (cycles.instance_ids == raster.instance_ids).mean() > 0.95
    background = (cycles.instance_ids == 0) & (raster.instance_ids == 0)
    a = cycles.rgba[background][:, :3].astype(float).ravel()
    b = raster.rgba[background][:, :3].astype(float).ravel()
    assert np.corrcoef(a, b)[0, 1] > 0.8 and abs(a.mean() - b.mean()) < 25


def test_refiner_proxy_frames_have_the_hdri_and_textures(recipe_file, tmp_path):
    """The proxy renders its "real" (Cycles) and "sim" (raster) frames through open_view: the
    sim frame is the raster reference byte for byte, and the real one (Cycles through the
    sensor model) resembles the Cycles reference far more than a bare render of the scene."""
    from renderer.refiner.proxy import render_frames  # pylint: disable=import-outside-toplevel

    render_frames(tmp_path / "proxy", recipe_file, [SEED], SIZE, SAMPLES, with_sim=True)
    name = f"{SEED:06d}"
    spec = sample_spec(recipe_file, SEED, {"resolution": SIZE})
    _, scene = instantiate(spec, tmp_path / "scratch")
    settings = dataclasses.replace(_settings(tmp_path / "scratch"), device="auto")
    raster = open_view("raster", scene, settings).render_raw()
    np.testing.assert_array_equal(
        read_image(tmp_path / "proxy" / "sim", name), raster.rgba[..., :3]
    )
    cycles = open_view("cycles", scene, settings).render_raw()
    _, bare_scene = instantiate(spec, tmp_path / "bare")
    bare = _bare_render("cycles", bare_scene, tmp_path / "bare")
    real = read_image(tmp_path / "proxy" / "real", name).astype(float)
    error_to_reference = np.abs(real - cycles.rgba[..., :3]).mean()
    error_to_bare = np.abs(real - bare.rgba[..., :3]).mean()
    assert error_to_reference < 0.5 * error_to_bare, (error_to_reference, error_to_bare)


def test_demo_renders_through_the_contract(tmp_path):
    from renderer.demo import build_hello_scene, demo_extras, render_demo  # pylint: disable=import-outside-toplevel

    written = render_demo(tmp_path / "demo", (SIZE, SIZE), SAMPLES, device="cpu")
    demo = cv2.cvtColor(cv2.imread(str(written["rgba"])), cv2.COLOR_BGR2RGB)
    reference = open_view(
        "cycles", build_hello_scene((SIZE, SIZE)), _settings(tmp_path / "s"), extras=demo_extras()
    ).render_raw()
    np.testing.assert_array_equal(demo, reference.rgba[..., :3])
    from renderer.blender import Blender  # pylint: disable=import-outside-toplevel

    bare = Blender(
        build_hello_scene((SIZE, SIZE)),
        scratch_dir=tmp_path / "bare",
        samples_per_pixel=SAMPLES,
        device="cpu",
    ).render_raw()
    # the sunset HDRI lights the demo: it differs from the sun-only bare view
    assert np.abs(reference.rgba[..., :3].astype(float) - bare.rgba[..., :3]).mean() > 10
