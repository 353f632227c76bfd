"""Make ``import kubric`` work without TensorFlow.

Kubric (kubric-nightly 2023.12.27) imports ``tensorflow`` in four modules
(``kubric.file_io``, ``kubric.renderer.blender``, ``kubric.simulator.pybullet``,
``kubric.assets.asset_source``) and only ever uses ``tf.io.gfile.GFile`` and
``tf.io.gfile.copy`` from it. When TensorFlow is not installed, this module provides a
stand-in with exactly those two functions, backed by the local filesystem.

How it is activated: the wheel ships ``synthscene_kubric_compat.pth``, which imports this module
at interpreter start. :func:`install` then adds an import hook that only touches those four
Kubric modules: while one of them executes, ``sys.modules["tensorflow"]`` is the stand-in; right
after, it is removed again. ``import tensorflow`` anywhere else still fails, so no other library
is misled into thinking TensorFlow is present. If TensorFlow *is* installed, nothing happens.

This file is a standalone top-level module (standard library only, no synthscene package), so
the start-up hook costs one small import in every interpreter.

Limits: only local paths. A ``gs://`` (or any other ``scheme://``) path raises an error saying that
TensorFlow is needed for it.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import io
import os
import shutil
import sys
import types
from pathlib import Path
from typing import Any

KUBRIC_MODULES_USING_TF = frozenset(
    {
        "kubric.file_io",
        "kubric.renderer.blender",
        "kubric.simulator.pybullet",
        "kubric.assets.asset_source",
    }
)


def _local_path(path: Any) -> str:
    """Return ``path`` as a local filesystem string, refusing remote URLs."""
    text = os.fspath(path) if not isinstance(path, str) else path
    text = str(text)
    if "://" in text:
        raise NotImplementedError(
            f"{text!r}: remote paths need TensorFlow's gfile, which is not installed. "
            "Use a local path, or `pip install tensorflow` to read/write remote storage."
        )
    return text


def _gfile_open(name: Any, mode: str = "r") -> io.IOBase:
    """Local stand-in for ``tf.io.gfile.GFile``: opens the file in the requested mode."""
    return open(_local_path(name), mode)  # pylint: disable=consider-using-with


def _copy(src: Any, dst: Any, overwrite: bool = False) -> None:
    """Local stand-in for ``tf.io.gfile.copy``."""
    src_path, dst_path = Path(_local_path(src)), Path(_local_path(dst))
    if dst_path.exists() and not overwrite:
        raise FileExistsError(f"{dst_path} exists; pass overwrite=True to replace it")
    shutil.copyfile(src_path, dst_path)


def _make_tensorflow_standin() -> types.ModuleType:
    gfile = types.SimpleNamespace(
        GFile=_gfile_open, copy=_copy, exists=lambda p: Path(_local_path(p)).exists()
    )
    module = types.ModuleType("tensorflow", "synthscene's local-file stand-in for tf.io.gfile")
    module.io = types.SimpleNamespace(gfile=gfile)
    module.__synthscene_standin__ = True
    return module


TENSORFLOW_STANDIN = _make_tensorflow_standin()


class _StandinLoader(importlib.abc.Loader):
    """Wraps a Kubric module's loader: the stand-in is visible only while that module executes."""

    def __init__(self, wrapped: importlib.abc.Loader):
        self._wrapped = wrapped

    def create_module(self, spec):
        return self._wrapped.create_module(spec)

    def exec_module(self, module):
        had_tf = "tensorflow" in sys.modules
        if not had_tf:
            sys.modules["tensorflow"] = TENSORFLOW_STANDIN
        try:
            self._wrapped.exec_module(module)
        finally:
            if not had_tf:
                sys.modules.pop("tensorflow", None)
        if module.__name__ == "kubric.file_io":
            module.as_path = _local_only(module.as_path)


def _local_only(as_path):
    """Wrap ``kubric.file_io.as_path`` so remote paths fail with our message, not a gcsfs one."""

    def local_as_path(path):
        _local_path(path)
        return as_path(path)

    local_as_path.__doc__ = as_path.__doc__
    return local_as_path


class _KubricFinder(importlib.abc.MetaPathFinder):
    """Finds the Kubric modules that import TensorFlow and wraps their loaders."""

    def find_spec(self, fullname, path, target=None):
        if fullname not in KUBRIC_MODULES_USING_TF:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _StandinLoader(spec.loader)
        return spec


def tensorflow_installed() -> bool:
    """True when a real TensorFlow can be imported."""
    found = sys.modules.get("tensorflow")
    if found is not None and not getattr(found, "__synthscene_standin__", False):
        return True
    return importlib.util.find_spec("tensorflow") is not None


def install() -> bool:
    """Activate the hook (idempotent). Returns True when active, False when TF is installed."""
    if tensorflow_installed():
        return False
    if not any(isinstance(f, _KubricFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _KubricFinder())
    return True


ACTIVE = install()
