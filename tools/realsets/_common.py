"""Shared helpers for the ``build_<folder>.py`` scripts: reading a bare git mirror, writing
COCO json, deduplicating photos by content hash and turning sideways photos upright.

No photos live here; every script reads them from a bare mirror (``git --git-dir MIRROR``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

from PIL import Image

CATEGORIES = ("bottle", "cup", "ecocup")


class Mirror:
    """Read-only view of ``HEAD`` of a bare git repository (no work tree).

    Some mirrors lack a few large blobs; :meth:`read` returns None for those and
    :attr:`missing` lists their paths, so the caller can report them.
    """

    def __init__(self, git_dir: str | Path):
        self.git_dir = str(git_dir)
        self.missing: list[str] = []
        self._batch = subprocess.Popen(
            ["git", "--git-dir", self.git_dir, "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self._blobs: dict[str, str] = {}
        listing = subprocess.run(
            ["git", "--git-dir", self.git_dir, "ls-tree", "-r", "-z", "HEAD"],
            check=True,
            capture_output=True,
        ).stdout.decode("utf-8")
        for entry in filter(None, listing.split("\0")):
            meta, path = entry.split("\t", 1)
            mode, kind, sha = meta.split()
            if kind == "blob" and mode != "120000":  # skip symlinks
                self._blobs[path] = sha

    def files(self, prefix: str = "", suffixes: tuple[str, ...] = ()) -> list[str]:
        """Sorted paths under ``prefix`` whose lower-cased name ends with one of ``suffixes``."""
        return sorted(
            path
            for path in self._blobs
            if path.startswith(prefix) and (not suffixes or path.lower().endswith(suffixes))
        )

    def has(self, path: str) -> bool:
        return path in self._blobs

    def read(self, path: str) -> bytes | None:
        """The file's bytes, None when the mirror lacks the blob (recorded in ``missing``)."""
        assert self._batch.stdin is not None and self._batch.stdout is not None
        self._batch.stdin.write(self._blobs[path].encode() + b"\n")
        self._batch.stdin.flush()
        header = self._batch.stdout.readline().split()
        if header[-1] == b"missing":
            self.missing.append(path)
            return None
        data = self._batch.stdout.read(int(header[2]))
        self._batch.stdout.read(1)  # the newline after the object
        return data

    def text(self, path: str) -> str | None:
        data = self.read(path)
        return None if data is None else data.decode("utf-8-sig")


def fresh_dir(path: str | Path) -> Path:
    """An empty folder at ``path`` (removed first if present)."""
    out = Path(path)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    return out


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def first_copy(data: bytes, seen: set[str]) -> bool:
    """True the first time these bytes are met (their sha1 is then added to ``seen``); False
    for a byte-identical copy of a photo kept before."""
    digest = sha1(data)
    if digest in seen:
        return False
    seen.add(digest)
    return True


def upright_cw(src: Path, dst: Path) -> None:
    """Write ``src`` turned 90 degrees clockwise to ``dst`` (JPEG q95, no EXIF)."""
    with Image.open(src) as image:
        turned = image.transpose(Image.Transpose.ROTATE_270)  # PIL's ROTATE_270 = 90 deg CW
        turned.save(dst, quality=95, subsampling=0)


class CocoWriter:
    """Collects images and ``xyxy`` pixel-edge boxes and writes one COCO instances json."""

    def __init__(self) -> None:
        self.images: list[dict] = []
        self.annotations: list[dict] = []
        self.names: list[str] = []

    def add_image(self, file_name: str, width: int, height: int) -> int:
        image_id = len(self.images) + 1
        self.images.append(
            {"id": image_id, "file_name": file_name, "width": width, "height": height}
        )
        return image_id

    def add_box(self, image_id: int, name: str, x0: float, y0: float, x1: float, y1: float) -> None:
        if name not in self.names:
            self.names.append(name)
        self.annotations.append(
            {
                "id": len(self.annotations) + 1,
                "image_id": image_id,
                "category_id": self.names.index(name) + 1,
                "bbox": [x0, y0, x1 - x0, y1 - y0],
                "area": (x1 - x0) * (y1 - y0),
                "iscrowd": 0,
            }
        )

    def write(self, path: Path) -> None:
        categories = [{"id": i + 1, "name": name} for i, name in enumerate(self.names)]
        data = {"images": self.images, "annotations": self.annotations, "categories": categories}
        path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def report(name: str, mirror: Mirror, counts: dict[str, int], notes: list[str]) -> None:
    """One summary line per folder on stdout; skipped blobs and notes on stderr."""
    print(f"{name}: " + ", ".join(f"{key} {value}" for key, value in sorted(counts.items())))
    for path in mirror.missing:
        print(f"  {name}: mirror lacks {path} (skipped)", file=sys.stderr)
    for note in notes:
        print(f"  {name}: {note}", file=sys.stderr)


