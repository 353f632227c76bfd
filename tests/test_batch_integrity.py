"""What synthscene promises about the user's data (README), tried as a careless or unlucky user
would: mixed batches, damaged frames, two writers, killed coordinators, stuck recipes, the
user's own files in the folder, broken inputs. Frames are 32 px, 1 sample, raster unless a
Cycles behaviour is the point; the rendered batches are shared per module and copied."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from labels.native import MANIFEST, latest_records, read_manifest
from labels.validate import validate_dataset
from renderer.batch import BatchConfig, frame_name, frame_seed, run_batch
from renderer.cli import main
from renderer.errors import UserError

FAST = dict(engine="raster", resolution=(32, 32), samples=1, workers=0)
FAST_ARGS = ["--engine", "raster", "--resolution", "32x32", "--samples", "1", "--quiet"]

HANGING_RECIPE = '''
import os, time
from scenes import (AssetSpec, CameraSpec, LightSpec, ObjectSpec, Param, SceneSpec, Uniform,
                    recipe)


@recipe(params={"hang_value": Param(-1.0, low=-1.0, high=1.0)})
def ball(rng, params):
    """One ball; sleeps $HANG seconds (a stuck recipe) when the first draw matches."""
    if rng.random() == params.hang_value:
        time.sleep(float(os.environ.get("HANG", "0")))
    x = Uniform(-0.5, 0.5).sample(rng)
    ball = ObjectSpec(name="ball", asset=AssetSpec("primitive", "sphere"), category="sphere",
                      position=(x, 0.0, 0.3), scale=(0.3, 0.3, 0.3))
    return SceneSpec(resolution=(32, 32), objects=[ball],
                     lights=[LightSpec(kind="sun", name="sun", position=(0, 0, 3),
                                       look_at=(0, 0, 0), intensity=2.0)],
                     camera=CameraSpec(position=(0.0, -3.0, 1.0), look_at=(0.0, 0.0, 0.3)))
'''


def synthscene(*args: str, timeout: int = 300, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "renderer.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **(env or {})},
    )


def ok_lines(out: Path) -> Counter:
    return Counter(r["frame"] for r in read_manifest(out) if r["status"] == "ok")


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    """Batch A (clevr, seed 0, frames 0-2) and batch B (seed 1, frame 1 only)."""
    root = tmp_path_factory.mktemp("integrity")
    a = BatchConfig(recipe="clevr", out=root / "a", count=3, seed=0, **FAST)
    b = BatchConfig(recipe="clevr", out=root / "b", count=3, seed=1, frames=(1,), **FAST)
    assert run_batch(a).done == 3 and run_batch(b).done == 1
    return a, b


def copy_of(config: BatchConfig, tmp_path: Path) -> BatchConfig:
    out = tmp_path / config.out.name
    shutil.copytree(config.out, out)
    return BatchConfig(**{**config.__dict__, "out": out})


def transplant(frame: str, source: Path, target: Path) -> None:
    """Put ``source``'s frame into ``target`` the way mixing two batches in one folder did."""
    for relative in ("data/{}.png", "labels/{}.npz", "labels/{}.json", "specs/{}.json"):
        shutil.copy(source / relative.format(frame), target / relative.format(frame))
    line = next(r for r in read_manifest(source) if r["frame"] == frame)
    with open(target / MANIFEST, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(line) + "\n")


# 1. identity -------------------------------------------------------------------------------
@pytest.mark.parametrize("keep_batch_json", [True, False])
def test_a_rerun_with_other_content_arguments_is_refused_with_or_without_batch_json(
    batches, tmp_path, keep_batch_json
):
    a = copy_of(batches[0], tmp_path)
    if not keep_batch_json:
        (a.out / "batch.json").unlink()
    manifest = (a.out / MANIFEST).read_bytes()
    for change in (
        {"seed": 1},
        {"recipe": "hello"},
        {"resolution": (48, 48)},
        {"overrides": (("objects.max", "3"),)},
    ):
        with pytest.raises(UserError, match="holds a different batch"):
            run_batch(BatchConfig(**{**a.__dict__, **change}))
    assert (a.out / MANIFEST).read_bytes() == manifest
    if not keep_batch_json:  # nothing rewrote it to claim another batch
        assert not (a.out / "batch.json").exists()
        assert run_batch(a).already_done == 3  # rebuilt from the manifest, same batch resumes
        assert json.loads((a.out / "batch.json").read_text())["seed"] == 0


