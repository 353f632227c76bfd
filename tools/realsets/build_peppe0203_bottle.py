"""Build ``peppe0203_bottle`` from peppe0203/Bottle-detection (122 webcam photos of bottles).

Usage: build_peppe0203_bottle.py MIRROR OUTDIR

The photos are ``objectDetection/Tensorflow/workspace/images/{train,test}/Bottle_N.png`` with
a LabelImg Pascal-VOC ``.xml`` beside each (category ``bottle``). They are copied unchanged to
``JPEGImages/`` and ``Annotations/`` (a Pascal-VOC folder; the names do not collide).
"""

from pathlib import Path

from _common import first_copy, parse_args, report

ROOT = "objectDetection/Tensorflow/workspace/images/"


def main() -> None:
    mirror, out, seen = parse_args(__doc__)
    (out / "Annotations").mkdir()
    (out / "JPEGImages").mkdir()
    counts = {"bottle": 0, "images": 0}
    for xml in mirror.files(ROOT, (".xml",)):
        photo = xml[:-4] + ".png"
        data, text = mirror.read(photo), mirror.read(xml)
        if data is None or text is None or not first_copy(data, seen):
            continue
        (out / "JPEGImages" / Path(photo).name).write_bytes(data)
        (out / "Annotations" / Path(xml).name).write_bytes(text)
        counts["bottle"] += text.count(b"<name>bottle</name>")
        counts["images"] += 1
    report(out.name, mirror, counts, [])


if __name__ == "__main__":
    main()
