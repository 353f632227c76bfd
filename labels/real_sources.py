"""Reading labelled real photos: COCO, YOLO and Pascal-VOC folders, format auto-detected.

Used by ``synthscene evaluate`` to cut crops of labelled objects out of real photos. Every
reader returns a :class:`RealDataset`: image paths and, per image, its boxes as
**pixel-edge xyxy floats** (the convention of :mod:`labels.boxes`) with the source's own category
names. How each format is recognised and converted:

* **COCO**: a ``*.json`` with ``images``, ``annotations`` and ``categories`` (at the folder's
  top or in ``annotations/``); ``bbox`` is ``[x, y, w, h]`` in pixel-edge coordinates, so
  ``xyxy = (x, y, x + w, y + h)``. ``iscrowd`` boxes are left out. ``file_name`` is looked up
  next to the JSON, in ``images/`` (and its sub-folders), then by file name anywhere in the folder.
* **YOLO**: ``labels/**/*.txt`` next to ``images/**`` (the Ultralytics layout) or ``.txt`` files
  beside the images; class names from ``data.yaml``/``dataset.yaml`` (``names`` as a list or an
  index -> name mapping), else ``classes.txt`` or a ``*.names`` file. A line is ``class xc yc w h``
  normalised to [0, 1] (``xyxy = ((xc - w/2) W, (yc - h/2) H, ...)``); a segmentation line
  (``class x1 y1 x2 y2 ...``) becomes the box of its polygon.
* **Pascal VOC**: ``*.xml`` files with an ``<annotation>`` root (usually ``Annotations/``);
  ``bndbox`` coordinates are 1-based inclusive pixel indices, so ``xyxy = (xmin - 1, ymin - 1,
  xmax, ymax)``. The image is ``<filename>`` in ``JPEGImages/``, next to the XML, or found by name.

Image sizes come from the file header (Pillow, nothing decoded) where the format does not state
them. No bpy, no torch.

**Orientation.** Phone photos are often stored sideways with an EXIF ``Orientation`` tag that
viewers apply. Labelling tools (CVAT, Roboflow, Ultralytics, LabelMe) label the photo as
displayed, so boxes are read in the *displayed* frame (tag applied), unless the label file
states an image size that matches the photo as stored with a tag that swaps its sides (5-8): then
the labels were made on the stored pixels. :meth:`RealImage.labels_on_displayed` holds the
decision and :func:`labelled_size` the frame's size; ``renderer.transfer.crops`` cuts the
crops in that same frame.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from pathlib import Path
from xml.etree import ElementTree

PathLike = str | Path
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
FORMATS = ("coco", "yolo", "voc")
YOLO_NAME_FILES = ("data.yaml", "dataset.yaml", "data.yml", "classes.txt", "obj.names")


class RealLabelsError(ValueError):
    """A real-photo folder cannot be read as labelled data; the message names it and the fix."""


@dataclasses.dataclass(frozen=True)
class RealBox:
    """One labelled object: source category name and pixel-edge xyxy box (floats, pixels)."""

    category: str
    box: tuple[float, float, float, float]

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]


@dataclasses.dataclass
class RealImage:
    """One photo and its labelled objects; ``stated_size`` is the (width, height) the label
    file gives for the photo (COCO ``width``/``height``, VOC ``<size>``), None where it gives
    none (YOLO)."""

    path: Path
    boxes: list[RealBox]
    stated_size: tuple[int, int] | None = None

    @property
    def labels_on_displayed(self) -> bool:
        """Whether the boxes refer to the photo with its EXIF orientation applied (module
        docstring): True unless a side-swapping tag meets a stated size equal to the stored one."""
        return labels_frame(self.path, self.stated_size)[0]


SWAPPING_ORIENTATIONS = (5, 6, 7, 8)  # EXIF orientations that turn the photo by 90 degrees


def photo_orientation(path: Path) -> tuple[int, tuple[int, int]]:
    """(EXIF orientation tag, 1 when absent or unreadable; stored (width, height) in pixels,
    (0, 0) when the file cannot be opened), from the header only."""
    from PIL import Image, UnidentifiedImageError  # pylint: disable=import-outside-toplevel

    try:
        with Image.open(path) as handle:
            orientation = int(handle.getexif().get(0x0112, 1) or 1)
            return (orientation if 1 <= orientation <= 8 else 1), handle.size
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError):
        return 1, (0, 0)


def labels_frame(path: Path, stated_size: tuple[int, int] | None) -> tuple[bool, tuple[int, int]]:
    """From one header read: whether a photo's boxes refer to it as displayed (module
    docstring), and that frame's (width, height) in pixels; (0, 0) when it cannot be opened."""
    orientation, (width, height) = photo_orientation(path)
    if orientation not in SWAPPING_ORIENTATIONS:
        return True, (width, height)
    if stated_size is not None and tuple(stated_size) == (width, height):
        return False, (width, height)
    return True, (height, width)


