"""Firehose's S3 `Prefix`/`ErrorOutputPrefix` expressions and object names, evaluated as the service does.

Rules from https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html ("timestamp namespace", "firehose
namespace", "Semantic rules") and the object name from https://docs.aws.amazon.com/firehose/latest/dev/s3-object-name.html
(`<evaluated prefix><stream name>-<stream version>-<year>-<month>-<day>-<hour>-<minute>-<second>-<uuid><extension>`):

- `!{timestamp:<pattern>}`: a Java DateTimeFormatter pattern, in UTC (no CustomTimeZone here), of "the approximate
  arrival timestamp of the oldest record that's contained in the Amazon S3 object being written"; every instance in
  one prefix is the same instant. Characters in single quotes are literal.
- `!{firehose:random-string}`: 11 random characters, new for each instance; `!{firehose:error-output-type}` only in
  ErrorOutputPrefix, one error string for every instance.
- A Prefix without a timestamp expression gets `!{timestamp:yyyy/MM/dd/HH/}` appended.
- ErrorOutputPrefix may be empty only if Prefix has no expressions; then failed records go under
  `<Prefix><error-output-type>` + `yyyy/MM/dd/HH/` (the rule's order; the page's example also puts a `/` after the
  error type, which this follows). An ErrorOutputPrefix with expressions must contain `!{firehose:error-output-type}`.
- `!{` appears only in `!{namespace:value}`; neither prefix may exceed 512 characters once evaluated.

The suffix's time is the same instant as the prefix's (the page gives "the time zone used for time prefix and
suffix" as one setting). partitionKeyFromQuery / partitionKeyFromLambda need dynamic partitioning, which local mode
does not emulate: such a prefix is refused at create, naming the expression, rather than written wrongly.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

MAX_EVALUATED_PREFIX: Final = 512
RANDOM_STRING_LENGTH: Final = 11
DEFAULT_TIME_PREFIX: Final = "yyyy/MM/dd/HH/"
OBJECT_TIME: Final = "yyyy-MM-dd-HH-mm-ss"
ERROR_OUTPUT_TYPE: Final = "error-output-type"
RANDOM_STRING: Final = "random-string"
# error-output-type values the page lists; which apply depends on the destination and its processing.
ERROR_OUTPUT_TYPES: Final = (
    "processing-failed",
    "AmazonOpenSearchService-failed",
    "splunk-failed",
    "format-conversion-failed",
    "http-endpoint-failed",
)
NAMESPACES: Final = ("firehose", "timestamp", "partitionKeyFromQuery", "partitionKeyFromLambda")
_EXPRESSION = re.compile(r"!\{([^:{}]*):([^{}]*)\}")


class PrefixError(ValueError):
    """A Prefix or ErrorOutputPrefix Firehose refuses (or local mode cannot evaluate), with the reason."""


# --- Java DateTimeFormatter, the subset prefixes use -------------------------------------------------------------

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Every letter DateTimeFormatter.ofPattern reserves (its "Patterns for Formatting and Parsing" table); the emulator
# formats the ones below and refuses the rest (zones, week-based fields, eras) rather than print them wrongly.
_JAVA_LETTERS: Final = frozenset("GuyDMLdQqYwWEecFaBhKkHmsSAnNVvzOXxZp")


def _number(value: int, count: int, max_count: int, letter: str) -> str:
    if count > max_count:
        raise PrefixError(f"too many pattern letters '{letter * count}' (at most {max_count})")
    return str(value).zfill(count)


def _year(value: int, count: int) -> str:
    return f"{value % 100:02d}" if count == 2 else str(value).zfill(count)


def _month(value: int, count: int, letter: str) -> str:
    if count <= 2:
        return str(value).zfill(count)
    name = _MONTHS[value - 1]
    return {3: name[:3], 4: name, 5: name[0]}.get(count) or _too_many(letter, count, 5)


def _too_many(letter: str, count: int, max_count: int) -> str:
    raise PrefixError(f"too many pattern letters '{letter * count}' (at most {max_count})")


def _fraction(value: datetime, count: int) -> str:
    if count > 9:
        _too_many("S", count, 9)
    return f"{value.microsecond * 1000:09d}"[:count]


def _day_name(value: datetime, count: int) -> str:
    name = _DAYS[value.weekday()]
    return {1: name[:3], 2: name[:3], 3: name[:3], 4: name, 5: name[0]}.get(count) or _too_many("E", count, 5)


_FIELDS: Final[dict[str, Callable[[datetime, int], str]]] = {
    "y": lambda t, n: _year(t.year, n),
    "u": lambda t, n: _year(t.year, n),
    "M": lambda t, n: _month(t.month, n, "M"),
    "L": lambda t, n: _month(t.month, n, "L"),
    "d": lambda t, n: _number(t.day, n, 2, "d"),
    "D": lambda t, n: _number(t.timetuple().tm_yday, n, 3, "D"),
    "H": lambda t, n: _number(t.hour, n, 2, "H"),
    "k": lambda t, n: _number(t.hour or 24, n, 2, "k"),
    "K": lambda t, n: _number(t.hour % 12, n, 2, "K"),
    "h": lambda t, n: _number(t.hour % 12 or 12, n, 2, "h"),
    "m": lambda t, n: _number(t.minute, n, 2, "m"),
    "s": lambda t, n: _number(t.second, n, 2, "s"),
    "S": _fraction,
    "a": lambda t, n: ("AM" if t.hour < 12 else "PM") if n == 1 else _too_many("a", n, 1),
    "E": _day_name,
}


def java_datetime_format(pattern: str, instant: datetime) -> str:
    """`instant` (UTC) formatted by a Java DateTimeFormatter pattern; PrefixError for what Java or local mode refuses.

    Quoting as Java: `'text'` is literal, `''` is one quote; `[`/`]` (optional sections) print their content, as every
    field is present for an instant; `#`, `{`, `}` are reserved; other non-letters are literal.
    """
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "'":
            end = index + 1
            literal: list[str] = []
            while True:
                if end >= len(pattern):
                    raise PrefixError(f"pattern '{pattern}' has an unclosed quote")
                if pattern[end] == "'":
                    if end + 1 < len(pattern) and pattern[end + 1] == "'":
                        literal.append("'")
                        end += 2
                        continue
                    break
                literal.append(pattern[end])
                end += 1
            out.append("".join(literal) if end > index + 1 else "'")
            index = end + 1
        elif char.isascii() and char.isalpha():
            count = 1
            while index + count < len(pattern) and pattern[index + count] == char:
                count += 1
            formatter = _FIELDS.get(char)
            if formatter is None:
                if char in _JAVA_LETTERS:
                    raise PrefixError(f"pattern letter '{char}' in '{pattern}' is not evaluated by local mode")
                raise PrefixError(f"unknown pattern letter '{char}' in '{pattern}' (Java DateTimeFormatter)")
            try:
                out.append(formatter(instant, count))
            except PrefixError as error:
                raise PrefixError(f"{error} in '{pattern}'") from None
            index += count
        elif char in "#{}":
            raise PrefixError(f"'{char}' is reserved in a Java DateTimeFormatter pattern ('{pattern}')")
        else:
            if char not in "[]":
                out.append(char)
            index += 1
    return "".join(out)


# --- Prefix expressions ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expression:
    namespace: str
    value: str


def expressions(prefix: str, field: str) -> list[Expression]:
    """The `!{namespace:value}` expressions of a prefix; PrefixError for a `!{` outside one, or an unknown one."""
    found = [Expression(m.group(1), m.group(2)) for m in _EXPRESSION.finditer(prefix)]
    if prefix.count("!{") != len(found):
        raise PrefixError(f"{field} '{prefix}': '!{{' may only start a !{{namespace:value}} expression")
    for expression in found:
        if expression.namespace not in NAMESPACES:
            raise PrefixError(
                f"{field} '{prefix}': unknown namespace '{expression.namespace}' (one of {', '.join(NAMESPACES)})"
            )
        if expression.namespace == "firehose" and expression.value not in (ERROR_OUTPUT_TYPE, RANDOM_STRING):
            raise PrefixError(
                f"{field} '{prefix}': '!{{firehose:{expression.value}}}' is not {ERROR_OUTPUT_TYPE} or {RANDOM_STRING}"
            )
        if expression.namespace.startswith("partitionKey"):
            raise PrefixError(
                f"{field} '{prefix}': !{{{expression.namespace}:...}} needs dynamic partitioning, "
                "which local mode does not emulate"
            )
    return found


def _has_timestamp(found: list[Expression]) -> bool:
    return any(expression.namespace == "timestamp" for expression in found)


def validate(prefix: str, error_output_prefix: str) -> None:
    """Refuse what CreateDeliveryStream/UpdateDestination refuse, with the semantic rule that is broken."""
    prefix_expressions = expressions(prefix, "Prefix")
    error_expressions = expressions(error_output_prefix, "ErrorOutputPrefix")
    if any(e.namespace == "firehose" and e.value == ERROR_OUTPUT_TYPE for e in prefix_expressions):
        raise PrefixError(f"Prefix '{prefix}' can't contain !{{firehose:{ERROR_OUTPUT_TYPE}}}")
    if prefix_expressions and not error_output_prefix:
        raise PrefixError(f"ErrorOutputPrefix can't be null when Prefix contains expressions ('{prefix}')")
    if error_expressions and not any(
        e.namespace == "firehose" and e.value == ERROR_OUTPUT_TYPE for e in error_expressions
    ):
        raise PrefixError(
            f"ErrorOutputPrefix '{error_output_prefix}' has expressions, so it must include "
            f"!{{firehose:{ERROR_OUTPUT_TYPE}}}"
        )
    sample = datetime(2026, 12, 28, 23, 59, 59, tzinfo=UTC)  # wide fields: two-digit month, day and hour
    evaluate(prefix, sample)
    evaluate_error(prefix, error_output_prefix, sample, max(ERROR_OUTPUT_TYPES, key=len))


def _random_string() -> str:
    return str(uuid.uuid4())[:RANDOM_STRING_LENGTH]


def _substitute(prefix: str, field: str, instant: datetime, error_type: str | None) -> str:
    def replace(match: re.Match[str]) -> str:
        namespace, value = match.group(1), match.group(2)
        if namespace == "timestamp":
            return java_datetime_format(value, instant)
        if value == RANDOM_STRING:
            return _random_string()
        assert error_type is not None, "validate() keeps error-output-type out of Prefix"
        return error_type

    evaluated = _EXPRESSION.sub(replace, prefix)
    if len(evaluated) > MAX_EVALUATED_PREFIX:
        raise PrefixError(f"{field} evaluates to {len(evaluated)} characters (at most {MAX_EVALUATED_PREFIX})")
    return evaluated


def evaluate(prefix: str, instant: datetime) -> str:
    """The evaluated Prefix of an object whose oldest record arrived at `instant` (UTC)."""
    if not _has_timestamp(expressions(prefix, "Prefix")):
        prefix += f"!{{timestamp:{DEFAULT_TIME_PREFIX}}}"
    return _substitute(prefix, "Prefix", instant, None)


def evaluate_error(prefix: str, error_output_prefix: str, instant: datetime, error_type: str) -> str:
    """The evaluated ErrorOutputPrefix of failed records of type `error_type` (one of ERROR_OUTPUT_TYPES)."""
    if not error_output_prefix:
        return _substitute(f"{prefix}{error_type}/!{{timestamp:{DEFAULT_TIME_PREFIX}}}", "Prefix", instant, None)
    if not _has_timestamp(expressions(error_output_prefix, "ErrorOutputPrefix")):
        error_output_prefix += f"!{{timestamp:{DEFAULT_TIME_PREFIX}}}"
    return _substitute(error_output_prefix, "ErrorOutputPrefix", instant, error_type)


def object_name(stream_name: str, version: str, instant: datetime, extension: str) -> str:
    """`<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><extension>`, the suffix Firehose puts after the prefix."""
    return f"{stream_name}-{version}-{java_datetime_format(OBJECT_TIME, instant)}-{uuid.uuid4()}{extension}"
