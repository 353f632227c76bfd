"""Build ``coco128_lightly`` from lightly-ai/coco128_yolo (first 128 COCO train2017 and 128
val2017 photos, YOLO boxes, COCO licence: CC BY 4.0 labels, Flickr photo licences).

Usage: build_coco128_lightly.py MIRROR OUTDIR

Reads ``object_detection/labels/{train2017,val2017}/*.txt`` (contiguous 0-79 class ids; names
from ``object_detection/config.yaml``) and ``images/{train2017,val2017}/*.jpg``. Keeps the
photos holding a ``bottle`` (39) or ``cup`` (41) box, with only those label lines, copied
verbatim, in a YOLO folder with a two-name ``data.yaml`` (class ids renumbered 39 -> 0, 41 -> 1;
coordinates untouched). Two label files (train2017 656, 659) have no photo in the repository.
"""

from pathlib import Path

import yaml

from _common import first_copy, parse_args, report

KEEP = ("bottle", "cup")


def main() -> None:
    mirror, out, seen = parse_args(__doc__)
    names = yaml.safe_load(mirror.text("object_detection/config.yaml") or "")["names"]
    index = {int(key): KEEP.index(name) for key, name in names.items() if name in KEEP}
    counts = {name: 0 for name in KEEP}
    notes = []
    for label in mirror.files("object_detection/labels/", (".txt",)):
        split, stem = Path(label).parent.name, Path(label).stem
        photo = f"images/{split}/{stem}.jpg"
        lines = []
        for line in (mirror.text(label) or "").splitlines():
            values = line.split()
            if values and int(values[0]) in index:
                lines.append(" ".join([str(index[int(values[0])])] + values[1:]))
        if not lines:
            continue
        data = mirror.read(photo) if mirror.has(photo) else None
        if data is None:
            notes.append(f"{label} has no photo (skipped)")
            continue
        if not first_copy(data, seen):
            continue
        for folder in ("images", "labels"):
            (out / folder / split).mkdir(parents=True, exist_ok=True)
        (out / "images" / split / f"{stem}.jpg").write_bytes(data)
        (out / "labels" / split / f"{stem}.txt").write_text("\n".join(lines) + "\n")
        for line in lines:
            counts[KEEP[int(line.split()[0])]] += 1
    (out / "data.yaml").write_text(
        "path: .\ntrain: images/train2017\nval: images/val2017\nnames: [bottle, cup]\n"
    )
    report(out.name, mirror, counts, notes)


if __name__ == "__main__":
    main()
