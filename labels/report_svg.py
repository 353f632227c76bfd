"""Small inline SVG charts for the dataset report: histograms and bar charts, no plotting library.

Every chart is an ``<svg class="plot" data-kind=...>`` element sized in CSS pixels, with a title,
axis ticks at the extremes and a ``<title>`` tooltip per bar giving its exact range and count.
"""

from __future__ import annotations

from html import escape
from typing import Sequence

import numpy as np

WIDTH, HEIGHT = 260, 150
_MARGIN_LEFT, _MARGIN_RIGHT, _MARGIN_TOP, _MARGIN_BOTTOM = 34, 8, 22, 30
_BAR_COLOUR = "#3b7dd8"


def histogram(
    values: Sequence[float],
    title: str,
    *,
    bins: int = 20,
    value_range: tuple[float, float] | None = None,
    unit: str = "",
) -> str:
    """A histogram of finite ``values`` (others are ignored) as an SVG element string."""
    data = np.asarray([v for v in values if v is not None], dtype=np.float64)
    data = data[np.isfinite(data)]
    if data.size == 0:
        return _empty(title, "histogram")
    low, high = value_range if value_range else (float(data.min()), float(data.max()))
    if high <= low:
        low, high = low - 0.5, high + 0.5
    counts, edges = np.histogram(data, bins=bins, range=(low, high))
    tips = [f"{edges[i]:.4g} to {edges[i + 1]:.4g}{unit}: {counts[i]}" for i in range(bins)]
    x_labels = (_number(low) + unit, _number(high) + unit)
    return _bars(
        title,
        "histogram",
        counts.tolist(),
        tips,
        x_labels,
        gap=0.0,
        subtitle=f"n={data.size}  mean={data.mean():.3g}{unit}",
    )


def bar_chart(
    labels: Sequence[str], counts: Sequence[int], title: str, *, max_bars: int = 12
) -> str:
    """Counts per label (largest first beyond ``max_bars``: the rest summed as "other")."""
    pairs = list(zip(labels, counts))
    if not pairs:
        return _empty(title, "bars")
    if len(pairs) > max_bars:
        pairs.sort(key=lambda pair: -pair[1])
        pairs = pairs[: max_bars - 1] + [("other", sum(c for _, c in pairs[max_bars - 1 :]))]
    names = [str(name) for name, _ in pairs]
    values = [int(count) for _, count in pairs]
    tips = [f"{name}: {count}" for name, count in zip(names, values)]
    return _bars(
        title,
        "bars",
        values,
        tips,
        None,
        gap=0.15,
        bar_names=names,
        subtitle=f"total={sum(values)}",
    )


def _bars(
    title: str,
    kind: str,
    counts: list[int],
    tips: list[str],
    x_labels: tuple[str, str] | None,
    *,
    gap: float,
    subtitle: str = "",
    bar_names: list[str] | None = None,
) -> str:
    width = max(WIDTH, _MARGIN_LEFT + _MARGIN_RIGHT + 44 * len(counts)) if bar_names else WIDTH
    plot_w = width - _MARGIN_LEFT - _MARGIN_RIGHT
    plot_h = HEIGHT - _MARGIN_TOP - _MARGIN_BOTTOM
    top = max(max(counts), 1)
    step = plot_w / len(counts)
    parts = [
        _open(kind, title, width),
        _text(4, 13, title, weight="bold"),
        _text(width - 4, 13, subtitle, anchor="end", size=9, fill="#555"),
    ]
    for index, (count, tip) in enumerate(zip(counts, tips)):
        height = plot_h * count / top
        x = _MARGIN_LEFT + index * step + step * gap / 2
        y = _MARGIN_TOP + plot_h - height
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{step * (1 - gap):.1f}" '
            f'height="{height:.1f}" fill="{_BAR_COLOUR}"><title>{escape(tip)}</title></rect>'
        )
        if bar_names:
            label = bar_names[index][:8]
            parts.append(
                _text(
                    x + step * (1 - gap) / 2,
                    HEIGHT - _MARGIN_BOTTOM + 11,
                    label,
                    anchor="middle",
                    size=8,
                )
            )
    axis_y = _MARGIN_TOP + plot_h
    parts.append(
        f'<line x1="{_MARGIN_LEFT}" y1="{axis_y}" x2="{width - _MARGIN_RIGHT}" '
        f'y2="{axis_y}" stroke="#333"/>'
    )
    parts.append(_text(_MARGIN_LEFT - 3, _MARGIN_TOP + 8, str(top), anchor="end", size=9))
    parts.append(_text(_MARGIN_LEFT - 3, axis_y, "0", anchor="end", size=9))
    if x_labels:
        parts.append(_text(_MARGIN_LEFT, axis_y + 12, x_labels[0], size=9))
        parts.append(_text(width - _MARGIN_RIGHT, axis_y + 12, x_labels[1], anchor="end", size=9))
    parts.append("</svg>")
    return "".join(parts)


def _empty(title: str, kind: str) -> str:
    return (
        _open(kind, title)
        + _text(4, 13, title, weight="bold")
        + _text(WIDTH / 2, HEIGHT / 2, "no data", anchor="middle", fill="#888")
        + "</svg>"
    )


def _open(kind: str, title: str, width: int = WIDTH) -> str:
    return (
        f'<svg class="plot" data-kind="{kind}" data-title="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" width="{width}" height="{HEIGHT}" '
        f'viewBox="0 0 {width} {HEIGHT}">'
    )


def _text(
    x: float,
    y: float,
    text: str,
    *,
    anchor: str = "start",
    size: int = 11,
    weight: str = "normal",
    fill: str = "#222",
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" font-weight="{weight}" '
        f'text-anchor="{anchor}" fill="{fill}" font-family="sans-serif">{escape(text)}</text>'
    )


def _number(value: float) -> str:
    return f"{value:.3g}"
