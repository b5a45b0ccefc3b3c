"""Reading engine property bags (camelCase, numbers as floats) and IAM policy documents inside them.

Shared by the resource and stack rules so both read a nested value or a policy statement one way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

PropertyMap = Mapping[str, Any]


def nested(props: PropertyMap, *path: str) -> Any:
    """The value at `path` (e.g. "serverSideEncryption", "enabled"), or None when any step is missing."""
    value: Any = props
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    return value


def as_list(value: Any) -> list[Any]:
    """IAM and provider fields accept a scalar or a list: always a list, [] for None."""
    if value is None:
        return []
    if isinstance(value, str | Mapping):
        return [value]
    if isinstance(value, Sequence):
        return list(value)
    return [value]


def is_set(value: Any) -> bool:
    """True for a non-empty string, list or mapping, or any other non-None value."""
    if value is None:
        return False
    if isinstance(value, str | Sequence | Mapping):
        return len(value) > 0
    return True


class PolicyDocumentError(ValueError):
    """A `policy` property that is not an IAM policy document."""


def policy_document(value: Any, *, where: str) -> dict[str, Any]:
    """Parse a policy document given as JSON text (how the provider stores it) or as a mapping."""
    if isinstance(value, Mapping):
        return dict(value)
    if not isinstance(value, str):
        raise PolicyDocumentError(f"{where} is {type(value).__name__}, expected a JSON policy document")
    try:
        document = json.loads(value)
    except json.JSONDecodeError as error:
        raise PolicyDocumentError(f"{where} is not valid JSON: {error.msg} at position {error.pos}") from error
    if not isinstance(document, dict):
        raise PolicyDocumentError(f"{where} must be a JSON object with a Statement list")
    return document


def statements(document: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each statement with a label for messages: its Sid, else its position."""
    for index, statement in enumerate(as_list(document.get("Statement"))):
        if isinstance(statement, Mapping):
            yield str(statement.get("Sid") or f"Statement[{index}]"), dict(statement)
