"""The household library: objects made of parts, their materials, prints, and both backends.

Geometry and sampling tests are pure Python; the render tests share one module-scoped scene
(one object of every class in a row, 64 px, Cycles at 2 spp and raster).
"""

from __future__ import annotations


import math

import numpy as np
import pytest

from assets.household import HOUSEHOLD_CLASSES, household_class, household_class_names
from assets.loft import loft, scaled_radially, welded
from assets.meshes import MeshCache, read_parted_ply, read_render_ply
from assets.prints import STYLES, print_file, print_image
from scenes.geometry import asset_key, asset_mesh, object_mesh_world
from scenes.household import ShapeVariants
from scenes.randomizers import household_object, procedural_object, support_box
from scenes.spec import CameraSpec, HdriSpec, MaterialSpec, SceneSpec, WorldSpec, AssetSpec

PART_NAMES = {
    "body",
    "cap",
    "capsule",
    "label",
    "print",
    "liquid",
    "contents",
    "handle",
    "rim",
    "lid",
    "top",
    "fin",
}


@pytest.mark.parametrize("name", sorted(HOUSEHOLD_CLASSES))
def test_every_subtype_is_watertight_per_part_with_uvs(name):
    shape = HOUSEHOLD_CLASSES[name]
    rng = np.random.default_rng(5)
    for subtype in shape.subtypes.values():
        for _ in range(3):
            parts = subtype.build(subtype.sample_params(rng))
            assert parts[0].name == "body" and {p.name for p in parts} <= PART_NAMES
            for part in parts:
                mesh = welded(part)
                where = (name, subtype.name, part.name)
                assert mesh.is_watertight and mesh.is_winding_consistent, where
                assert mesh.volume > 0, where  # outward faces
                assert part.uv.shape == (len(part.vertices), 2), where
                assert part.uv.min() >= 0.0 and part.uv.max() <= 1.0, where
                # UVs wrap once around: u spans the whole circle on every part
                assert np.ptp(part.uv[:, 0]) > 0.95 and np.ptp(part.uv[:, 1]) > 0.95, where


def test_shapes_follow_real_proportions():
    """A few anchors: a wine bottle ~30 cm, a mug 8-11 cm tall, a plastic cup 9-13 cm tall, a
    330 ml can 6.4-6.8 cm wide."""
    rng = np.random.default_rng(1)
    for category, subtype, low, high, axis in (
        ("bottle", "wine", 0.29, 0.33, 2),
        ("cup", "mug", 0.08, 0.112, 2),
        ("cup", "plastic", 0.09, 0.132, 2),  # 9 oz .. 16 oz party cups, 25 cl reusable cups
        ("can", "standard", 0.0635, 0.069, 0),
    ):
        params = HOUSEHOLD_CLASSES[category].subtype(subtype).sample_params(rng)
        size = asset_mesh(AssetSpec(kind="household", name=category, params=params)).extents
        assert low <= size[axis] <= high, (category, size)


def _ring_radii(part, z: float) -> tuple[float, float, float]:
    """Radius of ``part``'s outermost vertices on its vertex ring nearest height ``z``: along
    +X, along +Y and at 45 deg (the loft's sections include these angles)."""
    ring_z = part.vertices[np.argmin(np.abs(part.vertices[:, 2] - z)), 2]
    ring = part.vertices[np.isclose(part.vertices[:, 2], ring_z)]
    angle, radius = np.arctan2(ring[:, 1], ring[:, 0]), _radius(ring)

    def at(theta: float) -> float:
        return float(radius[np.abs(np.angle(np.exp(1j * (angle - theta)))) < 1e-3].max())

    return at(0.0), at(math.pi / 2), at(math.pi / 4)


