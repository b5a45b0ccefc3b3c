"""The consumer's fast decoder does what a plain, obviously correct decoder does, record for record.

The consumer's hot path is two hand-tuned loops (a run of plain records with no bookkeeping, and a
general loop from the first record that is not plain), a msgspec check standing in for the parse,
and a splice standing in for re-encoding. The reference below is none of that: one loop over the
Kinesis records, the standard library's strict base64, `deaggregate`, orjson and `envelope_violation`,
and a position compared with the checkpoint. Hypothesis feeds both random batches mixing plain
records, KPL aggregates, poison (not base64, corrupt aggregates, not JSON, not an envelope, another
tenant, oversize) and duplicates at or below a random checkpoint; the consumer must write the same
lake lines, the same quarantine entries with the same reasons, in the same order, and leave the same
checkpoint. The AWS clients are in-memory fakes, so an example costs milliseconds.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from aws_kinesis_agg import MAGIC
from aws_kinesis_agg.aggregator import RecordAggregator
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.consumer import quarantine_reasons
from functions.consumer.config import ConsumerConfig
from functions.consumer.deaggregation import CorruptAggregateError, deaggregate
from functions.consumer.pii import PiiMasker
from functions.consumer.positions import Position, decode_position, encode_position
from functions.consumer.processor import KinesisConsumer
from streamctl.replay.consumer_code import rejection

TENANT = "acme"
SHARD = "shardId-000000000003"
MAX_EVENT_BYTES = 700
BASE_SEQUENCE = 49590338271490256608559692538361571095921575989136588898
NOW = datetime(2026, 11, 26, 12, 0, 0, 250000, tzinfo=UTC)
INGESTED_AT = "2026-11-26T12:00:00.250Z"


# --- the reference decoder ------------------------------------------------------------------------


@dataclass
class Expected:
    lines: list[dict[str, Any]] = field(default_factory=list)
    # (sequence number, sub-sequence number, partition key, bytes, reason, arrival)
    quarantine: list[tuple[str, int, str, bytes, str, float]] = field(default_factory=list)
    duplicates: int = 0
    checkpoint: Position | None = None


def reference_rejection(data: bytes) -> str | None:
    """Why a user record is quarantined, or None when it is delivered: the replay tool's reading of the consumer
    (one plain function), so this test also holds the replay tool to what the fast decoder does."""
    return rejection(data, TENANT, MAX_EVENT_BYTES)


def reference_user_records(kinesis: dict[str, Any]) -> list[tuple[int, str, bytes, str | None]]:
    """(sub-sequence number, partition key, bytes, reason to quarantine or None) of each user record."""
    try:
        data = binascii.a2b_base64(kinesis["data"], strict_mode=True)
    except ValueError as error:  # binascii.Error, or non-ASCII text
        return [(0, kinesis["partitionKey"], kinesis["data"].encode(), quarantine_reasons.not_base64(error))]
    if not data.startswith(MAGIC):
        return [(0, kinesis["partitionKey"], data, reference_rejection(data))]
    try:
        user_records = deaggregate(data)
    except CorruptAggregateError as error:
        return [(0, kinesis["partitionKey"], data, str(error))]
    return [(sub, key, user_data, reference_rejection(user_data)) for sub, (user_data, key) in enumerate(user_records)]


def reference_decode(
    records: list[dict[str, Any]], checkpoint: Position | None, pii_fields: tuple[str, ...]
) -> Expected:
    masker = PiiMasker(pii_fields)
    expected = Expected(checkpoint=checkpoint)
    for record in records:
        kinesis = record["kinesis"]
        sequence_number = kinesis["sequenceNumber"]
        arrival = kinesis["approximateArrivalTimestamp"]
        for sub_sequence, key, data, reason in reference_user_records(kinesis):
            position = Position(int(sequence_number), sub_sequence)
            if checkpoint is not None and position <= checkpoint:
                expected.duplicates += 1
                continue
            expected.checkpoint = position
            if reason is not None:
                expected.quarantine.append((sequence_number, sub_sequence, key, data, reason, arrival))
                continue
            envelope = orjson.loads(data)
            masker.mask(envelope)
            envelope["ingested_at"] = INGESTED_AT
            envelope["arrival_lag_ms"] = int(NOW.timestamp() * 1000.0 - arrival * 1000.0)
            envelope["shard_id"] = SHARD
            envelope["sequence_number"] = sequence_number
            envelope["sub_sequence_number"] = sub_sequence
            expected.lines.append(envelope)
    return expected


# --- in-memory AWS clients --------------------------------------------------------------------------


class FakeFirehose:
    def __init__(self) -> None:
        self.data = bytearray()

    def put_record_batch(self, DeliveryStreamName: str, Records: list[dict[str, bytes]]) -> dict[str, Any]:
        for entry in Records:
            self.data += entry["Data"]
        return {"FailedPutCount": 0, "RequestResponses": [{"RecordId": "r"} for _ in Records]}


class FakeCheckpointTable:
    """Holds `position` per key, with the consumer's only-forward condition."""

    def __init__(self) -> None:
        self.positions: dict[str, str] = {}

    def get_item(self, *, Key: dict[str, Any], **_: Any) -> dict[str, Any]:
        position = self.positions.get(Key["pk"]["S"])
        return {} if position is None else {"Item": {"position": {"S": position}}}

    def update_item(self, *, Key: dict[str, Any], ExpressionAttributeValues: dict[str, Any], **_: Any) -> None:
        key, new = Key["pk"]["S"], ExpressionAttributeValues[":position"]["S"]
        if key in self.positions and not self.positions[key] < new:
            raise ClientError({"Error": {"Code": "ConditionalCheckFailedException"}}, "UpdateItem")
        self.positions[key] = new


