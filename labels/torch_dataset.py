"""A PyTorch ``Dataset`` over native batch folders, shaped for torchvision detection models.

``dataset[i]`` returns ``(image, target)``:

* ``image``: float32 tensor (3, H, W), RGB in [0, 1];
* ``target["boxes"]``: float32 (N, 4) pixel-edge xyxy (what torchvision's Mask R-CNN takes);
* ``target["labels"]``: int64 (N,) category ids 1..C (0 is background), the same ids as the COCO
  export (sorted names, or ``category_order``);
* ``target["masks"]``: uint8 (N, H, W) visible masks; ``target["image_id"]``: int (index + 1,
  the frame's COCO image id: frames are in frame-name order, so index 0 is frame 000000);
* ``target["area"]`` float32 (N,) visible pixels, ``target["iscrowd"]`` int64 zeros,
  ``target["amodal_masks"]`` uint8 (N, H, W), ``target["visible_fraction"]`` float32 (N,).

Only instances with at least one visible pixel are included. torch is imported by this module
only (not by ``labels``); without it, creating the dataset raises an ImportError naming the
``torch`` extra.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional, Sequence, Union

import numpy as np

from labels.categories import names_by_id
from labels.native import read_frame_arrays, read_frame_json, read_image
from labels.sources import check_datasets, collect_categories, ok_frames

try:
    import torch

    _DatasetBase = torch.utils.data.Dataset
except ImportError:  # the optional extra is not installed
    torch = None
    _DatasetBase = object

PathLike = Union[str, Path]


class DetectionDataset(_DatasetBase):
    """Frames of one or more batch folders as ``(image, target)`` pairs (see module docstring).

    Args:
      datasets: a batch folder or a list of them.
      category_order: explicit category list (ids = position + 1); default sorted names.
      transforms: optional ``callable(image, target) -> (image, target)`` applied last.
    """

    def __init__(
        self,
        datasets: Union[PathLike, Sequence[PathLike]],
        category_order: Optional[Sequence[str]] = None,
        transforms: Optional[Callable] = None,
    ):
        if torch is None:
            raise ImportError(
                "DetectionDataset needs PyTorch: pip install 'synthscene[torch]' (torch==2.13.0)"
            )
        folders = [datasets] if isinstance(datasets, (str, Path)) else list(datasets)
        self.datasets = check_datasets(folders)
        self.categories = collect_categories(self.datasets, category_order)
        self.frames = [
            (dataset, name) for dataset in self.datasets for name, _ in ok_frames(dataset)
        ]
        self.transforms = transforms

    @property
    def class_names(self) -> list[str]:
        """Category names in id order: ``class_names[label - 1]`` names a label."""
        return names_by_id(self.categories)

    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, index: int):
        dataset, name = self.frames[index]
        labels = read_frame_json(dataset, name)
        arrays = read_frame_arrays(dataset, name)
        image = read_image(dataset, name)
        amodal = dict(zip(arrays["amodal_ids"].tolist(), arrays["amodal_masks"]))
        visible = [item for item in labels["instances"] if item.get("visible_pixels")]
        height, width = arrays["instance"].shape
        masks = np.zeros((len(visible), height, width), dtype=np.uint8)
        for row, item in enumerate(visible):
            masks[row] = arrays["instance"] == item["instance_id"]
        target = {
            "boxes": torch.tensor([item["box"] for item in visible], dtype=torch.float32).reshape(
                -1, 4
            ),
            "labels": torch.tensor(
                [self.categories[item["category"]] for item in visible], dtype=torch.int64
            ),
            "masks": torch.from_numpy(masks),
            "image_id": index + 1,
            "area": torch.tensor([item["visible_pixels"] for item in visible], dtype=torch.float32),
            "iscrowd": torch.zeros(len(visible), dtype=torch.int64),
            "amodal_masks": torch.from_numpy(
                np.stack([amodal[item["instance_id"]] for item in visible]).astype(np.uint8)
                if visible
                else np.zeros((0, height, width), dtype=np.uint8)
            ),
            "visible_fraction": torch.tensor(
                [item["visible_fraction"] for item in visible], dtype=torch.float32
            ),
        }
        tensor = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float() / 255.0
        if self.transforms is not None:
            tensor, target = self.transforms(tensor, target)
        return tensor, target


def collate(batch):
    """``DataLoader`` collate for detection: a tuple of images and a tuple of targets."""
    return tuple(zip(*batch))
