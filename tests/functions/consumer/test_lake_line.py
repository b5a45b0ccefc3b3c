"""Lake lines: one JSON object per line, the envelope plus enrichment, whichever encoding path is taken."""

from __future__ import annotations

import io
import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.consumer import lake_line
from functions.consumer.lake_line import LakeLineEncoder, PoisonRecordError
from functions.consumer.pii import PiiMasker

ENVELOPE = {
    "event_id": "e-1",
    "tenant": "acme",
    "type": "click",
    "occurred_at": "2026-11-26T11:59:58.120Z",
    "payload": {"email": "a@example.com", "n": 1.5, "text": 'quote " and \\ and é'},
}
ENRICHMENT = {
    "ingested_at": "2026-11-26T12:00:00.000Z",
    "shard_id": "shardId-000000000001",
    "sequence_number": "49590338271490256608559692538361571095921575989136588898",
    "sub_sequence_number": 2,
    "arrival_lag_ms": 1500,
}


def _encode(data: bytes, pii: tuple[str, ...] = (), sequence_number: str = ENRICHMENT["sequence_number"]) -> bytes:
    encoder = LakeLineEncoder("acme", PiiMasker(pii), 1_000_000, ENRICHMENT["ingested_at"], 1795694400.0)
    # Scratch after the previous line, as in a reused buffer: longer than some lines, shorter than others.
    out = io.BytesIO(b"previous line\n" + b"#" * 300)
    start = out.seek(len(b"previous line\n"))
    shard = ENRICHMENT["shard_id"]
    length = encoder.write_line(out, data, shard, encoder.splice_head(shard), sequence_number, 2, 1795694398.5)
    assert out.tell() == start + length
    written = out.getvalue()
    assert written.startswith(b"previous line\n")
    return written[start : start + length]


def _assert_one_line(line: bytes, expected: dict[str, Any]) -> None:
    assert line.endswith(b"\n") and line.count(b"\n") == 1 and b"\r" not in line
    assert orjson.loads(line) == expected


def test_unmasked_record_keeps_producer_bytes_and_gains_enrichment() -> None:
    data = orjson.dumps(ENVELOPE)

    line = _encode(data)

    assert line.startswith(data[:-1])
    _assert_one_line(line, ENVELOPE | ENRICHMENT)


def test_masked_record_is_reencoded_without_the_pii_value() -> None:
    line = _encode(orjson.dumps(ENVELOPE), ("payload.email",))

    assert b"a@example.com" not in line
    _assert_one_line(line, ENVELOPE | {"payload": ENVELOPE["payload"] | {"email": "***"}} | ENRICHMENT)


@pytest.mark.parametrize(
    "sequence_number",
    ["١٢٣", '1"2', "1\\2", "", "12\n3"],
    ids=["Arabic-Indic digits", "quote", "backslash", "empty", "LF"],
)
def test_sequence_number_that_is_not_ascii_digits_is_still_encoded_exactly(sequence_number: str) -> None:
    """Only ASCII digits go into the line unescaped; anything else takes the re-encoding path."""
    line = _encode(orjson.dumps(ENVELOPE), sequence_number=sequence_number)

    _assert_one_line(line, ENVELOPE | ENRICHMENT | {"sequence_number": sequence_number})


@pytest.mark.parametrize(
    "data",
    [
        json.dumps(ENVELOPE, indent=2).encode(),
        orjson.dumps(ENVELOPE) + b"\n",
        orjson.dumps(ENVELOPE) + b"\r\n",
        orjson.dumps(ENVELOPE).replace(b',"tenant"', b',\r"tenant"'),
        orjson.dumps(ENVELOPE).replace(b',"tenant"', b',\n"tenant"'),
        b"  " + orjson.dumps(ENVELOPE) + b"  ",
    ],
    ids=["pretty-printed", "trailing LF", "trailing CRLF", "CR inside", "LF inside", "surrounding spaces"],
)
def test_records_with_line_breaks_or_trailing_whitespace_still_make_one_line(data: bytes) -> None:
    _assert_one_line(_encode(data), ENVELOPE | ENRICHMENT)


def test_line_above_firehose_record_limit_is_poison_and_leaves_earlier_lines_untouched() -> None:
    encoder = LakeLineEncoder("acme", PiiMasker(()), 2_000_000, "t", 0.0)
    out = io.BytesIO(b"kept\n")
    out.seek(5)
    big = orjson.dumps(ENVELOPE | {"payload": {"blob": "x" * 1_024_000}})

    with pytest.raises(PoisonRecordError, match="above the Firehose record limit"):
        encoder.write_line(out, big, "shardId-1", encoder.splice_head("shardId-1"), "1", 0, 0.0)

    assert out.tell() == 5 and out.getvalue().startswith(b"kept\n")


