"""Procedural prints: labels, mug prints, can wraps and box art drawn with OpenCV from a seed.

``print_image(style, seed, aspect)`` returns an (H, W, 4) uint8 RGBA image (sRGB, straight
alpha; alpha 0 lets the material colour show through). Width / height = ``aspect`` (the
circumference over the height of the band it wraps, so the print is not stretched); ``u`` = 0..1
runs left to right around the object, ``v`` = 0..1 bottom to top (image row 0 is the top).

Styles: ``label`` (bottle/jar label: paper colour, bands, a logo, lines of text), ``wrap`` (a can
or box: saturated colours, big logo, bold text, all covered), ``mug`` (transparent background
with one or two motifs: logo, text, dots or stripes). Same arguments -> same pixels (OpenCV's
drawing is deterministic). Generated, hence CC0; text is random letters.
"""

from __future__ import annotations

import colorsys
import hashlib
import math
import os
from pathlib import Path

import cv2
import numpy as np

from assets.meshes import write_cache_file

STYLES = ("label", "wrap", "mug")
HEIGHT = 256
MAX_WIDTH = 2048
VERSION = 2  # bump when the drawing changes (cached files are keyed by it)
FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
)
LETTERS = "ABCDEFGHIJKLMNOPRSTUVWYZ"


def print_image(style: str, seed: int, aspect: float) -> np.ndarray:
    """The RGBA print (see module docstring); ValueError for an unknown style."""
    if style not in STYLES:
        raise ValueError(f"print style {style!r} unknown; use one of {', '.join(STYLES)}")
    rng = np.random.default_rng(seed)
    width = int(np.clip(round(HEIGHT * aspect / 8) * 8, 64, MAX_WIDTH))
    image = np.zeros((HEIGHT, width, 4), np.uint8)
    palette = _palette(rng, saturated=style == "wrap")
    if style == "mug":
        _draw_mug(rng, image, palette)
    else:
        _draw_label(rng, image, palette, bold=style == "wrap")
    return image


def print_file(folder: str | Path, style: str, seed: int, aspect: float) -> Path:
    """``print_image`` written once as a PNG under ``folder`` (named by its arguments)."""
    digest = hashlib.sha256(f"{VERSION}:{style}:{seed}:{aspect:.4f}".encode()).hexdigest()[:20]
    path = Path(folder) / f"print_{digest}.png"
    if not path.exists():
        bgra = cv2.cvtColor(print_image(style, seed, aspect), cv2.COLOR_RGBA2BGRA)
        ok, encoded = cv2.imencode(".png", bgra)
        if not ok:
            raise RuntimeError(f"OpenCV could not encode the print for {path}")
        write_cache_file(path, encoded.tobytes())
    else:
        os.utime(path)  # recently used: the cache prunes it last
    return path


def _palette(rng, saturated: bool) -> list[tuple[int, int, int, int]]:
    """Five RGBA colours: a background, two accents, a dark ink, a light ink."""
    hue = rng.uniform()
    background = (
        _rgb(hue, rng.uniform(0.6, 1.0), rng.uniform(0.5, 0.95))
        if saturated or rng.uniform() < 0.5
        else _rgb(hue, rng.uniform(0.0, 0.2), rng.uniform(0.85, 1))
    )
    accent = _rgb((hue + rng.uniform(0.25, 0.75)) % 1, rng.uniform(0.6, 1), rng.uniform(0.5, 1))
    second = _rgb((hue + rng.uniform(0.1, 0.9)) % 1, rng.uniform(0.4, 1), rng.uniform(0.3, 0.9))
    dark = _rgb(rng.uniform(), rng.uniform(0, 0.6), rng.uniform(0.05, 0.25))
    light = _rgb(rng.uniform(), rng.uniform(0, 0.15), rng.uniform(0.9, 1.0))
    return [background, accent, second, dark, light]


