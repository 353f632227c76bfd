"""End to end: a user recipe file -> settled spec -> kubric.Scene -> Blender render -> labels.

Checks that what the renderer placed is exactly the spec's geometry (same world bounds for every
object) and that labels carry the spec's categories, with distractors and supports unlabelled.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scenes import instantiate, sample_spec
from scenes.geometry import object_mesh_world

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenes" / "examples" / "shapes_on_floor.py"


@pytest.mark.parametrize("reference,overrides", [
    (f"{EXAMPLE}:shapes", {"count": "3"}),
    ("tabletop", {"resolution": "48", "objects.count": "3", "distractors.max": "2"}),
])
def test_rendered_instances_are_the_spec_objects(reference, overrides, tmp_path):
    blender = pytest.importorskip("renderer.blender")
    spec, scene = instantiate(sample_spec(reference, 5, overrides), tmp_path)
    renderer = blender.Blender(scene, scratch_dir=tmp_path / "render", samples_per_pixel=1,
                               use_denoising=False)
    raw = renderer.render_raw()
    by_name = {o.name: o for o in spec.objects}
    seen = {}
    for instance in raw.instances:
        obj = by_name[instance.metadata.get("spec_name", instance.uid.split(".")[0])]
        seen[obj.name] = instance
        assert instance.category == (obj.category if obj.labelled else None)
        expected = object_mesh_world(obj).bounds
        got = np.array([instance.vertices_world.min(0), instance.vertices_world.max(0)])
        assert np.allclose(got, expected, atol=1e-4), obj.name
    assert set(seen) >= {o.name for o in spec.labelled_objects()}
    visible = set(np.unique(raw.instance_ids)) - {0}
    labelled_ids = {seen[o.name].instance_id for o in spec.labelled_objects()}
    assert visible & labelled_ids, "at least one labelled object is in view"
