"""The consumer's business logic, free of Lambda: decode a batch, quarantine poison, deliver, checkpoint.

Per shard: skip records at or below the checkpoint, turn the rest into lake lines or quarantine entries,
deliver lines in order, then store the quarantine object. The first record that is neither delivered
nor quarantined (if any) is where the batch stops: the checkpoint moves to just before it, and it and
every later Kinesis record are reported as batch item failures so Lambda retries them in order.
"""

from __future__ import annotations

import binascii
import io
import logging
from bisect import bisect_left
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from functions.consumer import quarantine_reasons
from functions.consumer.checkpoints import CheckpointStore
from functions.consumer.config import ConsumerConfig
from functions.consumer.deaggregation import KPL_MAGIC, CorruptAggregateError, deaggregate
from functions.consumer.firehose_delivery import FirehoseDelivery, LineBuffer
from functions.consumer.kinesis_event import InvalidKinesisEventError, decode_data, records_by_shard
from functions.consumer.lake_line import LakeLineEncoder, PoisonRecordError
from functions.consumer.pii import PiiMasker
from functions.consumer.positions import Position
from functions.consumer.quarantine import QuarantineEntry, QuarantineWriter, entry_for_bytes

_ALL_SUB_RECORDS = 1 << 62
_KPL_FIRST_BYTE = KPL_MAGIC[0]


@dataclass(slots=True)
class BatchStats:
    """Counts for one invocation; published as metrics once per invocation."""

    records_in: int = 0
    delivered: int = 0
    quarantined: int = 0
    duplicates_skipped: int = 0
    delivery_retries: int = 0
    left_for_retry: int = 0
    checkpoint_errors: int = 0
    max_arrival_lag_ms: int = 0


@dataclass(slots=True)
class BatchResult:
    failed_sequence_numbers: list[str]
    stats: BatchStats

    def response(self) -> dict[str, list[dict[str, str]]]:
        """The Lambda ReportBatchItemFailures response."""
        return {"batchItemFailures": [{"itemIdentifier": seq} for seq in self.failed_sequence_numbers]}


@dataclass(slots=True)
class _DecodedShard:
    """User records of one shard after skipping duplicates ("items"), as parallel lists.

    Item i is sub-record `item_sub_sequence[i]` of Kinesis record `item_raw_index[i]`; lake lines and
    quarantine entries each remember their item so delivery results map back to positions.
    """

    records: list[dict[str, Any]]
    item_raw_index: list[int] = field(default_factory=list)
    item_sub_sequence: list[int] = field(default_factory=list)
    lines: LineBuffer = field(default_factory=LineBuffer)
    line_items: list[int] = field(default_factory=list)
    quarantine: list[QuarantineEntry] = field(default_factory=list)
    quarantine_items: list[int] = field(default_factory=list)
    duplicates: int = 0
    min_arrival: float = float("inf")

    def sequence_number(self, item: int) -> str:
        return str(self.records[self.item_raw_index[item]]["kinesis"]["sequenceNumber"])

    def add_poison(self, raw_index: int, sub_sequence: int, entry: QuarantineEntry) -> None:
        self.quarantine_items.append(len(self.item_raw_index))
        self.item_raw_index.append(raw_index)
        self.item_sub_sequence.append(sub_sequence)
        self.quarantine.append(entry)


@dataclass(frozen=True, slots=True)
class _Invocation:
    encoder: LakeLineEncoder
    stats: BatchStats
    ingested_at: str
    ingested_epoch: float
    time_left_ms: Callable[[], int] | None


