"""Sub-commands of the ``synthscene`` CLI, one module each (see :mod:`renderer.cli`)."""
