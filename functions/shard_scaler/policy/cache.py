"""One small cache for the tables the policy derives from its profile.

Every round reads the profile's tables several times (floored, stepped, planned), and the profile
changes only when a slot closes, so each is computed once and reused while its inputs stand. Keys are
compared item by item, by identity first: a profile kept from the last round is recognised without
reading its 672 values, which hashing it for `functools.lru_cache` would cost every time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class LastResult(Generic[T]):
    """The result for the latest key only: the policy asks for one stream's tables, round after round."""

    __slots__ = ("_entry",)

    def __init__(self) -> None:
        self._entry: tuple[tuple[object, ...], T] | None = None

    def get(self, key: tuple[object, ...], compute: Callable[[], T]) -> T:
        """The result for `key`: the one kept if its key is the same (each item identical or equal), else
        `compute()`, kept in its place."""
        entry = self._entry
        if entry is not None and entry[0] == key:  # tuples compare item by item, each by identity first
            return entry[1]
        value = compute()
        self._entry = (key, value)
        return value
