"""The crop classifier of the transfer protocol: a small CNN trained from scratch, CPU-sized.

Model (:class:`CropNet`, 288,008 parameters for 2 classes at ``width=32`` with the box
channel): six 3x3 conv-BN-ReLU blocks (32, 32 | 64, 64 | 128, 128 channels; the first at stride
2, max-pool after the 2nd and 4th), global average pooling, dropout 0.2, one linear layer; with
the box channel, a second linear layer adds the box's shape (log aspect ratio, log area share:
:func:`box_shape`) to the logits. Global pooling cannot measure a box's aspect, and the aspect
is what transfers best: a threshold on it fitted on renders alone scores 0.79 balanced accuracy
on our real development crops. Training drops that term for half the crops
(:data:`SHAPE_DROPOUT`), so the image features must tell the classes apart on their own.
Input: 64x64 RGB scaled to [-2, 2] ((x / 255 - 0.5) / 0.25) and, by default, a fourth *box
channel*: +2 inside the labelled box, -2 in the crop's margin. Both sets' crops are cut around
their labelled boxes, so the box is known for real crops as for synthetic ones; the channel hands
the model the object's extent instead of leaving it to infer it from an appearance that differs
between renders and photos (``box_channel=False`` gives the image-only model).

Training (:func:`train_classifier`): AdamW (lr 2e-3, weight decay 5e-4), batch 64, cross-entropy;
each epoch draws as many crops as the training set holds, with replacement, each class equally
likely (class-balanced). Augmentation of every drawn crop, aimed at what differs between renders
and photos (surroundings, colour, contrast, sharpness, noise) rather than at shape. First, where
the crops carry object masks (synthetic crops do: the exact instance maps), the crop is
*recomposed* (p ``RECOMPOSE`` each): the object's colours are scaled per channel by x[0.4, 1.6],
and, independently, everything outside the object's silhouette (its amodal mask: the object
and whatever hides part of it, a hand or another object in front, stay) is replaced by another
crop of the batch (mirrored), so neither the object's colour nor its surroundings can stand for
its class. Then:
horizontal flip (p 0.5),
rotation +-0.2 rad, a window of 0.7-1.05 of the crop's side (zoom x0.95-1.43) with a random
shift (bilinear, reflection padding; the box channel moves with the image), a random permutation of the colour channels, brightness
x[0.6, 1.4], contrast x[0.6, 1.6] about the crop mean, saturation x[0, 1.8] (grey in a quarter of
the crops), a 3x3 binomial blur or its opposite (unsharp) of random strength in [-1, 1], and
Gaussian noise of sigma 0-0.04. After each epoch the model is
scored on the held-out *synthetic* crops (balanced accuracy, then lower loss breaks ties); the best
epoch's weights are kept, the learning rate is cut x0.2 (:data:`LR_DROP`) after every
``lr_drop_after`` (3) epochs without improvement, and training stops after ``patience`` (6)
epochs without improvement. Real crops are never seen here. Everything random draws from
generators seeded by ``seed``.

Prediction (:func:`predict_logits`) averages the class probabilities of four views of each
crop: as cut and zoomed to training's mean window (0.875 of the side), each also mirrored
(:data:`TEST_VIEWS`); the crop as cut alone sits at the edge of the zooms training draws.
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from renderer.transfer.crops import CropSet


# Share of training crops whose box-shape term is dropped, so the image alone must tell their
# class: the shape prior learnt from renders (square = cup) is what fails on photos of bottles
# lying or held tilted, and without the drop the image features lean on it.
SHAPE_DROPOUT = 0.5


def conv_block(channels_in: int, channels_out: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(channels_in, channels_out, 3, stride, 1, bias=False),
        nn.BatchNorm2d(channels_out),
        nn.ReLU(inplace=True),
    )


class CropNet(nn.Module):
    """Small CNN for 64x64 crops (module docstring); ``channels`` 4 = RGB + box channel."""

    def __init__(self, classes: int, width: int = 32, channels: int = 4):
        super().__init__()
        c1, c2, c3 = width, 2 * width, 4 * width
        self.features = nn.Sequential(
            conv_block(channels, c1, stride=2),
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
        self.box_shape = nn.Linear(2, classes) if channels == 4 else None

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        logits = self.head(self.features(images))
        if self.box_shape is not None:
            logits = logits + self.shape_logits(images)
        return logits

    def shape_logits(self, images: torch.Tensor) -> torch.Tensor:
        """The box-shape term of the logits; in training mode dropped for a random
        :data:`SHAPE_DROPOUT` share of the crops (the others x 1 / (1 - share), as dropout)."""
        logits = self.box_shape(box_shape(images[:, 3]))
        if not self.training:
            return logits
        keep = (torch.rand(len(images), 1) >= SHAPE_DROPOUT).float()
        return logits * keep / (1.0 - SHAPE_DROPOUT)


def box_shape(channel: torch.Tensor) -> torch.Tensor:
    """(N, 2) features of the box channel (N, H, W; > 0 inside): log(height / width) and
    log(area share + 1e-3) of the marked region, in crop pixels (after any augmentation)."""
    inside = (channel > 0).float()
    height = inside.amax(dim=2).sum(dim=1).clamp(min=1.0)
    width = inside.amax(dim=1).sum(dim=1).clamp(min=1.0)
    share = height * width / float(channel.shape[-1] * channel.shape[-2])
    return torch.stack([torch.log(height / width), torch.log(share + 1e-3)], dim=1)


def parameter_count(model: nn.Module) -> int:
    return sum(parameter.numel() for parameter in model.parameters())


def to_input(images: np.ndarray, boxes: np.ndarray | None = None) -> torch.Tensor:
    """uint8 (N, H, W, 3) -> float32 (N, 3, H, W) in [-2, 2]; with crop-pixel xyxy ``boxes``
    (N, 4) a fourth channel, +2 on pixels whose centre lies inside the box and -2 outside."""
    tensor = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float()
    tensor = (tensor / 255.0 - 0.5) / 0.25
    if boxes is None:
        return tensor
    size = tensor.shape[-1]
    centres = torch.arange(size, dtype=torch.float32) + 0.5
    box = torch.from_numpy(np.asarray(boxes, np.float32))
    inside_x = (centres[None] >= box[:, 0:1]) & (centres[None] < box[:, 2:3])
    inside_y = (centres[None] >= box[:, 1:2]) & (centres[None] < box[:, 3:4])
    mask = (inside_y[:, :, None] & inside_x[:, None, :]).float()[:, None]
    return torch.cat([tensor, mask * 4.0 - 2.0], dim=1)


def crop_input(crops: CropSet, box_channel: bool = True) -> torch.Tensor:
    """The model input of a crop set (:func:`to_input`), with or without the box channel."""
    return to_input(crops.images, crops.boxes if box_channel else None)


PERMUTATIONS = torch.tensor([[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]])
BINOMIAL_3X3 = torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16.0
LUMA = torch.tensor([0.299, 0.587, 0.114])


# Views a prediction averages, as (window, mirrored): the window is the side of the centred
# square the model sees, as a fraction of the crop's side. Training's geometry draws windows of
# 0.7-1.05 (mean 0.875), so the crop as cut (1.0) sits at the edge of what the model saw; the
# views are the crop as cut and at training's mean window, each also mirrored.
TEST_VIEWS: tuple[tuple[float, bool], ...] = (
    (1.0, False),
    (1.0, True),
    (0.875, False),
    (0.875, True),
)
SINGLE_VIEW: tuple[tuple[float, bool], ...] = ((1.0, False),)


def describe_views(views: tuple[tuple[float, bool], ...]) -> str:
    """How a prediction reads crops, in words: "crops as cut" for :data:`SINGLE_VIEW`, else
    e.g. "class probabilities averaged over 4 views (x1, x1.14; each also mirrored)"."""
    if views == SINGLE_VIEW:
        return "crops as cut"
    zooms = ", ".join(f"x{1 / window:.3g}" for window in dict.fromkeys(w for w, _ in views))
    mirrored = "; each also mirrored" if all((w, not flip) in views for w, flip in views) else ""
    return f"class probabilities averaged over {len(views)} views ({zooms}{mirrored})"


RECOMPOSE = 0.5  # chance per crop of each recomposition (object colour, surroundings)


def augment(
    batch: torch.Tensor, generator: torch.Generator, masks: torch.Tensor | None = None
) -> torch.Tensor:
    """Recomposition where ``masks`` (N, 2, H, W in [0, 1]: the object's visible pixels, its
    silhouette; 1 = inside) are given, geometry on every channel, then photometric changes on
    the RGB (module docstring)."""
    if masks is not None:
        batch = torch.cat([_recompose(batch[:, :3], masks, generator), batch[:, 3:]], dim=1)
    batch = _augment_geometry(batch, generator)
    return torch.cat([_augment_colour(batch[:, :3], generator), batch[:, 3:]], dim=1)


def _uniform(generator: torch.Generator, count: int, low: float, high: float, *shape: int):
    return low + (high - low) * torch.rand(count, *shape, generator=generator)


def _recompose(rgb: torch.Tensor, masks: torch.Tensor, generator: torch.Generator):
    count = rgb.shape[0]
    visible, silhouette = masks[:, :1], masks[:, 1:2]
    recolour = (torch.rand(count, 1, 1, 1, generator=generator) < RECOMPOSE).float() * visible
    gains = _uniform(generator, count, 0.4, 1.6, 3, 1, 1)
    linear = rgb * 0.25 + 0.5
    linear = linear + recolour * ((linear * gains).clamp(0.0, 1.0) - linear)
    # what hides the object (a hand, another object in front) stays with it
    swap = (torch.rand(count, 1, 1, 1, generator=generator) < RECOMPOSE).float() * (
        1.0 - silhouette
    )
    others = torch.flip(linear[torch.randperm(count, generator=generator)], dims=[3])
    return (linear + swap * (others - linear) - 0.5) / 0.25


def _recomposition_masks(crops: CropSet) -> torch.Tensor | None:
    """(N, 2, H, W) floats in [0, 1]: visible pixels and silhouette (the visible pixels again
    where the crops carry no silhouettes), or None without masks."""
    if crops.masks is None:
        return None
    silhouettes = crops.masks if crops.silhouettes is None else crops.silhouettes
    return torch.from_numpy(np.stack([crops.masks, silhouettes], axis=1)).float() / 255


def _augment_geometry(batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    count = batch.shape[0]
    scale = _uniform(generator, count, 0.7, 1.05)
    flip = torch.where(torch.rand(count, generator=generator) < 0.5, -1.0, 1.0)
    angle = _uniform(generator, count, -0.2, 0.2)
    shift = (1.05 - scale)[:, None] * _uniform(generator, count, -1.0, 1.0, 2)
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    theta = torch.zeros(count, 2, 3)
    theta[:, 0, 0], theta[:, 0, 1] = cos * flip, -sin
    theta[:, 1, 0], theta[:, 1, 1] = sin * flip, cos
    theta[:, :, 2] = shift
    return warp(batch, theta)


def warp(batch: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """Resample (N, C, H, W) crops through (N, 2, 3) affine maps from output to input
    coordinates ([-1, 1] across the crop, pixel-edge convention): bilinear, reflection padding.
    Training's geometry and the prediction views both resample here."""
    grid = F.affine_grid(theta, list(batch.shape), align_corners=False)
    return F.grid_sample(
        batch, grid, mode="bilinear", padding_mode="reflection", align_corners=False
    )