def _rgb(h, s, v) -> tuple[int, int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(h, s, v)
    return (int(r * 255), int(g * 255), int(b * 255), 255)


def _draw_label(rng, image: np.ndarray, palette: list, bold: bool) -> None:
    """Full-coverage label: background, horizontal bands, logos, text lines, maybe a barcode."""
    height, width = image.shape[:2]
    background, accent, second, dark, light = palette
    image[:] = background
    for _ in range(int(rng.integers(1, 4))):  # bands
        top = int(rng.uniform(0, height))
        thick = int(rng.uniform(0.03, 0.25 if bold else 0.15) * height)
        cv2.rectangle(
            image, (0, top), (width, top + thick), accent if rng.uniform() < 0.6 else second, -1
        )
    faces = max(1, int(round(width / (height * 1.3))))  # logos repeat around wide wraps
    ink = dark if sum(background[:3]) > 380 else light
    for face in range(min(faces, 3)):
        centre_x = int((face + 0.5) * width / min(faces, 3) + rng.uniform(-0.1, 0.1) * height)
        centre_y = int(rng.uniform(0.3, 0.55) * height)
        size = int(rng.uniform(0.12, 0.3 if bold else 0.22) * height)
        _logo(rng, image, (centre_x, centre_y), size, accent if rng.uniform() < 0.5 else second)
        _text(
            rng,
            image,
            (centre_x, int(centre_y + size + 0.12 * height)),
            ink,
            scale=rng.uniform(0.9, 1.8) if bold else rng.uniform(0.6, 1.2),
            words=1,
        )
        for line in range(int(rng.integers(1, 4))):
            _text(
                rng,
                image,
                (centre_x, int(centre_y + size + (0.22 + 0.08 * line) * height)),
                ink,
                scale=rng.uniform(0.3, 0.45),
                words=int(rng.integers(2, 5)),
            )
    if not bold and rng.uniform() < 0.6:
        _barcode(rng, image, ink)


def _draw_mug(rng, image: np.ndarray, palette: list) -> None:
    """Transparent print with one or two motifs (logo + text, dots, stripes)."""
    height, width = image.shape[:2]
    _, accent, second, dark, _ = palette
    motif = rng.choice(["logo", "dots", "stripes", "text"])
    if motif == "dots":
        spacing = int(rng.uniform(0.08, 0.2) * height)
        radius = max(2, int(spacing * rng.uniform(0.15, 0.4)))
        for row, y in enumerate(range(spacing // 2, height, spacing)):
            for x in range((row % 2) * spacing // 2, width, spacing):
                cv2.circle(image, (x, y), radius, accent, -1, cv2.LINE_AA)
    elif motif == "stripes":
        spacing = int(rng.uniform(0.08, 0.25) * height)
        for y in range(0, height, spacing):
            cv2.rectangle(image, (0, y), (width, y + spacing // 2), accent, -1)
    for face in range(1 if rng.uniform() < 0.5 else 2):
        centre = (int((0.25 + 0.5 * face) * width), int(rng.uniform(0.35, 0.55) * height))
        if motif in ("logo", "text") or rng.uniform() < 0.4:
            size = int(rng.uniform(0.15, 0.3) * height)
            _logo(rng, image, centre, size, second)
            _text(
                rng,
                image,
                (centre[0], centre[1] + size + int(0.15 * height)),
                dark,
                scale=rng.uniform(0.7, 1.4),
                words=int(rng.integers(1, 3)),
            )


def _logo(rng, image, centre, size: int, colour) -> None:
    """A logo: circle, ellipse, star, polygon or diamond, sometimes with a ring around it."""
    kind = rng.choice(["circle", "ellipse", "star", "polygon", "diamond"])
    x, y = centre
    if kind == "circle":
        cv2.circle(image, centre, size, colour, -1, cv2.LINE_AA)
    elif kind == "ellipse":
        cv2.ellipse(
            image,
            centre,
            (size, int(size * rng.uniform(0.4, 0.8))),
            0,
            0,
            360,
            colour,
            -1,
            cv2.LINE_AA,
        )
    else:
        corners = {
            "star": int(rng.integers(5, 8)),
            "polygon": int(rng.integers(3, 9)),
            "diamond": 4,
        }[kind]
        points = []
        for k in range(corners * (2 if kind == "star" else 1)):
            radius = size * (0.45 if kind == "star" and k % 2 else 1.0)
            angle = k * math.pi / corners * (1 if kind == "star" else 2) - math.pi / 2
            points.append((x + radius * math.cos(angle), y + radius * math.sin(angle)))
        cv2.fillPoly(image, [np.round(points).astype(np.int32)], colour, cv2.LINE_AA)
    if rng.uniform() < 0.4:
        cv2.circle(image, centre, int(size * 1.25), colour, max(2, size // 10), cv2.LINE_AA)


def _text(rng, image, centre, colour, scale: float, words: int) -> None:
    """Random capital words centred at ``centre`` (OpenCV Hershey fonts)."""
    text = " ".join(
        "".join(LETTERS[int(i)] for i in rng.integers(0, len(LETTERS), int(rng.integers(3, 8))))
        for _ in range(words)
    )
    font = FONTS[int(rng.integers(len(FONTS)))]
    scale *= image.shape[0] / 256
    thickness = max(1, int(round(scale * 2)))
    (width, height), _ = cv2.getTextSize(text, font, scale, thickness)
    origin = (int(centre[0] - width / 2), int(centre[1] + height / 2))
    cv2.putText(image, text, origin, font, scale, colour, thickness, cv2.LINE_AA)


def _barcode(rng, image, colour) -> None:
    height, width = image.shape[:2]
    x = int(rng.uniform(0.05, 0.9) * width)
    y0, y1 = int(0.72 * height), int(0.9 * height)
    cv2.rectangle(image, (x - 4, y0 - 4), (x + 64, y1 + 4), (255, 255, 255, 255), -1)
    for offset in range(0, 60, 2):
        if rng.uniform() < 0.55:
            cv2.line(image, (x + offset, y0), (x + offset, y1), colour, 1)
