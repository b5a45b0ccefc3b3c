"""Pulumi inputs (engine camelCase, numbers as floats) turned into AWS API parameters (PascalCase, ints)."""

from __future__ import annotations

import json
from typing import Any


def api_value(value: Any) -> Any:
    """Integral floats become ints (the engine sends every number as a float); containers recurse."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: api_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [api_value(item) for item in value]
    return value


# Where the provider's field name is not the API's name with a capital first letter.
KEY_RENAMES = {
    "SerDeInfo": "SerdeInfo",
    "EnforceWorkgroupConfiguration": "EnforceWorkGroupConfiguration",
    "PublishCloudwatchMetricsEnabled": "PublishCloudWatchMetricsEnabled",
}


def pascal_key(key: str) -> str:
    pascal_name = key[:1].upper() + key[1:]
    return KEY_RENAMES.get(pascal_name, pascal_name)


def pascal(value: Any) -> Any:
    """camelCase keys to PascalCase at every depth (most AWS structures follow the provider's names)."""
    if isinstance(value, dict):
        return {pascal_key(key): pascal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [pascal(item) for item in value]
    return api_value(value)


def tag_list(tags: Any, key_name: str = "Key", value_name: str = "Value") -> list[dict[str, str]]:
    return [{key_name: str(key), value_name: str(value)} for key, value in (tags or {}).items()]


def json_text(value: Any) -> str:
    """Policies arrive as JSON text or as a structure; the APIs want text."""
    return value if isinstance(value, str) else json.dumps(value)
