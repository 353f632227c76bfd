"""synthscene's import graph between its top-level packages, read from the source with ``ast``.

    python -m tests.import_graph            # package -> packages it imports (and how often)
    python -m tests.import_graph --modules  # the same per module

Every ``import`` / ``from ... import`` counts, at module level or inside functions (lazy imports
are still dependencies). ``tests/test_import_layers.py`` checks the graph against the layers.
"""

from __future__ import annotations

import argparse
import ast
import collections
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (
    "synthscene_kubric_compat",
    "fileio",
    "assets",
    "scenes",
    "labels",
    "renderer",
    "synthscene",
)


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name -> file, for every module of our packages."""
    found = {}
    for package in PACKAGES:
        single = root / f"{package}.py"
        if single.is_file():
            found[package] = single
        for path in sorted((root / package).rglob("*.py")) if (root / package).is_dir() else ():
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports_of(name: str, path: Path) -> list[str]:
    """Absolute names of the modules ``path`` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            found.append(prefix)
            found.extend(f"{prefix}.{alias.name}" for alias in node.names)  # submodules
    return found


def module_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the modules of ours and the third-party top-level names it imports."""
    modules = module_files(root)
    graph = {}
    for name, path in modules.items():
        targets = set()
        for imported in imports_of(name, path):
            if imported in modules:
                targets.add(imported)
            elif imported.split(".")[0] not in PACKAGES:
                targets.add(imported.split(".")[0])
        graph[name] = targets - {name}
    return graph


def package_of(module: str) -> str:
    return module.split(".")[0]


def package_graph(graph: dict[str, set[str]]) -> dict[str, collections.Counter]:
    """Package -> Counter of the packages of ours it imports (module-level edges counted)."""
    edges: dict[str, collections.Counter] = {p: collections.Counter() for p in PACKAGES}
    for module, targets in graph.items():
        if module.startswith("scenes.examples."):
            continue  # example recipes are user code: they import the public namespace
        for target in targets:
            if package_of(target) in PACKAGES and package_of(target) != package_of(module):
                edges[package_of(module)][package_of(target)] += 1
    return edges


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", action="store_true", help="per module, not per package")
    args = parser.parse_args(argv)
    graph = module_graph()
    if args.modules:
        for module in sorted(graph):
            ours = sorted(t for t in graph[module] if package_of(t) in PACKAGES)
            print(f"{module} -> {', '.join(ours) or '-'}")
        return 0
    for package, targets in package_graph(graph).items():
        listed = ", ".join(f"{name} ({count})" for name, count in sorted(targets.items()))
        print(f"{package:<26} -> {listed or '(nothing of ours)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
