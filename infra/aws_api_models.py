"""What AWS's own API models accept for one request member, read from botocore's service models.

botocore ships the model of every AWS API, the JSON its SDKs are generated from
(https://github.com/boto/botocore/tree/develop/botocore/data, `<service>/<version>/service-2.json`). A request
member's shape carries `enum` and, in its metadata, `min`/`max` (a string's length, a list's or map's item count, a
number's value) and `pattern`. The services check requests against the same constraints and answer
ValidationException ("failed to satisfy constraint: Member must satisfy enum value set", "... regular expression
pattern", "... length less than or equal to 64"), so a value refused here is one AWS would refuse; botocore's own
client-side validation checks little more than `min` and types, and the local emulator accepts any string.

A path names a member from the operation's input shape down: `ExtendedS3DestinationConfiguration.CompressionFormat`,
`Tags[].Key` (a list's member), `Tags{key}` and `Tags{value}` (a map's keys and values).
"""

from __future__ import annotations

import functools
import re
import string
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, ServiceModel, Shape, StructureShape

PATH_TOKEN = re.compile(r"\[\]|\{key\}|\{value\}|[A-Za-z0-9_]+")

# AWS's patterns are Java regular expressions, matched against the whole value (the services match, they do not
# search: "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+" refuses "a b"). Python's `re` lacks
# Java's `\p{..}` classes, and Java reads `\uD800\uDC00` as one supplementary character; both are translated.
UNICODE_CLASS = re.compile(r"\\p\{([LNZP])\}")
SURROGATE_PAIR = re.compile(r"\\u(D[89AB][0-9A-F]{2})\\u(D[C-F][0-9A-F]{2})", re.IGNORECASE)
# A non-ASCII character of class L, N, Z or P is matched as a noncharacter standing for its class.
CLASS_STAND_INS = {"L": "\ufdd0", "N": "\ufdd1", "Z": "\ufdd2", "P": "\ufdd3"}


def _ascii_members(unicode_class: str) -> str:
    members = [ch for ch in string.printable[:95] if unicodedata.category(ch).startswith(unicode_class)]
    return "".join(re.escape(ch) for ch in members) + CLASS_STAND_INS[unicode_class]


def _python_pattern(java_pattern: str) -> str:
    def supplementary(match: re.Match[str]) -> str:
        high, low = int(match[1], 16), int(match[2], 16)
        return f"\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08X}"

    pattern = SURROGATE_PAIR.sub(supplementary, java_pattern)
    if "\\P{" in pattern:
        raise ValueError(f"negated Unicode classes are not translated: {java_pattern!r}")
    parts: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        unicode_class = UNICODE_CLASS.match(pattern, index)
        if unicode_class:
            members = _ascii_members(unicode_class[1])
            parts.append(members if in_class else f"[{members}]")
            index = unicode_class.end()
            continue
        if pattern[index] == "\\":
            parts.append(pattern[index : index + 2])
            index += 2
            continue
        if pattern[index] == "[":
            in_class = True
        elif pattern[index] == "]":
            in_class = False
        parts.append(pattern[index])
        index += 1
    return "".join(parts)


@functools.cache
def pattern_matcher(java_pattern: str) -> Callable[[str], bool]:
    """Whether a value matches an AWS model pattern as a whole; ValueError for a pattern Python cannot express."""
    compiled = re.compile(_python_pattern(java_pattern))
    if not UNICODE_CLASS.search(java_pattern):
        return lambda value: compiled.fullmatch(value) is not None

    def matches(value: str) -> bool:
        standing_in = "".join(
            ch if ord(ch) < 128 else CLASS_STAND_INS.get(unicodedata.category(ch)[0], ch) for ch in value
        )
        return compiled.fullmatch(standing_in) is not None

    return matches


