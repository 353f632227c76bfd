"""Train-on-synthetic / test-on-real crop classification over N seeds (DESIGN.md §10).

1. Crops (:mod:`renderer.transfer.crops`) of the mapped classes from the synthetic batch folders
   and from each real folder (:mod:`labels.real_sources`).
2. The synthetic crops are split by frame into train and held-out (``val_fraction``, the hash
   rule of ``labels.yolo.split_of``, so the split does not depend on the seed).
3. For each seed: :func:`renderer.transfer.classifier.train_classifier` (epoch chosen on the
   held-out synthetic crops, the learning rate cut after ``lr_drop_after`` epochs without a
   better one), then predictions on every real crop (class probabilities
   averaged over the classifier's ``TEST_VIEWS``, or the crop as cut with ``test_views=False``;
   the held-out scoring uses the same views).
4. Metrics per real folder and over all real crops pooled: accuracy, balanced accuracy,
   per-class accuracy, confusion matrix; per seed and as mean / std (population) / min / max.
   With several folders, also their *mean over folders* (:func:`folder_mean_metrics`): each
   class's accuracy averaged over the folders that hold the class, so a large folder of one
   class does not outweigh the others as it does in the pooled score.
   The spread over seeds says nothing of how few real photos there are, so each source also
   gets a 95 % bootstrap interval of the seed-mean balanced accuracy over its crops
   (:func:`bootstrap_interval`).
5. Accuracy by box shape (:func:`accuracy_by_box_shape`): per folder and class, the seed-mean
   accuracy of the crops whose labelled box falls in each width/height bucket of
   :data:`BOX_SHAPE_EDGES`, beside the share of the synthetic training crops of that class in
   the same buckets. The classifier is told the box, so this shows where its shape prior from
   the renders disagrees with the photos (e.g. square-boxed bottles, seen end-on or lying
   diagonally, called cups).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from labels.real_sources import RealDataset
from renderer.errors import UserError
from renderer.transfer.classifier import (
    SINGLE_VIEW,
    TEST_VIEWS,
    describe_views,
    CropNet,
    classification_metrics,
    parameter_count,
    crop_input,
    predict_logits,
    train_classifier,
)
from renderer.transfer.crops import (
    CropSet,
    real_crops,
    split_synthetic,
    synthetic_crops,
)

OVERALL = "all real"
FOLDER_MEAN = "mean over folders"
BOX_SHAPE_EDGES = (0.5, 0.8, 1.25)  # box width / height: tall | upright | squarish | wide


@dataclasses.dataclass(frozen=True)
class ClassMapping:
    """Ordered classifier classes (synthetic names) and real category name -> class index."""

    synthetic: tuple[str, ...]
    real: dict[str, int]

    @property
    def real_names(self) -> list[str]:
        """One real name per class (the first given), for tables."""
        names = {}
        for name, index in self.real.items():
            names.setdefault(index, name)
        return [names[index] for index in range(len(self.synthetic))]


def parse_class_mapping(text: str) -> ClassMapping:
    """``"bottle=bottle,cup=mug"`` (real=synthetic, comma-separated; several real names may share
    a synthetic class) -> :class:`ClassMapping`; UserError on a malformed entry."""
    synthetic: list[str] = []
    real: dict[str, int] = {}
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        real_name, sep, synthetic_name = (side.strip() for side in entry.partition("="))
        if not sep or not real_name or not synthetic_name:
            raise UserError(
                f"--classes entry {entry!r} is invalid: write REAL=SYNTHETIC pairs, e.g. "
                "--classes bottle=bottle,cup=mug"
            )
        if synthetic_name not in synthetic:
            synthetic.append(synthetic_name)
        if real_name.casefold() in real:
            raise UserError(f"--classes names the real class {real_name!r} twice; map it once")
        real[real_name.casefold()] = synthetic.index(synthetic_name)
    if len(synthetic) < 2:
        raise UserError(
            f"--classes {text!r} maps fewer than 2 synthetic classes; a classifier needs "
            "at least two, e.g. --classes bottle=bottle,cup=mug"
        )
    return ClassMapping(tuple(synthetic), real)


def check_mapping(
    mapping: ClassMapping, synthetic_categories: set[str], real_sets: Sequence[RealDataset]
) -> None:
    """UserError naming a mapped class that no synthetic batch or no real folder has."""
    missing = [name for name in mapping.synthetic if name not in synthetic_categories]
    if missing:
        raise UserError(
            f"--classes: synthetic class(es) {missing} do not occur in the synthetic batch "
            f"(it has {sorted(synthetic_categories)}); map real classes to those"
        )
    real_known = {name.casefold() for dataset in real_sets for name in dataset.categories}
    unknown = [name for name in mapping.real if name not in real_known]
    if unknown:
        available = sorted({name for dataset in real_sets for name in dataset.categories})
        shown = ", ".join(available[:40]) + (" ..." if len(available) > 40 else "")
        raise UserError(
            f"--classes: real class(es) {unknown} are not in the real labels "
            f"({shown}); use their names as the real folders spell them"
        )


@dataclasses.dataclass
class EvaluationSettings:
    seeds: int = 3
    first_seed: int = 0
    val_fraction: float = 0.2
    max_epochs: int = 30
    patience: int = 6
    lr_drop_after: int = 3  # learning rate x0.2 after every 3 epochs without improvement; 0: off
    threads: int = 1
    box_channel: bool = True
    test_views: bool = True  # average the classifier's TEST_VIEWS; False: the crop as cut


def evaluate_transfer(
    synthetic_dirs: Sequence[Path],
    real_sets: Sequence[RealDataset],
    mapping: ClassMapping,
    settings: EvaluationSettings,
    crops: tuple[CropSet, dict[str, CropSet]] | None = None,
) -> dict:
    """Run the protocol (module docstring); return the JSON-ready report."""
    started = time.perf_counter()
    synthetic, real = crops or collect_crops(synthetic_dirs, real_sets, mapping)
    classes = len(mapping.synthetic)
    train, held_out = split_synthetic(synthetic, settings.val_fraction)
    _check_crops(train, held_out, real, mapping)
    if settings.threads:
        torch.set_num_threads(settings.threads)
    runs = []
    pooled = pooled_crops(real)  # the sources' crops, concatenated in order
    inputs = {name: crop_input(crop_set, settings.box_channel) for name, crop_set in real.items()}
    predictions: dict[str, list[np.ndarray]] = {}
    views = TEST_VIEWS if settings.test_views else SINGLE_VIEW
    for seed in range(settings.first_seed, settings.first_seed + settings.seeds):
        result = train_classifier(
            train,
            held_out,
            classes,
            seed,
            max_epochs=settings.max_epochs,
            patience=settings.patience,
            lr_drop_after=settings.lr_drop_after,
            box_channel=settings.box_channel,
            views=views,
        )
        per_source = {}
        for name, crop_set in real.items():
            predicted = predict_logits(result.model, inputs[name], views=views)
            predicted = predicted.argmax(1).numpy()
            per_source[name] = classification_metrics(crop_set.labels, predicted, classes)
            predictions.setdefault(name, []).append(predicted)
        predicted = np.concatenate([predictions[name][-1] for name in real])
        per_source[OVERALL] = classification_metrics(pooled.labels, predicted, classes)
        predictions.setdefault(OVERALL, []).append(predicted)
        if len(real) > 1:
            per_source[FOLDER_MEAN] = folder_mean_metrics([per_source[name] for name in real])
        runs.append(
            {
                "seed": seed,
                "epochs_run": len(result.history),
                "chosen_epoch": result.best_epoch,
                "synthetic_held_out_balanced_accuracy": result.held_out_balanced_accuracy,
                "real": per_source,
                "history": result.history,
            }
        )
    return {
        "protocol": "DESIGN.md §10: square crops with 10% margin, 64x64"
        + (" plus the box channel" if settings.box_channel else ", image only")
        + "; CNN trained from scratch on synthetic crops only (class-balanced, augmented), "
        "epoch chosen on a held-out synthetic split; tested on real crops, "
        + describe_views(views),
        "classes": list(mapping.synthetic),
        "real_names": mapping.real_names,
        "mapping": {name: mapping.synthetic[index] for name, index in mapping.real.items()},
        "synthetic": [str(path) for path in synthetic_dirs],
        "real_sources": {
            dataset.name: {"path": str(dataset.root), "format": dataset.format}
            for dataset in real_sets
        },
        "crops": {
            "synthetic_train": train.counts(classes),
            "synthetic_held_out": held_out.counts(classes),
            **{name: crop_set.counts(classes) for name, crop_set in real.items()},
        },
        "model": {
            "name": "CropNet",
            "parameters": parameter_count(
                CropNet(classes, channels=4 if settings.box_channel else 3)
            ),
        },
        "settings": dataclasses.asdict(settings),
        "summary": summarise(
            runs,
            list(runs[0]["real"]),  # the folders, the pooled set, the mean over folders if any
            classes,
            _intervals(real, pooled, predictions, classes),
        ),
        "by_box_shape": {
            "edges": list(BOX_SHAPE_EDGES),
            "synthetic_train_share": box_shape_shares(train, classes),
            "real_accuracy": {
                name: accuracy_by_box_shape(crop_set, predictions[name], classes)
                for name, crop_set in real.items()
            },
        },
        "runs": runs,
        "seconds": round(time.perf_counter() - started, 1),
    }


def collect_crops(
    synthetic_dirs: Sequence[Path],
    real_sets: Sequence[RealDataset],
    mapping: ClassMapping,
    frames: int | None = None,
) -> tuple[CropSet, dict[str, CropSet]]:
    """Synthetic crops (of each batch's first ``frames`` frames when given) and real crops."""
    synthetic = synthetic_crops(synthetic_dirs, mapping.synthetic, frames=frames)
    real = {}
    for dataset in real_sets:
        name = dataset.name if dataset.name not in real else str(dataset.root)
        real[name] = real_crops(dataset, mapping.real)
    return synthetic, real


def _check_crops(
    train: CropSet, held_out: CropSet, real: dict[str, CropSet], mapping: ClassMapping
) -> None:
    classes = len(mapping.synthetic)
    for label, crop_set in (("training", train), ("held-out", held_out)):
        empty = [
            mapping.synthetic[i] for i, count in enumerate(crop_set.counts(classes)) if count == 0
        ]
        if empty:
            raise UserError(
                f"the synthetic {label} split has no crop of {empty} (visible fraction >= 0.6, "
                "both box sides >= 12 px); render more frames or larger objects"
            )
    if sum(len(crop_set) for crop_set in real.values()) == 0:
        raise UserError(
            f"no real box of {sorted(mapping.real)} has both sides >= 12 px in "
            f"{', '.join(real)}; check --classes against the real labels"
        )


def _intervals(
    real: dict[str, CropSet], pooled: CropSet, predictions: dict, classes: int
) -> dict[str, list[float] | None]:
    """The bootstrap interval of every real folder, the pooled set and (several folders) the
    mean over folders, from each source's per-seed ``predictions``."""
    intervals = {
        name: bootstrap_interval(crop_set.labels, predictions[name], classes)
        for name, crop_set in {**real, OVERALL: pooled}.items()
    }
    if len(real) > 1:
        folders = np.repeat(np.arange(len(real)), [len(crop_set) for crop_set in real.values()])
        intervals[FOLDER_MEAN] = bootstrap_interval(
            pooled.labels, predictions[OVERALL], classes, sources=folders
        )
    return intervals


def box_shape_bucket(crops: CropSet) -> np.ndarray:
    """(N,) bucket index of each crop's labelled box: its width / height against
    :data:`BOX_SHAPE_EDGES` (0 = tallest bucket)."""
    width = crops.boxes[:, 2] - crops.boxes[:, 0]
    height = np.maximum(crops.boxes[:, 3] - crops.boxes[:, 1], 1e-6)
    return np.searchsorted(np.asarray(BOX_SHAPE_EDGES), width / height, side="right")


def box_shape_shares(crops: CropSet, classes: int) -> list[list[float] | None]:
    """Per class, the share of its crops in each box-shape bucket (None for a class without
    crops)."""
    buckets = box_shape_bucket(crops)
    shares = []
    for label in range(classes):
        mine = buckets[crops.labels == label]
        counts = np.bincount(mine, minlength=len(BOX_SHAPE_EDGES) + 1)
        shares.append([round(float(c / len(mine)), 4) for c in counts] if len(mine) else None)
    return shares


def accuracy_by_box_shape(
    crops: CropSet, predictions: Sequence[np.ndarray], classes: int
) -> list[list[dict] | None]:
    """Per class, per box-shape bucket: ``{"crops": n, "accuracy": seed-mean share of the
    bucket's crops of that class predicted as it}`` (accuracy None for an empty bucket; None
    for a class the folder does not hold)."""
    buckets = box_shape_bucket(crops)
    correct = np.mean([np.asarray(p) == crops.labels for p in predictions], axis=0)
    result = []
    for label in range(classes):
        mine = crops.labels == label
        if not mine.any():
            result.append(None)
            continue
        cells = []
        for bucket in range(len(BOX_SHAPE_EDGES) + 1):
            members = mine & (buckets == bucket)
            cells.append(
                {
                    "crops": int(members.sum()),
                    "accuracy": round(float(correct[members].mean()), 4) if members.any() else None,
                }
            )
        result.append(cells)
    return result


def folder_mean_metrics(per_folder: Sequence[dict]) -> dict:
    """The mean over folders of :func:`classification_metrics` results: each class's accuracy
    averaged over the folders holding crops of it (None where none does), balanced accuracy =
    their mean over the classes present. Accuracy and confusion have no such mean: None."""
    classes = len(per_folder[0]["per_class_accuracy"])
    recall = []
    for label in range(classes):
        values = [m["per_class_accuracy"][label] for m in per_folder]
        values = [value for value in values if value is not None]
        recall.append(float(np.mean(values)) if values else None)
    present = [value for value in recall if value is not None]
    return {
        "crops": sum(m["crops"] for m in per_folder),
        "accuracy": None,
        "balanced_accuracy": float(np.mean(present)) if present else None,
        "per_class_accuracy": recall,
        "confusion": None,
    }


def pooled_crops(real: dict[str, CropSet]) -> CropSet:
    """All real folders' crops in one set (real crops carry no masks)."""
    sets = list(real.values())
    return CropSet(
        np.concatenate([s.images for s in sets]),
        np.concatenate([s.labels for s in sets]),
        [group for s in sets for group in s.groups],
        np.concatenate([s.boxes for s in sets]),
    )


BOOTSTRAP_RESAMPLES = 2000


def bootstrap_interval(
    truth: np.ndarray,
    predictions: Sequence[np.ndarray],
    classes: int,
    level: float = 0.95,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = 0,
    sources: np.ndarray | None = None,
) -> list[float] | None:
    """Percentile bootstrap interval (``level``) of the balanced accuracy averaged over the
    seeds' ``predictions`` (one (N,) array per seed for the N crops of ``truth``): each
    resample draws, within every class, as many crops as it has, with replacement, the same
    draw for every seed. It says how far the score could move on another sample of photos like
    these; another synthetic batch of the same recipe moves it further. With ``sources`` (N,)
    folder ids, crops are drawn within every folder and class, and each class's accuracy is the
    mean over the folders holding it (the mean over folders). None without crops."""
    truth = np.asarray(truth, np.int64)
    if len(truth) == 0 or not predictions:
        return None
    sources = np.zeros(len(truth), np.int64) if sources is None else np.asarray(sources)
    correct = np.stack([np.asarray(p) == truth for p in predictions])  # (seeds, N)
    generator = np.random.default_rng(seed)
    recalls = []
    for label in range(classes):
        per_source = []
        for source in np.unique(sources):
            members = np.flatnonzero((truth == label) & (sources == source))
            if len(members) == 0:
                continue
            draws = generator.choice(members, size=(resamples, len(members)), replace=True)
            per_source.append(correct[:, draws].mean(axis=2))  # (seeds, resamples)
        if per_source:
            recalls.append(np.mean(per_source, axis=0))
    scores = np.mean(recalls, axis=0).mean(axis=0)
    tail = (1.0 - level) / 2 * 100
    low, high = np.percentile(scores, [tail, 100 - tail])
    return [round(float(low), 4), round(float(high), 4)]


def summarise(
    runs: list[dict],
    sources: list[str],
    classes: int,
    intervals: dict[str, list[float] | None],
) -> dict:
    """Per source: mean / std / min / max over seeds of accuracy and balanced accuracy, mean
    per-class accuracy, the confusion matrix summed over seeds (None for the mean over
    folders) and the bootstrap interval of the balanced accuracy
    (``balanced_accuracy_interval``, from ``intervals``)."""
    summary = {}
    for source in sources:
        results = [run["real"][source] for run in runs]
        entry = {"crops": results[0]["crops"]}
        for key in ("accuracy", "balanced_accuracy"):
            values = [r[key] for r in results if r[key] is not None]
            entry[key] = _stats(values)
        entry["balanced_accuracy_interval"] = intervals.get(source)
        entry["per_class_accuracy"] = [
            _mean(
                [
                    r["per_class_accuracy"][i]
                    for r in results
                    if r["per_class_accuracy"][i] is not None
                ]
            )
            for i in range(classes)
        ]
        confusions = [r["confusion"] for r in results if r["confusion"] is not None]
        entry["confusion_summed_over_seeds"] = (
            np.sum(confusions, axis=0).tolist() if confusions else None
        )
        summary[source] = entry
    held_out = [run["synthetic_held_out_balanced_accuracy"] for run in runs]
    summary["synthetic held-out"] = {
        "balanced_accuracy": _stats(held_out),
        "chosen_epochs": [run["chosen_epoch"] for run in runs],
    }
    return summary


def _stats(values: list[float]) -> dict | None:
    if not values:
        return None
    array = np.asarray(values, np.float64)
    return {
        "mean": round(float(array.mean()), 4),
        "std": round(float(array.std()), 4),
        "min": round(float(array.min()), 4),
        "max": round(float(array.max()), 4),
        "values": [round(float(v), 4) for v in array],
    }


def _mean(values: list[float]) -> float | None:
    return round(float(np.mean(values)), 4) if values else None
