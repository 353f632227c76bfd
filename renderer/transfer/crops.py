"""Square crops of labelled objects, from synthscene batches and from labelled real photos.

A crop is the square centred on the object's box whose side is the box's longer side plus a
``margin`` on each side (default 10 %, so 1.2x the longer side), cut from the image with
edge-replicate padding where the square leaves the image, then resized to ``size`` x ``size``
(OpenCV; area filter when shrinking, bilinear when enlarging). Crops are uint8 RGB (H, W, 3).

Which objects are cut (DESIGN.md §10): synthetic instances with visible fraction >= 0.6 whose
visible box has both sides >= 12 px; real boxes with both sides >= 12 px.

Real photos are cut in the frame their labels refer to: as displayed (EXIF orientation
applied) or as stored (``labels.real_sources``). A real box that reaches more than
:data:`OUTSIDE_TOLERANCE` of the photo's side past its edge does not belong to that photo (labels
made on a turned or resized copy): it is left out, with one warning per folder that counts
them, names examples and says when they would fit the photo turned by 90 degrees.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import cv2
import numpy as np

from labels.native import FrameReadError, read_frame_json
from labels.real_sources import RealDataset
from labels.sources import check_datasets, ok_frames
from labels.yolo import split_of
from renderer.errors import UserError

log = logging.getLogger(__name__)

CROP_SIZE = 64
MARGIN = 0.1
MIN_SIDE = 12.0
MIN_VISIBLE = 0.6
OUTSIDE_TOLERANCE = 0.02  # share of the photo's side a real box may reach past its edge


@dataclasses.dataclass
class CropSet:
    """Crops (N, S, S, 3) uint8, class index per crop (N,), a group name per crop (its frame),
    the labelled box inside each crop (N, 4) float32, xyxy in crop pixels (pixel edges,
    (0, 0) = the crop's top-left corner; see :func:`box_in_crop`), and for synthetic crops the
    object's visible pixels in the crop (N, S, S) uint8, 255 = the object, and its silhouette
    (amodal mask: the visible pixels and those where something in front hides it, same layout;
    both None for real crops)."""

    images: np.ndarray
    labels: np.ndarray
    groups: list[str]
    boxes: np.ndarray
    masks: np.ndarray | None = None
    silhouettes: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, keep: np.ndarray) -> CropSet:
        keep = np.asarray(keep, bool)
        return CropSet(
            self.images[keep],
            self.labels[keep],
            [group for group, flag in zip(self.groups, keep) if flag],
            self.boxes[keep],
            None if self.masks is None else self.masks[keep],
            None if self.silhouettes is None else self.silhouettes[keep],
        )

    def counts(self, classes: int) -> list[int]:
        return np.bincount(self.labels, minlength=classes).tolist()


def empty_crops(size: int = CROP_SIZE) -> CropSet:
    return CropSet(
        np.zeros((0, size, size, 3), np.uint8),
        np.zeros(0, np.int64),
        [],
        np.zeros((0, 4), np.float32),
    )


def box_in_crop(box: Sequence[float], size: int = CROP_SIZE, margin: float = MARGIN) -> np.ndarray:
    """Where pixel-edge xyxy ``box`` lies inside its :func:`square_crop` (crop pixels, float32):
    centred, its longer side spanning ``size / (1 + 2 * margin)``."""
    x0, y0, x1, y1 = map(float, box)
    scale = size / (max(x1 - x0, y1 - y0, 1e-6) * (1.0 + 2.0 * margin))
    half_width, half_height = (x1 - x0) * scale / 2.0, (y1 - y0) * scale / 2.0
    centre = size / 2.0
    return np.float32(
        [centre - half_width, centre - half_height, centre + half_width, centre + half_height]
    )


def square_crop(
    image: np.ndarray, box: Sequence[float], size: int = CROP_SIZE, margin: float = MARGIN
) -> np.ndarray:
    """The square crop (module docstring) of pixel-edge xyxy ``box`` from uint8 (H, W[, C])
    ``image``."""
    x0, y0, x1, y1 = map(float, box)
    side = max(x1 - x0, y1 - y0) * (1.0 + 2.0 * margin)
    left = round((x0 + x1) / 2.0 - side / 2.0)
    top = round((y0 + y1) / 2.0 - side / 2.0)
    extent = max(1, round(side))
    height, width = image.shape[:2]
    pad = (
        max(0, -top),
        max(0, top + extent - height),
        max(0, -left),
        max(0, left + extent - width),
    )
    window = image[
        max(0, top) : min(height, top + extent), max(0, left) : min(width, left + extent)
    ]
    if any(pad):
        window = cv2.copyMakeBorder(window, *pad, cv2.BORDER_REPLICATE)
    interpolation = cv2.INTER_AREA if extent > size else cv2.INTER_LINEAR
    return cv2.resize(np.ascontiguousarray(window), (size, size), interpolation=interpolation)


def synthetic_crops(
    datasets: Sequence[str | Path],
    classes: Sequence[str],
    size: int = CROP_SIZE,
    min_visible: float = MIN_VISIBLE,
    min_side: float = MIN_SIDE,
    frames: int | None = None,
) -> CropSet:
    """Crops of the instances of ``classes`` (index = position) in synthscene batch folders
    (their first ``frames`` finished frames in frame order, when given), with each object's
    mask and silhouette cut from the frame's label maps the same way."""
    paths = checked_batches(datasets)
    index = {name: position for position, name in enumerate(classes)}
    images, labels, groups, boxes, masks, silhouettes = [], [], [], [], [], []
    for dataset in paths:
        for frame, _ in sorted(ok_frames(dataset))[:frames]:
            try:
                record = read_frame_json(dataset, frame)
            except FrameReadError as error:
                log.warning("skipped %s frame %s: %s", dataset, frame, error.reason)
                continue
            wanted = [
                item
                for item in record.get("instances", [])
                if _usable(item, index, min_visible, min_side)
            ]
            if not wanted:
                continue
            image = _read_rgb(dataset / record["image"])
            maps = _label_maps(dataset / record.get("labels_npz", ""))
            if image is None or maps is None:
                log.warning("skipped %s frame %s: image or label maps unreadable", dataset, frame)
                continue
            for item in wanted:
                images.append(square_crop(image, item["box"], size))
                boxes.append(box_in_crop(item["box"], size))
                mask, silhouette = _object_masks(*maps, item, size)
                masks.append(mask)
                silhouettes.append(silhouette)
                labels.append(index[item["category"]])
                groups.append(f"{dataset.name}/{frame}")
    if not images:
        return empty_crops(size)
    return CropSet(
        np.stack(images),
        np.array(labels, np.int64),
        groups,
        np.stack(boxes),
        np.stack(masks),
        np.stack(silhouettes),
    )


def _label_maps(path: Path) -> tuple[np.ndarray, dict] | None:
    """The frame's instance id map (H, W) and its amodal masks by instance id (none where the
    archive has no amodal masks), from its labels ``.npz``; None if unreadable."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            amodal = {}
            if "amodal_ids" in archive.files and "amodal_masks" in archive.files:
                amodal = dict(zip(archive["amodal_ids"].tolist(), archive["amodal_masks"]))
            return archive["instance"], amodal
    except Exception:  # missing, corrupt or without the maps: the frame is skipped, logged
        return None


def _object_masks(
    instances: np.ndarray, amodal: dict, item: Mapping, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """uint8 (size, size) crops of where the frame shows the instance ``item`` and of its
    silhouette (visible or hidden by something in front; the visible mask where the frame has
    no amodal mask for it): 255 inside, same square as the image crop, resampled (grey edges)."""
    instance_id = int(item["instance_id"])
    visible = instances == instance_id
    silhouette = amodal.get(instance_id, visible) | visible
    return tuple(
        square_crop(np.where(pixels, 255, 0).astype(np.uint8), item["box"], size)
        for pixels in (visible, silhouette)
    )


def checked_batches(datasets: Sequence[str | Path]) -> list[Path]:
    try:
        return check_datasets(datasets)
    except ValueError as error:
        raise UserError(str(error)) from None


def _usable(item: Mapping, index: Mapping[str, int], min_visible: float, min_side: float) -> bool:
    box = item.get("box")
    return (
        item.get("category") in index
        and box is not None
        and float(item.get("visible_fraction", 0.0)) >= min_visible
        and min(box[2] - box[0], box[3] - box[1]) >= min_side
    )


def real_crops(
    dataset: RealDataset,
    class_of: Mapping[str, int],
    size: int = CROP_SIZE,
    min_side: float = MIN_SIDE,
) -> CropSet:
    """Crops of the boxes whose (case-folded) category is a key of ``class_of`` (-> class index).

    Raises UserError naming the photos OpenCV cannot decode (all of the folder's photos that
    hold a wanted box are read before the error, so the message lists every bad file).
    """
    images, labels, groups, boxes, unreadable, outside = [], [], [], [], [], []
    for photo in dataset.images:
        wanted = [
            box
            for box in photo.boxes
            if box.category.casefold() in class_of and min(box.width, box.height) >= min_side
        ]
        if not wanted:
            continue
        image = _read_rgb(photo.path, photo.labels_on_displayed)
        if image is None:
            unreadable.append(photo.path)
            continue
        for box in wanted:
            if not box_fits(box.box, image.shape[1], image.shape[0]):
                outside.append((photo, box.box, image.shape[1], image.shape[0]))
                continue
            images.append(square_crop(image, box.box, size))
            boxes.append(box_in_crop(box.box, size))
            labels.append(class_of[box.category.casefold()])
            groups.append(str(photo.path))
    if outside:
        log.warning(_outside_message(dataset, outside, len(images)))
    if unreadable:
        shown = ", ".join(str(path) for path in unreadable[:3]) + (
            " ..." if len(unreadable) > 3 else ""
        )
        raise UserError(
            f"real folder {dataset.root}: {len(unreadable)} labelled photo(s) cannot be "
            f"decoded ({shown}); remove them or convert them to PNG/JPEG"
        )
    if not images:
        return empty_crops(size)
    return CropSet(np.stack(images), np.array(labels, np.int64), groups, np.stack(boxes))


def split_synthetic(crops: CropSet, val_fraction: float) -> tuple[CropSet, CropSet]:
    """(train, held-out) by frame: a frame's crops all go where ``labels.yolo.split_of`` puts its
    frame name (groups are ``batch-folder/frame``; the folder's name does not change the split)."""
    held_out = np.array(
        [split_of(group.rsplit("/", 1)[-1], val_fraction) == "val" for group in crops.groups], bool
    )
    return crops.subset(~held_out), crops.subset(held_out)


def box_fits(box: Sequence[float], width: int, height: int) -> bool:
    """Whether pixel-edge xyxy ``box`` lies in a ``width`` x ``height`` photo, allowing
    :data:`OUTSIDE_TOLERANCE` of each side (plus a pixel) past the edges for loose labels."""
    x0, y0, x1, y1 = map(float, box)
    slack_x, slack_y = OUTSIDE_TOLERANCE * width + 1.0, OUTSIDE_TOLERANCE * height + 1.0
    return x0 >= -slack_x and y0 >= -slack_y and x1 <= width + slack_x and y1 <= height + slack_y


def _outside_message(dataset: RealDataset, outside: list, kept: int) -> str:
    photos = list(dict.fromkeys(str(photo.path) for photo, *_ in outside))
    turned = sum(1 for _, box, width, height in outside if box_fits(box, height, width))
    first_photo, first_box, width, height = outside[0]
    text = (
        f"real folder {dataset.root}: {len(outside)} labelled box(es) in {len(photos)} photo(s) "
        f"reach past their photo's edge and are left out ({kept} crops kept); e.g. "
        f"{first_photo.path.name}: box {[round(v) for v in first_box]} in a {width}x{height} photo"
    )
    if turned == len(outside):
        text += (
            "; every one of them fits the photo turned by 90 degrees: the labels were made on "
            "the photos as displayed and these copies lost their EXIF orientation. Export the "
            "photos again with their orientation applied (other photos of the folder may be "
            "affected without reaching past an edge)"
        )
    else:
        text += "; check that the labels belong to these photos at this size"
    return text


def _read_rgb(path: Path, apply_orientation: bool = True) -> np.ndarray | None:
    """uint8 RGB of a photo, turned by its EXIF orientation when ``apply_orientation``."""
    flags = cv2.IMREAD_COLOR | (0 if apply_orientation else cv2.IMREAD_IGNORE_ORIENTATION)
    data = cv2.imread(str(path), flags)
    return None if data is None else np.ascontiguousarray(data[:, :, ::-1])


def contact_sheet(crops: CropSet, per_class: int, classes: int) -> np.ndarray:
    """A uint8 RGB grid: one row per class, the first ``per_class`` crops of that class."""
    size = crops.images.shape[1] if len(crops) else CROP_SIZE
    sheet = np.full((classes * size, per_class * size, 3), 255, np.uint8)
    for label in range(classes):
        for column, index in enumerate(np.flatnonzero(crops.labels == label)[:per_class]):
            sheet[label * size : (label + 1) * size, column * size : (column + 1) * size] = (
                crops.images[index]
            )
    return sheet
