"""Moved to :mod:`fileio.atomic` (the bottom of the import graph, so ``assets`` may use it too).

Kept so ``from labels.atomic import write_json_atomic`` in user code keeps working.
"""

from fileio.atomic import (
    append_line,
    save_npz_atomic,
    to_json_text,
    write_atomic_with,
    write_bytes_atomic,
    write_json_atomic,
    write_text_atomic,
)

__all__ = [
    "append_line",
    "save_npz_atomic",
    "to_json_text",
    "write_atomic_with",
    "write_bytes_atomic",
    "write_json_atomic",
    "write_text_atomic",
]
