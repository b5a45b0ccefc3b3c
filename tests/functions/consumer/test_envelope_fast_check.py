"""`envelope_tenant` (msgspec on raw bytes) never vouches for a record the orjson validator would refuse.

The consumer delivers what `envelope_tenant` accepts without parsing it, so it must accept nothing
orjson + `envelope_violation` refuse, except payload numbers beyond double range (valid JSON orjson
cannot represent). Where it declines, the consumer asks orjson, so declining valid records only costs
time; these tests also check it accepts the ordinary valid envelope, or the fast path would be dead.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.consumer.envelope import envelope_tenant, envelope_violation
from tests.functions.consumer.test_envelope_schema import EXAMPLES, VALID, candidate_envelopes


def _orjson_verdict(data: bytes) -> str | None:
    """The tenant when orjson + envelope_violation accept `data`, "beyond double" when orjson
    refuses only a number's range, else None."""
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        return "beyond double" if "number is infinity" in str(error) else None
    return doc["tenant"] if envelope_violation(doc) is None else None


def _assert_sound(data: bytes) -> None:
    tenant = envelope_tenant(data)
    if tenant is not None:
        assert _orjson_verdict(data) in (tenant, "beyond double"), data


@pytest.mark.parametrize("doc", EXAMPLES, ids=[str(index) for index in range(len(EXAMPLES))])
@pytest.mark.parametrize("ensure_ascii", [True, False], ids=["escaped", "UTF-8"])
def test_fast_check_agrees_with_validator_on_examples(doc: Any, ensure_ascii: bool) -> None:
    data = json.dumps(doc, ensure_ascii=ensure_ascii).encode()

    expected = doc["tenant"] if envelope_violation(doc) is None else None
    if isinstance(doc, dict) and type(doc.get("schema_version")) is float:
        expected = None  # 3.0: valid, but msgspec wants an int; orjson decides (and accepts)
    assert envelope_tenant(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        b'{"event_id":"e","tenant":"acme","type":"t","occurred_at":"2026-11-26T11:59:58Z","payload":{},"payload":[]}',
        b'{"event_id":"e","tenant":"acme","type":"t","occurred_at":"2026-11-26T11:59:58Z\\n","payload":{}}',
        b'{"event_id":"e","tenant":"acme","type":"t","occurred_at":"2026-11-26T11:59:58Z","payload":{"a":NaN}}',
        b'{"event_id":"e","tenant":"acme","type":"t","occurred_at":"2026-11-26T11:59:58Z","payload":{"a":"\\ud800"}}',
        b'{"event_id":"e","tenant":"acme","type":"t","occurred_at":"2026-11-26T11:59:58Z","payload":{"\xff":1}}',
        b'{"event_id":"e","tenant":"acme","type":"t","occurred_at":"2026-11-26T11:59:58Z","payload":{}}x',
        b'\xef\xbb\xbf{"event_id":"e","tenant":"acme","type":"t","occurred_at":"2026-11-26T11:59:58Z","payload":{}}',
        b'{"event_id":"' + b"\\u00e9" * 129 + b'","tenant":"acme","type":"t",'
        b'"occurred_at":"2026-11-26T11:59:58Z","payload":{}}',
    ],
    ids=[
        "duplicate payload",
        "final newline in timestamp",
        "NaN",
        "lone surrogate",
        "key not UTF-8",
        "trailing bytes",
        "byte order mark",
        "129 escaped characters",
    ],
)
def test_fast_check_declines_what_the_validator_refuses(data: bytes) -> None:
    assert _orjson_verdict(data) is None
    assert envelope_tenant(data) is None


@pytest.mark.parametrize(("first", "last"), [("evil", "acme"), ("acme", "evil")])
def test_fast_check_takes_the_last_of_duplicate_keys_like_orjson(first: str, last: str) -> None:
    data = orjson.dumps(VALID)[:-1] + f',"tenant":"{last}"}}'.encode()
    data = data.replace(b'"tenant":"acme"', f'"tenant":"{first}"'.encode(), 1)

    assert envelope_tenant(data) == _orjson_verdict(data) == last


@settings(max_examples=300, deadline=None)
@given(candidate_envelopes(), st.booleans())
def test_fast_check_is_sound_and_accepts_ordinary_valid_envelopes(doc: dict[str, Any], ensure_ascii: bool) -> None:
    try:
        data = json.dumps(doc, ensure_ascii=ensure_ascii).encode()
    except UnicodeEncodeError:  # a lone surrogate cannot be UTF-8
        return
    _assert_sound(data)
    ordinary = type(doc.get("schema_version")) is not float and _orjson_verdict(data) is not None
    if ordinary:
        assert envelope_tenant(data) == doc["tenant"]


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=20),
        st.sampled_from([float("inf"), float("-inf"), 10**309, -(10**400), 2**64, 5e-324]),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=12,
)
edits = st.lists(
    st.tuples(
        st.sampled_from(["insert", "delete", "replace"]),
        st.floats(0, 1, exclude_max=True),
        st.sampled_from([*b'{}[]",:\\ \n0123456789eE+-.ntfu', 0x7F, 0xC3, 0xA9, 0xED, 0xFF, 0x00]),
    ),
    max_size=3,
)


def _apply(data: bytes, changes: list[tuple[str, float, int]]) -> bytes:
    buffer = bytearray(data)
    for kind, where, byte in changes:
        at = int(where * len(buffer))
        if kind == "insert":
            buffer[at:at] = bytes([byte])
        elif kind == "delete":
            del buffer[at]
        else:
            buffer[at] = byte
    return bytes(buffer)


@settings(max_examples=1500, deadline=None)
@given(json_values, edits, st.booleans())
def test_fast_check_never_vouches_for_what_orjson_refuses_after_byte_edits(
    payload: Any, changes: list[tuple[str, float, int]], ensure_ascii: bool
) -> None:
    """Byte-level damage anywhere in a valid envelope (payload, keys, strings, numbers, structure)."""
    doc = VALID | {"payload": {"value": payload}}
    try:
        data = json.dumps(doc, ensure_ascii=ensure_ascii).encode().replace(b"Infinity", b"1e999")
    except UnicodeEncodeError:
        return
    data = _apply(data, changes)

    _assert_sound(data)
