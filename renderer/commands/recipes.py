"""``synthscene recipes [RECIPE]``: list the built-in recipes, or show one recipe's parameters.

RECIPE is a built-in name or ``path/to/file.py[:name]``. To see the spec a recipe makes for a
seed, use ``synthscene spec RECIPE --seed N --set name=value``.
"""

from __future__ import annotations

import argparse

NAME = "recipes"
HELP = "list the built-in scene recipes, or show the parameters of one (name or file.py:name)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "recipe",
        nargs="?",
        metavar="RECIPE",
        help="built-in name or path/to/file.py[:name]; omit to list built-ins",
    )


def run(args: argparse.Namespace) -> int:
    from scenes.recipe_api import known_recipes, load_recipe

    if not args.recipe:
        for name in known_recipes():
            loaded = load_recipe(name)
            print(f"{name:10s} {loaded.description}")
        print("\nshow parameters: synthscene recipes NAME; a spec: synthscene spec NAME --seed N")
        return 0
    loaded = load_recipe(args.recipe)
    print(f"{args.recipe}: {loaded.description}")
    if not loaded.params:
        print("  (no parameters)")
    for name in sorted(loaded.params):
        print(f"  {name:22s} {loaded.params[name].describe()}")
    return 0