def test_jugs_are_rounded_squares_with_a_handle_and_squeeze_bottles_flat_ovals():
    """A jug of squareness 1 has corners (radius at 45 deg > 1.25 x the side's) and its handle
    stands out on +X; a squeeze bottle of depth ratio 0.6 is 0.6 as deep (Y) as wide (X). Both
    are round again at the neck, where the cap sits."""
    bottle = household_class("bottle")
    jug = bottle.subtype("jug").build({"squareness": 1.0, "depth_ratio": 1.0, "handle": "round"})
    body = next(p for p in jug if p.name == "body")
    params = {k: sum(v) / 2 for k, v in bottle.subtype("jug").ranges.items()}
    side, _, corner = _ring_radii(body, params["height"] * 0.3)
    assert corner > 1.25 * side
    handle = next(p for p in jug if p.name == "handle")
    assert handle.vertices[:, 0].max() > side + 0.015
    neck = _ring_radii(body, params["height"] - params["neck_length"] / 2)
    assert np.ptp(neck) < 1e-4
    squeeze = bottle.subtype("squeeze").build({"depth_ratio": 0.6, "squareness": 0.0})
    middle = sum(bottle.subtype("squeeze").ranges["height"]) / 2 * 0.3
    wide, deep, _ = _ring_radii(squeeze[0], middle)
    assert deep == pytest.approx(0.6 * wide, rel=0.03)


def test_sampling_is_seeded_and_the_spec_round_trips():
    def objects(seed):
        rng = np.random.default_rng(seed)
        return [household_object(rng, c, f"{c}_{i}") for i, c in enumerate(household_class_names())]

    first, again, other = (SceneSpec(objects=objects(s)).normalised() for s in (3, 3, 4))
    assert first.to_json() == again.to_json() and first.to_json() != other.to_json()
    assert SceneSpec.from_json(first.to_json()) == first
    first.validate()
    for obj in first.objects:
        assert obj.asset.kind == "household" and obj.asset.licence == "CC0-1.0"
        assert obj.asset.source.startswith("synthscene household library")
        assert obj.parts and obj.parts[0].material == obj.material
        mesh = asset_mesh(obj.asset)
        assert [p.name for p in obj.parts] == mesh.metadata["parts"]
    mug = first.object("mug_" + str(household_class_names().index("mug")))
    assert (
        mug.category == "mug" and mug.asset.name == "cup" and mug.asset.params["subtype"] == "mug"
    )


def _radius(vertices):
    return np.hypot(vertices[:, 0], vertices[:, 1])


def test_scaled_radially_moves_only_the_radius_and_keeps_seams_smooth():
    """A constant factor scales a cylinder's radius and keeps its normals; a factor varying
    round the axis leaves z alone, gives unit normals, and coincident vertices that shared a
    normal (the UV seam) still share one while split corners (the rim) stay split."""
    cylinder = loft("c", [(0.0, 0.0), (0.02, 0.0), (0.02, 0.1), (0.0, 0.1)])
    doubled = scaled_radially(cylinder, lambda theta, z: np.full_like(theta, 2.0))
    np.testing.assert_allclose(doubled.vertices[:, :2], 2 * cylinder.vertices[:, :2])
    np.testing.assert_allclose(doubled.normals, cylinder.normals, atol=1e-6)
    wavy = scaled_radially(cylinder, lambda theta, z: 1.0 + 0.2 * np.cos(3 * theta) * z / 0.1)
    np.testing.assert_allclose(wavy.vertices[:, 2], cylinder.vertices[:, 2])
    np.testing.assert_allclose(np.linalg.norm(wavy.normals, axis=1), 1.0)
    radius = _radius(wavy.vertices)
    top_ring = (cylinder.vertices[:, 2] == 0.1) & (radius > 0)
    assert np.ptp(radius[top_ring]) > 0.007  # 0.016-0.024 m round the top
    seam = np.flatnonzero(np.isclose(cylinder.vertices[:, 1], 0.0) & (cylinder.vertices[:, 0] > 0))
    for index in seam:
        twins = np.flatnonzero(
            np.all(np.isclose(cylinder.vertices, cylinder.vertices[index]), axis=1)
            & np.all(np.isclose(cylinder.normals, cylinder.normals[index]), axis=1)
        )
        np.testing.assert_allclose(
            wavy.normals[twins], wavy.normals[twins[:1]].repeat(len(twins), 0)
        )
    rim = np.flatnonzero(top_ring)
    assert {round(float(n[2])) for n in wavy.normals[rim]} == {0, 1}  # side and top stay split


