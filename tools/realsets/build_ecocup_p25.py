"""Build ``ecocup_p25`` from EngelCalon/SY32_detection_ecocup (UTC SY32 P25 ecocup photos).

Usage: build_ecocup_p25.py MIRROR OUTDIR [--exclude FOLDER ...]

Converts ``local_data/1_data_filtered/train/labels_csv/*.csv`` + ``.../train/images/pos`` to
COCO (``annotations.json``, category ``ecocup``); negatives, the unlabelled ``test/`` photos and
the patch folders are left out. Four zero-size boxes are dropped. Pass ``--exclude
ecocup_p23``: three P25 photos are byte-identical to P23 ones and are kept there only.
"""

from _common import parse_args, report, sy32_to_coco

ROOT = "local_data/1_data_filtered/train/"


def main() -> None:
    mirror, out, seen = parse_args(__doc__, extra_exclude=True)
    counts, notes = sy32_to_coco(mirror, out, ROOT + "images/pos/", ROOT + "labels_csv/", seen)
    report(out.name, mirror, counts, notes)


if __name__ == "__main__":
    main()