class FakeS3:
    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def put_object(self, *, Body: bytes, **_: Any) -> None:
        self.bodies.append(Body)


@dataclass
class Clients:
    firehose: FakeFirehose = field(default_factory=FakeFirehose)
    dynamodb: FakeCheckpointTable = field(default_factory=FakeCheckpointTable)
    s3: FakeS3 = field(default_factory=FakeS3)


_CONSUMERS: dict[tuple[tuple[str, ...], int], tuple[KinesisConsumer, Clients]] = {}


def warm_consumer(pii_fields: tuple[str, ...], firehose_record_bytes: int) -> tuple[KinesisConsumer, Clients]:
    """One consumer per configuration across examples, as in a warm Lambda (its buffers are reused)."""
    key = (pii_fields, firehose_record_bytes)
    if key not in _CONSUMERS:
        clients = Clients()
        config = ConsumerConfig(
            tenant=TENANT,
            stream_name="clicks",
            consumer_name="acme-clicks-consumer",
            checkpoint_table="checkpoints",
            delivery_stream="lake",
            quarantine_bucket="lake",
            quarantine_prefix="quarantine/",
            pii_fields=pii_fields,
            max_event_bytes=MAX_EVENT_BYTES,
            firehose_record_bytes=firehose_record_bytes,
        )
        consumer = KinesisConsumer(
            config,
            firehose_client=clients.firehose,
            dynamodb_client=clients.dynamodb,
            s3_client=clients.s3,
            clock=lambda: NOW,
            sleep=lambda seconds: None,
        )
        _CONSUMERS[key] = consumer, clients
    consumer, clients = _CONSUMERS[key]
    clients.firehose.data.clear()
    clients.dynamodb.positions.clear()
    clients.s3.bodies.clear()
    return consumer, clients


# --- random batches -----------------------------------------------------------------------------------

json_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
timestamps = st.sampled_from(
    ["2026-11-26T11:59:58Z", "2026-11-26T11:59:58.120Z", "2026-11-26T12:59:58.5+01:00", "2026-11-26T11:59:59.000001Z"]
)


