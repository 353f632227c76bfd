"""Native batch layout: round trip, manifest, resume, checksums, crash safety."""

from __future__ import annotations

import json

import numpy as np
import pytest

from labels import analytic, native
from labels.analytic import Box, Sphere
from labels.frame import compute_frame_labels
from labels.passes import CameraModel


def raw_frame(shift: float = 0.0, width: int = 48, height: int = 40):
    cam = CameraModel(
        K=analytic.intrinsics(width, height, 45.0),
        world_to_camera=analytic.look_at((shift, -5, 0.5), (0, 0, 0)),
        width=width,
        height=height,
    )
    return analytic.render(
        cam,
        [Sphere((0, 0, 0), 1.0), Box((0.6, -2, 0), (0.6, 0.6, 0.6)), Sphere((2.2, 0, 0.3), 0.6)],
    )


def test_round_trip_keeps_every_label(tmp_path):
    raw = raw_frame()
    expected = compute_frame_labels(raw, with_ray_distance=True)
    record = native.write_frame(
        tmp_path, "000007", raw, {"seed": 7, "spec_hash": "abc123"}, with_ray_distance=True
    )
    frame = native.read_frame(tmp_path, "000007")
    assert np.array_equal(frame.image, raw.rgba[..., :3])
    for name in ("instance_map", "semantic_map", "depth", "normals", "ray_distance"):
        assert np.array_equal(getattr(frame, name), getattr(expected, name)), name
        assert getattr(frame, name).dtype == getattr(expected, name).dtype, name
    assert np.isinf(frame.depth[0, 0])
    for got, want in zip(frame.instances, expected.instances, strict=True):
        assert got.to_json() == json.loads(json.dumps(want.to_json()))
        assert np.array_equal(got.amodal_mask, want.amodal_mask)
        assert np.array_equal(got.visible_mask, want.visible_mask)
    assert np.allclose(frame.camera.K, raw.camera.K)
    assert np.allclose(frame.camera.world_to_camera, raw.camera.world_to_camera)
    provenance = native.read_frame_json(tmp_path, "000007")["provenance"]
    assert provenance == {"seed": 7, "spec_hash": "abc123"}
    assert record["seed"] == 7 and record["spec_hash"] == "abc123"
    assert native.read_manifest(tmp_path) == [record]


def test_manifest_checksums_match_files_and_catch_corruption(tmp_path):
    native.write_frame(tmp_path, "a", raw_frame())
    native.write_frame(tmp_path, "b", raw_frame(0.5))
    assert native.verify_dataset(tmp_path) == {}
    assert native.finished_frames(tmp_path, verify=True) == ["a", "b"]
    npz = tmp_path / "labels" / "b.npz"
    data = bytearray(npz.read_bytes())
    data[len(data) // 2] ^= 0xFF
    npz.write_bytes(bytes(data))
    (tmp_path / "data" / "a.png").unlink()
    problems = native.verify_dataset(tmp_path)
    assert set(problems) == {"a", "b"}
    assert "missing" in problems["a"][0] and "checksum" in problems["b"][0]
    assert native.finished_frames(tmp_path) == ["b"]  # without verify: files merely exist
    assert native.finished_frames(tmp_path, verify=True) == []


def test_resume_skips_finished_and_retries_failed(tmp_path):
    native.write_frame(tmp_path, "f0", raw_frame())
    native.record_failure(tmp_path, "f1", "Blender crashed", {"seed": 1})
    assert native.finished_frames(tmp_path) == ["f0"]
    native.write_frame(tmp_path, "f1", raw_frame(0.3), {"seed": 1})
    assert native.finished_frames(tmp_path) == ["f0", "f1"]
    latest = native.latest_records(tmp_path)
    assert latest["f1"]["status"] == "ok" and latest["f1"]["seed"] == 1


def test_torn_manifest_line_is_ignored(tmp_path):
    native.write_frame(tmp_path, "f0", raw_frame())
    with open(tmp_path / native.MANIFEST, "a") as handle:
        handle.write('{"frame": "f1", "status": "o')  # a crash mid-line
    assert [r["frame"] for r in native.read_manifest(tmp_path)] == ["f0"]
    native.write_frame(tmp_path, "f2", raw_frame())
    # The torn fragment is terminated before the next append, so f2's line stays whole.
    assert native.finished_frames(tmp_path) == ["f0", "f2"]


def test_failed_write_leaves_no_manifest_line_and_no_temp_files(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(native, "save_npz_atomic", broken)
    with pytest.raises(OSError):
        native.write_frame(tmp_path, "f0", raw_frame())
    assert native.read_manifest(tmp_path) == []
    assert native.finished_frames(tmp_path) == []
    assert not [p for p in tmp_path.rglob("*") if ".tmp-" in p.name]


def test_written_files_are_deterministic(tmp_path):
    first = native.write_frame(tmp_path / "one", "f", raw_frame(), {"seed": 3})
    second = native.write_frame(tmp_path / "two", "f", raw_frame(), {"seed": 3})
    assert first["sha256"] == second["sha256"]


def test_bad_frame_names_and_reserved_metadata_are_refused(tmp_path):
    with pytest.raises(ValueError, match="frame name"):
        native.write_frame(tmp_path, "../escape", raw_frame())
    with pytest.raises(ValueError, match="reserved"):
        native.write_frame(tmp_path, "ok", raw_frame(), {"status": "mine"})


def test_reading_a_corrupt_label_file_names_the_frame(tmp_path):
    native.write_frame(tmp_path, "f9", raw_frame())
    (tmp_path / "labels" / "f9.json").write_text("{not json")
    with pytest.raises(native.FrameReadError, match="f9") as error:
        native.read_frame(tmp_path, "f9")
    assert error.value.frame == "f9" and "corrupt" in error.value.reason
