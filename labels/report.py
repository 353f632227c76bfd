"""``synthscene report``: one self-contained HTML page to look at a dataset before training on it.

The page (images embedded as base64 PNG, charts as inline SVG, no scripts, no network) holds:

* a grid of frames: the image with visible masks blended in and an SVG layer of boxes and class
  names (in image pixel coordinates, so they sit exactly on the pixels), plus depth and normal
  previews;
* label charts: class counts, box width/height/aspect ratio, visible fraction, truncation,
  objects per image;
* the distribution of every parameter that varies across the specs (``specs/<frame>.json``),
  pooled over objects and lights, and a table of those that stay fixed;
* on refined datasets, the refinement gate scores; and the batch's provenance.

>>> result = build_report("data/tabletop")            # writes data/tabletop/report.html
>>> print(result.summary_text)
"""

from __future__ import annotations

import base64
import colorsys
import dataclasses
import json
from html import escape
from pathlib import Path
from typing import Optional, Sequence, Union

import cv2
import numpy as np

from fileio.atomic import write_bytes_atomic
from fileio.images import encode_png
from labels.native import FrameReadError, read_frame_arrays, read_frame_json, read_image
from labels.report_stats import DatasetStats, collect_stats
from labels.report_svg import bar_chart, histogram

PathLike = Union[str, Path]
MASK_OPACITY = 0.45
_IDENTIFIER_SUFFIXES = (".name", "material.name")
_KEPT_NAMES = ("asset.name", "hdri.name")


@dataclasses.dataclass
class ReportResult:
    """What :func:`build_report` wrote."""

    path: Path
    stats: DatasetStats
    frames_shown: list[str]
    plots: int
    summary_text: str


def build_report(
    dataset: PathLike, out: Optional[PathLike] = None, *, max_frames: int = 24
) -> ReportResult:
    """Write the HTML report of a batch folder (default ``DIR/report.html``) atomically.

    Raises ValueError when ``dataset`` holds no readable frame (the message names the folder).
    """
    dataset = Path(dataset)
    if not (dataset / "manifest.jsonl").is_file():
        raise ValueError(
            f"{dataset} is not a batch folder (no manifest.jsonl); give the folder "
            "'synthscene render --out' wrote"
        )
    stats = collect_stats(dataset)
    if not stats.frames:
        raise ValueError(
            f"{dataset} holds no readable frame (failed: {len(stats.failed)}, "
            f"unreadable: {len(stats.unreadable)}); render some frames first"
        )
    out = Path(out) if out else dataset / "report.html"
    shown = pick_frames(stats.frames, max_frames)
    label_plots = label_charts(stats)
    parameter_plots = parameter_charts(stats)
    summary = summary_text(stats)
    page = _page(dataset, stats, shown, label_plots, parameter_plots, summary)
    write_bytes_atomic(out, page.encode("utf-8"))
    return ReportResult(
        path=out,
        stats=stats,
        frames_shown=shown,
        plots=len(label_plots) + len(parameter_plots),
        summary_text=summary,
    )


def pick_frames(frames: Sequence[str], count: int) -> list[str]:
    """Up to ``count`` frames spread evenly over the dataset (first and last included)."""
    if count <= 0:
        return []
    if len(frames) <= count:
        return list(frames)
    positions = np.linspace(0, len(frames) - 1, count).round().astype(int)
    return [frames[i] for i in sorted(set(positions.tolist()))]