def _slice_radii(part, z: float) -> list[np.ndarray]:
    """Distance from the axis, at 360 angles, of each closed loop of ``part``'s slice at
    height ``z``, innermost loop first (a loop crosses each ray from the axis once)."""
    angles = np.linspace(-np.pi, np.pi, 360, endpoint=False)
    loops = []
    for loop in welded(part).section(plane_origin=(0, 0, z), plane_normal=(0, 0, 1)).discrete:
        theta, radius = np.arctan2(loop[:, 1], loop[:, 0]), np.hypot(loop[:, 0], loop[:, 1])
        loops.append(np.interp(angles, theta, radius, period=2 * np.pi))
    return sorted(loops, key=np.mean)


def test_dented_pet_bottles_stay_nested_and_watertight():
    """A dented water bottle: body, label and liquid are pressed in by the same radial factor,
    so at every angle of a slice through the label the liquid ends inside the shell and the
    label's outer face lies outside it; the cap does not move; every part stays a watertight
    volume, and the dents are millimetres deep."""
    shape = HOUSEHOLD_CLASSES["bottle"].subtype("water")
    params = {**shape.sample_params(np.random.default_rng(2)), "label_height": 0.2, "fill": 0.95}
    plain = {p.name: p for p in shape.build(params)}
    dented = {p.name: p for p in shape.build({**params, "dent": 1.0, "dent_seed": 11})}
    assert set(dented) == set(plain) == {"body", "cap", "label", "liquid"}
    np.testing.assert_array_equal(dented["cap"].vertices, plain["cap"].vertices)
    for part in dented.values():
        assert welded(part).is_watertight and welded(part).volume > 0, part.name
    label = dented["label"].vertices[:, 2]
    squeezed = 0.0
    for z in np.linspace(label.min() + 0.002, label.max() - 0.002, 5):
        shell_in, shell_out = _slice_radii(dented["body"], z)
        (liquid,), (_, band) = _slice_radii(dented["liquid"], z), _slice_radii(dented["label"], z)
        assert np.all(liquid < shell_in) and np.all(band > shell_out), z
        squeezed = max(squeezed, np.max(_slice_radii(plain["body"], z)[1] - shell_out))
    assert squeezed > 0.002


def test_a_stack_is_nested_copies_of_one_cup_under_the_same_part_names():
    """``stack`` copies of a plastic cup, each ``stack_pitch`` of its height above the one
    below: the same parts, each the single cup's mesh repeated and shifted up (+Z), every copy
    a closed volume; the stack stands as high as the top cup, and each cup reaches down inside
    the one below (the pitch is less than the height)."""
    shape = HOUSEHOLD_CLASSES["cup"].subtype("plastic")
    params = {**shape.sample_params(np.random.default_rng(3)), "print_height": 0.5, "fill": 0.0}
    single = {p.name: p for p in shape.build(params)}
    count, pitch = 4, 0.15
    stack = {p.name: p for p in shape.build({**params, "stack": count, "stack_pitch": pitch})}
    assert set(stack) == set(single) >= {"body", "rim", "print"}
    step = pitch * params["height"]
    for name, part in stack.items():
        one = single[name]
        assert len(part.vertices) == count * len(one.vertices)
        assert len(part.faces) == count * len(one.faces)
        for level in range(count):
            copy = part.vertices[level * len(one.vertices) : (level + 1) * len(one.vertices)]
            np.testing.assert_allclose(copy, one.vertices + (0.0, 0.0, level * step))
        assert welded(part).is_watertight and welded(part).volume > 0, name
    top = stack["body"].vertices[:, 2].max()
    assert top == pytest.approx(single["body"].vertices[:, 2].max() + (count - 1) * step)
    assert step < params["height"]


