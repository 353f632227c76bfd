"""Real photos stored sideways with an EXIF orientation tag, as phones write them.

The photo is stored 96x64 (landscape) with tag 6 (turn 90 degrees clockwise to display) and a red
square; the labels give the square's box in the frame a labelling tool used. Each test checks
where the crop lands: red at the crop's centre means the box and the pixels agree.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from labels.real_sources import labelled_size, read_real_dataset
from renderer.transfer.crops import real_crops

STORED = (96, 64)  # width, height as stored
SQUARE = (8, 12, 32, 36)  # x0, y0, x1, y1 of the red square in the stored pixels
CLASSES = {"mug": 0}


def _photo(path: Path, orientation: int = 6) -> tuple[int, int, int, int]:
    """Write the JPEG; return the square's box in the displayed frame (pixel edges)."""
    pixels = np.full((STORED[1], STORED[0], 3), 40, np.uint8)
    x0, y0, x1, y1 = SQUARE
    pixels[y0:y1, x0:x1] = (230, 20, 20)
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = orientation
    image.save(path, quality=95, exif=exif.tobytes())
    with Image.open(path) as handle:
        shown = np.asarray(ImageOps.exif_transpose(handle))
    ys, xs = np.nonzero(shown[:, :, 0] > 150)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def _coco(folder: Path, box, size) -> None:
    x0, y0, x1, y1 = box
    (folder / "labels.json").write_text(
        json.dumps(
            {
                "images": [{"id": 1, "file_name": "p.jpg", "width": size[0], "height": size[1]}],
                "annotations": [
                    {"id": 1, "image_id": 1, "category_id": 1, "bbox": [x0, y0, x1 - x0, y1 - y0]}
                ],
                "categories": [{"id": 1, "name": "mug"}],
            }
        )
    )


def _centre_is_red(folder: Path) -> bool:
    crops = real_crops(read_real_dataset(folder), CLASSES)
    assert len(crops) == 1
    centre = crops.images[0, 28:36, 28:36].reshape(-1, 3).mean(0)
    return bool(centre[0] > 150 and centre[1] < 90)


def test_boxes_in_the_displayed_frame_are_cut_from_the_turned_photo(tmp_path):
    shown = _photo(tmp_path / "p.jpg")
    assert shown != SQUARE  # the tag moves the square
    _coco(tmp_path, shown, (STORED[1], STORED[0]))
    assert labelled_size(read_real_dataset(tmp_path).images[0]) == (STORED[1], STORED[0])
    assert _centre_is_red(tmp_path)


def test_a_stated_size_equal_to_the_stored_one_keeps_the_stored_frame(tmp_path):
    _photo(tmp_path / "p.jpg")
    _coco(tmp_path, SQUARE, STORED)
    image = read_real_dataset(tmp_path).images[0]
    assert not image.labels_on_displayed
    assert _centre_is_red(tmp_path)


def test_yolo_and_voc_labels_use_the_displayed_frame(tmp_path):
    yolo, voc = tmp_path / "yolo", tmp_path / "voc"
    for folder in (yolo / "images", yolo / "labels", voc / "JPEGImages", voc / "Annotations"):
        folder.mkdir(parents=True)
    shown = _photo(yolo / "images" / "p.jpg")
    _photo(voc / "JPEGImages" / "p.jpg")
    width, height = STORED[1], STORED[0]
    x0, y0, x1, y1 = shown
    (yolo / "classes.txt").write_text("mug\n")
    (yolo / "labels" / "p.txt").write_text(
        f"0 {(x0 + x1) / 2 / width} {(y0 + y1) / 2 / height} {(x1 - x0) / width} "
        f"{(y1 - y0) / height}\n"
    )
    (voc / "Annotations" / "p.xml").write_text(
        "<annotation><filename>p.jpg</filename>"
        f"<size><width>{width}</width><height>{height}</height></size>"
        f"<object><name>mug</name><bndbox><xmin>{x0 + 1}</xmin><ymin>{y0 + 1}</ymin>"
        f"<xmax>{x1}</xmax><ymax>{y1}</ymax></bndbox></object></annotation>"
    )
    assert read_real_dataset(yolo).images[0].boxes[0].box == pytest.approx(shown)
    assert _centre_is_red(yolo)
    assert _centre_is_red(voc)


def test_boxes_past_the_photos_edge_are_left_out_with_one_warning(tmp_path, caplog):
    """Labels made on the turned photo, pixels stored unturned and the tag lost (as a
    re-encoding export leaves them): the box reaches past the stored height."""
    _photo(tmp_path / "p.jpg", orientation=1)
    _coco(tmp_path, (10, 50, 30, 90), (STORED[1], STORED[0]))
    with caplog.at_level(logging.WARNING):
        crops = real_crops(read_real_dataset(tmp_path), CLASSES)
    assert len(crops) == 0
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 1
    assert "p.jpg" in messages[0] and "turned by 90 degrees" in messages[0]


@pytest.mark.parametrize("stated_stored", [False, True])
def test_the_detector_reads_real_photos_in_the_labels_frame(tmp_path, monkeypatch, stated_stored):
    """``synthscene evaluate --detection`` hands the detector a COCO file whose sizes name the
    labels' frame; the detector's reader returns pixels in that frame, the square under the box."""
    pytest.importorskip("torch")
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "examples"))
    from train_detector import read_in_labelled_frame

    from renderer.commands.evaluate import real_coco
    from renderer.transfer.protocol import parse_class_mapping

    shown = _photo(tmp_path / "p.jpg")
    box, size = (SQUARE, STORED) if stated_stored else (shown, (STORED[1], STORED[0]))
    _coco(tmp_path, box, size)
    coco = real_coco([read_real_dataset(tmp_path)], parse_class_mapping("mug=mug,bottle=bottle"))
    entry, annotation = coco["images"][0], coco["annotations"][0]
    assert (entry["width"], entry["height"]) == size
    pixels = read_in_labelled_frame(Path(entry["file_name"]), entry)
    x, y, w, h = (round(v) for v in annotation["bbox"])
    inside = pixels[y : y + h, x : x + w].reshape(-1, 3).mean(0)  # BGR
    assert inside[2] > 150 and inside[1] < 90
