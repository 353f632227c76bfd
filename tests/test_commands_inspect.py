"""synthscene inspect: prints a frame's provenance; --rerender remakes its labels byte for byte."""

from __future__ import annotations

import json
import re

import pytest

from labels.native import frame_paths, read_frame_json
from cli_support import FRAMES, copy_batch, run_cli


@pytest.fixture
def batch(raster_batch):
    return raster_batch  # the session's shared batch (tests/conftest.py)


def test_inspect_prints_every_provenance_field(batch):
    done = run_cli("inspect", batch, "5")
    assert done.returncode == 0, done.stderr
    provenance = read_frame_json(batch, "000005")["provenance"]
    for text in (
        "frame 000005",
        "recipe      tabletop",
        f"seed        {provenance['seed']}",
        "batch seed 5",
        provenance["spec_hash"],
        "engine      raster",
        provenance["device"]["backend"],
        "pyrender 0.1.45",
        "kubric 2023.12.27",
        f"assets      {len(provenance['assets'])}",
    ):
        assert text in done.stdout, text
    for asset in provenance["assets"]:
        assert f"licence {asset['licence']}  source {asset['source']}" in done.stdout
    as_json = run_cli("inspect", batch, "000005", "--json")
    assert json.loads(as_json.stdout) == provenance


def test_unknown_frame_is_named(batch):
    done = run_cli("inspect", batch, "999")
    assert done.returncode == 2 and "frame '999' is not in the manifest" in done.stderr


def _assert_rerender_identical(batch, name, tmp_path) -> None:
    out = tmp_path / "again"
    done = run_cli("inspect", batch, name, "--rerender", "--rerender-out", out)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "labels reproduced byte for byte" in done.stdout
    for path in frame_paths(name).values():  # same machine: the image matches too
        assert (out / path).read_bytes() == (batch / path).read_bytes(), path
    assert (out / f"specs/{name}.json").read_bytes() == (batch / f"specs/{name}.json").read_bytes()


def test_rerender_of_a_random_raster_frame_is_byte_identical(batch, tmp_path, rng):
    name = f"{rng.randrange(1, FRAMES):06d}"  # any frame but the worker's first
    _assert_rerender_identical(batch, name, tmp_path)


def test_rerender_of_a_cycles_frame_is_byte_identical(tmp_path):
    batch = tmp_path / "cycles"
    done = run_cli(
        "render",
        "tabletop",
        "--count",
        "2",
        "--out",
        batch,
        "--resolution",
        "32x32",
        "--samples",
        "2",
        "--workers",
        "0",
        "--seed",
        "3",
        "--quiet",
    )
    assert done.returncode == 0, done.stderr
    _assert_rerender_identical(batch, "000001", tmp_path)


def test_rerender_reports_labels_that_differ(batch, tmp_path):
    """Labels edited after rendering no longer match what the recipe makes: exit 1."""
    edited = copy_batch(batch, tmp_path / "edited")
    path = edited / "labels/000002.json"
    labels = json.loads(path.read_text())
    labels["instances"][0]["visible_fraction"] = 0.5
    path.write_text(json.dumps(labels, indent=1))
    done = run_cli("inspect", edited, "2", "--rerender")
    assert done.returncode == 1
    assert re.search(r"labels/000002.json +DIFFERS", done.stdout)
    assert re.search(r"labels/000002.npz +identical", done.stdout)
    assert "no longer match their manifest checksums" in done.stdout


def test_rerender_of_a_refined_frame_compares_the_unrefined_render(batch, tmp_path):
    """A refined copy (new image, no specs/, ``refinement`` in the manifest) still reproduces."""
    import hashlib
    import shutil

    from labels.native import latest_records

    refined = copy_batch(batch, tmp_path / "refined")
    shutil.rmtree(refined / "specs")
    image = refined / "data/000003.png"
    original_sha = hashlib.sha256(image.read_bytes()).hexdigest()
    image.write_bytes((batch / "data/000004.png").read_bytes())  # stands in for a refined image
    records = list(latest_records(refined).values())
    for record in records:
        if record["frame"] == "000003":
            record["sha256"]["data/000003.png"] = hashlib.sha256(image.read_bytes()).hexdigest()
            record["refinement"] = {
                "accepted": True,
                "source_image_sha256": original_sha,
                "gate": {"score": 0.9},
                "strength_used": 0.3,
            }
    (refined / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    done = run_cli("inspect", refined, "3", "--rerender")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "refined     accepted=True" in done.stdout
    assert re.search(
        r"data/000003.png +identical \(compared with the render before "
        r"refinement\)",
        done.stdout,
    )
    assert re.search(r"specs/000003.json +not compared", done.stdout)
    assert "labels reproduced byte for byte" in done.stdout
