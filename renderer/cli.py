"""The ``synthscene`` command line.

Each sub-command lives in its own module under :mod:`renderer.commands` and exposes ``NAME``
(the sub-command), ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``.
Modules are discovered at start-up, so adding a command means adding a file there. Heavy
imports (bpy, torch) belong inside ``run``, so ``synthscene --help`` stays fast. Errors meant for
the user (see :mod:`renderer.errors`) print one line, no traceback: status 2 for a bad argument
(argparse's own errors too), 1 for a failure while working (:class:`RuntimeFailure`, and any
``OSError`` such as a full disk, named with its file). ``-v`` adds the traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import re
import sys
import traceback
from pathlib import Path
from typing import Optional, Sequence

from renderer import commands
from renderer.errors import RuntimeFailure, UserError, user_facing_errors

__all__ = ["main", "build_parser", "UserError"]


def _command_modules():
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"{commands.__name__}.{info.name}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="synthscene",
        description="Render labelled synthetic scenes with Blender (via Kubric) or pyrender.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _command_modules():
        command_parser = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(command_parser)
        command_parser.set_defaults(_run=module.run)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args._run(args) or 0)
    except OSError as error:  # disk full, read-only, a folder where a file was expected...
        _explain(args, describe_os_error(error))
        return 1
    except user_facing_errors() as error:
        _explain(args, str(error))
        return 1 if isinstance(error, RuntimeFailure) else 2
    except KeyboardInterrupt:
        print(f"synthscene {args.command}: interrupted; finished work is kept.", file=sys.stderr)
        return 130


# fileio.atomic's temporary names: .<name>.tmp-<pid>-<8 hex>[<suffix>]
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.tmp-[0-9]+-[0-9a-f]{8}(\.[A-Za-z0-9]+)?$")


def describe_os_error(error: OSError) -> str:
    """One line naming the file (the target, not an atomic write's temporary name) and why."""
    if error.strerror is None:  # raised with our own message
        return str(error)
    filename = Path(str(error.filename)) if error.filename else None
    if filename is not None and (temporary := _TEMPORARY.match(filename.name)):
        filename = filename.with_name(temporary.group("name"))
    where = f"{filename}: " if filename else ""
    return f"{where}{error.strerror}; free space, fix the permissions, or give another path"


def _explain(args: argparse.Namespace, message: str) -> None:
    """One line on stderr (and the traceback with ``-v``)."""
    if args.verbose:
        traceback.print_exc()
    print(f"synthscene {args.command}: error: {message}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
