"""Build ``mugs_web`` from lhuangjs/mug_detection (web photos of mugs, VIA polygon labels).

Usage: build_mugs_web.py MIRROR OUTDIR

``dataset/{train,val}/via_region_data.json`` (VGG Image Annotator) outline each mug with a
polygon (``all_points_x``/``all_points_y`` in pixels). Written as COCO (``annotations.json``)
with category ``cup`` and box = the polygon's extent. Photos without an entry (most of
``val/`` and all of ``test/``) are left out.
"""

import json

from _common import CocoWriter, first_copy, image_size, parse_args, report


def main() -> None:
    mirror, out, seen = parse_args(__doc__)
    coco, counts = CocoWriter(), {"cup": 0, "images": 0}
    for split in ("train", "val"):
        (out / "images" / split).mkdir(parents=True)
        entries = json.loads(mirror.text(f"dataset/{split}/via_region_data.json") or "{}")
        for entry in entries.values():
            data = mirror.read(f"dataset/{split}/{entry['filename']}")
            regions = entry["regions"]
            regions = list(regions.values()) if isinstance(regions, dict) else regions
            if data is None or not regions or not first_copy(data, seen):
                continue
            (out / "images" / split / entry["filename"]).write_bytes(data)
            image_id = coco.add_image(f"images/{split}/{entry['filename']}", *image_size(data))
            for region in regions:
                xs = region["shape_attributes"]["all_points_x"]
                ys = region["shape_attributes"]["all_points_y"]
                coco.add_box(image_id, "cup", min(xs), min(ys), max(xs), max(ys))
                counts["cup"] += 1
            counts["images"] += 1
    coco.write(out / "annotations.json")
    report(out.name, mirror, counts, [])


if __name__ == "__main__":
    main()
