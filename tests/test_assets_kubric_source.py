"""Recipes draw labelled objects and distractors from a local Kubric asset source (the manifest +
per-asset archive format of KuBasic/GSO/ShapeNet), with its classes and per-asset licences."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import trimesh

from assets.errors import AssetError
from assets.kubric_source import scan_kubric_source
from labels.native import latest_records, read_frame_json

ASSETS = {  # asset id: (mesh, category, licence or None = the manifest's, archive has a folder)
    "crate": (lambda: trimesh.creation.box((0.1, 0.1, 0.1)), "box", "CC0-1.0", False),
    "ball": (lambda: trimesh.creation.icosphere(2, 0.05), "sphere", "CC-BY-4.0", True),
    "can": (lambda: trimesh.creation.cylinder(0.04, 0.12), "can", None, False),
}


def add_file(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def write_source(folder: Path) -> Path:
    """A 3-asset Kubric asset source: manifest + <id>.tar.gz archives (data.json + OBJ)."""
    folder.mkdir(parents=True, exist_ok=True)
    entries = {}
    for asset_id, (make, category, licence, nested) in ASSETS.items():
        mesh = make()
        obj = trimesh.exchange.obj.export_obj(mesh).encode()
        data = {"id": asset_id, "asset_type": "FileBasedObject"}
        if licence:
            data["license"] = licence
        prefix = f"{asset_id}/" if nested else ""
        with tarfile.open(folder / f"{asset_id}.tar.gz", "w:gz") as tar:
            if nested:  # Kubric's second layout: everything in a folder named after the asset
                directory = tarfile.TarInfo(asset_id)
                directory.type = tarfile.DIRTYPE
                tar.addfile(directory)
            add_file(tar, prefix + "data.json", json.dumps(data).encode())
            add_file(tar, prefix + "visual_geometry.obj", obj)
        entries[asset_id] = {
            "id": asset_id,
            "asset_type": "FileBasedObject",
            "kwargs": {
                "bounds": mesh.bounds.tolist(),
                "mass": 0.1,
                "render_filename": "{asset_dir}/visual_geometry.obj",
            },
            "metadata": {"category": category},
        }
        if licence == "CC0-1.0":  # one licence in the manifest entry, one only in data.json
            entries[asset_id]["license"] = licence
    manifest = folder / "tiny.json"
    manifest.write_text(json.dumps({"name": "tiny", "license": "Apache-2.0", "assets": entries}))
    return manifest


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return write_source(tmp_path_factory.mktemp("kubric_source") / "tiny")


def test_the_source_is_a_real_kubric_asset_source(source):
    kb = pytest.importorskip("kubric")
    try:
        kubric_source = kb.AssetSource.from_manifest(str(source))
    except ImportError as error:
        pytest.skip(f"kubric's AssetSource needs TensorFlow here: {error}")
    assert kubric_source.categories == ["box", "can", "sphere"]
    asset = kubric_source.create("ball")
    assert asset.metadata["category"] == "sphere" and Path(asset.render_filename).is_file()


def test_scan_gives_classes_licences_and_meshes(source, tmp_path):
    found = scan_kubric_source(source, cache_dir=tmp_path)
    assert [(m.category, m.licence) for m in found] == [
        ("sphere", "CC-BY-4.0"),
        ("can", "Apache-2.0"),
        ("box", "CC0-1.0"),
    ]  # ids sorted
    assert all(
        m.path.is_file() and m.source.startswith("kubric asset source tiny: ") for m in found
    )
    again = scan_kubric_source(source, cache_dir=tmp_path)  # unpacked once, reused
    assert [m.path for m in again] == [m.path for m in found]
    with pytest.raises(AssetError, match="does not exist"):
        scan_kubric_source(tmp_path / "missing.json")


def test_a_recipe_draws_objects_and_distractors_from_the_source(source, tmp_path):
    out = tmp_path / "batch"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "renderer.cli",
            "render",
            "tabletop",
            "--count",
            "1",
            "--engine",
            "raster",
            "--resolution",
            "32x32",
            "--quiet",
            "--out",
            str(out),
            "--set",
            f"objects.kubric_source={source}",
            "--set",
            "objects.count=3",
            "--set",
            f"distractors.kubric_source={source}",
            "--set",
            "distractors.max=3",
            "--set",
            "physics.seconds=0.5",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    labels = read_frame_json(out, "000000")
    assert {item["category"] for item in labels["instances"]} == {"box", "can", "sphere"}
    provenance = labels["provenance"]["assets"]
    from_source = [a for a in provenance if a["source"].startswith("kubric asset source tiny")]
    licences = {"box": "CC0-1.0", "sphere": "CC-BY-4.0", "can": "Apache-2.0"}
    labelled = [a for a in from_source if a["category"]]
    assert len(labelled) == 3 and all(a["licence"] == licences[a["category"]] for a in labelled)
    distractors = [a for a in from_source if not a["category"]]
    assert len(distractors) == 2  # frame 0 of seed 0 draws two clutter items: both from it
    assert all(a["licence"] in licences.values() for a in distractors)
    assert latest_records(out)["000000"]["status"] == "ok"