def labelled_size(image: RealImage) -> tuple[int, int]:
    """(width, height) in pixels of the frame ``image``'s boxes refer to (:func:`labels_frame`)."""
    return labels_frame(image.path, image.stated_size)[1]


@dataclasses.dataclass
class RealDataset:
    """A folder of labelled real photos in one of :data:`FORMATS`."""

    root: Path
    format: str
    images: list[RealImage]
    categories: list[str]

    @property
    def name(self) -> str:
        return self.root.name

    def boxes(self) -> Iterable[tuple[RealImage, RealBox]]:
        for image in self.images:
            for box in image.boxes:
                yield image, box

    def count(self, category: str, min_side: float = 0.0) -> int:
        """Number of boxes of ``category`` whose shorter side is at least ``min_side`` pixels."""
        return sum(
            1
            for _, box in self.boxes()
            if box.category == category and min(box.width, box.height) >= min_side
        )


def read_real_dataset(folder: PathLike, label_format: str | None = None) -> RealDataset:
    """Read a labelled photo folder; ``label_format`` (one of :data:`FORMATS`) or auto-detected.

    Raises:
      RealLabelsError: the folder is missing, holds no labels of a known format, or its labels
        are malformed (the message names the file).
    """
    root = Path(folder)
    if not root.is_dir():
        raise RealLabelsError(
            f"real folder {root} does not exist or is not a folder; pass a folder "
            "of labelled photos (COCO, YOLO or Pascal-VOC)"
        )
    label_format = label_format or detect_format(root)
    readers = {"coco": _read_coco, "yolo": _read_yolo, "voc": _read_voc}
    if label_format not in readers:
        raise RealLabelsError(
            f"unknown label format {label_format!r}; choose from {', '.join(FORMATS)}"
        )
    dataset = readers[label_format](root)
    if not dataset.images:
        raise RealLabelsError(
            f"real folder {root}: its {label_format} labels name no image that exists "
            "there; keep the photos inside the folder next to their labels"
        )
    return dataset


def detect_format(root: Path) -> str:
    """``"coco"``, ``"yolo"`` or ``"voc"`` for a folder; RealLabelsError naming what is missing."""
    if _coco_files(root):
        return "coco"
    if _voc_files(root):
        return "voc"
    if _yolo_label_files(root):
        return "yolo"
    photos = sum(1 for path in root.rglob("*") if path.suffix.lower() in IMAGE_SUFFIXES)
    found = f"{photos} photo(s) but no labels" if photos else "no photos and no labels"
    raise RealLabelsError(
        f"real folder {root} has {found}: add COCO (a JSON with images/annotations/categories), "
        "YOLO (labels/*.txt + data.yaml or classes.txt) or Pascal-VOC (Annotations/*.xml) labels"
    )


# --- COCO ------------------------------------------------------------------------------------


def _coco_files(root: Path) -> list[Path]:
    candidates = sorted(root.glob("*.json")) + sorted(root.glob("annotations/*.json"))
    # a link to another file (synthscene's labels.json -> coco.json) is the same document
    return [path for path in candidates if not path.is_symlink() and _is_coco(path)]


