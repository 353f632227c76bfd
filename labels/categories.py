"""Category tables: class name -> integer id, stable across frames and shards.

The rule everywhere in this package: ids run from 1 (0 is background) over the category names,
either in the order the user lists them or, by default, sorted by name. Two shards with the same
names therefore get the same ids without talking to each other.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Optional, Sequence


def category_table(names: Iterable[str], order: Optional[Sequence[str]] = None) -> dict[str, int]:
    """Map category names to ids 1..N.

    ``order``, when given, fixes the ids (its position + 1) and must contain every name in
    ``names``; otherwise the ids follow the sorted names.

    Raises:
      ValueError: a name is missing from ``order`` or ``order`` repeats a name.
    """
    names = set(names)
    if order is None:
        return {name: index + 1 for index, name in enumerate(sorted(names))}
    if len(set(order)) != len(order):
        raise ValueError(f"category list repeats a name: {list(order)}")
    missing = sorted(names - set(order))
    if missing:
        raise ValueError(
            f"categories {missing} are not in the category list {list(order)}; add them to the list"
        )
    return {name: index + 1 for index, name in enumerate(order)}


def names_by_id(table: Mapping[str, int]) -> list[str]:
    """Category names ordered by their id."""
    return [name for name, _ in sorted(table.items(), key=lambda item: item[1])]
