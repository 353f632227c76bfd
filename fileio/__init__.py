"""File I/O every layer may use: crash-safe writes, file hashes, image encoding.

The bottom of synthscene's import graph: ``scenes``, ``assets``, ``labels`` and ``renderer`` all
import it, and it imports none of them (only the standard library, numpy and OpenCV, plus Pillow/OpenEXR inside ``image_problem``; the layer
contract in ``tests/test_import_layers.py`` enforces this). Modules:

* :mod:`fileio.atomic`: ``write_bytes_atomic``, ``write_text_atomic``, ``write_json_atomic``,
  ``save_npz_atomic``, ``write_atomic_with`` (any writer that takes a path), ``append_line``;
* :mod:`fileio.digest`: ``sha256_file``;
* :mod:`fileio.images`: ``encode_png``, ``write_png_atomic``, ``image_problem`` (full decode).
"""
