"""Batch rendering: resume after SIGKILL, crashing frames, determinism, bad output folders."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from pycocotools.coco import COCO

from labels.native import latest_records, read_manifest, verify_dataset
from renderer.batch import BatchConfig, frame_name, frame_seed, run_batch
from renderer.errors import UserError

SMALL = ["--resolution", "32x32", "--samples", "2", "--quiet"]

CRASHING_RECIPE = '''
import os, signal
from scenes import (AssetSpec, CameraSpec, LightSpec, ObjectSpec, Param, SceneSpec, Uniform,
                    recipe)


@recipe(params={"crash_value": Param(-1.0, low=-1.0, high=1.0)})
def ball(rng, params):
    """One ball; the process dies (SIGSEGV, like a Blender crash) when the first draw matches."""
    if rng.random() == params.crash_value:
        os.kill(os.getpid(), signal.SIGSEGV)
    x = Uniform(-0.5, 0.5).sample(rng)
    ball = ObjectSpec(name="ball", asset=AssetSpec("primitive", "sphere"), category="sphere",
                      position=(x, 0.0, 0.3), scale=(0.3, 0.3, 0.3))
    return SceneSpec(resolution=(32, 32), objects=[ball],
                     lights=[LightSpec(kind="sun", name="sun", position=(0, 0, 3),
                                       look_at=(0, 0, 0), intensity=2.0)],
                     camera=CameraSpec(position=(0.0, -3.0, 1.0), look_at=(0.0, 0.0, 0.3)))
'''


def synthscene(*args: str, timeout: int = 300, **popen) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "renderer.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **popen,
    )


def ok_frames(out: Path) -> list[str]:
    return sorted(n for n, r in latest_records(out).items() if r["status"] == "ok")


def assert_complete_and_clean(out: Path, count: int) -> None:
    assert ok_frames(out) == [frame_name(i) for i in range(count)]
    assert verify_dataset(out) == {}  # every manifest checksum matches its file
    ok_lines = Counter(r["frame"] for r in read_manifest(out) if r["status"] == "ok")
    assert set(ok_lines.values()) == {1}  # no frame recorded twice
    leftovers = [p for p in out.rglob(".*.tmp-*") if ".scratch" not in p.parts]
    assert leftovers == []
    for folder, suffix in (("data", ".png"), ("specs", ".json")):
        assert sorted(p.stem for p in (out / folder).iterdir()) == ok_frames(out), folder
        assert all(p.suffix == suffix for p in (out / folder).iterdir())
    coco = COCO(str(out / "coco.json"))
    assert len(coco.getImgIds()) == count


def test_sigkill_at_a_random_moment_then_rerun_completes_the_batch(tmp_path, rng):
    out = tmp_path / "batch"
    args = ["render", "clevr", "--count", "30", "--out", str(out), "--workers", "2", *SMALL]
    process = subprocess.Popen(
        [sys.executable, "-m", "renderer.cli", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    wanted = rng.randint(1, 5)  # kill once this many frames are finished (seed printed)
    while time.monotonic() < deadline and len(ok_frames(out)) < wanted and process.poll() is None:
        time.sleep(0.05)
    time.sleep(rng.uniform(0.0, 0.3))
    os.killpg(process.pid, signal.SIGKILL)  # the coordinator and every worker
    process.wait()
    killed_with = len(ok_frames(out))
    assert killed_with < 30, "the batch finished before it could be killed; use more frames"
    rerun = synthscene(*args)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{killed_with} already done" in rerun.stderr
    assert_complete_and_clean(out, 30)


def test_a_frame_that_crashes_its_worker_is_recorded_failed_and_the_rest_render(tmp_path):
    recipe_file = tmp_path / "crashing.py"
    recipe_file.write_text(CRASHING_RECIPE)
    crash_value = np.random.default_rng(frame_seed(0, 2)).random()
    out = tmp_path / "batch"
    done = synthscene(
        "render",
        f"{recipe_file}:ball",
        "--count",
        "5",
        "--out",
        str(out),
        "--workers",
        "2",
        "--retries",
        "1",
        "--set",
        f"crash_value={crash_value!r}",
        *SMALL,
    )
    assert done.returncode == 1  # some frame failed
    records = latest_records(out)
    assert records["000002"]["status"] == "failed"
    assert "signal 11" in records["000002"]["error"] and "2 attempts" in records["000002"]["error"]
    assert ok_frames(out) == ["000000", "000001", "000003", "000004"]
    assert verify_dataset(out) == {}
    assert "failed 000002" in done.stderr


def test_two_runs_with_the_same_arguments_write_identical_files(tmp_path):
    outs = [tmp_path / "a", tmp_path / "b"]
    for out, workers in zip(outs, (0, 2)):
        summary = run_batch(
            BatchConfig(
                recipe="tabletop",
                out=out,
                count=5,
                seed=7,
                resolution=(40, 32),
                samples=2,
                workers=workers,
            )
        )
        assert summary.done == 5 and not summary.failed
    for folder in ("labels", "data", "specs"):
        files = sorted(p.name for p in (outs[0] / folder).iterdir())
        assert files == sorted(p.name for p in (outs[1] / folder).iterdir())
        for name in files:
            assert (outs[0] / folder / name).read_bytes() == (
                outs[1] / folder / name
            ).read_bytes(), f"{folder}/{name}"


def test_rerun_skips_finished_frames_and_extends_the_batch(tmp_path):
    config = BatchConfig(
        recipe="hello", out=tmp_path, count=2, resolution=(32, 32), samples=1, workers=0
    )
    assert run_batch(config).done == 2
    again = run_batch(config)
    assert again.done == 0 and again.already_done == 2
    longer = run_batch(BatchConfig(**{**config.__dict__, "count": 3}))
    assert longer.done == 1 and ok_frames(tmp_path) == ["000000", "000001", "000002"]


def test_frame_seeds_are_deterministic_and_distinct():
    seeds = [frame_seed(5, i) for i in range(1000)]
    assert seeds == [frame_seed(5, i) for i in range(1000)]
    assert len(set(seeds)) == 1000 and frame_seed(6, 0) != frame_seed(5, 0)


def test_output_folder_of_another_batch_is_refused_and_kept(tmp_path):
    run_batch(
        BatchConfig(
            recipe="hello", out=tmp_path, count=1, resolution=(32, 32), samples=1, workers=0
        )
    )
    before = (tmp_path / "manifest.jsonl").read_bytes()
    with pytest.raises(
        UserError, match="holds a different batch.*recipe .clevr. asked, .hello. in the folder"
    ):
        run_batch(BatchConfig(recipe="clevr", out=tmp_path, count=1, workers=0))
    assert (tmp_path / "manifest.jsonl").read_bytes() == before


def test_unwritable_output_folder_is_one_clear_message(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    done = synthscene("render", "hello", "--count", "1", "--out", str(blocker / "out"), *SMALL)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert (
        "cannot write to output folder" in done.stderr and "choose a writable --out" in done.stderr
    )


def test_disk_full_stops_the_batch_and_keeps_finished_frames(tmp_path, monkeypatch):
    import labels.native

    real_write = labels.native.write_frame
    calls = Counter()

    def write_until_full(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(*args, **kwargs)

    monkeypatch.setattr(labels.native, "write_frame", write_until_full)
    config = BatchConfig(
        recipe="hello", out=tmp_path, count=5, resolution=(32, 32), samples=1, workers=0
    )
    summary = run_batch(config)
    assert summary.stopped and "No space left on device" in summary.stopped
    assert ok_frames(tmp_path) == ["000000", "000001"] and verify_dataset(tmp_path) == {}
    monkeypatch.setattr(labels.native, "write_frame", real_write)  # space freed
    assert run_batch(config).done == 3
    assert_complete_and_clean(tmp_path, 5)


def test_unknown_recipe_and_bad_parameter_fail_before_rendering(tmp_path):
    unknown = synthscene("render", "no_such_recipe", "--count", "1", "--out", str(tmp_path), *SMALL)
    assert unknown.returncode == 2 and "no_such_recipe" in unknown.stderr
    assert "hello" in unknown.stderr  # lists the known recipes
    bad = synthscene(
        "render",
        "tabletop",
        "--count",
        "1",
        "--out",
        str(tmp_path / "b"),
        "--set",
        "no_such_param=1",
        *SMALL,
    )
    assert bad.returncode == 2 and "no_such_param" in bad.stderr
    assert not (tmp_path / "manifest.jsonl").exists()


def test_log_json_records_every_frame(tmp_path):
    log = tmp_path / "log.jsonl"
    done = synthscene(
        "render",
        "hello",
        "--count",
        "2",
        "--out",
        str(tmp_path / "b"),
        "--workers",
        "0",
        "--log-json",
        str(log),
        *SMALL,
    )
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["event"] for e in events] == ["start", "frame", "frame", "summary"]
    assert events[-1]["done"] == 2


def test_recycled_workers_give_back_queued_frames(tmp_path):
    summary = run_batch(
        BatchConfig(
            recipe="clevr",
            out=tmp_path,
            count=7,
            resolution=(32, 32),
            samples=1,
            workers=2,
            recycle_after=2,
        )
    )
    assert summary.done == 7 and not summary.failed and summary.retried == 0
    assert_complete_and_clean(tmp_path, 7)


def test_workers_exit_by_themselves_when_the_batch_ends(tmp_path):
    """A worker told to stop exits cleanly, with no kill (the coordinator kills a worker only
    after waiting 30 s; a Blender render handler left registered once made every exit hang)."""
    from renderer.batch.pools import ProcessPool  # pylint: disable=import-outside-toplevel

    pool = ProcessPool(
        BatchConfig(
            recipe="clevr", out=tmp_path, count=2, resolution=(32, 32), samples=1, workers=1
        ),
        size=1,
    )
    (worker,) = pool.workers.values()
    for index in range(2):
        pool.submit(index)
    done, deadline = [], time.monotonic() + 120
    while len(done) < 2 and time.monotonic() < deadline:
        done += [e for e in pool.poll(1.0) if e.kind == "done"]
    assert sorted(e.index for e in done) == [0, 1]
    pool.close()
    assert worker.process.exitcode == 0  # -9 when it had to be killed


def test_render_gate_holds_helper_work_until_a_render_starts():
    import concurrent.futures  # pylint: disable=import-outside-toplevel
    from renderer.batch.render_gate import RenderGate  # pylint: disable=import-outside-toplevel

    gate = RenderGate(enabled=True)
    ran = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as helper:
        future = helper.submit(gate.gated(ran.append), "prepared")
        time.sleep(0.2)
        assert ran == [] and not future.done()  # held while the gate is closed
        gate.open()  # what the render-start handler does
        future.result(timeout=5)
        assert ran == ["prepared"]
        gate.close()
        waited_for = helper.submit(gate.gated(ran.append), "written")
        assert gate.result(waited_for) is None and gate.is_open()  # waiting opens it: no deadlock
    assert ran == ["prepared", "written"]
    assert RenderGate(enabled=False).is_open()  # backends without a render event: always open


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_cycles_helper_threads_run_at_the_lowest_priority_and_the_main_thread_keeps_its_own():
    import threading  # pylint: disable=import-outside-toplevel
    from renderer.batch.worker import HELPER_NICENESS, _helper_thread  # pylint: disable=import-outside-toplevel

    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = niceness()
    with (
        _helper_thread(low_priority=True) as cycles_helper,
        _helper_thread(low_priority=False) as raster_helper,
    ):
        assert cycles_helper.submit(niceness).result() == HELPER_NICENESS == 19
        assert raster_helper.submit(niceness).result() == before
    assert niceness() == before
