"""Train an Ultralytics YOLO detector (or YOLO-seg) on a synthscene batch, from a model yaml.

    synthscene render tabletop --count 400 --out data/tabletop --engine raster --resolution 96x96
    python examples/train_ultralytics.py data/tabletop --epochs 20          # exports, then trains

which is the same as::

    synthscene export data/tabletop --format yolo          # data/tabletop/yolo/data.yaml
    yolo train data=data/tabletop/yolo/data.yaml model=yolov8n.yaml epochs=20 imgsz=96 \\
        pretrained=False amp=False plots=False device=cpu

No downloads: the model is built from its yaml (``pretrained=False``), ``amp=False`` skips the
AMP check (it fetches a checkpoint) and ``plots=False`` the font download. ``imgsz`` defaults to
the frames' size. The export hard-links the images and its ``data.yaml`` has no ``path:``, so the
folder can be moved. Ultralytics needs torch *and* a working torchvision; where it cannot be
imported, this script says so in one line (exit status 2).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a source checkout

from labels.yolo import export_yolo  # noqa: E402


def ultralytics_problem() -> str | None:
    """Why Ultralytics cannot run here, or None."""
    try:
        import ultralytics  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
    except Exception as error:  # ImportError, or torchvision failing inside its import
        return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", help="batch folder written by synthscene render")
    parser.add_argument("--model", default="yolov8n.yaml", help="Ultralytics model yaml")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--imgsz", type=int, default=0, help="default: the frames' size")
    parser.add_argument("--segment", action="store_true", help="YOLO-seg labels (polygons)")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    problem = ultralytics_problem()
    if problem:
        print(
            f"Ultralytics cannot run here ({problem}); install ultralytics with a torchvision "
            "that matches your torch, e.g. pip install ultralytics torchvision",
            file=sys.stderr,
        )
        return 2
    from ultralytics import YOLO  # pylint: disable=import-outside-toplevel

    dataset = Path(args.dataset)
    summary = export_yolo([dataset], dataset / "yolo", polygons=args.segment)
    print(summary.describe())
    imgsz = args.imgsz or _frame_size(dataset)
    model = YOLO(args.model.replace(".yaml", "-seg.yaml") if args.segment else args.model)
    results = model.train(
        data=str(dataset / "yolo" / "data.yaml"),
        epochs=args.epochs,
        imgsz=imgsz,
        pretrained=False,
        amp=False,
        plots=False,
        device=args.device,
        project=str(dataset / "runs"),
        exist_ok=True,
    )
    print(json.dumps({k: float(v) for k, v in results.results_dict.items()}, indent=1))
    return 0


def _frame_size(dataset: Path) -> int:
    first = next(line for line in (dataset / "manifest.jsonl").read_text().splitlines() if line)
    record = json.loads(first)
    return int(max(record.get("width", 640), record.get("height", 640)))


if __name__ == "__main__":
    sys.exit(main())