def test_procedural_object_household_library_samples_subtypes_and_materials():
    rng = np.random.default_rng(0)
    bottles = [procedural_object(rng, "bottle", f"b{i}", library="household") for i in range(40)]
    subtypes = {b.asset.params["subtype"] for b in bottles}
    assert {"water", "soda", "wine", "flask"} <= subtypes
    transmissive = [p for b in bottles for p in b.parts if p.material.transmission > 0]
    assert any(p.name == "liquid" for p in transmissive) and any(
        p.name == "body" for p in transmissive
    )
    assert all(1.3 <= p.material.ior <= 1.6 for p in transmissive)
    prints = [p for b in bottles for p in b.parts if p.material.texture is not None]
    assert prints and all(p.material.texture.kind == "print" for p in prints)


def test_single_mesh_objects_keep_their_json():
    """New optional fields (parts, coat, bump...) are left out while they hold their default, so
    a spec written before them keeps its bytes and hash."""
    rng = np.random.default_rng(0)
    old = procedural_object(rng, "mug", "mug_0")
    text = SceneSpec(objects=[old]).to_json()
    for key in ('"parts"', '"coat"', '"bump"', '"bump_scale"', '"roughness_noise"'):
        assert key not in text
    new = household_object(rng, "cup", "cup_0")
    assert '"parts"' in SceneSpec(objects=[new]).to_json()


def test_parted_ply_round_trips_through_the_mesh_cache(tmp_path):
    rng = np.random.default_rng(2)
    obj = household_object(rng, "bottle", "bottle")
    mesh = asset_mesh(obj.asset)
    cached = MeshCache(tmp_path).get(asset_key(obj.asset), lambda: mesh, mass=0.3)
    parted = read_parted_ply(cached.render_path)
    assert read_render_ply(cached.render_path) is None  # not the single-mesh layout
    assert list(parted.names) == [p.name for p in obj.parts]
    np.testing.assert_array_equal(parted.faces, mesh.faces)
    np.testing.assert_array_equal(parted.part, mesh.face_attributes["part"])
    np.testing.assert_allclose(parted.vertices, mesh.vertices, atol=1e-6)
    np.testing.assert_allclose(parted.uv, mesh.vertex_attributes["uv"], atol=1e-6)


def test_prints_are_seeded_images_of_the_requested_aspect(tmp_path):
    for style in STYLES:
        image = print_image(style, 7, 3.0)
        assert image.dtype == np.uint8 and image.shape[2] == 4
        assert abs(image.shape[1] / image.shape[0] - 3.0) < 0.05
        np.testing.assert_array_equal(image, print_image(style, 7, 3.0))
        assert not np.array_equal(image, print_image(style, 8, 3.0))
        assert image[..., :3].std() > 10  # not a flat colour
    assert (print_image("label", 1, 2.0)[..., 3] == 255).all()  # labels cover the band
    assert (print_image("mug", 1, 2.0)[..., 3] == 0).any()  # mug prints let glaze show
    first = print_file(tmp_path, "label", 3, 2.5)
    assert print_file(tmp_path, "label", 3, 2.5) == first and first.read_bytes()


# -- both backends ----------------------------------------------------------------------------
ROW = ("bottle", "cup", "can", "bowl", "carton", "jar")


