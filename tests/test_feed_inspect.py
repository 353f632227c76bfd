"""synthscene inspect: prints a frame's provenance; --rerender remakes its labels byte for byte."""
from __future__ import annotations

import json
import random
import re

import pytest

from labels.native import frame_paths, read_frame_json
from test_feed_helpers import FRAMES, copy_batch, run_cli, shared_batch


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    return shared_batch(tmp_path_factory)


def test_inspect_prints_every_provenance_field(batch):
    done = run_cli("inspect", batch, "5")
    assert done.returncode == 0, done.stderr
    provenance = read_frame_json(batch, "000005")["provenance"]
    for text in ("frame 000005", "recipe      tabletop", f"seed        {provenance['seed']}",
                 "batch seed 5", provenance["spec_hash"], "engine      raster",
                 provenance["device"]["backend"], "pyrender 0.1.45", "kubric 2023.12.27",
                 f"assets      {len(provenance['assets'])}"):
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


def test_rerender_of_a_random_raster_frame_is_byte_identical(batch, tmp_path):
    name = f"{random.Random().randrange(1, FRAMES):06d}"  # any frame but the worker's first
    _assert_rerender_identical(batch, name, tmp_path)


def test_rerender_of_a_cycles_frame_is_byte_identical(tmp_path):
    batch = tmp_path / "cycles"
    done = run_cli("render", "tabletop", "--count", "2", "--out", batch, "--resolution", "32x32",
                   "--samples", "2", "--workers", "0", "--seed", "3", "--quiet")
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
