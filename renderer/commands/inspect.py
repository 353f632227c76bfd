"""``synthscene inspect DIR FRAME [--rerender]``: how a frame was made, and proof it can be remade.

Prints the frame's provenance from ``labels/<frame>.json``: recipe reference and source hash,
parameter overrides, frame and batch seeds, spec hash (and the settled spec file), engine,
device, software versions, and the source and licence of every asset.

``--rerender`` renders that frame alone, from the batch identity in ``DIR/batch.json``, into a
temporary folder and compares the files byte for byte: label npz and JSON must be identical on
the same software; the image matches only on the same device (GPU and CPU path tracers, or
different GL drivers, differ in the last bits). Exit status 1 when the labels differ.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import tempfile
from pathlib import Path

NAME = "inspect"
HELP = "print a frame's provenance (recipe, seed, spec, versions, assets); --rerender checks it"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", metavar="DIR", help="batch folder ('synthscene render --out')")
    parser.add_argument("frame", metavar="FRAME", help="frame name (000042) or index (42)")
    parser.add_argument(
        "--rerender",
        action="store_true",
        help="render this frame alone again and compare its files byte for byte",
    )
    parser.add_argument(
        "--rerender-out",
        metavar="DIR",
        help="keep the re-rendered frame here (default: a temporary folder)",
    )
    parser.add_argument("--json", action="store_true", help="print the provenance as JSON")


def run(args: argparse.Namespace) -> int:
    from labels.native import FrameReadError, latest_records, read_frame_json  # pylint: disable=import-outside-toplevel
    from renderer.errors import UserError  # pylint: disable=import-outside-toplevel

    dataset = Path(args.dataset)
    records = latest_records(dataset)
    if not records:
        raise UserError(
            f"{str(dataset)!r} holds no manifest.jsonl frames; give the folder "
            "'synthscene render --out' wrote"
        )
    name = resolve_frame(args.frame, records)
    try:
        labels = read_frame_json(dataset, name)
    except FrameReadError as error:
        raise UserError(f"{error}; run 'synthscene validate {dataset}' for details") from None
    provenance = labels.get("provenance", {})
    if args.json:
        print(json.dumps(provenance, indent=1))
    else:
        print(describe_provenance(dataset, name, provenance, records[name]))
    if not args.rerender:
        return 0
    return 0 if rerender_and_compare(dataset, name, provenance, args.rerender_out) else 1


def resolve_frame(text: str, records: dict) -> str:
    """A frame name from ``text``: an exact name in the manifest, or an integer index."""
    from renderer.batch import frame_name  # pylint: disable=import-outside-toplevel
    from renderer.errors import UserError  # pylint: disable=import-outside-toplevel

    if text in records:
        name = text
    elif text.isdigit() and frame_name(int(text)) in records:
        name = frame_name(int(text))
    else:
        known = list(records)
        raise UserError(
            f"frame {text!r} is not in the manifest; frames run from {known[0]} to "
            f"{known[-1]} ({len(known)} in all)"
        )
    if records[name].get("status") != "ok":
        raise UserError(
            f"frame {name} failed to render ({records[name].get('error', '?')}); "
            "it has no labels to inspect"
        )
    return name


def describe_provenance(dataset: Path, name: str, provenance: dict, record: dict) -> str:
    """The provenance as aligned text lines."""
    recipe_hash = provenance.get("recipe_sha256") or "built-in (versioned with synthscene)"
    lines = [
        f"frame {name} of {dataset}",
        f"  recipe      {provenance.get('recipe')}  sha256 {recipe_hash}",
        f"  params      {json.dumps(provenance.get('params', {}), sort_keys=True)}",
        f"  seed        {provenance.get('seed')} (frame {provenance.get('index')} of batch "
        f"seed {provenance.get('batch_seed')})",
        f"  spec        sha256 {provenance.get('spec_hash')}",
        f"  spec file   {provenance.get('spec_file')} (file sha256 "
        f"{provenance.get('spec_sha256')})",
        f"  engine      {provenance.get('engine')}",
        f"  device      {json.dumps(provenance.get('device'))}",
        "  versions    "
        + ", ".join(f"{key} {value}" for key, value in provenance.get("versions", {}).items()),
        "  files       "
        + ", ".join(f"{path} {digest[:12]}" for path, digest in record.get("sha256", {}).items()),
    ]
    if "refinement" in record:
        refinement = record["refinement"]
        lines.append(
            f"  refined     accepted={refinement.get('accepted')} strength "
            f"{refinement.get('strength_used')} gate {json.dumps(refinement.get('gate'))}"
        )
    assets = provenance.get("assets", [])
    lines.append(f"  assets      {len(assets)}")
    for asset in assets:
        category = asset.get("category") or "-"
        lines.append(
            f"    {asset.get('name'):<16} {category:<12} licence "
            f"{asset.get('licence')}  source {asset.get('source')}"
        )
    return "\n".join(lines)


def rerender_and_compare(
    dataset: Path, name: str, provenance: dict, keep: str | None = None
) -> bool:
    """Render frame ``name`` alone into a fresh folder; print per-file comparisons.

    Returns True when the label npz and JSON are byte-identical to the originals."""
    if keep:
        return _rerender_into(dataset, name, provenance, Path(keep))
    with tempfile.TemporaryDirectory(prefix=f"synthscene-inspect-{name}-") as folder:
        return _rerender_into(dataset, name, provenance, Path(folder))


def _rerender_into(dataset: Path, name: str, provenance: dict, folder: Path) -> bool:
    from labels.native import frame_paths, latest_records, verify_frame  # pylint: disable=import-outside-toplevel
    from renderer.batch import run_batch  # pylint: disable=import-outside-toplevel
    from renderer.errors import UserError  # pylint: disable=import-outside-toplevel

    config = rerender_config(dataset, provenance, folder)
    if (dataset / "categories.json").is_file():  # the batch's category ids, not this frame's
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(dataset / "categories.json", folder / "categories.json")
    print(f"re-rendering frame {name} ({config.engine}) into {folder} ...", flush=True)
    summary = run_batch(config)
    record = latest_records(folder).get(name)
    if summary.failed or not record or record.get("status") != "ok":
        raise UserError(f"re-rendering frame {name} failed: {summary.failed or summary.stopped}")
    paths = dict(frame_paths(name), spec=provenance.get("spec_file") or f"specs/{name}.json")
    same = {key: _same_bytes(dataset / path, folder / path) for key, path in paths.items()}
    refinement = latest_records(dataset)[name].get("refinement") or {}
    if refinement.get("source_image_sha256"):  # refined dataset: compare the unrefined render
        rendered = hashlib.sha256((folder / paths["image"]).read_bytes()).hexdigest()
        same["image"] = rendered == refinement["source_image_sha256"]
    for key, path in paths.items():
        note = ""
        if key == "image":
            note = (
                " (compared with the render before refinement)" if refinement else ""
            ) + " (images match only on the same device)"
        verdict = "identical" if same[key] else "DIFFERS"
        if not (dataset / path).is_file():
            verdict, note = "not compared", f" ({path} is not in {dataset})"
        print(f"  {path:<24} {verdict}{note}")
    if record.get("spec_hash") != provenance.get("spec_hash"):
        print(
            f"  spec hash differs: {record.get('spec_hash')} now, "
            f"{provenance.get('spec_hash')} recorded"
        )
    labels_same = same["labels_npz"] and same["labels_json"]
    if labels_same:
        print("labels reproduced byte for byte")
    elif verify_frame(dataset, latest_records(dataset)[name]):
        print(
            "labels DIFFER: the stored files no longer match their manifest checksums (edited "
            "or corrupted after rendering; see 'synthscene validate')"
        )
    else:
        print(
            "labels DIFFER: the recipe, synthscene or its dependencies changed since this frame "
            "was rendered (compare the versions above)"
        )
    return labels_same


def rerender_config(dataset: Path, provenance: dict, folder: Path):
    """A :class:`renderer.batch.BatchConfig` for this frame alone, from ``DIR/batch.json``."""
    from renderer.batch import BatchConfig  # pylint: disable=import-outside-toplevel
    from renderer.batch.config import BATCH_FILE, recipe_sha256  # pylint: disable=import-outside-toplevel
    from renderer.errors import UserError  # pylint: disable=import-outside-toplevel

    try:
        identity = json.loads((dataset / BATCH_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UserError(
            f"cannot read {dataset / BATCH_FILE} ({error}); --rerender needs the "
            "batch identity the render command wrote"
        ) from None
    index = int(provenance["index"])
    recorded = identity.get("recipe_sha256")
    if recorded and recipe_sha256(identity["recipe"]) != recorded:
        print(
            f"warning: recipe file {identity['recipe']} changed since the batch was rendered "
            "(sha256 differs); labels will likely differ"
        )
    return BatchConfig(
        recipe=identity["recipe"],
        out=folder,
        count=index + 1,
        seed=int(identity["seed"]),
        overrides=tuple(sorted(identity.get("overrides", {}).items())),
        engine=identity["engine"],
        resolution=tuple(identity["resolution"]) if identity.get("resolution") else None,
        samples=int(identity["samples"]),
        workers=0,
        frames=(index,),
    )


def _same_bytes(first: Path, second: Path) -> bool:
    if not first.is_file() or not second.is_file():
        return False
    return (
        hashlib.sha256(first.read_bytes()).digest() == hashlib.sha256(second.read_bytes()).digest()
    )
