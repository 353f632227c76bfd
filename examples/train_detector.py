"""Train a small object detector on a synthscene batch and evaluate it with pycocotools.

Render a batch, train, evaluate on a held-out synthetic split (and on a real COCO set)::

    synthscene render tabletop --count 300 --out data/tabletop --engine raster --resolution 96x96
    python examples/train_detector.py data/tabletop --steps 600 --out metrics.json
    python examples/train_detector.py data/tabletop --real-coco real/annotations.json \\
        --real-images real/images                    # also evaluate on real photos

Data comes through :class:`labels.torch_dataset.DetectionDataset` (the same ids as the COCO
export). Frames are split into train/val by a hash of the frame name (``labels.yolo.split_of``,
the split the YOLO export uses), so the split does not depend on the frame order.

Models (``--model``):

* ``tiny`` (default without a GPU): a CenterNet-style detector written here in plain PyTorch: a
  small CNN at output stride 4, a per-class centre heatmap (focal loss), box size (log pixels)
  and sub-cell offset heads; boxes are heatmap peaks (3x3 max-pool NMS). Trains on a CPU in
  seconds at 64-96 px. It is a toy for checking a pipeline end to end, not a good detector.
* ``fasterrcnn`` (default with a GPU when torchvision is installed): torchvision's
  ``fasterrcnn_mobilenet_v3_large_fpn`` from scratch (``weights=None, weights_backbone=None``: no
  downloads), with ``min_size = max_size = max(320, frame size)``: torchvision's default
  ``min_size=800`` would upscale a 96-px frame 8x (slow, and no more detail); 320 keeps the
  smallest FPN anchors (32 px) meaningful for small frames. Where torchvision is missing or
  unusable (a CUDA build next to CPU torch fails in its C++ ops), it exits with one line saying
  so instead of failing inside the import.

Evaluation: COCO bbox AP (``COCOeval``, AP@[.5:.95], AP50, AP75) on the held-out frames. Real
COCO categories are matched to synthetic classes by name; unmatched real categories are left out
of the evaluation. Prints and (``--out``) writes a JSON with the losses and APs.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a source checkout

from fileio.atomic import write_json_atomic  # noqa: E402
from labels.torch_dataset import DetectionDataset  # noqa: E402
from labels.yolo import split_of  # noqa: E402
from renderer.transfer.classifier import photometric_jitter  # noqa: E402

STRIDE = 4


# --------------------------------------------------------------------------------------- data
class InMemoryFrames(torch.utils.data.Dataset):
    """(uint8 image (3,H,W), boxes (N,4) xyxy float, labels (N,) int64, areas (N,)) per frame,
    read once through DetectionDataset (masks dropped) and kept in memory."""

    def __init__(self, dataset: DetectionDataset, indices: Sequence[int]):
        self.items = []
        for index in indices:
            image, target = dataset[index]
            self.items.append(
                (
                    (image * 255).round().to(torch.uint8),
                    target["boxes"],
                    target["labels"],
                    target["area"],
                )
            )

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int):
        return self.items[index]


def split_frames(dataset: DetectionDataset, val_fraction: float) -> tuple[list[int], list[int]]:
    """Train and val indices by frame-name hash; at least one frame on each side."""
    stems = [f"{folder.name}/{name}" for folder, name in dataset.frames]
    val = [i for i, stem in enumerate(stems) if split_of(stem, val_fraction) == "val"]
    if not val or len(val) == len(stems):
        order = sorted(range(len(stems)), key=lambda i: stems[i])
        count = min(max(1, round(len(stems) * val_fraction)), len(stems) - 1)
        val = order[:count]
    train = [i for i in range(len(stems)) if i not in set(val)]
    return train, val


def batches(frames: InMemoryFrames, batch_size: int, generator: torch.Generator):
    """Endless random batches: horizontal flips, and the crop classifier's photometric
    augmentation (:func:`renderer.transfer.classifier.photometric_jitter`: colour channels,
    brightness, contrast, saturation, blur/sharpen, noise) so that the detector cannot lean
    on the renders' colours and smoothness."""
    while True:
        order = torch.randperm(len(frames), generator=generator).tolist()
        for start in range(0, len(order) - batch_size + 1, batch_size):
            chosen = [frames[i] for i in order[start : start + batch_size]]
            images, targets = [], []
            for image, boxes, labels, _ in chosen:
                image = image.float() / 255.0
                if torch.rand((), generator=generator) < 0.5:
                    width = image.shape[-1]
                    image = image.flip(-1)
                    boxes = torch.stack(
                        [width - boxes[:, 2], boxes[:, 1], width - boxes[:, 0], boxes[:, 3]], dim=1
                    )
                images.append(photometric_jitter(image[None], generator)[0])
                targets.append({"boxes": boxes, "labels": labels})
            yield images, targets


