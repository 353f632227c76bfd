"""Moved to the standalone module :mod:`synthscene_kubric_compat` (imported at interpreter start
by ``synthscene_kubric_compat.pth`` without importing this package). Kept for installs whose
``.pth`` file still names this module."""

from synthscene_kubric_compat import *  # noqa: F401,F403
from synthscene_kubric_compat import ACTIVE, install, tensorflow_installed  # noqa: F401
