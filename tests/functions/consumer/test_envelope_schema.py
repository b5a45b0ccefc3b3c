"""The published JSON Schema, docs/events.md and the hot-path validator all describe the same envelope."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, ValidationError, validators

from functions.consumer.envelope import ENVELOPE_JSON_SCHEMA, RFC3339_PATTERN, _TimestampCheck, envelope_violation

DOCS = Path(__file__).resolve().parents[3] / "docs" / "events.md"


def _ecma_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    # jsonschema uses Python's `$`, which also matches before a final "\n"; ECMA-262's does not.
    if validator.is_type(instance, "string"):
        anchored = pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern
        if not re.search(anchored, instance):
            yield ValidationError(f"{instance!r} does not match {pattern!r}")


EcmaValidator = validators.extend(Draft202012Validator, {"pattern": _ecma_pattern})
SCHEMA_VALIDATOR = EcmaValidator(ENVELOPE_JSON_SCHEMA)


def _schema_in_docs() -> Any:
    text = DOCS.read_text()
    section = text[text.index("## JSON Schema") :]
    block = section[section.index("```json") + len("```json") : section.index("```", section.index("```json") + 7)]
    return orjson.loads(block)


def test_docs_publish_exactly_the_schema_the_consumer_uses() -> None:
    assert _schema_in_docs() == ENVELOPE_JSON_SCHEMA


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(ENVELOPE_JSON_SCHEMA)


def test_docs_example_envelope_is_valid() -> None:
    text = DOCS.read_text()
    example = orjson.loads(text[text.index("```json") + 7 : text.index("```", text.index("```json") + 7)])
    assert SCHEMA_VALIDATOR.is_valid(example)
    assert envelope_violation(example) is None


VALID = {
    "event_id": "e-1",
    "tenant": "acme",
    "type": "click",
    "occurred_at": "2026-11-26T11:59:58.120+01:00",
    "payload": {},
}

EXAMPLES = [
    VALID,
    VALID | {"schema_version": 3},
    VALID | {"schema_version": 3.0},
    VALID | {"schema_version": "v3"},
    VALID | {"schema_version": True},
    VALID | {"schema_version": -1},
    VALID | {"schema_version": ""},
    VALID | {"schema_version": 0},
    VALID | {"schema_version": None},  # not the same as absent
    VALID | {"occurred_at": "2026-11-26T11:59:58Z\n"},
    VALID | {"occurred_at": "2026-11-26 11:59:58Z"},
    VALID | {"occurred_at": "2026-11-26T11:59:58"},
    VALID | {"occurred_at": "2026-13-26T11:59:58Z"},
    VALID | {"occurred_at": "٢٠٢٦-11-26T11:59:58Z"},
    VALID | {"event_id": "x" * 128},
    VALID | {"event_id": "x" * 129},
    VALID | {"event_id": ""},
    VALID | {"payload": []},
    VALID | {"run_id": "r"},
    {key: value for key, value in VALID.items() if key != "type"},
    [VALID],
    "event",
    None,
]


@pytest.mark.parametrize("doc", EXAMPLES, ids=[str(index) for index in range(len(EXAMPLES))])
def test_validator_agrees_with_schema_on_examples(doc: Any) -> None:
    assert SCHEMA_VALIDATOR.is_valid(doc) == (envelope_violation(doc) is None)


valid_names = st.text(min_size=1, max_size=128)
valid_timestamps = st.one_of(
    st.from_regex(RFC3339_PATTERN, fullmatch=True),
    st.datetimes(timezones=st.just(UTC)).map(lambda moment: moment.isoformat()),
)
valid_versions = st.one_of(st.text(min_size=1, max_size=32), st.integers(min_value=0))
any_json = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=True),
    st.text(max_size=140),
    st.from_regex(RFC3339_PATTERN, fullmatch=True).map(lambda text: text + "\n"),
    st.datetimes().map(lambda moment: moment.isoformat()),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


@st.composite
def candidate_envelopes(draw: st.DrawFn) -> Any:
    """A valid envelope, then zero to two mutations (replace, delete or add a property)."""
    doc: dict[str, Any] = {
        "event_id": draw(valid_names),
        "tenant": draw(valid_names),
        "type": draw(valid_names),
        "occurred_at": draw(valid_timestamps),
        "payload": draw(st.dictionaries(st.text(max_size=5), st.integers(), max_size=3)),
    }
    if draw(st.booleans()):
        doc["schema_version"] = draw(valid_versions)
    for _ in range(draw(st.integers(0, 2))):
        key = draw(st.sampled_from([*doc, "schema_version", "run_id"]))
        if key in doc and draw(st.booleans()):
            del doc[key]
        else:
            doc[key] = draw(any_json)
    return doc


@settings(max_examples=300, deadline=None)
@given(candidate_envelopes())
def test_validator_agrees_with_schema_on_generated_envelopes(doc: dict[str, Any]) -> None:
    assert SCHEMA_VALIDATOR.is_valid(doc) == (envelope_violation(doc) is None)


timestamp_like = st.one_of(
    valid_timestamps,
    st.from_regex(RFC3339_PATTERN, fullmatch=True).map(lambda text: text[:19] + text[19:].upper() + "\n"),
    st.from_regex(r"\A[0-9T:.+Zz-]{0,30}\Z", fullmatch=True),
    st.text(max_size=30),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(valid_timestamps, max_size=20), st.lists(timestamp_like, min_size=1, max_size=20))
def test_remembered_timestamp_check_agrees_with_the_pattern(seen: list[str], candidates: list[str]) -> None:
    """Remembered heads and tails of valid timestamps, recombined, never accept what the pattern refuses."""
    check = _TimestampCheck()
    for text in seen:
        assert check(text)
    # Every start paired with every ending, split at and around the 19th character.
    texts = seen + candidates
    recombined = [text[:cut] + other[cut:] for text in texts for other in texts for cut in (17, 18, 19, 20, 21)]
    for text in candidates + recombined:
        assert check(text) == (re.fullmatch(RFC3339_PATTERN[1:-1], text) is not None), text


def test_remembered_timestamp_parts_stay_bounded() -> None:
    check = _TimestampCheck()
    for micros in range(10_000):
        assert check(f"2026-11-26T11:59:58.{micros:06d}Z")
    assert not check("2026-11-26T11:59:58.000001Zz")
    assert len(check._heads) == 1 and len(check._tails) <= 4096
