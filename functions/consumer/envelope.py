"""The event envelope every record must be: its JSON Schema and a fast validator that agrees with it.

The schema is the published contract (docs/events.md embeds it verbatim; a test checks both agree on
examples). Two validators run on the hot path: `envelope_tenant` checks the raw bytes with msgspec
without building the payload, for records the consumer can deliver as written; `envelope_violation`
checks a parsed document and explains what is wrong (hand-written: it runs once per record there).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final

import msgspec

EVENT_ID_MAX_LENGTH: Final = 128
NAME_MAX_LENGTH: Final = 128
SCHEMA_VERSION_MAX_LENGTH: Final = 32
# RFC 3339 date-time with the ranges spelled out; ASCII classes because Python's \d matches other digits.
RFC3339_PATTERN: Final = (
    "^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])[Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)"
    "(?:\\.[0-9]+)?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$"
)
REQUIRED_PROPERTIES: Final = ("event_id", "tenant", "type", "occurred_at", "payload")
ALLOWED_PROPERTIES: Final = frozenset((*REQUIRED_PROPERTIES, "schema_version"))

ENVELOPE_JSON_SCHEMA: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:streaming-platform:schema:event-envelope",
    "title": "Event envelope",
    "description": "One event per Kinesis user record. Producer-specific fields belong inside payload.",
    "type": "object",
    "required": list(REQUIRED_PROPERTIES),
    "additionalProperties": False,
    "properties": {
        "event_id": {
            "description": "Producer-assigned unique id; lake readers deduplicate on it.",
            "type": "string",
            "minLength": 1,
            "maxLength": EVENT_ID_MAX_LENGTH,
        },
        "tenant": {
            "description": "Must equal the consuming stream's tenant.",
            "type": "string",
            "minLength": 1,
            "maxLength": NAME_MAX_LENGTH,
        },
        "type": {"description": "Event type name.", "type": "string", "minLength": 1, "maxLength": NAME_MAX_LENGTH},
        "occurred_at": {
            "description": "When the event happened, RFC 3339 with an explicit offset.",
            "type": "string",
            "format": "date-time",
            "pattern": RFC3339_PATTERN,
        },
        "payload": {"description": "The event body; any JSON object.", "type": "object"},
        "schema_version": {
            "description": "Optional version of the payload's shape.",
            "type": ["string", "integer"],
            "minLength": 1,
            "maxLength": SCHEMA_VERSION_MAX_LENGTH,
            "minimum": 0,
        },
    },
}

# fullmatch: like ECMA-262's `$`, which (unlike Python's) never matches before a final "\n".
_rfc3339_fullmatch = re.compile(RFC3339_PATTERN[1:-1]).fullmatch
# The pattern is a fixed-width head, date and time to the second, then the fraction and offset.
_HEAD_CHARACTERS: Final = len("2026-11-26T11:59:58")
_REMEMBERED_PARTS: Final = 4096


class _TimestampCheck:
    """`RFC3339_PATTERN`, with the heads and tails of timestamps already matched remembered.

    A batch's timestamps share their first 19 characters (to the second) and, far more often than
    whole values, their endings (fraction and offset): two set lookups usually replace the regex
    (0.25 us). Exact: the head part of the pattern matches exactly 19 characters, so a head from one
    valid timestamp and a tail from another always make a valid one.
    """

    def __init__(self) -> None:
        self._heads: set[str] = set()
        self._tails: set[str] = set()

    def __call__(self, text: str) -> bool:
        head, tail = text[:_HEAD_CHARACTERS], text[_HEAD_CHARACTERS:]
        if head in self._heads and tail in self._tails:
            return True
        if _rfc3339_fullmatch(text) is None:
            return False
        for parts, part in ((self._heads, head), (self._tails, tail)):
            if len(parts) >= _REMEMBERED_PARTS:  # bounded: microsecond fractions are many
                parts.clear()
            parts.add(part)
        return True


is_rfc3339 = _TimestampCheck()


class _AnyObject(msgspec.Struct, gc=False):
    """Any JSON object, decoded without building it: msgspec checks its syntax while skipping members."""


class _EnvelopeShape(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """The schema for msgspec, except `occurred_at`'s pattern (msgspec's `$` would accept a final
    newline; `envelope_tenant` applies it with fullmatch)."""

    event_id: Annotated[str, msgspec.Meta(min_length=1, max_length=EVENT_ID_MAX_LENGTH)]
    tenant: Annotated[str, msgspec.Meta(min_length=1, max_length=NAME_MAX_LENGTH)]
    type: Annotated[str, msgspec.Meta(min_length=1, max_length=NAME_MAX_LENGTH)]
    occurred_at: str
    payload: _AnyObject
    schema_version: (
        Annotated[str, msgspec.Meta(min_length=1, max_length=SCHEMA_VERSION_MAX_LENGTH)]
        | Annotated[int, msgspec.Meta(ge=0)]
        | msgspec.UnsetType
    ) = msgspec.UNSET


_decode_shape = msgspec.json.Decoder(_EnvelopeShape).decode
_NOT_AN_ENVELOPE: Final = (msgspec.DecodeError, msgspec.ValidationError)


def envelope_tenant(data: bytes) -> str | None:
    """The tenant when `data` is certainly a valid envelope in UTF-8 JSON, else None.

    Several times cheaper than parsing (the payload is checked, never built). None does not mean
    invalid: msgspec is stricter in a few places (nesting depth, `2.0` as `schema_version`), so a
    caller parses with orjson and asks `envelope_violation`, which decides and explains. Accepted
    here and refused by orjson: only payload numbers beyond double range (e.g. 1e400), valid JSON that
    orjson cannot represent.
    """
    # msgspec checks UTF-8 only in strings it decodes, not in skipped ones (the payload).
    if not data.isascii():
        try:
            data.decode()
        except UnicodeDecodeError:
            return None
    try:
        envelope = _decode_shape(data)
    except _NOT_AN_ENVELOPE:
        return None
    if not is_rfc3339(envelope.occurred_at):
        return None
    return envelope.tenant


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _bounded_string_violation(doc: dict[str, Any], name: str, max_length: int) -> str | None:
    value = doc[name]
    if type(value) is not str:
        return f"'{name}' must be a string, got {_json_type(value)}"
    if not 0 < len(value) <= max_length:
        return f"'{name}' must be 1 to {max_length} characters, got {len(value)}"
    return None


def _schema_version_ok(value: object) -> bool:
    if type(value) is str:
        return 0 < len(value) <= SCHEMA_VERSION_MAX_LENGTH
    # JSON Schema integers include 2.0; bool is not a number there.
    return (type(value) is int or (type(value) is float and value.is_integer())) and value >= 0


_ABSENT: Final = object()
_REQUIRED_COUNT: Final = len(REQUIRED_PROPERTIES)


def envelope_violation(doc: object) -> str | None:
    """None when `doc` is a valid envelope, else the first problem found, naming the property."""
    # One pass of cheap checks for the common valid case; the slow path explains a rejection.
    if type(doc) is dict:
        event_id = doc.get("event_id")
        tenant = doc.get("tenant")
        event_type = doc.get("type")
        occurred_at = doc.get("occurred_at")
        schema_version = doc.get("schema_version", _ABSENT)
        if (
            # The required properties are all checked below, so the count tells whether any other
            # is present: cheaper than a set test over the keys.
            len(doc) == _REQUIRED_COUNT + (schema_version is not _ABSENT)
            and type(event_id) is str
            and 0 < len(event_id) <= EVENT_ID_MAX_LENGTH
            and type(tenant) is str
            and 0 < len(tenant) <= NAME_MAX_LENGTH
            and type(event_type) is str
            and 0 < len(event_type) <= NAME_MAX_LENGTH
            and type(occurred_at) is str
            and is_rfc3339(occurred_at)
            and type(doc.get("payload")) is dict
            and (
                schema_version is _ABSENT
                or (type(schema_version) is int and schema_version >= 0)
                or _schema_version_ok(schema_version)
            )
        ):
            return None
    return _describe_violation(doc)


def _describe_violation(doc: object) -> str:
    if type(doc) is not dict:
        return f"record is a JSON {_json_type(doc)}, not an object"
    if not ALLOWED_PROPERTIES.issuperset(doc):
        extra = ", ".join(sorted(set(doc) - ALLOWED_PROPERTIES))
        return f"unexpected top-level properties: {extra} (producer fields belong inside 'payload')"
    for name in REQUIRED_PROPERTIES:
        if name not in doc:
            return f"missing required property '{name}'"
    problem = (
        _bounded_string_violation(doc, "event_id", EVENT_ID_MAX_LENGTH)
        or _bounded_string_violation(doc, "tenant", NAME_MAX_LENGTH)
        or _bounded_string_violation(doc, "type", NAME_MAX_LENGTH)
    )
    if problem:
        return problem
    occurred_at = doc["occurred_at"]
    if type(occurred_at) is not str or not is_rfc3339(occurred_at):
        return f"'occurred_at' must be an RFC 3339 date-time, got {occurred_at!r:.64}"
    if type(doc["payload"]) is not dict:
        return f"'payload' must be an object, got {_json_type(doc['payload'])}"
    if type(doc["schema_version"]) is str:
        return f"'schema_version' string must be 1 to {SCHEMA_VERSION_MAX_LENGTH} characters"
    return f"'schema_version' must be a string or a non-negative integer, got {_json_type(doc['schema_version'])}"
