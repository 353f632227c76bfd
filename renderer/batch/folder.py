"""The output folder belongs to one batch and one writer; the user's files in it stay untouched.

* :class:`FolderLock`: an exclusive ``flock`` on ``DIR/.synthscene.lock`` held by the coordinator
  for the whole run. The kernel releases it when the process dies (even by SIGKILL), so a stale
  lock never needs cleaning. Linux NFS clients map ``flock`` to NFS byte-range locks (lockd/NFSv4),
  so it holds across hosts there; a filesystem that cannot lock at all (some FUSE/SMB mounts)
  gets a plain warning that nothing stops a second writer.
* :func:`foreign_files`: everything in the folder the tool did not write (by name: its layout is
  fixed), so rendering into a folder of someone's files is refused unless ``--force``.
* :func:`remove_our_temporaries`: removes only temporary names of *our* files
  (``.<our name>.tmp-<pid>-<hex>``), only in the folders we own.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import re
import socket
import time
from pathlib import Path
from typing import Optional

from renderer.errors import RuntimeFailure

logger = logging.getLogger(__name__)

LOCK_FILE = ".synthscene.lock"
SCRATCH_DIR = ".scratch"
# Top-level names the tool writes: the render itself, and exports/reports that default into DIR.
OUR_TOP_LEVEL = {
    "batch.json",
    "manifest.jsonl",
    "coco.json",
    LOCK_FILE,
    SCRATCH_DIR,
    "images",
    "labels",
    "specs",
    "yolo",
    "report.html",
    "data",
    "categories.json",
    "labels.json",
}
OUR_FILES_IN = {
    "data": re.compile(r"^[0-9]+\.png$"),  # images (older batches: images/)
    "images": re.compile(r"^[0-9]+\.png$"),
    "labels": re.compile(r"^[0-9]+\.(json|npz)$"),
    "specs": re.compile(r"^[0-9]+\.json$"),
}
# fileio.atomic's temporary names: .<name>.tmp-<pid>-<8 hex>[<suffix>]
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.tmp-[0-9]+-[0-9a-f]{8}(\.[A-Za-z0-9]+)?$")
COCO_DESCRIPTION = "synthscene"  # our coco.json says so in info.description


class FolderLock:
    """Exclusive lock on an output folder for this process; ``release()`` or process exit frees
    it. Raises :class:`RuntimeFailure` naming the holder (PID, host, since) when another holds it."""

    def __init__(self, out: Path):
        self.path = Path(out) / LOCK_FILE
        self.descriptor: Optional[int] = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                holder = self._holder()
                self.release()
                raise RuntimeFailure(
                    f"output folder {str(out)!r} is being written by another "
                    f"synthscene ({holder}); wait for it to finish, stop it, or "
                    "choose another --out"
                ) from None
            # ENOLCK / EOPNOTSUPP / EINVAL: this filesystem cannot lock
            logger.warning(
                "cannot lock %s (%s): this filesystem does not support file locks, "
                "so nothing stops a second render into the same folder; run one "
                "at a time",
                self.path,
                error.strerror,
            )
            return
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        os.ftruncate(self.descriptor, 0)
        os.pwrite(self.descriptor, (json.dumps(holder) + "\n").encode("utf-8"), 0)

    def _holder(self) -> str:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8") or "{}")
            return f"PID {data['pid']} on host {data['host']}, since {data['since']}"
        except (OSError, ValueError, KeyError):
            return "holder unknown"

    def release(self) -> None:
        if self.descriptor is not None:
            os.close(self.descriptor)  # closing releases the flock
            self.descriptor = None

    def __enter__(self) -> "FolderLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def is_our_coco(path: Path) -> bool:
    """Whether ``path`` is a COCO file synthscene wrote (so it may be rewritten)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096).decode("utf-8", "replace")
    except OSError:
        return False
    match = re.search(r'"info"\s*:\s*\{[^}]*"description"\s*:\s*"([^"]*)"', head)
    if match is None:  # info may come late in the file: read it whole once
        try:
            info = json.loads(path.read_text(encoding="utf-8")).get("info", {})
        except (OSError, ValueError, AttributeError):
            return False
        return COCO_DESCRIPTION in str(info.get("description", ""))
    return COCO_DESCRIPTION in match.group(1)


def _is_ours(relative: Path, path: Path) -> bool:
    parts = relative.parts
    name = parts[-1]
    temporary = _TEMPORARY.match(name)
    base = temporary.group("name") if temporary else name
    if len(parts) == 1:
        if base in ("coco.json", "labels.json") and not temporary:  # labels.json: link to coco
            return is_our_coco(path)
        return base in OUR_TOP_LEVEL
    if parts[0] in (SCRATCH_DIR, "yolo"):
        return True
    pattern = OUR_FILES_IN.get(parts[0])
    return len(parts) == 2 and pattern is not None and bool(pattern.match(base))


def foreign_files(out: Path, limit: int = 5) -> list[str]:
    """Up to ``limit`` paths (relative to ``out``) the tool did not write, by name."""
    out = Path(out)
    found: list[str] = []
    if not out.is_dir():
        return found
    for entry in sorted(out.iterdir()):
        relative = entry.relative_to(out)
        if entry.is_dir() and entry.name in OUR_FILES_IN:
            found += [
                f"{entry.name}/{p.name}"
                for p in sorted(entry.iterdir())
                if not _is_ours(p.relative_to(out), p)
            ]
        elif not _is_ours(relative, entry):
            found.append(entry.name + ("/" if entry.is_dir() else ""))
        if len(found) >= limit:
            break
    return found[:limit]


def remove_our_temporaries(out: Path) -> int:
    """Delete temporary files an interrupted run left, only names of our own files in the
    folders we own (top level, images/, labels/, specs/); return how many."""
    out = Path(out)
    removed = 0
    for folder in (out, *(out / name for name in OUR_FILES_IN)):
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            temporary = _TEMPORARY.match(path.name)
            if temporary is None or not path.is_file():
                continue
            if _is_ours(path.relative_to(out), path):
                path.unlink(missing_ok=True)
                removed += 1
    return removed