def summary_text(stats: DatasetStats) -> str:
    """A few lines describing the dataset (printed by the CLI, shown at the top of the page)."""
    instances = len(stats.box_widths)
    lines = [
        f"{stats.dataset}: {len(stats.frames)} frames ({len(stats.failed)} failed, "
        f"{len(stats.unreadable)} unreadable), {instances} visible instances of "
        f"{len(stats.class_counts)} classes, sizes {_counter_text(stats.image_sizes)}"
    ]
    if instances:
        lines.append(
            f"objects per image {np.mean(stats.objects_per_image):.2f} (min "
            f"{min(stats.objects_per_image)}, max {max(stats.objects_per_image)}); box size median "
            f"{np.median(stats.box_widths):.1f}x{np.median(stats.box_heights):.1f} px; "
            f"visible fraction mean {np.mean(stats.visible_fractions):.2f}; "
            f"{np.mean(stats.truncated_flags) * 100:.0f}% truncated; "
            f"{stats.invisible_instances} fully hidden instances (not annotated)"
        )
        lines.append(
            "classes: "
            + ", ".join(f"{name} {count}" for name, count in stats.class_counts.most_common())
        )
    if stats.framing_realised:
        lines.append(framing_text(stats))
    randomized = stats.randomized_parameters()
    lines.append(
        f"parameters: {len(randomized)} randomized, {len(stats.fixed_parameters())} "
        f"fixed, from {stats.frames_with_spec}/{len(stats.frames)} frame specs"
    )
    if stats.refined:
        lines.append(
            f"refined: {stats.refined_accepted}/{len(stats.gate_scores)} frames passed "
            f"the gate, score mean {np.mean(stats.gate_scores):.3f}"
        )
    for name, reason in list(stats.unreadable.items())[:5]:
        lines.append(f"unreadable frame {name}: {reason}")
    return "\n".join(lines)


def framing_text(stats: DatasetStats) -> str:
    """One line: requested vs realised target sizes of framed frames."""
    requested = np.asarray(stats.framing_requested)
    realised = np.asarray(stats.framing_realised)
    ranges = ", ".join(f"{low:g}-{high:g}" for (low, high), _ in stats.framing_ranges.most_common())
    inside = (
        np.mean(
            [
                any(low * 0.95 <= value <= high * 1.05 for low, high in stats.framing_ranges)
                for value in realised
            ]
        )
        * 100
    )
    error = np.abs(realised / requested - 1)
    return (
        f"framing: {len(realised)} framed targets, requested size {ranges} of the frame side; "
        f"realised median {np.median(realised):.3f}, {inside:.0f}% inside the requested range "
        f"(+-5%), median relative error {np.median(error) * 100:.2f}%"
    )


def label_charts(stats: DatasetStats) -> list[str]:
    """SVG charts of the label statistics."""
    names = sorted(stats.class_counts)
    charts = [
        bar_chart(names, [stats.class_counts[n] for n in names], "class counts", max_bars=16),
        histogram(stats.box_widths, "box width", unit=" px"),
        histogram(stats.box_heights, "box height", unit=" px"),
        histogram(
            np.log2(np.asarray(stats.aspect_ratios, dtype=float)) if stats.aspect_ratios else [],
            "box aspect ratio, log2(w/h)",
        ),
        histogram(stats.visible_fractions, "visible fraction", value_range=(0.0, 1.0)),
        histogram(stats.truncation, "truncated share of extent", value_range=(0.0, 1.0)),
        histogram(
            stats.objects_per_image,
            "objects per image",
            bins=max(1, min(20, max(stats.objects_per_image, default=0) + 1)),
        ),
    ]
    if stats.framing_realised:
        top = max(max(stats.framing_requested), max(stats.framing_realised), 1.0)
        charts += [
            histogram(
                stats.framing_requested, "framing: requested target size", value_range=(0.0, top)
            ),
            histogram(
                stats.framing_realised, "framing: realised target size", value_range=(0.0, top)
            ),
            histogram(
                stats.object_sizes,
                "box size, all objects (fraction of frame)",
                value_range=(0.0, top),
            ),
        ]
    if stats.refined:
        charts.append(histogram(stats.gate_scores, "refinement gate score"))
    return charts


def parameter_charts(stats: DatasetStats) -> list[str]:
    """One chart per randomized spec parameter: histogram if numeric, bar chart otherwise."""
    charts = []
    for key, values in stats.randomized_parameters().items():
        if key.endswith(_IDENTIFIER_SUFFIXES) and not key.endswith(_KEPT_NAMES):
            continue  # object/light names identify, they are not sampled
        present = [v for v in values if v is not None]
        if present and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in present
        ):
            charts.append(histogram(present, key))
        else:
            labels = [json.dumps(v) if not isinstance(v, str) else v for v in values]
            distinct = sorted(set(labels))
            charts.append(bar_chart(distinct, [labels.count(v) for v in distinct], key))
    return charts