@dataclass(frozen=True)
class MemberRules:
    """The constraints of one request member, and where they come from (`source`, shown with each problem)."""

    type_name: str
    source: str
    enum: tuple[str, ...] = ()
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None

    def problems(self, value: Any) -> list[str]:
        """What is wrong with `value` by these rules (empty when it passes or cannot be judged)."""
        if self.type_name == "string" and isinstance(value, str):
            return self._string_problems(value)
        if self.type_name in {"integer", "long", "float", "double"} and _is_number(value):
            if self.type_name in {"integer", "long"} and not float(value).is_integer():
                return ["is not a whole number"]
            return self._range_problems(value, "is")
        if self.type_name in {"list", "map"} and isinstance(value, list | dict) and value:
            # An empty collection is left out of the request by the provider, so only a non-empty one is counted.
            return self._range_problems(len(value), f"has {len(value)} items,")
        return []

    def _string_problems(self, value: str) -> list[str]:
        problems = []
        if self.enum and value not in self.enum:
            problems.append(f"is not one of {', '.join(self.enum)}")
        if self.minimum is not None and len(value) < self.minimum:
            problems.append(f"is {len(value)} characters, below the minimum length of {self.minimum:g}")
        if self.maximum is not None and len(value) > self.maximum:
            problems.append(f"is {len(value)} characters, above the maximum length of {self.maximum:g}")
        if self.pattern is not None:
            try:
                matches = pattern_matcher(self.pattern)(value)
            except (ValueError, re.error):
                matches = True  # a pattern Python cannot express is not judged (none of the mapped members has one)
            if not matches:
                problems.append(f"does not match the pattern `{self.pattern}`")
        return problems

    def _range_problems(self, amount: float, verb: str) -> list[str]:
        if self.minimum is not None and amount < self.minimum:
            return [f"{verb} below the minimum of {self.minimum:g}"]
        if self.maximum is not None and amount > self.maximum:
            return [f"{verb} above the maximum of {self.maximum:g}"]
        return []


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@functools.cache
def service_model(service: str) -> ServiceModel:
    """botocore's model of one service (`firehose`, `lambda`, ...), loaded once."""
    return botocore.session.get_session().get_service_model(service)


@functools.cache
def request_member(service: str, operation: str, path: str) -> Shape:
    """The shape of the member at `path` in `operation`'s request; KeyError naming the step that does not exist."""
    input_shape = service_model(service).operation_model(operation).input_shape
    if input_shape is None:
        raise KeyError(f"{service} {operation} takes no request members")
    shape: Shape = input_shape
    for token in PATH_TOKEN.findall(path):
        if token == "[]" and isinstance(shape, ListShape):
            shape = shape.member
        elif token == "{key}" and isinstance(shape, MapShape):
            shape = shape.key
        elif token == "{value}" and isinstance(shape, MapShape):
            shape = shape.value
        elif isinstance(shape, StructureShape) and token in shape.members:
            shape = shape.members[token]
        else:
            raise KeyError(f"{service} {operation} has no member {path!r} (no {token!r} in {shape.name})")
    return shape


@functools.cache
def member_rules(service: str, operation: str, path: str) -> MemberRules:
    """The model's constraints on one request member, e.g. ("firehose", "CreateDeliveryStream",
    "ExtendedS3DestinationConfiguration.CompressionFormat") -> enum UNCOMPRESSED, GZIP, ZIP, Snappy, HADOOP_SNAPPY."""
    shape = request_member(service, operation, path)
    metadata = shape.metadata
    member_name = next((token for token in reversed(PATH_TOKEN.findall(path)) if token[0].isalnum()), path)
    return MemberRules(
        type_name=shape.type_name,
        source=f"{service} {operation} {member_name}",
        enum=tuple(metadata.get("enum", ())),
        pattern=metadata.get("pattern"),
        minimum=metadata.get("min"),
        maximum=metadata.get("max"),
    )


def enum_of(service: str, operation: str, path: str) -> tuple[str, ...]:
    """The values the model allows for an enum member, in the model's order."""
    return member_rules(service, operation, path).enum