# --------------------------------------------------------------------------------- tiny model
def conv_block(channels_in: int, channels_out: int, stride: int = 1, dilation: int = 1):
    return nn.Sequential(
        nn.Conv2d(
            channels_in, channels_out, 3, stride, padding=dilation, dilation=dilation, bias=False
        ),
        nn.BatchNorm2d(channels_out),
        nn.ReLU(inplace=True),
    )


class TinyCenterNet(nn.Module):
    """Centre heatmap + size + offset heads on a small CNN at output stride 4.

    ``forward`` takes a (B,3,H,W) batch in [0,1] and returns heatmap logits (B,C,H/4,W/4),
    log box size in pixels (B,2,...) and the centre offset within a cell (B,2,...)."""

    def __init__(self, num_classes: int, width: int = 48):
        super().__init__()
        self.num_classes = num_classes
        self.backbone = nn.Sequential(
            conv_block(3, width // 2, stride=2),
            conv_block(width // 2, width, stride=2),
            conv_block(width, width, dilation=2),
            conv_block(width, width, dilation=4),
            conv_block(width, width),
        )
        self.heatmap = nn.Conv2d(width, num_classes, 1)
        self.size = nn.Conv2d(width, 2, 1)
        self.offset = nn.Conv2d(width, 2, 1)
        nn.init.constant_(self.heatmap.bias, -2.19)  # initial centre probability ~0.1

    def forward(self, images: torch.Tensor):
        features = self.backbone((images - 0.5) / 0.25)
        return self.heatmap(features), self.size(features), self.offset(features)

    def loss(self, images: list[torch.Tensor], targets: list[dict]) -> torch.Tensor:
        batch = torch.stack(images)
        heat_logits, size, offset = self(batch)
        heat_target, size_target, offset_target, centres = self._targets(
            targets, heat_logits.shape[-2:], batch.device
        )
        loss = focal_loss(heat_logits, heat_target)
        if centres.any():
            loss = loss + F.l1_loss(size.permute(0, 2, 3, 1)[centres], size_target[centres])
            loss = loss + F.l1_loss(offset.permute(0, 2, 3, 1)[centres], offset_target[centres])
        return loss

    def _targets(self, targets: list[dict], grid: tuple[int, int], device):
        rows, cols = grid
        batch = len(targets)
        heat = torch.zeros(batch, self.num_classes, rows, cols, device=device)
        size = torch.zeros(batch, rows, cols, 2, device=device)
        offset = torch.zeros(batch, rows, cols, 2, device=device)
        centres = torch.zeros(batch, rows, cols, dtype=torch.bool, device=device)
        ys = torch.arange(rows, device=device, dtype=torch.float32)[:, None]
        xs = torch.arange(cols, device=device, dtype=torch.float32)[None, :]
        for b, target in enumerate(targets):
            for box, label in zip(target["boxes"].to(device), target["labels"].tolist()):
                width, height = (box[2] - box[0]).clamp(min=1), (box[3] - box[1]).clamp(min=1)
                cx, cy = (box[0] + box[2]) / 2 / STRIDE, (box[1] + box[3]) / 2 / STRIDE
                col, row = min(int(cx), cols - 1), min(int(cy), rows - 1)
                sigma = max(0.5, float(torch.sqrt(width * height)) / STRIDE / 6)
                blob = torch.exp(-((xs - col) ** 2 + (ys - row) ** 2) / (2 * sigma**2))
                heat[b, label - 1] = torch.maximum(heat[b, label - 1], blob)
                size[b, row, col] = torch.stack([width.log(), height.log()])
                offset[b, row, col] = torch.stack([cx - col, cy - row])
                centres[b, row, col] = True
        return heat, size, offset, centres

    @torch.no_grad()
    def predict(self, images: list[torch.Tensor], max_detections: int = 100) -> list[dict]:
        heat_logits, size, offset = self(torch.stack(images))
        heat = heat_logits.sigmoid()
        peaks = heat * (F.max_pool2d(heat, 3, stride=1, padding=1) == heat)
        batch, classes, rows, cols = heat.shape
        results = []
        for b in range(batch):
            scores, flat = peaks[b].reshape(-1).topk(min(max_detections, peaks[b].numel()))
            labels = flat // (rows * cols) + 1
            cells = flat % (rows * cols)
            row, col = cells // cols, cells % cols
            cx = (col.float() + offset[b, 0, row, col]) * STRIDE
            cy = (row.float() + offset[b, 1, row, col]) * STRIDE
            width, height = size[b, 0, row, col].exp(), size[b, 1, row, col].exp()
            boxes = torch.stack(
                [cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2], dim=1
            )
            results.append({"boxes": boxes, "scores": scores, "labels": labels})
        return results


def focal_loss(
    logits: torch.Tensor, target: torch.Tensor, alpha: float = 2.0, beta: float = 4.0
) -> torch.Tensor:
    """CenterNet's penalty-reduced focal loss, normalised by the number of centres."""
    probability = logits.sigmoid().clamp(1e-4, 1 - 1e-4)
    positive = target.eq(1).float()
    positive_loss = -torch.log(probability) * (1 - probability) ** alpha * positive
    negative_loss = (
        -torch.log(1 - probability) * probability**alpha * (1 - target) ** beta * (1 - positive)
    )
    return (positive_loss.sum() + negative_loss.sum()) / positive.sum().clamp(min=1)


# --------------------------------------------------------------------- torchvision model (GPU)
class TorchvisionDetector(nn.Module):
    """torchvision's Faster R-CNN (MobileNetV3-Large FPN backbone) from scratch."""

    def __init__(self, num_classes: int, image_size: int):
        super().__init__()
        from torchvision.models.detection import fasterrcnn_mobilenet_v3_large_fpn

        size = max(320, image_size)
        self.model = fasterrcnn_mobilenet_v3_large_fpn(
            weights=None,
            weights_backbone=None,
            num_classes=num_classes + 1,
            min_size=size,
            max_size=size,
        )

    def loss(self, images: list[torch.Tensor], targets: list[dict]) -> torch.Tensor:
        self.model.train()
        return sum(self.model(images, targets).values())

    @torch.no_grad()
    def predict(self, images: list[torch.Tensor]) -> list[dict]:
        self.model.eval()
        return self.model(images)


def torchvision_problem() -> Optional[str]:
    """Why torchvision's detection models cannot run here, or None if they can: importing it
    and running one of its C++ ops (a CUDA torchvision next to CPU torch imports, then fails)."""
    try:
        import torchvision  # pylint: disable=import-outside-toplevel

        torchvision.ops.nms(torch.zeros((1, 4)), torch.zeros(1), 0.5)
    except Exception as error:  # ImportError, or RuntimeError/OSError from its compiled ops
        return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    return None


def torchvision_available() -> bool:
    return torchvision_problem() is None


def make_model(kind: str, num_classes: int, image_size: int, device: torch.device) -> nn.Module:
    if kind == "auto":
        kind = "fasterrcnn" if device.type == "cuda" and torchvision_available() else "tiny"
    if kind == "fasterrcnn":
        problem = torchvision_problem()
        if problem:
            sys.exit(
                f"--model fasterrcnn needs a torchvision that matches your torch "
                f"({torch.__version__}); here it fails ({problem}). Install the matching "
                "torchvision, or use --model tiny"
            )
        return TorchvisionDetector(num_classes, image_size).to(device)
    return TinyCenterNet(num_classes).to(device)


# ---------------------------------------------------------------------------- train/evaluate
def train(
    model: nn.Module,
    frames: InMemoryFrames,
    steps: int,
    batch_size: int,
    lr: float,
    device: torch.device,
    seed: int,
) -> list[float]:
    """Adam with cosine decay; returns the loss of every step."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 0.5 * (1 + math.cos(math.pi * min(step / max(steps, 1), 1.0)))
    )
    model.train()
    losses = []
    stream = batches(frames, min(batch_size, len(frames)), generator)
    for step in range(steps):
        images, targets = next(stream)
        images = [image.to(device) for image in images]
        targets = [{key: value.to(device) for key, value in t.items()} for t in targets]
        loss = model.loss(images, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
        if step % max(steps // 10, 1) == 0 or step == steps - 1:
            print(f"step {step:5d}/{steps}  loss {loss.item():.4f}", flush=True)
    return losses


def predict_all(
    model: nn.Module, images: list[torch.Tensor], device: torch.device, batch_size: int = 16
) -> list[dict]:
    model.eval()
    results = []
    for start in range(0, len(images), batch_size):
        chunk = [image.to(device) for image in images[start : start + batch_size]]
        results += [{k: v.cpu() for k, v in r.items()} for r in model.predict(chunk)]
    return results


def coco_ap(
    ground_truth: dict, detections: list[dict], category_ids: Optional[list[int]] = None
) -> dict:
    """COCOeval bbox on an in-memory ground truth: AP, AP50, AP75, and class-agnostic AP
    (``AP_any_class``: localisation alone); 0 when nothing was detected."""
    from pycocotools.coco import COCO  # pylint: disable=import-outside-toplevel
    from pycocotools.cocoeval import COCOeval  # pylint: disable=import-outside-toplevel

    if not detections:
        return {"AP": 0.0, "AP50": 0.0, "AP75": 0.0, "AP_any_class": 0.0, "detections": 0}
    stats = {}
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = ground_truth
        coco.createIndex()
        results = coco.loadRes(detections)
        for use_categories in (1, 0):
            evaluator = COCOeval(coco, results, "bbox")
            evaluator.params.useCats = use_categories
            if category_ids is not None:
                evaluator.params.catIds = category_ids
            evaluator.evaluate()
            evaluator.accumulate()
            evaluator.summarize()
            stats[use_categories] = [max(float(v), 0.0) for v in evaluator.stats[:3]]  # -1: no GT
    return {
        "AP": stats[1][0],
        "AP50": stats[1][1],
        "AP75": stats[1][2],
        "AP_any_class": stats[0][0],
        "detections": len(detections),
    }


def synthetic_ground_truth(frames: InMemoryFrames, class_names: list[str]) -> dict:
    images, annotations = [], []
    for image_id, (image, boxes, labels, areas) in enumerate(frames.items, start=1):
        images.append({"id": image_id, "width": image.shape[2], "height": image.shape[1]})
        for box, label, area in zip(boxes.tolist(), labels.tolist(), areas.tolist()):
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "category_id": label,
                    "iscrowd": 0,
                    "area": area,
                    "bbox": [box[0], box[1], box[2] - box[0], box[3] - box[1]],
                }
            )
    categories = [{"id": i + 1, "name": name} for i, name in enumerate(class_names)]
    return {"images": images, "annotations": annotations, "categories": categories}


def read_in_labelled_frame(path: Path, entry: dict):
    """BGR pixels of a photo in the frame its COCO entry's boxes refer to: as displayed (EXIF
    orientation applied), or as stored when the entry's ``width`` x ``height`` says so. The
    rule is the crop protocol's (:func:`labels.real_sources.labels_frame`)."""
    import cv2  # pylint: disable=import-outside-toplevel

    from labels.real_sources import labels_frame  # pylint: disable=import-outside-toplevel

    stated = (entry.get("width"), entry.get("height"))
    displayed, _ = labels_frame(path, None if None in stated else stated)
    flags = cv2.IMREAD_COLOR if displayed else cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION
    return cv2.imread(str(path), flags)


def as_coco_detections(
    predictions: list[dict], image_ids: list[int], category_map: dict[int, int], scales=None
) -> list[dict]:
    detections = []
    for index, (prediction, image_id) in enumerate(zip(predictions, image_ids)):
        sx, sy = scales[index] if scales else (1.0, 1.0)
        for box, score, label in zip(
            prediction["boxes"].tolist(),
            prediction["scores"].tolist(),
            prediction["labels"].tolist(),
        ):
            if int(label) not in category_map or score < 0.01:
                continue
            x0, y0, x1, y1 = box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy
            detections.append(
                {
                    "image_id": image_id,
                    "category_id": category_map[int(label)],
                    "bbox": [x0, y0, x1 - x0, y1 - y0],
                    "score": float(score),
                }
            )
    return detections


def image_root(coco_file: Path) -> Path:
    """Where a COCO file's ``file_name`` entries start: ``data/`` beside it if present."""
    return coco_file.parent / "data" if (coco_file.parent / "data").is_dir() else coco_file.parent


def evaluate_real(
    model: nn.Module,
    coco_file: Path,
    image_folder: Path,
    class_names: list[str],
    input_size: tuple[int, int],
    device: torch.device,
) -> dict:
    """AP on a real COCO set: images resized to the training size, categories matched by name."""
    import cv2  # pylint: disable=import-outside-toplevel

    ground_truth = json.loads(coco_file.read_text(encoding="utf-8"))
    real_ids = {cat["name"]: cat["id"] for cat in ground_truth["categories"]}
    category_map = {i + 1: real_ids[name] for i, name in enumerate(class_names) if name in real_ids}
    if not category_map:
        return {"error": f"no category of {coco_file} matches the synthetic classes {class_names}"}
    width, height = input_size
    images, image_ids, scales = [], [], []
    for entry in ground_truth["images"]:
        pixels = read_in_labelled_frame(image_folder / entry["file_name"], entry)
        if pixels is None:
            print(f"warning: cannot read {image_folder / entry['file_name']}; skipped")
            continue
        scales.append((pixels.shape[1] / width, pixels.shape[0] / height))
        pixels = cv2.cvtColor(
            cv2.resize(pixels, (width, height), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB
        )
        images.append(torch.from_numpy(pixels.transpose(2, 0, 1).copy()).float() / 255.0)
        image_ids.append(entry["id"])
    predictions = predict_all(model, images, device)
    detections = as_coco_detections(predictions, image_ids, category_map, scales)
    result = coco_ap(ground_truth, detections, sorted(category_map.values()))
    result["matched_categories"] = sorted(name for name in class_names if name in real_ids)
    return result


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device("cuda" if torch.cuda.is_available() and not args.cpu else "cpu")
    dataset = DetectionDataset(args.datasets)
    if len(dataset) < 2:
        sys.exit(
            f"{args.datasets}: need at least 2 finished frames (train + val), found {len(dataset)}"
        )
    train_indices, val_indices = split_frames(dataset, args.val_fraction)
    started = time.perf_counter()
    train_frames = InMemoryFrames(dataset, train_indices)
    val_frames = InMemoryFrames(dataset, val_indices)
    height, width = train_frames[0][0].shape[1:]
    model = make_model(args.model, len(dataset.class_names), max(height, width), device)
    print(
        f"{type(model).__name__} on {device}: {len(train_frames)} train / {len(val_frames)} "
        f"val frames, {len(dataset.class_names)} classes, {width}x{height} px"
    )
    losses = train(model, train_frames, args.steps, args.batch_size, args.lr, device, args.seed)
    predictions = predict_all(model, [item[0].float() / 255.0 for item in val_frames.items], device)
    identity = {i + 1: i + 1 for i in range(len(dataset.class_names))}
    detections = as_coco_detections(predictions, list(range(1, len(val_frames) + 1)), identity)
    metrics = {
        "model": type(model).__name__,
        "device": str(device),
        "steps": args.steps,
        "train_frames": len(train_frames),
        "val_frames": len(val_frames),
        "classes": dataset.class_names,
        "image_size": [int(width), int(height)],
        "loss_first": float(np.mean(losses[: max(1, len(losses) // 10)])),
        "loss_last": float(np.mean(losses[-max(1, len(losses) // 10) :])),
        "synthetic_val": coco_ap(
            synthetic_ground_truth(val_frames, dataset.class_names), detections
        ),
    }
    if args.real_coco:
        real_coco = Path(args.real_coco)
        metrics["real"] = evaluate_real(
            model,
            real_coco,
            Path(args.real_images or image_root(real_coco)),
            dataset.class_names,
            (int(width), int(height)),
            device,
        )
    metrics["seconds"] = round(time.perf_counter() - started, 2)
    print(json.dumps(metrics, indent=1))
    if args.out:
        write_json_atomic(Path(args.out), metrics, indent=1)
    return metrics


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("datasets", nargs="+", help="synthscene batch folder(s)")
    parser.add_argument(
        "--model",
        choices=("auto", "tiny", "fasterrcnn"),
        default="auto",
        help="auto: fasterrcnn on a GPU with torchvision, else tiny",
    )
    parser.add_argument("--steps", type=int, default=300, help="training steps (default 300)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=3e-3, help="AdamW learning rate")
    parser.add_argument(
        "--val-fraction",
        type=float,
        default=0.2,
        help="held-out share of frames, by frame-name hash (default 0.2)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads (default 1: fastest for the tiny model on a "
        "busy CPU; 0 = torch default)",
    )
    parser.add_argument("--cpu", action="store_true", help="train on the CPU even with a GPU")
    parser.add_argument("--real-coco", metavar="JSON", help="real COCO annotations to evaluate on")
    parser.add_argument(
        "--real-images",
        metavar="DIR",
        help="folder the real COCO file names are relative to (default: data/ "
        "next to the JSON if there is one, as FiftyOne and synthscene "
        "write it, else the JSON's folder)",
    )
    parser.add_argument("--out", metavar="JSON", help="write the metrics here")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.batch_size < 1 or not 0 < args.val_fraction < 1:
        parser.error("--steps and --batch-size must be >= 1, --val-fraction in (0, 1)")
    return args


if __name__ == "__main__":
    main()