def test_a_frame_of_another_batch_is_flagged_refused_and_repaired(batches, tmp_path, capsys):
    a, b = copy_of(batches[0], tmp_path), batches[1]
    transplant("000001", b.out, a.out)  # what an older synthscene let a rerun do
    report = validate_dataset(a.out)
    assert not report.ok and "belongs to another batch" in " ".join(report.problems["000001"])
    assert "seed 1 (batch: 0)" in " ".join(report.problems["000001"])
    assert main(["validate", str(a.out)]) == 1
    with pytest.raises(UserError, match="not of this batch.*synthscene repair"):
        run_batch(a)
    assert main(["repair", str(a.out), "--workers", "0", "--quiet"]) == 0
    assert "re-rendering 1 flagged frames: 1" in capsys.readouterr().out
    assert validate_dataset(a.out).ok
    fresh = json.loads((batches[0].out / "labels" / "000001.json").read_text())["provenance"]
    repaired = json.loads((a.out / "labels" / "000001.json").read_text())["provenance"]
    assert repaired["seed"] == fresh["seed"] == frame_seed(0, 1)


# 2. resume verifies what it skips; repair ----------------------------------------------------
def test_truncated_files_and_incomplete_manifest_lines_are_rendered_again(batches, tmp_path):
    a = copy_of(batches[0], tmp_path)
    image = a.out / "data" / "000001.png"
    image.write_bytes(image.read_bytes()[:100])
    record = latest_records(a.out)["000002"]
    del record["sha256"]  # a line that lacks fields
    with open(a.out / MANIFEST, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
    assert not validate_dataset(a.out).ok
    summary = run_batch(a)
    assert summary.done == 2 and summary.already_done == 1
    assert validate_dataset(a.out).ok
    assert image.read_bytes() == (batches[0].out / "data" / "000001.png").read_bytes()


def test_repair_rerenders_what_validate_flags(batches, tmp_path):
    a = copy_of(batches[0], tmp_path)
    npz = a.out / "labels" / "000000.npz"
    npz.write_bytes(npz.read_bytes()[:200])
    assert main(["validate", str(a.out)]) == 1
    assert main(["repair", str(a.out), "--workers", "0", "--quiet"]) == 0
    assert validate_dataset(a.out).ok
    assert npz.read_bytes() == (batches[0].out / "labels" / "000000.npz").read_bytes()


# 3. one writer per folder --------------------------------------------------------------------
def test_a_second_render_into_a_locked_folder_is_refused_naming_the_holder(batches, tmp_path):
    from renderer.batch.folder import FolderLock  # pylint: disable=import-outside-toplevel

    a = copy_of(batches[0], tmp_path)
    with FolderLock(a.out):  # a coordinator rendering into it (this process)
        refused = synthscene("render", "clevr", "--count", "4", "--out", str(a.out), *FAST_ARGS)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert f"PID {os.getpid()}" in refused.stderr and "being written" in refused.stderr
    assert len(read_manifest(a.out)) == 3


def test_two_concurrent_renders_one_refused_one_manifest_line_per_frame(tmp_path):
    out = tmp_path / "both"
    args = [
        sys.executable,
        "-m",
        "renderer.cli",
        "render",
        "clevr",
        "--count",
        "4",
        "--out",
        str(out),
        "--workers",
        "0",
        *FAST_ARGS,
    ]
    runs = [subprocess.Popen(args, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(run.wait(timeout=300), run.stderr.read()) for run in runs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 1], results
    assert "being written by another synthscene" in next(err for code, err in results if code)
    assert ok_lines(out) == Counter({frame_name(i): 1 for i in range(4)})


# 4. workers die with their coordinator -------------------------------------------------------
def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (via /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, stack = set(), [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.add(child)
            stack.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    living = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            living.add(pid)
    return living


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal: Linux")
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_workers_die_with_their_coordinator_and_a_rerun_completes(tmp_path, how):
    recipe_file = tmp_path / "hanging.py"
    recipe_file.write_text(HANGING_RECIPE)
    hang_value = np.random.default_rng(frame_seed(0, 1)).random()
    out = tmp_path / "batch"
    args = [
        "render",
        f"{recipe_file}:ball",
        "--count",
        "3",
        "--out",
        str(out),
        "--workers",
        "2",
        "--set",
        f"hang_value={hang_value!r}",
        *FAST_ARGS,
    ]
    coordinator = subprocess.Popen(
        [sys.executable, "-m", "renderer.cli", *args],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "HANG": "120"},
    )
    deadline = time.monotonic() + 120
    while not ok_lines(out) and time.monotonic() < deadline:
        time.sleep(0.1)  # frame 0 done: the workers are up, one sleeps in frame 1
    workers = descendants(coordinator.pid)
    assert workers and ok_lines(out)
    coordinator.send_signal(how)
    code = coordinator.wait(timeout=60)
    time.sleep(2.0)
    assert alive(workers) == set()
    if how == signal.SIGTERM:
        stderr = coordinator.stderr.read()
        assert code == 128 + signal.SIGTERM and "Traceback" not in stderr
        assert "rerun the same command to continue" in stderr
    rerun = synthscene(*args)
    assert rerun.returncode == 0, rerun.stderr
    assert ok_lines(out) == Counter({frame_name(i): 1 for i in range(3)})
    assert validate_dataset(out).ok


# 5. nothing hangs silently -------------------------------------------------------------------
def test_a_stuck_recipe_becomes_a_failed_frame_by_the_time_limit(tmp_path):
    recipe_file = tmp_path / "hanging.py"
    recipe_file.write_text(HANGING_RECIPE)
    hang_value = np.random.default_rng(frame_seed(0, 1)).random()
    out = tmp_path / "batch"
    started = time.monotonic()
    done = synthscene(
        "render",
        f"{recipe_file}:ball",
        "--count",
        "2",
        "--out",
        str(out),
        "--workers",
        "1",
        "--retries",
        "0",
        "--frame-timeout",
        "10",
        "--set",
        f"hang_value={hang_value!r}",
        *FAST_ARGS,
        env={"HANG": "600"},
        timeout=200,
    )
    assert time.monotonic() - started < 120
    assert done.returncode == 1 and "Traceback" not in done.stderr
    records = latest_records(out)
    assert records["000001"]["status"] == "failed"
    assert "time limit of 10 s" in records["000001"]["error"]
    assert "--frame-timeout" in records["000001"]["error"]
    assert records["000000"]["status"] == "ok"


def test_resolution_obeys_the_recipe_limits_like_set_resolution(tmp_path, capsys):
    messages = []
    for flags in (["--resolution", "100000x100000"], ["--set", "resolution=100000"]):
        assert (
            main(
                [
                    "render",
                    "clevr",
                    "--count",
                    "1",
                    "--out",
                    str(tmp_path / "x"),
                    "--workers",
                    "0",
                    *flags,
                ]
            )
            == 2
        )
        messages.append(capsys.readouterr().err.strip())
    assert messages[0] == messages[1] and "out of range [16, 4096]" in messages[0]
    assert not (tmp_path / "x" / MANIFEST).exists()


def test_more_workers_than_frames_or_cores_warns_and_is_capped(caplog):
    from renderer.batch.runner import pool_size  # pylint: disable=import-outside-toplevel

    config = BatchConfig(recipe="clevr", out=Path("unused"), count=2, workers=64)
    assert pool_size(config, pending=2) == 2
    assert pool_size(config, pending=1000) == os.cpu_count()
    assert "--workers 64 capped at 2" in caplog.text


# 6. the user's files are theirs --------------------------------------------------------------
def test_user_files_refuse_the_folder_and_survive_force(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    (out / ".draft.txt.tmp-1-deadbeef").write_text("my temporary file")
    user_coco = json.dumps({"info": {"description": "my own labels"}, "images": []})
    (out / "coco.json").write_text(user_coco)
    render = ["render", "clevr", "--count", "2", "--out", str(out), "--workers", "0", *FAST_ARGS]
    assert main(render) == 2
    refused = capsys.readouterr().err
    assert "notes.txt" in refused and "coco.json" in refused
    assert "--force" in refused and not (out / MANIFEST).exists()
    ours = out / "data" / ".000000.png.tmp-1-deadbeef"
    ours.parent.mkdir()
    ours.write_bytes(b"left by a crash")
    assert main([*render, "--force"]) == 0
    assert (out / "notes.txt").read_text() == "my notes"
    assert (out / ".draft.txt.tmp-1-deadbeef").read_text() == "my temporary file"
    assert (out / "coco.json").read_text() == user_coco  # never overwritten
    assert not ours.exists()  # our own leftover is cleaned
    assert len(ok_lines(out)) == 2


# 7. inputs that render garbage are refused up front ------------------------------------------
def test_corrupt_or_truncated_inputs_are_refused_naming_the_file(tmp_path, batches):
    import trimesh  # pylint: disable=import-outside-toplevel
    from assets.errors import AssetError  # pylint: disable=import-outside-toplevel
    from assets.hdri import folder_hdris  # pylint: disable=import-outside-toplevel
    from assets.meshes import load_mesh_file, scan_mesh_folder  # pylint: disable=import-outside-toplevel
    from assets.textures import folder_images  # pylint: disable=import-outside-toplevel
    from assets.hdri import blender_hdris  # pylint: disable=import-outside-toplevel

    images = tmp_path / "images"
    images.mkdir()
    shutil.copy(batches[0].out / "data" / "000000.png", images / "good.png")
    assert folder_images(images) == [images / "good.png"]
    (images / "broken.png").write_bytes((images / "good.png").read_bytes()[:150])
    with pytest.raises(AssetError, match="broken.png is corrupt or truncated"):
        folder_images(images)
    hdris = tmp_path / "hdris"
    hdris.mkdir()
    whole = blender_hdris()[0].path.read_bytes()
    (hdris / "cut.exr").write_bytes(whole[: len(whole) // 2])  # valid header, half the pixels
    with pytest.raises(AssetError, match="cut.exr is corrupt or truncated"):
        folder_hdris(hdris)
    flat = tmp_path / "flat.stl"
    trimesh.Trimesh([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], [[0, 1, 2], [0, 2, 3]]).export(
        flat
    )
    with pytest.raises(AssetError, match="flat.stl is flat"):
        load_mesh_file(flat)
    meshes = tmp_path / "meshes"
    meshes.mkdir()
    trimesh.creation.box().export(meshes / "mug.stl")
    with pytest.raises(AssetError, match="directly in it.*mug.stl.*sub-folder per class"):
        scan_mesh_folder(meshes)


def test_a_corrupt_texture_image_stops_the_render_naming_it(tmp_path, batches, capsys):
    images = tmp_path / "backgrounds"
    images.mkdir()
    (images / "broken.png").write_bytes((batches[0].out / "data" / "000000.png").read_bytes()[:150])
    assert (
        main(
            [
                "render",
                "tabletop",
                "--count",
                "2",
                "--out",
                str(tmp_path / "b"),
                "--set",
                f"textures.folder={images}",
                "--workers",
                "0",
                *FAST_ARGS,
            ]
        )
        == 2
    )
    assert "broken.png is corrupt or truncated" in capsys.readouterr().err
    assert not (tmp_path / "b" / MANIFEST).exists()


def test_gpu_requested_without_a_gpu_stops_the_batch_at_once(tmp_path):
    if shutil.which("nvidia-smi"):
        pytest.skip("this machine has a GPU")
    done = synthscene(
        "render",
        "hello",
        "--count",
        "3",
        "--out",
        str(tmp_path / "g"),
        "--device",
        "gpu",
        "--workers",
        "1",
        "--resolution",
        "32x32",
        "--samples",
        "1",
        "--quiet",
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "no OptiX or CUDA GPU" in done.stderr and "stopped early" in done.stderr
    assert not read_manifest(tmp_path / "g")  # no frame tried again and again, none recorded


def test_validate_flags_a_frame_drawn_with_a_broken_image(tmp_path, batches, monkeypatch):
    """A magenta 'missing image' frame (as an older synthscene rendered them) fails validate."""
    import assets.textures  # pylint: disable=import-outside-toplevel

    images = tmp_path / "backgrounds"
    images.mkdir()
    (images / "broken.png").write_bytes((batches[0].out / "data" / "000000.png").read_bytes()[:150])
    monkeypatch.setattr(assets.textures, "check_images", lambda paths, where: None)
    out = tmp_path / "magenta"
    config = BatchConfig(
        recipe="tabletop",
        out=out,
        count=1,
        resolution=(32, 32),
        samples=1,
        workers=0,
        overrides=(("textures.folder", str(images)),),
    )
    assert run_batch(config).done == 1
    monkeypatch.undo()
    report = validate_dataset(out)
    assert not report.ok
    assert "broken.png is corrupt or truncated" in " ".join(report.problems["000000"])
    assert "magenta" in " ".join(report.problems["000000"])