@st.composite
def envelopes(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "event_id": draw(st.text(min_size=1, max_size=16)),
        "tenant": TENANT,
        "type": draw(st.sampled_from(["page_view", "click"])),
        "occurred_at": draw(timestamps),
        "payload": draw(st.dictionaries(st.text(max_size=6), json_values, max_size=4)),
    }
    if draw(st.booleans()):
        doc["payload"]["email"] = draw(st.emails())
    if draw(st.booleans()):
        doc["schema_version"] = draw(st.one_of(st.integers(0, 9), st.text(min_size=1, max_size=4)))
    return doc


@st.composite
def user_records(draw: st.DrawFn) -> bytes:
    """The bytes of one user record: mostly valid envelopes in various layouts, else poison."""
    doc = draw(envelopes())
    kind = draw(
        st.sampled_from(
            ["valid"] * 6
            + ["other tenant", "extra property", "missing property", "bad occurred_at", "oversize"]
            + ["not JSON", "not UTF-8", "array", "bytes"]
        )
    )
    if kind == "other tenant":
        doc["tenant"] = "globex"
    elif kind == "extra property":
        doc["run_id"] = "r-1"
    elif kind == "missing property":
        del doc[draw(st.sampled_from(["event_id", "tenant", "type", "occurred_at", "payload"]))]
    elif kind == "bad occurred_at":
        doc["occurred_at"] = draw(st.sampled_from(["yesterday", "2026-11-26T11:59:58Z\n", "2026-13-01T00:00:00Z"]))
    elif kind == "oversize":
        doc["payload"]["filler"] = "x" * draw(st.integers(MAX_EVENT_BYTES - 150, MAX_EVENT_BYTES + 50))
    elif kind == "not JSON":
        return draw(st.sampled_from([b"{broken", b"", b"Hello, this is a test.", b'{"event_id": 1,}']))
    elif kind == "not UTF-8":
        return b'{"event_id": "\xff"}'
    elif kind == "array":
        return b"[1, 2]"
    elif kind == "bytes":
        return draw(st.binary(max_size=40))
    layout = draw(st.sampled_from(["compact", "compact", "spaced", "indented", "padded"]))
    if layout == "compact":
        return orjson.dumps(doc)
    if layout == "spaced":
        return json.dumps(doc, ensure_ascii=draw(st.booleans())).encode()
    if layout == "indented":  # raw line breaks: the line must be re-encoded
        return orjson.dumps(doc, option=orjson.OPT_INDENT_2)
    return b" " + orjson.dumps(doc) + b"\n"


@st.composite
def aggregates(draw: st.DrawFn) -> bytes:
    aggregator = RecordAggregator()
    for index in range(draw(st.integers(1, 4))):
        record = aggregator.add_user_record(f"pk-{draw(st.integers(0, 3))}-{index}", draw(user_records()))
        assert record is None  # small records: never a full aggregate
    _, _, data = aggregator.clear_and_get().get_contents()
    return bytes(data)


def _with_digest(body: bytes) -> bytes:
    return MAGIC + body + hashlib.md5(body).digest()


@st.composite
def corrupt_aggregates(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["digest", "short", "garbage", "key index", "empty"]))
    if kind == "digest":
        data = draw(aggregates())
        return data[:-1] + bytes([data[-1] ^ 0xFF])
    if kind == "short":
        return MAGIC + draw(st.binary(max_size=16))
    if kind == "garbage":
        return _with_digest(draw(st.binary(min_size=1, max_size=30)))
    from aws_kinesis_agg import messages_pb2

    message = messages_pb2.AggregatedRecord()
    message.partition_key_table.append("pk")
    if kind == "key index":
        record = message.records.add()
        record.partition_key_index = 3
        record.data = b"{}"
    return _with_digest(message.SerializeToString())


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@st.composite
def kinesis_data(draw: st.DrawFn) -> str:
    """A Kinesis record's `data`: base64 of a plain record or aggregate, or text that is not base64."""
    kind = draw(st.sampled_from(["plain"] * 6 + ["aggregate"] * 2 + ["corrupt aggregate", "not base64", "padding"]))
    if kind == "plain":
        return _b64(draw(user_records()))
    if kind == "aggregate":
        return _b64(draw(aggregates()))
    if kind == "corrupt aggregate":
        return _b64(draw(corrupt_aggregates()))
    if kind == "not base64":
        return draw(st.one_of(st.sampled_from(["!!not-base64!!", "QUJD=A==", "QUJ", "é"]), st.text(max_size=12)))
    # Padding after a complete quad: pybase64 refuses what binascii's strict mode accepts.
    encoded = _b64(draw(user_records()))
    return encoded + "=" if not encoded.endswith("=") and encoded else encoded


