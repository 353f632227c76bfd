"""The PyTorch dataset: shapes and dtypes torchvision detection models take, values from the labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from labels import analytic, native
from labels.analytic import Box, Sphere
from labels.passes import CameraModel

torch = pytest.importorskip("torch")

from labels.torch_dataset import DetectionDataset, collate  # noqa: E402

WIDTH, HEIGHT = 40, 32


def write_shard(folder: Path, frames: int) -> Path:
    for index in range(frames):
        cam = CameraModel(
            K=analytic.intrinsics(WIDTH, HEIGHT, 36.0),
            world_to_camera=analytic.look_at((0.4 * index, -5, 0.6), (0, 0, 0)),
            width=WIDTH,
            height=HEIGHT,
        )
        shapes = [
            Sphere((0, 0, 0), 1.0, category="ball"),
            Box((0.7, -2, 0), (0.6, 0.6, 0.6), category="crate"),
            Sphere((0, 4, 0), 0.4, category="ball"),
        ]  # hidden behind the big sphere
        native.write_frame(folder, f"{index:06d}", analytic.render(cam, shapes))
    return folder


def test_items_have_torchvision_detection_shapes(tmp_path):
    shard = write_shard(tmp_path / "batch", 3)
    dataset = DetectionDataset(shard)
    assert isinstance(dataset, torch.utils.data.Dataset)
    assert len(dataset) == 3 and dataset.class_names == ["ball", "crate"]
    image, target = dataset[1]
    assert image.dtype == torch.float32 and image.shape == (3, HEIGHT, WIDTH)
    assert 0.0 <= image.min() and image.max() <= 1.0
    count = len(target["labels"])
    assert count == 2  # the hidden sphere has no visible pixel
    assert target["boxes"].dtype == torch.float32 and target["boxes"].shape == (count, 4)
    assert target["labels"].dtype == torch.int64
    assert target["masks"].dtype == torch.uint8 and target["masks"].shape == (count, HEIGHT, WIDTH)
    assert target["image_id"] == 2
    instance_map = native.read_frame_arrays(shard, "000001")["instance"]
    for box, mask, label in zip(target["boxes"], target["masks"], target["labels"]):
        rows, cols = np.nonzero(mask.numpy())
        assert box.tolist() == [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]
        ids = np.unique(instance_map[mask.numpy().astype(bool)])
        assert len(ids) == 1
        assert dataset.class_names[label - 1] == ("ball" if ids[0] == 1 else "crate")
    assert torch.all(target["area"] == target["masks"].flatten(1).sum(1).float())
    assert torch.all(target["amodal_masks"] >= target["masks"])


def test_dataloader_batches_with_collate(tmp_path):
    dataset = DetectionDataset([write_shard(tmp_path / "batch", 4)])
    loader = torch.utils.data.DataLoader(dataset, batch_size=2, collate_fn=collate)
    batches = list(loader)
    assert len(batches) == 2
    images, targets = batches[0]
    assert len(images) == len(targets) == 2 and images[0].shape == (3, HEIGHT, WIDTH)