json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
)
payloads = st.dictionaries(st.text(max_size=8), st.recursive(json_leaves, lambda inner: st.lists(inner, max_size=3)))


@settings(max_examples=150, deadline=None)
@given(payloads, st.sampled_from([None, 0, 2]), st.booleans())
def test_any_valid_envelope_round_trips_through_its_lake_line(payload: dict[str, Any], indent: Any, mask: bool) -> None:
    envelope = ENVELOPE | {"payload": payload | {"email": "x@example.com"}}
    data = json.dumps(envelope, indent=indent, ensure_ascii=bool(indent)).encode()

    line = _encode(data, ("payload.email",) if mask else ())

    expected_payload = envelope["payload"] | ({"email": "***"} if mask else {})
    _assert_one_line(line, envelope | {"payload": expected_payload} | ENRICHMENT)


@pytest.mark.parametrize(
    "inside_payload",
    [b'"name":"\xff"', b'"surrogate":"\\ud800"', b'"pair":"\\udc00\\ud800"', b'"cesu":"\xed\xa0\x80"'],
    ids=["not UTF-8", "lone surrogate", "reversed surrogates", "UTF-8 encoded surrogate"],
)
@pytest.mark.parametrize("pii", [(), ("payload.email",)], ids=["unmasked", "masked"])
def test_payload_that_is_not_json_is_poison_even_when_the_envelope_is_valid(
    inside_payload: bytes, pii: tuple[str, ...]
) -> None:
    """msgspec skips the payload rather than parsing it, and skipping does not check UTF-8."""
    data = orjson.dumps(ENVELOPE)[:-2] + b"," + inside_payload + b"}}"

    with pytest.raises(PoisonRecordError, match=r"^not JSON: "):
        _encode(data, pii)


BEYOND_DOUBLE = [b'"big":1e999', b'"big":-1.8e308', b'"big":1' + b"0" * 309, b'"big":[0.5e00400]']
BEYOND_DOUBLE_IDS = ["exponent", "negative just beyond", "310-digit integer", "padded exponent in a list"]


@pytest.mark.parametrize("inside_payload", BEYOND_DOUBLE, ids=BEYOND_DOUBLE_IDS)
def test_payload_number_beyond_a_double_is_delivered_as_written(inside_payload: bytes) -> None:
    """Valid JSON (RFC 8259 leaves number range to the reader) and a valid envelope: the producer's
    bytes go to the lake unchanged; orjson, which would call it infinity, never parses it."""
    data = orjson.dumps(ENVELOPE)[:-2] + b"," + inside_payload + b"}}"

    line = _encode(data)

    assert line.startswith(data[:-1])
    assert json.loads(line)["payload"]["big"] == json.loads(data)["payload"]["big"]


@pytest.mark.parametrize("inside_payload", BEYOND_DOUBLE, ids=BEYOND_DOUBLE_IDS)
@pytest.mark.parametrize(
    ("pii", "layout"),
    [(("payload.email",), lambda data: data), ((), lambda data: data + b"\n"), ((), lambda data: b" " + data + b" ")],
    ids=["PII masked", "trailing line break", "surrounding spaces"],
)
def test_payload_number_beyond_a_double_is_poison_where_the_line_must_be_reencoded(
    inside_payload: bytes, pii: tuple[str, ...], layout: Any
) -> None:
    data = layout(orjson.dumps(ENVELOPE)[:-2] + b"," + inside_payload + b"}}")

    with pytest.raises(PoisonRecordError, match=r"^valid JSON that cannot be re-encoded .*: number is infinity"):
        _encode(data, pii)


def test_valid_unmasked_record_is_spliced_without_parsing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_parse(data: bytes) -> Any:
        raise AssertionError("parsed a record msgspec vouches for")

    monkeypatch.setattr(lake_line.orjson, "loads", no_parse)
    data = orjson.dumps(ENVELOPE | {"schema_version": "v2", "payload": {"nested": [{"a": None}], "é": "ü"}})

    line = _encode(data)

    assert line.startswith(data[:-1])
    monkeypatch.undo()
    _assert_one_line(line, orjson.loads(data) | ENRICHMENT)