def category_colour(category_id: int) -> tuple[int, int, int]:
    """A distinct, stable RGB colour per category id (golden-ratio hues)."""
    hue = (category_id * 0.618033988749895) % 1.0
    red, green, blue = colorsys.hsv_to_rgb(hue, 0.85, 1.0)
    return int(red * 255), int(green * 255), int(blue * 255)


def overlay_image(image: np.ndarray, instance_map: np.ndarray, instances: list[dict]) -> np.ndarray:
    """The image with each visible mask blended in its category colour (uint8 RGB)."""
    result = image.astype(np.float32)
    for item in instances:
        mask = instance_map == item["instance_id"]
        if mask.any():
            colour = np.array(category_colour(int(item["category_id"])), dtype=np.float32)
            result[mask] = (1 - MASK_OPACITY) * result[mask] + MASK_OPACITY * colour
    return result.round().clip(0, 255).astype(np.uint8)


def depth_preview(depth: np.ndarray) -> tuple[np.ndarray, str]:
    """Depth as a TURBO colour map (near = red, far = blue, background black) and its range."""
    finite = np.isfinite(depth)
    preview = np.zeros(depth.shape + (3,), dtype=np.uint8)
    if not finite.any():
        return preview, "no depth"
    near, far = float(depth[finite].min()), float(depth[finite].max())
    scaled = np.zeros(depth.shape, dtype=np.uint8)
    scaled[finite] = (255 * (far - depth[finite]) / max(far - near, 1e-9)).round().astype(np.uint8)
    coloured = cv2.cvtColor(cv2.applyColorMap(scaled, cv2.COLORMAP_TURBO), cv2.COLOR_BGR2RGB)
    preview[finite] = coloured[finite]
    return preview, f"depth {near:.2f}-{far:.2f} m"


def normals_preview(normals: np.ndarray) -> np.ndarray:
    """Camera-frame unit normals as RGB = (n + 1) / 2; background (zero normal) black."""
    preview = ((normals + 1.0) * 127.5).round().clip(0, 255).astype(np.uint8)
    preview[np.abs(normals).sum(axis=-1) == 0] = 0
    return preview


def png_data_uri(image: np.ndarray) -> str:
    """``data:image/png;base64,...`` of an RGB uint8 image."""
    return "data:image/png;base64," + base64.b64encode(encode_png(image)).decode("ascii")


def frame_figure(dataset: Path, name: str) -> str:
    """The HTML figure of one frame (overlay + SVG boxes, depth, normals), or an error note."""
    try:
        labels = read_frame_json(dataset, name)
        arrays = read_frame_arrays(dataset, name)
        image = read_image(dataset, name)
    except FrameReadError as error:
        return f'<figure class="frame broken" data-frame="{escape(name)}">{escape(str(error))}</figure>'
    visible = [item for item in labels["instances"] if item.get("visible_pixels") and item["box"]]
    height, width = arrays["instance"].shape
    overlay = overlay_image(image[:height, :width], arrays["instance"], visible)
    depth, depth_range = depth_preview(arrays["depth"])
    font = max(width, height) / 20
    boxes = "".join(_box_svg(item, font) for item in visible)
    return (
        f'<figure class="frame" data-frame="{escape(name)}" data-instances="{len(visible)}">'
        f'<div class="overlay"><img class="rgb" alt="frame {escape(name)}" '
        f'src="{png_data_uri(overlay)}"><svg class="boxes" viewBox="0 0 {width} {height}" '
        f'preserveAspectRatio="none">{boxes}</svg></div>'
        f'<div class="previews"><img class="depth" title="{escape(depth_range)}" '
        f'src="{png_data_uri(depth)}"><img class="normals" title="camera-frame normals" '
        f'src="{png_data_uri(normals_preview(arrays["normals"]))}"></div>'
        f"<figcaption>{escape(name)} &middot; {len(visible)} objects &middot; "
        f"{escape(depth_range)}</figcaption></figure>"
    )


