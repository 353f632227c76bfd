"""The crop classifier of the transfer protocol: a small CNN trained from scratch, CPU-sized.

Model (:class:`CropNet`, 286,978 parameters for 2 classes at ``width=32``): six 3x3
conv-BN-ReLU blocks (32, 32 | 64, 64 | 128, 128 channels; the first at stride 2, max-pool after
the 2nd and 4th), global average pooling, dropout 0.2, one linear layer. Input: 64x64 RGB scaled
to [-2, 2] ((x / 255 - 0.5) / 0.25).

Training (:func:`train_classifier`): AdamW (lr 2e-3, weight decay 5e-4), batch 64, cross-entropy;
each epoch draws as many crops as the training set holds, with replacement, each class equally
likely (class-balanced); augmentation of every drawn crop: horizontal flip (p 0.5), random scale
0.8-1.0 with random shift inside the crop (bilinear, border padding), brightness x[0.75, 1.25],
contrast x[0.75, 1.25] about the crop mean, saturation x[0.6, 1.4]. After each epoch the model is
scored on the held-out *synthetic* crops (balanced accuracy, then lower loss breaks ties); the best
epoch's weights are kept, and training stops after ``patience`` epochs without improvement. Real
crops are never seen here. Everything random draws from generators seeded by ``seed``.
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from renderer.transfer.crops import CropSet


def conv_block(channels_in: int, channels_out: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(channels_in, channels_out, 3, stride, 1, bias=False),
        nn.BatchNorm2d(channels_out),
        nn.ReLU(inplace=True),
    )


class CropNet(nn.Module):
    """Small CNN for 64x64 crops (module docstring)."""

    def __init__(self, classes: int, width: int = 32):
        super().__init__()
        c1, c2, c3 = width, 2 * width, 4 * width
        self.features = nn.Sequential(
            conv_block(3, c1, stride=2),
            conv_block(c1, c1),
            nn.MaxPool2d(2),
            conv_block(c1, c2),
            conv_block(c2, c2),
            nn.MaxPool2d(2),
            conv_block(c2, c3),
            conv_block(c3, c3),
            nn.AdaptiveAvgPool2d(1),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.2), nn.Linear(c3, classes))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images))


def parameter_count(model: nn.Module) -> int:
    return sum(parameter.numel() for parameter in model.parameters())


def to_input(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, H, W, 3) -> float32 (N, 3, H, W) in [-2, 2]."""
    tensor = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float()
    return (tensor / 255.0 - 0.5) / 0.25


def augment(batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Flip, scale/shift and colour jitter (module docstring) of a model-range batch."""
    count = batch.shape[0]

    def uniform(low: float, high: float, *shape: int) -> torch.Tensor:
        return low + (high - low) * torch.rand(count, *shape, generator=generator)

    scale = uniform(0.8, 1.0)
    flip = torch.where(torch.rand(count, generator=generator) < 0.5, -1.0, 1.0)
    shift = (1.0 - scale)[:, None] * uniform(-1.0, 1.0, 2)
    theta = torch.zeros(count, 2, 3)
    theta[:, 0, 0], theta[:, 1, 1] = scale * flip, scale
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, list(batch.shape), align_corners=False)
    batch = F.grid_sample(batch, grid, mode="bilinear", padding_mode="border", align_corners=False)
    rgb = batch * 0.25 + 0.5
    rgb = rgb * uniform(0.75, 1.25, 1, 1, 1)
    mean = rgb.mean(dim=(1, 2, 3), keepdim=True)
    rgb = (rgb - mean) * uniform(0.75, 1.25, 1, 1, 1) + mean
    grey = (rgb * torch.tensor([0.299, 0.587, 0.114])[None, :, None, None]).sum(1, keepdim=True)
    rgb = (rgb - grey) * uniform(0.6, 1.4, 1, 1, 1) + grey
    return (rgb.clamp(0.0, 1.0) - 0.5) / 0.25


@dataclasses.dataclass
class TrainingResult:
    """The kept model, its epoch (1-based), and per-epoch held-out synthetic scores."""

    model: CropNet
    best_epoch: int
    history: list[dict]

    @property
    def held_out_balanced_accuracy(self) -> float:
        return self.history[self.best_epoch - 1]["val_balanced_accuracy"]


def train_classifier(
    train: CropSet,
    held_out: CropSet,
    classes: int,
    seed: int,
    *,
    max_epochs: int = 30,
    patience: int = 6,
    batch_size: int = 64,
    lr: float = 2e-3,
    weight_decay: float = 5e-4,
) -> TrainingResult:
    """Train :class:`CropNet` on ``train``; keep the epoch best on ``held_out`` (synthetic)."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = CropNet(classes)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    inputs, targets = to_input(train.images), torch.from_numpy(train.labels)
    val_inputs, val_targets = to_input(held_out.images), held_out.labels
    counts = np.bincount(train.labels, minlength=classes).astype(np.float64)
    weights = torch.from_numpy(np.where(counts > 0, 1.0 / np.maximum(counts, 1), 0.0)[train.labels])
    best, best_key, best_state, history, stale = 0, None, None, [], 0
    for epoch in range(1, max_epochs + 1):
        model.train()
        order = torch.multinomial(weights, len(train), replacement=True, generator=generator)
        losses = []
        for start in range(0, len(order), batch_size):
            index = order[start : start + batch_size]
            if len(index) < 2:
                continue
            loss = F.cross_entropy(model(augment(inputs[index], generator)), targets[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        logits = predict_logits(model, val_inputs)
        val_loss = (
            float(F.cross_entropy(logits, torch.from_numpy(val_targets)))
            if len(val_targets)
            else 0.0
        )
        scores = classification_metrics(val_targets, logits.argmax(1).numpy(), classes)
        history.append(
            {
                "epoch": epoch,
                "train_loss": round(float(np.mean(losses)), 5),
                "val_loss": round(val_loss, 5),
                "val_balanced_accuracy": scores["balanced_accuracy"],
            }
        )
        key = (scores["balanced_accuracy"], -val_loss)
        if best_key is None or key > best_key:
            best, best_key, best_state, stale = epoch, key, copy.deepcopy(model.state_dict()), 0
        else:
            stale += 1
            if stale >= patience:
                break
    model.load_state_dict(best_state)
    model.eval()
    return TrainingResult(model, best, history)


@torch.no_grad()
def predict_logits(model: nn.Module, inputs: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    model.eval()
    if len(inputs) == 0:
        return torch.zeros(0, model.head[-1].out_features)
    return torch.cat(
        [model(inputs[start : start + batch_size]) for start in range(0, len(inputs), batch_size)]
    )


def classification_metrics(truth: np.ndarray, predicted: np.ndarray, classes: int) -> dict:
    """Accuracy, balanced accuracy (mean recall over the classes present), per-class recall, confusion.

    ``confusion[i][j]`` counts crops of true class ``i`` predicted as ``j``; a class with no crop
    has per-class accuracy ``None`` and is left out of the balanced accuracy.
    """
    truth, predicted = np.asarray(truth, np.int64), np.asarray(predicted, np.int64)
    confusion = np.zeros((classes, classes), np.int64)
    np.add.at(confusion, (truth, predicted), 1)
    support = confusion.sum(1)
    recall = [float(confusion[i, i] / support[i]) if support[i] else None for i in range(classes)]
    present = [value for value in recall if value is not None]
    return {
        "crops": len(truth),
        "accuracy": float((truth == predicted).mean()) if len(truth) else None,
        "balanced_accuracy": float(np.mean(present)) if present else None,
        "per_class_accuracy": recall,
        "confusion": confusion.tolist(),
    }
