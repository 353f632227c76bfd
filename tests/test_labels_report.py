"""synthscene report: the HTML page's overlays and charts match the labels; it renders in
headless Chromium; refined datasets (no specs, gate scores in the manifest) work too."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import cv2
import numpy as np
import pytest

from labels.native import latest_records, read_frame_json
from labels.report import build_report
from labels.report_stats import collect_stats, truncation_share
from cli_support import copy_batch, run_cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PLOT_BLUE = (59, 125, 216)  # labels.report_svg bar colour #3b7dd8


@pytest.fixture
def batch(raster_batch):
    return raster_batch  # the session's shared batch (tests/conftest.py)


def _figures(html: str) -> dict[str, str]:
    parts = re.findall(r'<figure class="frame" data-frame="([^"]+)".*?</figure>', html, re.S)
    bodies = re.findall(r'(<figure class="frame" data-frame="[^"]+".*?</figure>)', html, re.S)
    return dict(zip(parts, bodies))


def test_report_overlays_match_labels_and_every_chart_is_there(batch, tmp_path):
    result = build_report(batch, tmp_path / "report.html", max_frames=6)
    html = result.path.read_text(encoding="utf-8")
    figures = _figures(html)
    assert list(figures) == result.frames_shown and len(figures) == 6
    assert result.frames_shown[0] == "000000" and result.frames_shown[-1] == "000023"
    for name, body in figures.items():
        visible = [
            item for item in read_frame_json(batch, name)["instances"] if item["visible_pixels"]
        ]
        rects = re.findall(
            r'<rect class="box" data-category="([^"]+)" x="(\d+)" y="(\d+)" '
            r'width="(\d+)" height="(\d+)"',
            body,
        )
        expected = sorted(
            (
                item["category"],
                item["box"][0],
                item["box"][1],
                item["box"][2] - item["box"][0],
                item["box"][3] - item["box"][1],
            )
            for item in visible
        )
        assert sorted((c, int(x), int(y), int(w), int(h)) for c, x, y, w, h in rects) == expected
        assert body.count('class="label"') == len(visible)
        for kind in ("rgb", "depth", "normals"):
            assert re.search(rf'<img class="{kind}"[^>]*src="data:image/png;base64,', body)
    titles = re.findall(r'<svg class="plot" data-kind="\w+" data-title="([^"]+)"', html)
    for title in (
        "class counts",
        "box width",
        "box height",
        "box aspect ratio, log2(w/h)",
        "visible fraction",
        "truncated share of extent",
        "objects per image",
    ):
        assert title in titles
    randomized = collect_stats(batch).randomized_parameters()
    for key in (
        "camera.focal_length",
        "objects.*.material.roughness",
        "world.hdri.name",
        "objects.*.asset.name",
    ):
        assert key in randomized and key in titles
    assert result.plots == len(titles) >= 7 + 30


def test_class_count_chart_sums_to_the_annotations(batch, tmp_path):
    html = build_report(batch, tmp_path / "r.html", max_frames=1).path.read_text()
    chart = re.search(
        r'<svg class="plot" data-kind="bars" data-title="class counts".*?</svg>', html, re.S
    ).group(0)
    counts = {name: int(n) for name, n in re.findall(r"<title>([\w ]+): (\d+)</title>", chart)}
    coco = json.loads((batch / "coco.json").read_text())
    names = {cat["id"]: cat["name"] for cat in coco["categories"]}
    expected: dict[str, int] = {}
    for annotation in coco["annotations"]:
        expected[names[annotation["category_id"]]] = (
            expected.get(names[annotation["category_id"]], 0) + 1
        )
    assert counts == expected


def test_truncation_share_is_the_area_outside_the_image():
    assert truncation_share([10, 10, 20, 20], 64, 64) == 0.0
    assert truncation_share([-10, 0, 10, 10], 64, 64) == pytest.approx(0.5)
    assert truncation_share([60, 60, 68, 68], 64, 64) == pytest.approx(0.75)
    assert truncation_share(None, 64, 64) == 1.0


def test_report_of_a_refined_dataset_shows_gate_scores(batch, tmp_path):
    """A refined folder has no specs/ and manifest lines with a ``refinement`` record."""
    refined = copy_batch(batch, tmp_path / "refined")
    shutil.rmtree(refined / "specs")
    lines = []
    for index, record in enumerate(latest_records(refined).values()):
        record["refinement"] = {
            "accepted": index % 4 != 0,
            "strength_used": 0.3,
            "gate": {"score": 0.9 - 0.01 * index},
        }
        lines.append(json.dumps(record))
    (refined / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    result = build_report(refined)
    html = result.path.read_text()
    assert result.stats.refined_accepted == 18 and len(result.stats.gate_scores) == 24
    assert 'data-title="refinement gate score"' in html and 'id="refinement"' in html
    assert "refined: 18/24 frames passed the gate" in result.summary_text
    assert "from 0/24 frame specs" in result.summary_text
    assert len(_figures(html)) == 24


def test_report_cli_prints_a_summary_and_names_a_bad_folder(batch, tmp_path):
    out = tmp_path / "page.html"
    done = run_cli("report", batch, "--out", out, "--max-frames", "3")
    assert done.returncode == 0, done.stderr
    assert "24 frames (0 failed, 0 unreadable)" in done.stdout and out.is_file()
    missing = run_cli("report", tmp_path / "nowhere")
    assert missing.returncode == 2 and "nowhere" in missing.stderr


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_report_renders_in_headless_chromium(batch, tmp_path):
    page = build_report(batch, tmp_path / "report.html", max_frames=4).path
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1200,1400",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=60,
        check=False,
    )
    image = cv2.imread(str(shot), cv2.IMREAD_COLOR)
    assert image is not None, "chromium wrote no screenshot"
    rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB).astype(np.int32)
    assert rgb.std() > 20  # not a blank page
    blue = np.all(np.abs(rgb - PLOT_BLUE) <= 2, axis=-1).sum()
    assert blue > 2000  # the histogram bars were drawn
    # the frame images were decoded: a figure area holds many distinct colours
    frame_area = rgb[60:500, :1200].reshape(-1, 3)
    assert len(np.unique(frame_area, axis=0)) > 500