def _box_svg(item: dict, font: float) -> str:
    x0, y0, x1, y1 = item["box"]
    red, green, blue = category_colour(int(item["category_id"]))
    colour = f"rgb({red},{green},{blue})"
    label_y = y0 - font * 0.2 if y0 > font else y1 + font * 0.9
    return (
        f'<rect class="box" data-category="{escape(item["category"])}" x="{x0}" y="{y0}" '
        f'width="{x1 - x0}" height="{y1 - y0}" fill="none" stroke="{colour}" '
        f'stroke-width="{font / 8:.2f}"/>'
        f'<text class="label" x="{x0}" y="{label_y:.2f}" font-size="{font:.2f}" '
        f'fill="{colour}" stroke="black" stroke-width="{font / 12:.2f}" paint-order="stroke" '
        f'font-family="sans-serif">{escape(item["category"])}</text>'
    )


_STYLE = """
body{font-family:sans-serif;margin:16px;color:#222;background:#fafafa}
h1{font-size:20px}h2{font-size:16px;border-bottom:1px solid #ccc;padding-bottom:4px}
pre.summary{background:#fff;border:1px solid #ddd;padding:8px;white-space:pre-wrap}
.grid{display:flex;flex-wrap:wrap;gap:10px}
figure.frame{margin:0;background:#fff;border:1px solid #ddd;padding:6px;width:264px}
.overlay{position:relative;width:264px;height:264px}
.overlay img,.overlay svg{position:absolute;left:0;top:0;width:100%;height:100%}
.overlay img,.previews img{image-rendering:pixelated}
.previews{display:flex;gap:4px;margin-top:4px}.previews img{width:130px;height:130px}
figcaption{font-size:11px;color:#555;margin-top:2px}
.plots{display:flex;flex-wrap:wrap;gap:8px}
svg.plot{background:#fff;border:1px solid #ddd}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}
"""


def _page(
    dataset: Path,
    stats: DatasetStats,
    shown: list[str],
    label_plots: list[str],
    parameter_plots: list[str],
    summary: str,
) -> str:
    figures = "".join(frame_figure(dataset, name) for name in shown)
    fixed = "".join(
        f"<tr><td>{escape(key)}</td><td>{escape(json.dumps(value))}</td></tr>"
        for key, value in stats.fixed_parameters().items()
    )
    refined = (
        f'<section id="refinement"><h2>Refinement</h2><p>{stats.refined_accepted} of '
        f"{len(stats.gate_scores)} refined frames passed the label-consistency gate.</p>"
        f"</section>"
        if stats.refined
        else ""
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>synthscene report: {escape(dataset.name)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>synthscene report: {escape(str(dataset))}</h1>"
        f'<section id="summary"><pre class="summary">{escape(summary)}</pre></section>'
        f'<section id="frames"><h2>Frames ({len(shown)} of {len(stats.frames)}): masks, boxes and '
        f'classes; depth (near red, far blue) and normals</h2><div class="grid">{figures}</div>'
        f'</section><section id="labels"><h2>Labels</h2><div class="plots">'
        f"{''.join(label_plots)}</div></section>"
        f'<section id="parameters"><h2>Randomized parameters ({len(parameter_plots)} charts, '
        f'pooled over objects and lights)</h2><div class="plots">{"".join(parameter_plots)}</div>'
        f"<details><summary>Fixed parameters</summary><table>{fixed}</table></details></section>"
        f"{refined}{_provenance_section(dataset)}</body></html>"
    )


def _provenance_section(dataset: Path) -> str:
    batch = dataset / "batch.json"
    try:
        identity = json.loads(batch.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    rows = "".join(
        f"<tr><td>{escape(str(key))}</td><td>{escape(json.dumps(value))}</td></tr>"
        for key, value in identity.items()
    )
    return f'<section id="provenance"><h2>Batch</h2><table>{rows}</table></section>'


def _counter_text(counter) -> str:
    return ", ".join(f"{key} ({count})" for key, count in counter.most_common()) or "none"