def _augment_colour(batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    return (photometric_jitter(batch * 0.25 + 0.5, generator) - 0.5) / 0.25


def photometric_jitter(rgb: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """What differs between renders and photos, drawn per image of (N, 3, H, W) RGB in [0, 1]:
    channel permutation, brightness, contrast, saturation, blur/sharpen and Gaussian noise
    (ranges in the module docstring); returns RGB in [0, 1]. Geometry is untouched."""
    count = rgb.shape[0]
    order = PERMUTATIONS[torch.randint(0, len(PERMUTATIONS), (count,), generator=generator)]
    rgb = torch.gather(rgb, 1, order[:, :, None, None].expand(-1, -1, *rgb.shape[2:]))
    rgb = rgb * _uniform(generator, count, 0.6, 1.4, 1, 1, 1)
    mean = rgb.mean(dim=(1, 2, 3), keepdim=True)
    rgb = (rgb - mean) * _uniform(generator, count, 0.6, 1.6, 1, 1, 1) + mean
    grey = (rgb * LUMA[None, :, None, None]).sum(1, keepdim=True)
    saturation = _uniform(generator, count, 0.0, 1.8, 1, 1, 1)
    saturation[torch.rand(count, generator=generator) < 0.25] = 0.0
    rgb = (rgb - grey) * saturation + grey
    blurred = F.conv2d(rgb.reshape(-1, 1, *rgb.shape[2:]), BINOMIAL_3X3[None, None], padding=1)
    rgb = rgb + _uniform(generator, count, -1.0, 1.0, 1, 1, 1) * (blurred.reshape(rgb.shape) - rgb)
    noise = torch.randn(rgb.shape, generator=generator) * _uniform(
        generator, count, 0, 0.04, 1, 1, 1
    )
    return (rgb + noise).clamp(0.0, 1.0)


@dataclasses.dataclass
class TrainingResult:
    """The kept model, its epoch (1-based), and per-epoch held-out synthetic scores."""

    model: CropNet
    best_epoch: int
    history: list[dict]

    @property
    def held_out_balanced_accuracy(self) -> float:
        return self.history[self.best_epoch - 1]["val_balanced_accuracy"]


# Learning-rate factor applied after every ``lr_drop_after`` epochs without a better held-out
# score. At a constant rate the held-out score swings by up to 0.05 between epochs and which
# epoch wins is close to chance; the drops settle each run near its best.
LR_DROP = 0.2


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
    lr_drop_after: int = 3,
    box_channel: bool = True,
    views: tuple[tuple[float, bool], ...] = TEST_VIEWS,
) -> TrainingResult:
    """Train :class:`CropNet` on ``train``; keep the epoch best on ``held_out`` (synthetic),
    scored with the prediction ``views`` (:func:`predict_logits`)."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = CropNet(classes, channels=4 if box_channel else 3)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    inputs, targets = crop_input(train, box_channel), torch.from_numpy(train.labels)
    masks = _recomposition_masks(train)
    val_inputs, val_targets = crop_input(held_out, box_channel), held_out.labels
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
            batch = augment(inputs[index], generator, None if masks is None else masks[index])
            loss = F.cross_entropy(model(batch), targets[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        logits = predict_logits(model, val_inputs, views=views)
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
                "lr": optimizer.param_groups[0]["lr"],
            }
        )
        key = (scores["balanced_accuracy"], -val_loss)
        if best_key is None or key > best_key:
            best, best_key, best_state, stale = epoch, key, copy.deepcopy(model.state_dict()), 0
        else:
            stale += 1
            if stale >= patience:
                break
            if lr_drop_after and stale % lr_drop_after == 0:
                for group in optimizer.param_groups:
                    group["lr"] *= LR_DROP
    model.load_state_dict(best_state)
    model.eval()
    return TrainingResult(model, best, history)


def crop_view(inputs: torch.Tensor, window: float, mirrored: bool) -> torch.Tensor:
    """The centred square of side ``window`` x the crop's, resampled to the crop's size
    (bilinear; every channel, the box channel included), mirrored left-right if asked."""
    if window == 1.0 and not mirrored:
        return inputs
    theta = torch.zeros(len(inputs), 2, 3)
    theta[:, 0, 0] = -window if mirrored else window
    theta[:, 1, 1] = window
    return warp(inputs, theta)


@torch.no_grad()
def predict_logits(
    model: nn.Module,
    inputs: torch.Tensor,
    batch_size: int = 256,
    views: tuple[tuple[float, bool], ...] = TEST_VIEWS,
) -> torch.Tensor:
    """(N, classes) log of the class probabilities averaged over ``views`` (:data:`TEST_VIEWS`);
    with :data:`SINGLE_VIEW`, the log-softmax of the crops as cut."""
    model.eval()
    if len(inputs) == 0:
        return torch.zeros(0, model.head[-1].out_features)
    chunks = []
    for start in range(0, len(inputs), batch_size):
        batch = inputs[start : start + batch_size]
        probabilities = sum(model(crop_view(batch, *view)).softmax(1) for view in views)
        chunks.append(torch.log(probabilities / len(views)))
    return torch.cat(chunks)


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