def _row_spec() -> SceneSpec:
    rng = np.random.default_rng(11)
    objects, x = [], -0.27
    for index, category in enumerate(ROW):
        obj = household_object(rng, category, f"{category}_{index}")
        if category == "bottle":  # a glass bottle with everything: cap, label, liquid
            while [p.name for p in obj.parts] != ["body", "cap", "label", "liquid"]:
                obj = household_object(rng, category, f"{category}_{index}")
        if category == "cup":  # a mug whose handle sticks out sideways (+X), seen in profile
            while [p.name for p in obj.parts][:2] != ["body", "handle"]:
                obj = household_object(rng, "mug", f"{category}_{index}")
            obj.quaternion = (1.0, 0.0, 0.0, 0.0)
        obj.position = (x, 0.0, 0.0)
        obj.position = (x, 0.0, float(-object_mesh_world(obj).bounds[0, 2]))
        objects.append(obj)
        x += 0.11
    for x, subtype in ((-0.2, "jug"), (0.17, "squeeze")):  # behind the row, taller than it
        only = {name: float(name == subtype) for name in household_class("bottle").subtypes}
        obj = household_object(
            rng, "bottle", subtype, variants=ShapeVariants(subtype_weights={"bottle": only})
        )
        obj.quaternion = (1.0, 0.0, 0.0, 0.0)
        obj.position = (x, 0.3, float(-object_mesh_world(obj).bounds[0, 2]))
        objects.append(obj)
    table = support_box("table", (2.0, 2.0), material=MaterialSpec(color=(0.4, 0.4, 0.4, 1.0)))
    camera = CameraSpec(
        position=(0.0, -0.8, 0.3), look_at=(0.0, 0.0, 0.11), focal_length=35.0, sensor_width=36.0
    )
    world = WorldSpec(background="hdri", hdri=HdriSpec(name="interior", licence="CC0-1.0"))
    return (
        SceneSpec(
            recipe="household_test",
            resolution=(96, 64),
            camera=camera,
            world=world,
            objects=[table] + objects,
        )
        .normalised()
        .validate()
    )


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    pytest.importorskip("bpy")
    import bpy  # noqa: F401  (renderer.blender needs it)
    from renderer.backend import ViewSettings, open_view
    from scenes.build import build_kubric_scene

    scratch = tmp_path_factory.mktemp("household")
    spec = _row_spec()
    scene = build_kubric_scene(spec, scratch)
    cycles_view = open_view("cycles", scene, ViewSettings(samples_per_pixel=2, scratch_dir=scratch))
    slots = _blender_slots(scene, cycles_view)
    cycles = cycles_view.render_raw()
    raster = open_view("raster", scene).render_raw()
    return spec, scene, cycles, raster, slots


def _blender_slots(scene, view) -> dict:
    """Per object: material names per slot, face count per material index, node facts."""
    facts = {}
    for asset in scene.assets:
        obj = asset.linked_objects.get(view)
        if obj is None or getattr(obj, "type", "") != "MESH" or not asset.metadata.get("parts"):
            continue
        indices = np.zeros(len(obj.data.polygons), np.int32)
        obj.data.polygons.foreach_get("material_index", indices)
        slots = []
        for slot in obj.material_slots:
            nodes = slot.material.node_tree.nodes
            bsdf = nodes["Principled BSDF"]
            slots.append(
                {
                    "transmission": bsdf.inputs["Transmission Weight"].default_value,
                    "coat": bsdf.inputs["Coat Weight"].default_value,
                    "images": [n.image.filepath for n in nodes if n.type == "TEX_IMAGE"],
                }
            )
        facts[asset.metadata["spec_name"]] = {
            "slots": slots,
            "faces": np.bincount(indices),
            "uv": obj.data.uv_layers.keys(),
        }
    return facts


def test_blender_objects_have_one_slot_per_part(rendered):
    spec, _, _, _, slots = rendered
    for obj in spec.objects[1:]:
        facts = slots[obj.name]
        mesh = asset_mesh(obj.asset)
        assert len(facts["slots"]) == len(obj.parts) and facts["uv"] == ["UVMap"]
        np.testing.assert_array_equal(facts["faces"], np.bincount(mesh.face_attributes["part"]))
        for part, slot in zip(obj.parts, facts["slots"]):
            assert slot["transmission"] == pytest.approx(part.material.transmission)
            assert slot["coat"] == pytest.approx(part.material.coat)
            printed = part.material.texture is not None
            assert bool(slot["images"]) == printed, (obj.name, part.name)


