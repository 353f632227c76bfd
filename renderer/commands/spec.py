"""``synthscene spec RECIPE --seed N --set name=value``: print the scene spec a recipe makes.

The output is the spec's JSON (indented; ``--canonical`` for the exact bytes that are hashed).
``--settle`` runs the PyBullet drop-and-settle first (the spec that would be rendered);
``--flat`` prints the sampled parameters as a flat ``name: value`` list instead.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile

from renderer.commands._common import add_override_argument

NAME = "spec"
HELP = "print the scene spec (JSON) a recipe makes for a seed and parameter overrides"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("recipe", metavar="RECIPE", help="built-in name or path/to/file.py[:name]")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    add_override_argument(parser)
    parser.add_argument(
        "--settle",
        action="store_true",
        help="run the PyBullet drop-and-settle and print the settled spec",
    )
    parser.add_argument(
        "--canonical",
        action="store_true",
        help="print the canonical compact JSON (the bytes that are hashed)",
    )
    parser.add_argument("--flat", action="store_true", help="print sampled parameters, flat")
    parser.add_argument("--hash", action="store_true", help="print only the spec's sha256")


def run(args: argparse.Namespace) -> int:
    from scenes.build import settle
    from scenes.params import parse_overrides
    from scenes.recipe_api import sample_spec

    if args.seed < 0:
        from renderer.errors import UserError

        raise UserError(f"--seed {args.seed} is negative; give a seed >= 0.")
    spec = sample_spec(args.recipe, args.seed, parse_overrides(args.overrides))
    if args.settle:
        with tempfile.TemporaryDirectory(prefix="synthscene-settle-") as scratch:
            spec = settle(spec, scratch)
    if args.hash:
        print(spec.hash())
    elif args.flat:
        for name, value in spec.sampled_parameters().items():
            print(f"{name}: {json.dumps(value)}")
    else:
        sys.stdout.write(spec.to_json(indent=None if args.canonical else 2) + "\n")
    return 0