def _is_coco(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8") as stream:
            head = stream.read(1 << 16)
    except (OSError, UnicodeDecodeError):
        return False
    return '"images"' in head and ('"annotations"' in head or '"categories"' in head)


def _read_coco(root: Path) -> RealDataset:
    index = _ImageIndex(root)
    images: list[RealImage] = []
    names: set[str] = set()
    for json_file in _coco_files(root):
        try:
            data = json.loads(json_file.read_text(encoding="utf-8"))
            categories = {item["id"]: str(item["name"]) for item in data["categories"]}
            by_image: dict[int, list[RealBox]] = {entry["id"]: [] for entry in data["images"]}
            for item in data.get("annotations", []):
                if item.get("iscrowd", 0):
                    continue
                x, y, w, h = map(float, item["bbox"])
                by_image.setdefault(item["image_id"], []).append(
                    RealBox(categories[item["category_id"]], (x, y, x + w, y + h))
                )
        except (ValueError, KeyError, TypeError) as error:
            raise RealLabelsError(
                f"COCO file {json_file} is malformed ({error!r}); export it again "
                "as COCO instances JSON"
            ) from None
        names.update(categories.values())
        for entry in data["images"]:
            path = index.find(entry["file_name"], json_file.parent)
            if path is not None:
                images.append(
                    RealImage(
                        path, by_image.get(entry["id"], []), _stated(entry, "width", "height")
                    )
                )
    return RealDataset(root, "coco", images, sorted(names))


# --- Pascal VOC ------------------------------------------------------------------------------


def _voc_files(root: Path) -> list[Path]:
    files = sorted(root.glob("Annotations/*.xml")) or sorted(root.rglob("*.xml"))
    return [path for path in files if _is_voc(path)]


def _is_voc(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as stream:
            return "<annotation" in stream.read(4096)
    except OSError:
        return False


def _read_voc(root: Path) -> RealDataset:
    index = _ImageIndex(root)
    images: list[RealImage] = []
    names: set[str] = set()
    for xml_file in _voc_files(root):
        try:
            tree = ElementTree.parse(xml_file).getroot()
            boxes = [_voc_box(item) for item in tree.iter("object")]
            file_name = (tree.findtext("filename") or "").strip() or xml_file.stem
            stated = _stated(
                {key: tree.findtext(f"size/{key}") for key in ("width", "height")},
                "width",
                "height",
            )
        except (ElementTree.ParseError, ValueError, TypeError) as error:
            raise RealLabelsError(
                f"Pascal-VOC file {xml_file} is malformed ({error}); fix or remove it"
            ) from None
        path = (
            index.find(file_name, xml_file.parent.parent / "JPEGImages")
            or index.find(file_name, xml_file.parent)
            or index.find_stem(xml_file.stem)
        )
        if path is None:
            continue
        names.update(box.category for box in boxes)
        images.append(RealImage(path, boxes, stated))
    return RealDataset(root, "voc", images, sorted(names))


def _stated(entry: dict, width_key: str, height_key: str) -> tuple[int, int] | None:
    """A label file's (width, height) for a photo, None when absent or not positive numbers."""
    try:
        size = (round(float(entry[width_key])), round(float(entry[height_key])))
    except (KeyError, TypeError, ValueError):
        return None
    return size if min(size) > 0 else None


def _voc_box(item: ElementTree.Element) -> RealBox:
    box = item.find("bndbox")
    if box is None:
        raise ValueError("an <object> has no <bndbox>")
    xmin, ymin, xmax, ymax = (float(box.findtext(key)) for key in ("xmin", "ymin", "xmax", "ymax"))
    return RealBox((item.findtext("name") or "").strip(), (xmin - 1.0, ymin - 1.0, xmax, ymax))


# --- YOLO ------------------------------------------------------------------------------------


def _yolo_label_files(root: Path) -> list[Path]:
    skip = {name.lower() for name in YOLO_NAME_FILES} | {
        "readme.txt",
        "train.txt",
        "val.txt",
        "test.txt",
    }
    files = sorted(root.glob("labels/**/*.txt")) or sorted(root.rglob("*.txt"))
    return [
        path
        for path in files
        if path.name.lower() not in skip and _image_beside_label(path) is not None
    ]


def _image_beside_label(label: Path) -> Path | None:
    """The image of a YOLO label: ``.../labels/x/a.txt`` -> ``.../images/x/a.*``, or ``a.*`` beside it."""
    parts = list(label.parts)
    folders = []
    if "labels" in parts[:-1]:
        at = len(parts) - 1 - parts[::-1].index("labels")
        folders.append(Path(*parts[:at], "images", *parts[at + 1 : -1]))
    folders.append(label.parent)
    for folder in folders:
        for suffix in IMAGE_SUFFIXES:
            for candidate in (
                folder / (label.stem + suffix),
                folder / (label.stem + suffix.upper()),
            ):
                if candidate.is_file():
                    return candidate
    return None


def _yolo_names(root: Path) -> list[str]:
    for name in YOLO_NAME_FILES:
        path = root / name
        if path.is_file():
            return _names_from_file(path)
    names_files = sorted(root.glob("*.names"))
    if names_files:
        return _names_from_file(names_files[0])
    raise RealLabelsError(
        f"YOLO folder {root} has label files but no class names; add data.yaml "
        "(names: [...]) or classes.txt (one name per line)"
    )


def _names_from_file(path: Path) -> list[str]:
    if path.suffix in (".yaml", ".yml"):
        import yaml  # pylint: disable=import-outside-toplevel

        try:
            names = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("names")
        except (yaml.YAMLError, AttributeError) as error:
            raise RealLabelsError(
                f"{path} is not a YOLO data.yaml ({error}); give it a 'names' list"
            ) from None
        if isinstance(names, dict):
            return [str(names[key]) for key in sorted(names, key=int)]
        if isinstance(names, list):
            return [str(name) for name in names]
        raise RealLabelsError(f"{path} has no 'names' list; add names: [class0, class1, ...]")
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _read_yolo(root: Path) -> RealDataset:
    names = _yolo_names(root)
    images: list[RealImage] = []
    for label in _yolo_label_files(root):
        path = _image_beside_label(label)
        # normalised to the photo as displayed (Ultralytics' convention); (0, 0) when the
        # photo cannot be opened: crop reading then reports it by name
        width, height = labels_frame(path, None)[1]
        boxes = []
        for number, line in enumerate(label.read_text(encoding="utf-8").splitlines(), 1):
            values = line.split()
            if not values:
                continue
            try:
                index, coords = int(values[0]), [float(v) for v in values[1:]]
                category = names[index]
            except (ValueError, IndexError):
                raise RealLabelsError(
                    f"YOLO label {label} line {number} is malformed or names class "
                    f"{values[0]} (known: 0..{len(names) - 1}); fix the line or the "
                    "class names"
                ) from None
            boxes.append(RealBox(category, _yolo_box(coords, width, height, label, number)))
        images.append(RealImage(path, boxes))
    return RealDataset(root, "yolo", images, names)


def _yolo_box(
    coords: list[float], width: int, height: int, label: Path, number: int
) -> tuple[float, float, float, float]:
    if len(coords) == 4:
        xc, yc, w, h = coords
        x0, y0, x1, y1 = xc - w / 2, yc - h / 2, xc + w / 2, yc + h / 2
    elif len(coords) >= 6 and len(coords) % 2 == 0:
        xs, ys = coords[0::2], coords[1::2]
        x0, y0, x1, y1 = min(xs), min(ys), max(xs), max(ys)
    else:
        raise RealLabelsError(
            f"YOLO label {label} line {number} has {len(coords)} coordinates; a "
            "box needs 4 (xc yc w h) and a polygon an even number >= 6"
        )
    return (x0 * width, y0 * height, x1 * width, y1 * height)


# --- finding images --------------------------------------------------------------------------


class _ImageIndex:
    """Finds a label's image: at a given folder, under ``images/``, else by name anywhere."""

    def __init__(self, root: Path):
        self.root = root
        self._by_name: dict[str, Path] | None = None
        self._by_stem: dict[str, Path] | None = None

    def _build(self) -> None:
        files = sorted(
            path
            for path in self.root.rglob("*")
            if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file()
        )
        self._by_name, self._by_stem = {}, {}
        for path in files:
            self._by_name.setdefault(path.name, path)
            self._by_stem.setdefault(path.stem, path)

    def find(self, file_name: str, folder: Path) -> Path | None:
        for candidate in (
            folder / "data" / file_name,
            folder / file_name,
            self.root / file_name,
            self.root / "images" / file_name,
        ):
            if candidate.is_file():
                return candidate
        if self._by_name is None:
            self._build()
        return self._by_name.get(Path(file_name).name)

    def find_stem(self, stem: str) -> Path | None:
        if self._by_stem is None:
            self._build()
        return self._by_stem.get(stem)