def utc_timestamp(moment: datetime) -> str:
    """RFC 3339 UTC with milliseconds and a Z, the lake's timestamp format."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class KinesisConsumer:
    """Processes Lambda Kinesis events for one tenant's stream with injected AWS clients."""

    def __init__(
        self,
        config: ConsumerConfig,
        *,
        firehose_client: Any,
        dynamodb_client: Any,
        s3_client: Any,
        logger: logging.Logger | Any = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.config = config
        self._masker = PiiMasker(config.pii_fields)
        self._checkpoints = CheckpointStore(
            dynamodb_client, config.checkpoint_table, config.tenant, config.consumer_name, config.stream_name
        )
        delivery_options: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
        self._delivery = FirehoseDelivery(
            firehose_client,
            config.delivery_stream,
            max_record_bytes=config.firehose_record_bytes,
            max_attempts=config.delivery_attempts,
            **delivery_options,
        )
        self._quarantine = QuarantineWriter(
            s3_client,
            config.quarantine_bucket,
            config.quarantine_prefix,
            {
                "tenant": config.tenant,
                "stream_name": config.stream_name,
                "consumer_name": config.consumer_name,
            },
        )
        self._logger = logger if logger is not None else logging.getLogger(__name__)
        self._clock = clock
        # Every batch writes its lines into this one buffer (see LineBuffer): one invocation at a
        # time, as in Lambda. It keeps the largest batch's size, a few MB (the invocation payload
        # limit is 6 MB).
        self._line_buffer = io.BytesIO()

    def process(self, event: Mapping[str, Any], time_left_ms: Callable[[], int] | None = None) -> BatchResult:
        """Handle one Lambda Kinesis event; the result's response() is the handler's return value."""
        return self.process_shards(records_by_shard(event), time_left_ms)

    def process_shards(
        self, shards: Mapping[str, list[dict[str, Any]]], time_left_ms: Callable[[], int] | None = None
    ) -> BatchResult:
        """Like `process`, for records already grouped with `records_by_shard`."""
        now = self._clock()
        ingested_at = utc_timestamp(now)
        encoder = LakeLineEncoder(
            self.config.tenant, self._masker, self.config.max_event_bytes, ingested_at, now.timestamp()
        )
        stats = BatchStats()
        failures: list[str] = []
        invocation = _Invocation(encoder, stats, ingested_at, now.timestamp(), time_left_ms)
        for shard_id, records in shards.items():
            failures.extend(self._process_shard(shard_id, records, invocation))
        return BatchResult(failures, stats)

    def _process_shard(
        self,
        shard_id: str,
        records: list[dict[str, Any]],
        invocation: _Invocation,
    ) -> list[str]:
        stats, now = invocation.stats, invocation.ingested_at
        checkpoint = self._load_checkpoint(shard_id, stats)
        decoded = self._decode(shard_id, records, checkpoint, invocation.encoder)
        item_count = len(decoded.item_raw_index)
        stats.records_in += item_count + decoded.duplicates
        stats.duplicates_skipped += decoded.duplicates
        if decoded.min_arrival != float("inf"):
            lag = int((invocation.ingested_epoch - decoded.min_arrival) * 1000.0)
            stats.max_arrival_lag_ms = max(stats.max_arrival_lag_ms, lag)
        # Intermediate checkpoints must not pass a quarantine entry that is not yet written.
        first_quarantined = decoded.quarantine_items[0] if decoded.quarantine_items else item_count
        checkpointed = -1

        def checkpoint_before(item_end: int) -> None:
            nonlocal checkpointed
            last = item_end - 1
            if last > checkpointed:
                self._advance(shard_id, decoded, last, stats, now)
                checkpointed = last

        def on_call_delivered(delivered_lines: int) -> None:
            if delivered_lines < len(decoded.lines):
                checkpoint_before(min(decoded.line_items[delivered_lines], first_quarantined))

        outcome = self._delivery.deliver(
            decoded.lines, time_left_ms=invocation.time_left_ms, on_call_delivered=on_call_delivered
        )
        stats.delivered += outcome.delivered_lines
        stats.delivery_retries += outcome.retried_calls
        stop = item_count
        if outcome.delivered_lines < len(decoded.lines):
            stop = decoded.line_items[outcome.delivered_lines]
            self._logger.warning(
                "Firehose delivery incomplete; the rest of the batch will be retried",
                extra={"delivered_lines": outcome.delivered_lines, "error": outcome.error},
            )
        quarantine_count = bisect_left(decoded.quarantine_items, stop)
        if quarantine_count:
            try:
                key = self._quarantine.write(decoded.quarantine[:quarantine_count], now)
            except (ClientError, BotoCoreError) as error:
                stop = decoded.quarantine_items[0]
                self._logger.error("quarantine write failed; retrying from the first poison record: %s", error)
            else:
                stats.quarantined += quarantine_count
                self._logger.warning(
                    "quarantined poison records",
                    extra={
                        "quarantine_key": key,
                        "quarantined": quarantine_count,
                        "first_reason": decoded.quarantine[0].reason,
                    },
                )
        checkpoint_before(stop)
        if stop == item_count:
            return []
        stats.left_for_retry += item_count - stop
        first_raw = decoded.item_raw_index[stop]
        return [record["kinesis"]["sequenceNumber"] for record in records[first_raw:]]

    def _decode(
        self,
        shard_id: str,
        records: list[dict[str, Any]],
        checkpoint: Position | None,
        encoder: LakeLineEncoder,
    ) -> _DecodedShard:
        """Skip, deaggregate and encode every record; the loop is the hot path, so it stays flat."""
        self._line_buffer.seek(0)
        decoded = _DecodedShard(records, lines=LineBuffer(self._line_buffer))
        plain = self._encode_plain_prefix(decoded, shard_id, checkpoint, encoder)
        write_line = encoder.write_line
        splice_head = encoder.splice_head(shard_id)
        item_raw_index_append = decoded.item_raw_index.append
        item_sub_sequence_append = decoded.item_sub_sequence.append
        line_items_append = decoded.line_items.append
        line_data = decoded.lines.data
        line_ends_append = decoded.lines.ends.append
        line_end = decoded.lines.size
        line_data.seek(line_end)  # where the plain run left it, unless it ended in an unexpected error
        min_arrival = decoded.min_arrival
        raw_index = plain
        try:
            for raw_index in range(plain, len(records)):
                record = records[raw_index]
                kinesis = record["kinesis"]
                sequence_number = kinesis["sequenceNumber"]
                arrival = kinesis["approximateArrivalTimestamp"]
                if arrival < min_arrival:
                    min_arrival = arrival
                skip_through = -1
                if checkpoint is not None:
                    sequence = int(sequence_number)
                    if sequence < checkpoint.sequence:
                        skip_through = _ALL_SUB_RECORDS
                    elif sequence == checkpoint.sequence:
                        skip_through = checkpoint.sub_sequence
                try:
                    data = decode_data(kinesis["data"])
                except (binascii.Error, ValueError) as error:
                    reason = quarantine_reasons.not_base64(error)
                    self._decode_failed(decoded, shard_id, raw_index, skip_through, reason)
                    continue
                if data.startswith(KPL_MAGIC):
                    self._decode_aggregate(decoded, data, shard_id, raw_index, skip_through, encoder)
                    line_end = decoded.lines.size
                    continue
                if skip_through >= 0:
                    decoded.duplicates += 1
                    continue
                item = len(decoded.item_raw_index)
                item_raw_index_append(raw_index)
                item_sub_sequence_append(0)
                try:
                    line_end += write_line(line_data, data, shard_id, splice_head, sequence_number, 0, arrival)
                except PoisonRecordError as poison:
                    decoded.quarantine_items.append(item)
                    decoded.quarantine.append(_entry(data, shard_id, record, 0, str(poison)))
                    continue
                line_ends_append(line_end)
                line_items_append(item)
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidKinesisEventError(
                f"shard {shard_id} record {raw_index}: not a Kinesis record ({type(error).__name__}: {error})"
            ) from None
        decoded.min_arrival = min_arrival
        return decoded

    def _encode_plain_prefix(
        self, decoded: _DecodedShard, shard_id: str, checkpoint: Position | None, encoder: LakeLineEncoder
    ) -> int:
        """Encode the leading run of plain records and return its length.

        Plain: past the checkpoint, base64, not a KPL aggregate, a valid lake line; usually the whole
        batch. Record i of the run is item i and line i, so the per-item bookkeeping is written once at
        the end instead of three appends per record (measurably cheaper). The first record that is not
        plain, or that raises, ends the run unconsumed: `_decode`'s general loop takes it from there,
        so poison is quarantined and a malformed record reported exactly as before (a poison record is
        encoded twice, which only costs time).
        """
        records = decoded.records
        write_line = encoder.write_line
        splice_head = encoder.splice_head(shard_id)
        line_data = decoded.lines.data
        line_ends_append = decoded.lines.ends.append
        line_end = decoded.lines.size
        after = checkpoint.sequence if checkpoint is not None else -1
        min_arrival = decoded.min_arrival
        try:
            for record in records:
                kinesis = record["kinesis"]
                sequence_number = kinesis["sequenceNumber"]
                arrival = kinesis["approximateArrivalTimestamp"]
                if arrival < min_arrival:
                    min_arrival = arrival
                if after >= 0 and int(sequence_number) <= after:
                    break
                data = decode_data(kinesis["data"])
                # The first byte alone rules out an aggregate: cheaper than startswith.
                if data and data[0] == _KPL_FIRST_BYTE and data.startswith(KPL_MAGIC):
                    break
                line_end += write_line(line_data, data, shard_id, splice_head, sequence_number, 0, arrival)
                line_ends_append(line_end)
                # Free the decoded bytes before the next record's are allocated, not when `data` is
                # rebound after it: the allocator then reuses the same memory (0.96x handler CPU in
                # an interleaved A/B).
                del data
        except (KeyError, TypeError, ValueError):  # includes PoisonRecordError and binascii.Error
            pass
        decoded.min_arrival = min_arrival
        plain = len(decoded.lines.ends)  # one line per plain record
        decoded.item_raw_index.extend(range(plain))
        decoded.item_sub_sequence.extend([0] * plain)
        decoded.line_items.extend(range(plain))
        return plain

    def _decode_failed(
        self, decoded: _DecodedShard, shard_id: str, raw_index: int, skip_through: int, reason: str
    ) -> None:
        if skip_through >= 0:
            decoded.duplicates += 1
            return
        record = decoded.records[raw_index]
        raw = str(record["kinesis"]["data"]).encode()
        decoded.add_poison(raw_index, 0, _entry(raw, shard_id, record, 0, reason))

    def _decode_aggregate(
        self,
        decoded: _DecodedShard,
        data: bytes,
        shard_id: str,
        raw_index: int,
        skip_through: int,
        encoder: LakeLineEncoder,
    ) -> None:
        record = decoded.records[raw_index]
        try:
            user_records = deaggregate(data)
        except CorruptAggregateError as error:
            # The whole aggregate is one poison item at sub-sequence 0.
            if skip_through >= 0:
                decoded.duplicates += 1
            else:
                decoded.add_poison(raw_index, 0, _entry(data, shard_id, record, 0, str(error)))
            return
        kinesis = record["kinesis"]
        sequence_number = kinesis["sequenceNumber"]
        arrival = kinesis["approximateArrivalTimestamp"]
        splice_head = encoder.splice_head(shard_id)
        for sub_sequence, (user_data, partition_key) in enumerate(user_records):
            if sub_sequence <= skip_through:
                decoded.duplicates += 1
                continue
            try:
                line_bytes = encoder.write_line(
                    decoded.lines.data, user_data, shard_id, splice_head, sequence_number, sub_sequence, arrival
                )
            except PoisonRecordError as poison:
                entry = entry_for_bytes(
                    user_data, shard_id, sequence_number, sub_sequence, partition_key, arrival, str(poison)
                )
                decoded.add_poison(raw_index, sub_sequence, entry)
                continue
            decoded.line_items.append(len(decoded.item_raw_index))
            decoded.item_raw_index.append(raw_index)
            decoded.item_sub_sequence.append(sub_sequence)
            decoded.lines.ends.append(decoded.lines.size + line_bytes)

    def _load_checkpoint(self, shard_id: str, stats: BatchStats) -> Position | None:
        try:
            return self._checkpoints.load(shard_id)
        except (ClientError, BotoCoreError, ValueError) as error:
            # Without a checkpoint we may re-deliver (duplicates), never lose: better than blocking the shard.
            stats.checkpoint_errors += 1
            self._logger.error("checkpoint read failed; processing without duplicate skipping: %s", error)
            return None

    def _advance(self, shard_id: str, decoded: _DecodedShard, item: int, stats: BatchStats, now: str) -> None:
        try:
            self._checkpoints.advance(
                shard_id, decoded.sequence_number(item), decoded.item_sub_sequence[item], updated_at=now
            )
        except (ClientError, BotoCoreError) as error:
            # The data is safe; a stale checkpoint only means a retry may re-deliver duplicates.
            stats.checkpoint_errors += 1
            self._logger.error("checkpoint write failed: %s", error)


def _entry(data: bytes, shard_id: str, record: dict[str, Any], sub_sequence: int, reason: str) -> QuarantineEntry:
    kinesis = record["kinesis"]
    return entry_for_bytes(
        data,
        shard_id,
        kinesis["sequenceNumber"],
        sub_sequence,
        kinesis.get("partitionKey", ""),
        kinesis["approximateArrivalTimestamp"],
        reason,
    )