def kinesis_record(data: str, sequence: int, partition_key: str, arrival: float) -> dict[str, Any]:
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key,
            "sequenceNumber": str(sequence),
            "data": data,
            "approximateArrivalTimestamp": arrival,
        },
        "eventSource": "aws:kinesis",
        "eventID": f"{SHARD}:{sequence}",
    }


@st.composite
def batches(draw: st.DrawFn) -> tuple[list[dict[str, Any]], Position | None]:
    """A shard's records (often a run of valid plain records first, as in most real batches) and a
    checkpoint: none, or at, just below or just above a position in the batch."""
    valid_run = draw(st.lists(envelopes().map(lambda doc: _b64(orjson.dumps(doc))), max_size=12))
    data = valid_run + draw(st.lists(kinesis_data(), max_size=14))
    records: list[dict[str, Any]] = []
    sequence = BASE_SEQUENCE
    for index, text in enumerate(data):
        sequence += draw(st.integers(1, 1000))
        arrival = NOW.timestamp() - draw(st.floats(0.0, 120.0))
        records.append(kinesis_record(text, sequence, f"user-{index % 5}", arrival))
    if not records or not draw(st.booleans()):
        return records, None
    at = int(draw(st.sampled_from(records))["kinesis"]["sequenceNumber"]) + draw(st.sampled_from([-1, 0, 0, 1]))
    return records, Position(at, draw(st.integers(0, 4)))


# --- the property ---------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    batches(),
    st.sampled_from([(), ("payload.email",)]),
    st.sampled_from([1_024_000, 1_500, 1]),
)
def test_fast_decoder_matches_the_reference_decoder(
    batch: tuple[list[dict[str, Any]], Position | None], pii_fields: tuple[str, ...], firehose_record_bytes: int
) -> None:
    records, checkpoint = batch
    consumer, clients = warm_consumer(pii_fields, firehose_record_bytes)
    checkpoint_key = f"{TENANT}#acme-clicks-consumer#clicks#{SHARD}"
    if checkpoint is not None:
        clients.dynamodb.positions[checkpoint_key] = encode_position(str(checkpoint.sequence), checkpoint.sub_sequence)

    result = consumer.process({"Records": records})

    expected = reference_decode(records, checkpoint, pii_fields)
    assert result.failed_sequence_numbers == []
    lake = bytes(clients.firehose.data)
    assert lake == b"" or lake.endswith(b"\n")
    assert [orjson.loads(line) for line in lake.splitlines()] == expected.lines
    entries = [orjson.loads(line) for body in clients.s3.bodies for line in body.splitlines()]
    assert [
        (
            entry["sequence_number"],
            entry["sub_sequence_number"],
            entry["partition_key"],
            base64.b64decode(entry["data"]),
            entry["reason"],
            entry["approximate_arrival_timestamp"],
        )
        for entry in entries
    ] == expected.quarantine
    assert {entry["shard_id"] for entry in entries} <= {SHARD}
    stored = clients.dynamodb.positions.get(checkpoint_key)
    assert (decode_position(stored) if stored is not None else None) == expected.checkpoint
    stats = result.stats
    assert (stats.delivered, stats.quarantined, stats.duplicates_skipped) == (
        len(expected.lines),
        len(expected.quarantine),
        expected.duplicates,
    )
    assert stats.records_in == len(expected.lines) + len(expected.quarantine) + expected.duplicates
