"""Print per-folder box counts per category, read with the product's reader, and cut the crops
``synthscene evaluate`` would cut (mapping ``bottle=bottle,cup=cup,ecocup=cup``), showing any
warning (e.g. boxes past a photo's edge).

Usage (from the repository root): .venv/bin/python tools/realsets/verify.py DEVSET_ROOT
"""

from __future__ import annotations

import collections
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root

from labels.real_sources import read_real_dataset  # noqa: E402
from renderer.transfer.crops import real_crops  # noqa: E402

CLASS_OF = {"bottle": 0, "cup": 1, "ecocup": 1}
CLASSES = ("bottle", "cup")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def main(root: Path) -> int:
    collect = _Collect()
    logging.getLogger().addHandler(collect)
    totals: collections.Counter[str] = collections.Counter()
    for folder in sorted(path for path in root.iterdir() if path.is_dir()):
        dataset = read_real_dataset(folder)
        boxes = collections.Counter(box.category for _, box in dataset.boxes())
        crops = real_crops(dataset, CLASS_OF)
        per_class = crops.counts(len(CLASSES))
        totals.update({name: n for name, n in zip(CLASSES, per_class)})
        print(
            f"{folder.name:18s} {dataset.format:4s} {len(dataset.images):4d} photos  boxes: "
            + ", ".join(f"{name} {n}" for name, n in sorted(boxes.items()))
            + "  crops: "
            + ", ".join(f"{name} {n}" for name, n in zip(CLASSES, per_class))
        )
    print(
        f"total crops: {sum(totals.values())} ({', '.join(f'{k} {v}' for k, v in totals.items())})"
    )
    for message in collect.messages:
        print(f"WARNING: {message}")
    return 1 if collect.messages else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "/work/devset")))
