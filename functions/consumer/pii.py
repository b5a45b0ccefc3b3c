"""Mask configured PII fields in an envelope before it reaches the lake.

Paths are dotted JSON paths such as `payload.email`, `$.payload.user.phone` or `payload.items[*].email`
(`[*]` walks every element of a list). Missing fields are left alone: masking never rejects a record.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

MASK: Final = "***"
_EACH: Final = object()  # path step meaning "every element of a list"


def parse_pii_path(path: str) -> tuple[object, ...]:
    """Steps of one path; ValueError names the path and the bad segment."""
    text = path.strip()
    if text.startswith("$."):
        text = text[2:]
    steps: list[object] = []
    for segment in text.split("."):
        key, each, rest = segment.partition("[*]")
        if not key or rest or "[" in key or "]" in key:
            raise ValueError(
                f"PII_FIELDS entry {path!r}: segment {segment!r} must be a property name, optionally with [*]"
            )
        steps.append(key)
        if each:
            steps.append(_EACH)
    return tuple(steps)


def _mask_at(node: Any, steps: tuple[object, ...], depth: int) -> bool:
    step = steps[depth]
    last = depth == len(steps) - 1
    masked = False
    if step is _EACH:
        if type(node) is list:
            for index in range(len(node)):
                if last:
                    node[index] = MASK
                    masked = True
                else:
                    masked = _mask_at(node[index], steps, depth + 1) or masked
        return masked
    if type(node) is dict and step in node:
        if last:
            node[step] = MASK
            return True
        return _mask_at(node[step], steps, depth + 1)
    return False


def _mask_dotted(node: Any, parents: tuple[object, ...], leaf: object) -> bool:
    # Loop instead of recursion for the common path without [*]: this runs for every record.
    for key in parents:
        if type(node) is not dict:
            return False
        node = node.get(key)
    if type(node) is dict and leaf in node:
        node[leaf] = MASK
        return True
    return False


class PiiMasker:
    """Replaces each configured field's value with `MASK`, in place (no copy on the hot path)."""

    def __init__(self, paths: Sequence[str]) -> None:
        self.paths = tuple(paths)
        steps = [parse_pii_path(path) for path in self.paths]
        self._dotted = tuple((path[:-1], path[-1]) for path in steps if _EACH not in path)
        self._wildcard = tuple(path for path in steps if _EACH in path)

    def __bool__(self) -> bool:
        return bool(self.paths)

    def mask(self, envelope: dict[str, Any]) -> bool:
        """Mask in place; True when any field was present (and so the record changed)."""
        masked = False
        for parents, leaf in self._dotted:
            masked = _mask_dotted(envelope, parents, leaf) or masked
        for steps in self._wildcard:
            masked = _mask_at(envelope, steps, 0) or masked
        return masked
