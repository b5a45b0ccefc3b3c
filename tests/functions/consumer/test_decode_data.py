"""`decode_data` (pybase64, binascii as the judge of what it refuses) against the decode it replaced.

The consumer used to decode with `binascii.a2b_base64(data, strict_mode=True)`; every input must
still give the same bytes, or the same exception type and message (the message is the quarantine
reason). The properties run on every pybase64 code path this machine has (each SIMD level and plain
C) and on pybase64's pure-Python fallback, which it uses silently when its extension does not load.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import pybase64
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pybase64 import _fallback, _pybase64

from functions.consumer import kinesis_event
from functions.consumer.kinesis_event import decode_data

# 0 is pybase64's plain C path; each other flag one SIMD level compiled in and supported here.
SIMD_PATHS = [0] + [
    flag
    for flag in (1 << bit for bit in range(31))
    if flag & _pybase64._get_simd_flags_compile() & _pybase64._get_simd_flags_runtime()
]
DECODERS = [f"simd:{flag}" for flag in SIMD_PATHS] + ["python-fallback"]


@contextmanager
def _pybase64_decoder(name: str) -> Iterator[None]:
    """Run `decode_data` on one pybase64 code path; restore the default afterwards."""
    saved_path, saved_decode = _pybase64._get_simd_path(), kinesis_event._b64decode
    try:
        if name == "python-fallback":
            kinesis_event._b64decode = _fallback.b64decode
        else:
            _pybase64._set_simd_path(int(name.removeprefix("simd:")))
        yield
    finally:
        _pybase64._set_simd_path(saved_path)
        kinesis_event._b64decode = saved_decode


def _outcome(decode: Any, data: Any) -> tuple[str, Any, str]:
    try:
        return ("bytes", decode(data), "")
    except Exception as error:
        return ("raised", type(error), str(error))


def _old_decode(data: Any) -> bytes:
    return binascii.a2b_base64(data, strict_mode=True)


def _assert_same_as_binascii(data: Any) -> None:
    assert _outcome(decode_data, data) == _outcome(_old_decode, data), data


# Characters around which base64 validity turns: the alphabet's edges, padding, whitespace, the
# URL-safe pair, NUL and non-ASCII.
_EDGY = "AQgw+/=-_ \n\r\t.\x00é€"


@st.composite
def _mangled_base64(draw: st.DrawFn, min_size: int = 0, max_size: int = 40) -> str:
    """Valid base64 of some bytes, then a few insertions, deletions or replacements (or none)."""
    text = list(base64.b64encode(draw(st.binary(min_size=min_size, max_size=max_size))).decode())
    for _ in range(draw(st.integers(0, 4))):
        position = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["insert", "delete", "replace"]))
        char = draw(st.sampled_from(_EDGY))
        if edit == "insert":
            text.insert(position, char)
        elif position < len(text):
            if edit == "delete":
                del text[position]
            else:
                text[position] = char
    padding = draw(st.sampled_from(["", "", "=", "==", "===", "====", "\n"]))
    return "".join(text) + padding


# Long inputs too: the SIMD paths decode blocks of 16 to 64 characters and finish the tail in C.
ANY_INPUT = st.one_of(
    _mangled_base64(),
    _mangled_base64().map(str.encode),
    _mangled_base64(min_size=40, max_size=400),
    st.binary(min_size=40, max_size=400).map(lambda raw: base64.b64encode(raw).decode()),
    st.text(alphabet="AB/+=", max_size=40),
    st.text(alphabet=_EDGY, max_size=40),
    st.text(max_size=80),
    st.binary(max_size=80),
)


@pytest.mark.parametrize("decoder", DECODERS)
@settings(max_examples=1500, deadline=None)
@given(data=ANY_INPUT)
@example(data="")
@example(data=b"")
@example(data="AAAA=")
@example(data="AAAA==")
@example(data="AAAA====")
@example(data="AA==AA==")
@example(data="=")
@example(data="=AAA")
@example(data="AA=A")
@example(data="AAA")
@example(data="AAAA\n")
@example(data=" AAAA")
@example(data="QUJD\u00e9")
@example(data="AB==")  # non-zero padding bits
@example(data="-_-_")
def test_decode_is_binascii_strict_for_every_input(decoder: str, data: str | bytes) -> None:
    with _pybase64_decoder(decoder):
        _assert_same_as_binascii(data)


@pytest.mark.parametrize("decoder", DECODERS)
@pytest.mark.parametrize(
    "data",
    [None, 7, 1.5, ["QUJD"], {"QUJD": 1}, bytearray(b"QUJD"), memoryview(b"QUJD"), memoryview(b"QxUxJxDx")[::2]],
    ids=["None", "int", "float", "list", "dict", "bytearray", "memoryview", "strided-memoryview"],
)
def test_non_text_data_behaves_as_before(decoder: str, data: Any) -> None:
    """Not what Kinesis sends, but a malformed event must fail (or not) exactly as it did."""
    with _pybase64_decoder(decoder):
        _assert_same_as_binascii(data)


def test_padding_after_a_complete_quad_is_accepted_as_binascii_strict_accepts_it() -> None:
    """'AAAA=' is why the fallback exists: pybase64 refuses it, binascii's strict mode does not."""
    with pytest.raises(binascii.Error):
        pybase64.b64decode("AAAA=", validate=True)

    assert decode_data("AAAA=") == binascii.a2b_base64("AAAA=", strict_mode=True) == b"\x00\x00\x00"


def test_invalid_base64_raises_binascii_error_with_binascii_message() -> None:
    with pytest.raises(binascii.Error) as raised:
        decode_data("!!not-base64!!")
    with pytest.raises(binascii.Error) as before:
        _old_decode("!!not-base64!!")
    assert str(raised.value) == str(before.value)


def _envelope_bytes_multiple_of_3(build: Any) -> bytes:
    """An envelope whose base64 needs no padding, so a '=' appended to it follows a complete quad."""
    for pad in range(3):
        raw = orjson.dumps(build.envelope(1, event_id="evt-1" + "x" * pad))
        if len(raw) % 3 == 0:
            return raw
    raise AssertionError("unreachable: one of three consecutive lengths is a multiple of 3")


def test_consumer_delivers_a_record_binascii_strict_accepts_but_pybase64_refuses(
    aws: Any, make_consumer: Any, build: Any
) -> None:
    raw = _envelope_bytes_multiple_of_3(build)
    odd = base64.b64encode(raw).decode() + "="
    with pytest.raises(binascii.Error):
        pybase64.b64decode(odd, validate=True)
    event = build.kinesis_event([orjson.dumps(build.envelope(0)), odd, orjson.dumps(build.envelope(2))])

    result = make_consumer().process(event)

    assert result.response() == {"batchItemFailures": []}
    assert [line["event_id"] for line in aws.lake_lines()] == ["evt-0", orjson.loads(raw)["event_id"], "evt-2"]
    assert aws.quarantine_entries() == []


def test_consumer_quarantine_reason_is_binascii_message(aws: Any, make_consumer: Any, build: Any) -> None:
    event = build.kinesis_event([orjson.dumps(build.envelope(0)), "QUJD=A==", orjson.dumps(build.envelope(2))])
    with pytest.raises(binascii.Error) as before:
        _old_decode("QUJD=A==")

    make_consumer().process(event)

    [entry] = aws.quarantine_entries()
    assert entry["reason"] == f"not base64: {before.value}"
