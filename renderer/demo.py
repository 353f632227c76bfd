"""The embedded default scene: Kubric's hello world (a ball on a floor), lit by one of
Blender's bundled CC0 HDRIs, rendered with the Blender backend."""

from __future__ import annotations

from pathlib import Path

import kubric as kb
import numpy as np

from assets.hdri import resolve_hdri
from fileio.atomic import write_atomic_with
from fileio.images import write_png_atomic
from renderer.backend import ViewSettings, open_view


def demo_extras() -> dict:
    """The demo's world in the spec-extras layout: Blender's bundled "sunset" HDRI lights the
    scene and shows as its background (strength 0.6, unrotated)."""
    return {
        "world": {
            "background": "hdri",
            "hdri": {"path": str(resolve_hdri("sunset")), "rotation": 0.0, "strength": 0.6},
        }
    }


def build_hello_scene(resolution: tuple[int, int] = (256, 256)) -> kb.Scene:
    """Kubric's hello-world scene: a 10 x 10 m floor (top at z=0), a unit sphere centred at
    z=1, a sun and a camera at (3, -1, 4) looking at the sphere's centre."""
    scene = kb.Scene(resolution=resolution)
    scene += kb.Cube(
        name="floor",
        scale=(10, 10, 0.1),
        position=(0, 0, -0.1),
        material=kb.PrincipledBSDFMaterial(color=kb.get_color("gray")),
    )
    scene += kb.Sphere(
        name="ball",
        scale=1,
        position=(0, 0, 1.0),
        material=kb.PrincipledBSDFMaterial(color=kb.Color(0.8, 0.2, 0.1), roughness=0.3),
    )
    scene += kb.DirectionalLight(
        name="sun", position=(-1, -0.5, 3), look_at=(0, 0, 0), intensity=1.5
    )
    scene += kb.PerspectiveCamera(name="camera", position=(3, -1, 4), look_at=(0, 0, 1))
    return scene


def render_demo(
    out: Path, resolution: tuple[int, int], samples: int, device: str = "auto"
) -> dict[str, Path]:
    """Render the demo scene into ``out``; return what was written, by label."""
    out.mkdir(parents=True, exist_ok=True)
    scene = build_hello_scene(resolution)
    settings = ViewSettings(samples_per_pixel=samples, device=device, scratch_dir=out / ".scratch")
    renderer = open_view("cycles", scene, settings, extras=demo_extras())
    raw = renderer.render_raw()
    palette = (np.array(kb_palette(int(raw.instance_ids.max()) + 1)) * 255).astype(np.uint8)
    paths = {
        "rgba": out / "rgba.png",
        "segmentation": out / "segmentation.png",
        "instance ids": out / "instance_ids.png",
    }
    write_png_atomic(paths["rgba"], raw.rgba)
    write_png_atomic(paths["segmentation"], palette[raw.instance_ids])
    write_png_atomic(paths["instance ids"], raw.instance_ids)
    return {
        **paths,
        "depth": write_atomic_with(
            out / "depth.npz", lambda p: np.savez_compressed(p, depth=raw.depth, K=raw.camera.K)
        ),
        "blend file": renderer.save_state(out / "scene.blend"),
    }


def kb_palette(count: int) -> list[tuple[float, float, float]]:
    """Distinct colours for ``count`` ids; id 0 (background) is black."""
    rng = np.random.default_rng(0)
    colours = [(0.0, 0.0, 0.0)] + [tuple(rng.uniform(0.2, 1.0, 3)) for _ in range(count - 1)]
    return colours
