"""Build ``datacluster_voc`` from OlYVER1337/Object-detection- (DataCluster Labs "Bottles and
Cup" phone photos, Roboflow export, CC BY 4.0).

Usage: build_datacluster_voc.py MIRROR OUTDIR

The repository holds the 89 photos as a Roboflow "YOLOv5 oriented" export: ``{train,valid,
test}/images/*.jpg`` with ``labels/`` or ``labelTxt/*.txt`` lines ``x1 y1 x2 y2 x3 y3 x4 y4
class difficult`` (pixel corners of axis-aligned boxes). Written as COCO (``annotations.json``,
categories ``bottle`` and ``cup``), box = corners' extent.

Orientation: 71 photos are stored landscape and one square (``-78-``) with no EXIF tag, while
their boxes are drawn on the upright portrait photo (many reach past the stored photo's
bottom edge). Their pixels are turned 90 degrees clockwise (overlays checked: boxes land on
the bottles and cups; counter-clockwise does not), written without EXIF; boxes are unchanged.
"""

from pathlib import Path

from _common import CocoWriter, first_copy, image_size, parse_args, report, upright_cw

SQUARE_SIDEWAYS = ("Datacluster-Bottles-and-Cups-78-_jpg",)


def main() -> None:
    mirror, out, seen = parse_args(__doc__)
    coco, notes, counts = CocoWriter(), [], {"bottle": 0, "cup": 0, "turned": 0}
    (out / "images").mkdir()
    photos = {Path(p).stem: p for p in mirror.files("", (".jpg",)) if "/images/" in p}
    labels = [p for p in mirror.files("", (".txt",)) if "/labels/" in p or "/labelTxt/" in p]
    for label in labels:
        stem = Path(label).stem
        data = mirror.read(photos[stem])
        if data is None or not first_copy(data, seen):
            continue
        target = out / "images" / f"{stem}.jpg"
        target.write_bytes(data)
        width, height = image_size(data)
        if width > height or stem.startswith(SQUARE_SIDEWAYS):
            upright_cw(target, target)
            width, height = height, width
            counts["turned"] += 1
        image_id = coco.add_image(f"images/{target.name}", width, height)
        for line in (mirror.text(label) or "").splitlines():
            values = line.split()
            if not values:
                continue
            xs, ys = [float(v) for v in values[0:8:2]], [float(v) for v in values[1:8:2]]
            coco.add_box(image_id, values[8], min(xs), min(ys), max(xs), max(ys))
            counts[values[8]] += 1
    coco.write(out / "annotations.json")
    report(out.name, mirror, counts, notes)


if __name__ == "__main__":
    main()