def _ids_by_name(scene) -> dict:
    return {
        asset.metadata["spec_name"]: index
        for index, asset in enumerate(scene.assets, 1)
        if asset.metadata.get("spec_name")
    }


def test_each_multi_part_object_is_one_instance_on_both_backends(rendered):
    spec, scene, cycles, raster, _ = rendered
    ids = _ids_by_name(scene)
    for passes in (cycles, raster):
        seen = set(np.unique(passes.instance_ids)) - {0}
        assert seen == {ids[o.name] for o in spec.objects}  # no extra id for any part
        labelled = {i.instance_id for i in passes.instances if i.category}
        assert labelled == {ids[o.name] for o in spec.objects[1:]}
        by_id = {i.instance_id: i for i in passes.instances}
        for obj in spec.objects[1:]:  # labels name the parts, without this machine's paths
            assert by_id[ids[obj.name]].metadata["parts"] == [
                {"name": p.name, "material": p.material.name} for p in obj.parts
            ]


def test_mask_covers_every_visible_part(rendered):
    """Project the centres of each part's camera-facing faces: at every one, either the object's
    id is within a pixel (faces on the silhouette land a fraction of a pixel off), or something
    nearer hides it (the depth there is smaller). So the cap, the label, the handle, the rim are
    all the object: none of them is background or another id."""
    spec, scene, cycles, raster, _ = rendered
    ids = _ids_by_name(scene)
    camera = raster.camera
    for obj in spec.objects[1:]:
        world = object_mesh_world(obj)
        parts = world.face_attributes["part"]
        for index, part in enumerate(obj.parts):
            if part.name in ("liquid", "contents"):
                continue  # inside a container: the container is what the camera sees
            faces = parts == index
            centres = world.vertices[world.faces[faces]].mean(axis=1)
            towards = np.asarray(spec.camera.position) - centres
            centres = centres[np.einsum("ij,ij->i", world.face_normals[faces], towards) > 0]
            pixels = np.floor(_project(camera, centres)).astype(int)
            depth = (camera.world_to_camera[:3, :3] @ centres.T).T[:, 2] + camera.world_to_camera[
                2, 3
            ]
            inside = (
                (pixels[:, 1] >= 1)
                & (pixels[:, 1] < camera.height - 1)
                & (pixels[:, 0] >= 1)
                & (pixels[:, 0] < camera.width - 1)
            )
            assert inside.sum() >= 3, (obj.name, part.name)
            for passes in (cycles, raster):
                ok = [
                    np.any(passes.instance_ids[r - 1 : r + 2, c - 1 : c + 2] == ids[obj.name])
                    or passes.depth[r, c] < z - 0.002
                    for (c, r), z in zip(pixels[inside], depth[inside])
                ]
                assert np.mean(ok) >= 0.99, (obj.name, part.name, np.mean(ok))


def _project(camera, points: np.ndarray) -> np.ndarray:
    """(N, 2) continuous pixel coordinates (x right, y down; pixel (0, 0) spans [0, 1)^2)."""
    homogeneous = np.column_stack([points, np.ones(len(points))])
    in_camera = (camera.world_to_camera @ homogeneous.T).T[:, :3]
    projected = (camera.K @ in_camera.T).T
    return projected[:, :2] / projected[:, 2:3]


def test_cycles_and_raster_ids_agree(rendered):
    _, _, cycles, raster, _ = rendered
    same = cycles.instance_ids == raster.instance_ids
    assert same.mean() >= 0.99
    padded = np.pad(cycles.instance_ids, 1, mode="edge")
    boundary = np.zeros(same.shape, bool)
    height, width = same.shape
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            boundary |= (
                padded[1 + dr : 1 + dr + height, 1 + dc : 1 + dc + width] != cycles.instance_ids
            )
    assert not np.any(~same & ~boundary)


