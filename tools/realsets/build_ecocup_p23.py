"""Build ``ecocup_p23`` from lilianvln/Ecocup (UTC SY32 P23 ecocup photos, CSV labels).

Usage: build_ecocup_p23.py MIRROR OUTDIR [--exclude FOLDER ...]

Converts ``train/labels_csv/*.csv`` + ``train/images/pos`` to COCO (``annotations.json``,
category ``ecocup``); ``train/images/neg`` and the unlabelled ``test/`` photos are left out.
``jinxiyun_pos_007`` is stored sideways (900x675, no EXIF tag) while its boxes are drawn on the
upright 675x900 photo (one reaches 86 px below the stored photo); its pixels are turned 90
degrees clockwise, which puts both boxes on the two cups (checked on an overlay).
"""

from _common import parse_args, report, sy32_to_coco

SIDEWAYS = frozenset({"jinxiyun_pos_007"})


def main() -> None:
    mirror, out, seen = parse_args(__doc__, extra_exclude=True)
    counts, notes = sy32_to_coco(
        mirror, out, "train/images/pos/", "train/labels_csv/", seen, SIDEWAYS
    )
    report(out.name, mirror, counts, notes)


if __name__ == "__main__":
    main()
