"""Build ``ecocup_a22`` from quochungtran/ecocup-detection (UTC SY32 A22 ecocup photos, YOLO).

Usage: build_ecocup_a22.py MIRROR OUTDIR [--exclude FOLDER ...]

Copies ``YOLOv5/yolo_data/{images,labels}/{train,validation}`` (class 0 = ``ecocup``) as a YOLO
folder with ``data.yaml``; label lines are copied verbatim. Photos keep their EXIF orientation
tags: the labels are normalised to the photo as displayed, as the product reader assumes.
Byte-identical photos are kept once, with the union of their label lines (``tlavisse_pos_010``
and ``_011`` are one photo of three cups, each file labelling a different cup). A box that lies
mostly outside its photo (``vivatben_pos_005``: x centre 1.05) is dropped. The mirror lacks the
ten ``mdelcroi_pos_*`` photos; their labels are skipped.
"""

from pathlib import Path

from _common import parse_args, report, sha1

ROOT = "YOLOv5/yolo_data/"


def inside(line: str, slack: float = 0.02) -> bool:
    """Whether a normalised ``class xc yc w h`` box lies in the photo (``slack`` allowed)."""
    xc, yc, w, h = (float(value) for value in line.split()[1:5])
    return min(xc - w / 2, yc - h / 2) >= -slack and max(xc + w / 2, yc + h / 2) <= 1 + slack


def main() -> None:
    mirror, out, seen = parse_args(__doc__, extra_exclude=True)
    notes: list[str] = []
    kept: dict[str, Path] = {}  # sha1 -> label file written
    photos = {p.rsplit(".", 1)[0]: p for p in mirror.files(ROOT + "images/")}
    for label in mirror.files(ROOT + "labels/", (".txt",)):
        photo = photos.get(label.replace("/labels/", "/images/", 1).rsplit(".", 1)[0])
        data = None if photo is None else mirror.read(photo)
        if data is None:
            continue
        lines = []
        for line in (mirror.text(label) or "").splitlines():
            if not line.strip():
                continue
            if inside(line):
                lines.append(line.strip())
            else:
                notes.append(f"{label}: box '{line.strip()}' lies outside its photo (dropped)")
        digest = sha1(data)
        if digest in seen and digest not in kept:
            notes.append(f"{photo} duplicates a photo kept before (skipped)")
            continue
        if digest in kept:  # same photo again: merge its labels into the first copy
            target = kept[digest]
            old = target.read_text().splitlines()
            target.write_text("\n".join(old + [x for x in lines if x not in old]) + "\n")
            notes.append(f"{photo} is byte-identical to {target.stem}: labels merged")
            continue
        if not lines:
            continue
        seen.add(digest)
        split = Path(label).parent.name
        (out / "images" / split).mkdir(parents=True, exist_ok=True)
        (out / "labels" / split).mkdir(parents=True, exist_ok=True)
        (out / "images" / split / Path(photo).name).write_bytes(data)
        target = out / "labels" / split / Path(label).name
        target.write_text("\n".join(lines) + "\n")
        kept[digest] = target
    (out / "data.yaml").write_text(
        "path: .\ntrain: images/train\nval: images/validation\nnames: [ecocup]\n"
    )
    boxes = sum(len(path.read_text().split("\n")) - 1 for path in kept.values() if path.exists())
    report(out.name, mirror, {"ecocup": boxes, "images": len(list(out.glob("images/*/*")))}, notes)


if __name__ == "__main__":
    main()