def test_colour_passes_show_the_materials(rendered):
    """Both colour passes are finite images in which the printed and transparent objects are
    not flat: a printed label varies, and glass shows what is behind it."""
    spec, scene, cycles, raster, _ = rendered
    ids = _ids_by_name(scene)
    for passes in (cycles, raster):
        rgb = passes.rgba[..., :3].astype(float)
        for obj in spec.objects[1:]:
            mask = passes.instance_ids == ids[obj.name]
            assert mask.sum() >= 20, obj.name
            assert rgb[mask].std(axis=0).max() > 3.0, obj.name


def test_prints_from_the_users_image_folder(tmp_path):
    """With an image folder, about half the prints are the user's images (any size, RGB or RGBA);
    the raster backend bakes them over the part colour with 4-byte aligned rows."""
    import cv2

    from renderer.raster.textures import baked_print
    from scenes.build import build_kubric_scene

    folder = tmp_path / "prints"
    folder.mkdir()
    image = np.zeros((30, 61, 3), np.uint8)
    image[:, :30] = (0, 0, 255)  # BGR: left half red
    cv2.imwrite(str(folder / "red_left.png"), image)
    rng = np.random.default_rng(4)
    objects = [
        household_object(rng, "can", f"can_{i}", image_folder=str(folder)) for i in range(12)
    ]
    images = [o.parts[1].material.texture.image for o in objects]
    assert 2 <= sum(i is not None for i in images) <= 10
    user = next(o for o in objects if o.parts[1].material.texture.image)
    scene = build_kubric_scene(SceneSpec(objects=[user]).normalised(), tmp_path / "scratch")
    texture = scene.assets[0].metadata["parts"][1]["material"]["texture"]
    assert texture["kind"] == "print" and texture["image"] == str(
        (folder / "red_left.png").resolve()
    )
    baked = baked_print((0.0, 0.0, 1.0, 1.0), texture)
    assert baked.shape[1] % 4 == 0 and baked.shape[0] == 30
    assert baked[15, 5, 0] == 255 and baked[15, 5, 2] == 0  # red where the image is red
    assert baked[15, -5, 0] == 0  # black where the image is black (opaque RGB image)


def test_raster_frames_are_the_same_bytes_from_fresh_caches(tmp_path):
    """Same spec, two empty scratch folders (meshes and prints generated twice): same pixels."""
    pytest.importorskip("pyrender")
    from renderer.backend import open_view
    from scenes.build import build_kubric_scene

    spec = _row_spec()
    frames = [
        open_view("raster", build_kubric_scene(spec, tmp_path / name)).render_raw()
        for name in ("a", "b")
    ]
    assert frames[0].rgba.tobytes() == frames[1].rgba.tobytes()
    assert frames[0].instance_ids.tobytes() == frames[1].instance_ids.tobytes()
    prints = sorted(p.name for p in (tmp_path / "a" / "meshes").glob("print_*.png"))
    assert prints == sorted(p.name for p in (tmp_path / "b" / "meshes").glob("print_*.png"))
    for name in prints:
        assert (tmp_path / "a" / "meshes" / name).read_bytes() == (
            tmp_path / "b" / "meshes" / name
        ).read_bytes()


def test_parts_that_do_not_match_the_asset_are_refused(tmp_path):
    from scenes.build import build_kubric_scene
    from scenes.errors import SpecError

    obj = household_object(np.random.default_rng(0), "bottle", "bottle")
    obj.parts = obj.parts[:-1]
    with pytest.raises(SpecError, match=r"parts \[.*\] do not match the asset's parts"):
        build_kubric_scene(SceneSpec(objects=[obj]), tmp_path)
