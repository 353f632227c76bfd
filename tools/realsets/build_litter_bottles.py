"""Build ``litter_bottles`` from No1tan1ts3d/AUTOMATIC-PLASTIC-BOTTLE-SORTING-WITH-ROBOTIC-ARM-
USING-RASPBERRY-PI (Roboflow "All plastic bottle" v4, CC BY 4.0; repository MIT).

Usage: build_litter_bottles.py MIRROR OUTDIR

``Dataset/Plastic-bottle.voc/{train,valid,test}`` is a Pascal-VOC export, 320x320 (stretched,
EXIF orientation applied by Roboflow). ``train/`` holds three augmented copies (blur, salt and
pepper noise) of each source photo, and many train sources reappear in valid/test, so only the
unaugmented ``valid/`` and ``test/`` photos are used, one per Roboflow source photo (the name
before ``.rf.<hash>``; 17 sources were exported twice). The XML is copied with the category
``Plastic-bottle`` renamed ``bottle``; boxes are untouched.
"""

import re
from pathlib import Path

from _common import first_copy, parse_args, report

ROOT = "Dataset/Plastic-bottle.voc/"


def main() -> None:
    mirror, out, seen = parse_args(__doc__)
    (out / "Annotations").mkdir()
    (out / "JPEGImages").mkdir()
    counts, sources, notes = {"bottle": 0, "images": 0}, set(), []
    for split in ("test", "valid"):
        for xml in mirror.files(f"{ROOT}{split}/", (".xml",)):
            source = re.sub(r"\.rf\.[0-9a-f]+\.xml$", "", Path(xml).name)
            data, text = mirror.read(xml[:-4] + ".jpg"), mirror.read(xml)
            if data is None or text is None:
                continue
            if source in sources or not first_copy(data, seen):
                notes.append(f"{xml}: source photo {source} kept once (skipped)")
                continue
            sources.add(source)
            text = text.replace(b"<name>Plastic-bottle</name>", b"<name>bottle</name>")
            (out / "JPEGImages" / (Path(xml).stem + ".jpg")).write_bytes(data)
            (out / "Annotations" / Path(xml).name).write_bytes(text)
            counts["bottle"] += text.count(b"<name>bottle</name>")
            counts["images"] += 1
    report(out.name, mirror, counts, notes)


if __name__ == "__main__":
    main()
