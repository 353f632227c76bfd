"""Ray: a two-node cluster on loopback renders the same batch as local workers, byte for byte."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from labels.native import latest_records

ray = pytest.importorskip("ray")
RAY = str(Path(sys.executable).with_name("ray"))
HEAD, WORKER, PORT = "127.0.0.2", "127.0.0.3", "6391"  # loopback only


def ray_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [RAY, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "RAY_AUTH_MODE": "disabled"},
    )


@pytest.fixture
def loopback_cluster():
    ray_cli("stop", "--force")
    head = ray_cli(
        "start",
        "--head",
        f"--port={PORT}",
        f"--node-ip-address={HEAD}",
        "--num-cpus=1",
        "--include-dashboard=false",
        "--disable-usage-stats",
    )
    assert head.returncode == 0, head.stderr
    node = ray_cli(
        "start",
        f"--address={HEAD}:{PORT}",
        f"--node-ip-address={WORKER}",
        "--num-cpus=1",
        "--disable-usage-stats",
    )
    assert node.returncode == 0, node.stderr
    try:
        yield f"{HEAD}:{PORT}"
    finally:
        ray_cli("stop", "--force")


def render(out: Path, *extra: str) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "renderer.cli",
            "render",
            "tabletop",
            "--count",
            "6",
            "--out",
            str(out),
            "--workers",
            "2",
            "--resolution",
            "40x40",
            "--samples",
            "2",
            "--quiet",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "RAY_AUTH_MODE": "disabled"},
    )
    assert done.returncode == 0, done.stderr


def test_ray_cluster_batch_equals_local_batch(loopback_cluster, tmp_path):
    on_ray, local = tmp_path / "ray", tmp_path / "local"
    render(on_ray, "--ray-address", loopback_cluster)
    render(local)
    assert latest_records(on_ray) == latest_records(local)  # same manifest records and sums
    for folder in ("labels", "specs", "data"):
        names = sorted(p.name for p in (local / folder).iterdir())
        assert names == sorted(p.name for p in (on_ray / folder).iterdir())
        for name in names:
            assert (local / folder / name).read_bytes() == (on_ray / folder / name).read_bytes()
    shutil.rmtree(on_ray / ".scratch", ignore_errors=True)