def parse_args(doc: str, extra_exclude: bool = False) -> tuple[Mirror, Path, set[str]]:
    """``MIRROR OUTDIR [--exclude FOLDER ...]`` -> (mirror, fresh output folder, sha1s to skip).

    ``--exclude`` names folders built before (e.g. another ecocup set): photos byte-identical to
    any photo in them are left out, so the development set holds each photo once.
    """
    import argparse  # pylint: disable=import-outside-toplevel

    parser = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    parser.add_argument("mirror", help="bare git mirror of the source repository")
    parser.add_argument("outdir", help="output folder (replaced)")
    if extra_exclude:
        parser.add_argument("--exclude", nargs="*", default=[], help="folders built before")
    args = parser.parse_args()
    seen: set[str] = set()
    for folder in getattr(args, "exclude", []):
        for path in Path(folder).rglob("*"):
            if path.is_file() and path.suffix.lower() in (".jpg", ".jpeg", ".png"):
                seen.add(sha1(path.read_bytes()))
    return Mirror(args.mirror), fresh_dir(args.outdir), seen


def image_size(data: bytes) -> tuple[int, int]:
    """Stored (width, height) of an encoded photo, from its header."""
    import io  # pylint: disable=import-outside-toplevel

    with Image.open(io.BytesIO(data)) as image:
        return image.size


def sy32_to_coco(
    mirror: Mirror,
    out: Path,
    image_dir: str,
    label_dir: str,
    seen: set[str],
    turn_cw: frozenset[str] = frozenset(),
) -> tuple[dict[str, int], list[str]]:
    """Convert a UTC SY32 ecocup repository (``labels_csv/<stem>.csv`` beside ``images/pos``)
    to ``out/images/*`` + ``out/annotations.json`` with category ``ecocup``.

    Each CSV line is ``i,j,h,l,difficult``: top-left row (y), column (x), height and width in
    pixels (the annotation tool's NumPy order); ``difficult`` (0/1, a partly hidden cup) is
    ignored. Negative photos have no CSV and are not copied. Photos whose sha1 is in ``seen``
    are skipped (and new ones added). Zero-size boxes (mis-clicks) are dropped. Stems in
    ``turn_cw`` are photos stored sideways whose boxes fit the upright frame: their pixels are
    turned 90 degrees clockwise, the boxes are kept as they are.
    """
    coco, notes = CocoWriter(), []
    counts = {"ecocup": 0, "images": 0}
    (out / "images").mkdir()
    photos = {Path(p).stem: p for p in mirror.files(image_dir, (".jpg", ".jpeg", ".png"))}
    for label in mirror.files(label_dir, (".csv",)):
        stem = Path(label).stem
        if stem not in photos:
            notes.append(f"{label} has no photo (skipped)")
            continue
        data = mirror.read(photos[stem])
        if data is None:
            continue
        if not first_copy(data, seen):
            notes.append(f"{photos[stem]} duplicates a photo kept before (skipped)")
            continue
        rows = [line.split(",") for line in (mirror.text(label) or "").split() if line.strip()]
        boxes = []
        for row in rows:
            top, left, height, width = (float(value) for value in row[:4])
            if height <= 0 or width <= 0:
                notes.append(f"{label}: zero-size box {row} dropped")
                continue
            boxes.append((left, top, left + width, top + height))
        if not boxes:
            continue
        target = out / "images" / Path(photos[stem]).name
        target.write_bytes(data)
        width, height = image_size(data)
        if stem in turn_cw:
            upright_cw(target, target)
            width, height = height, width
            notes.append(f"{photos[stem]} turned 90 degrees clockwise (stored sideways)")
        image_id = coco.add_image(f"images/{target.name}", width, height)
        for box in boxes:
            coco.add_box(image_id, "ecocup", *box)
        counts["ecocup"] += len(boxes)
        counts["images"] += 1
    coco.write(out / "annotations.json")
    return counts, notes
