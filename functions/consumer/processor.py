"""The consumer's batch logic, free of Lambda: per shard, a pipeline to read from top to bottom.

`_process_shard` reads the shard's checkpoint (shard_checkpoint.py), decodes the records past it into
lake lines and quarantine entries (decode.py, the hot path), delivers the lines to Firehose in order,
checkpointing after each call, writes the quarantine entries as one S3 object, moves the checkpoint to
where the batch stopped, and reports the batch item failures. The batch stops at the first item that
is neither delivered nor quarantined, if any: that Kinesis record and every later one are reported,
so Lambda retries them in order, and the checkpoint stays just before it.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from functions.consumer.checkpoints import CheckpointStore
from functions.consumer.config import ConsumerConfig
from functions.consumer.decode import DecodedShard, decode_shard
from functions.consumer.firehose_delivery import FirehoseDelivery
from functions.consumer.kinesis_event import records_by_shard
from functions.consumer.lake_line import LakeLineEncoder
from functions.consumer.pii import PiiMasker
from functions.consumer.quarantine import QuarantineWriter
from functions.consumer.shard_checkpoint import ShardCheckpoint


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


@dataclass(frozen=True, slots=True)
class _Invocation:
    """What every shard of one invocation shares."""

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

    def _process_shard(self, shard_id: str, records: list[dict[str, Any]], invocation: _Invocation) -> list[str]:
        """The pipeline for one shard; returns the sequence numbers Lambda must retry."""
        stats, now = invocation.stats, invocation.ingested_at
        checkpoint = ShardCheckpoint.load(
            self._checkpoints,
            shard_id,
            parallelization_factor=self.config.parallelization_factor,
            updated_at=now,
            logger=self._logger,
        )
        decoded = decode_shard(records, shard_id, checkpoint, invocation.encoder, self._line_buffer)
        _count_decoded(decoded, invocation)
        stop = self._deliver(decoded, checkpoint, invocation)
        stop = self._quarantine_batch(decoded, stop, invocation)
        checkpoint.advance_before(decoded, stop)
        stats.checkpoint_errors += checkpoint.errors
        item_count = len(decoded.items)
        if stop == item_count:
            return []
        stats.left_for_retry += item_count - stop
        return decoded.sequence_numbers_from(stop)

    def _deliver(self, decoded: DecodedShard, checkpoint: ShardCheckpoint, invocation: _Invocation) -> int:
        """Send the lines to Firehose, checkpointing after each call; the first item not delivered."""
        items, lines = decoded.items, decoded.lines
        # Intermediate checkpoints must not pass a quarantine entry that is not yet written.
        first_quarantined = items.first_quarantined

        def on_call_delivered(delivered_lines: int) -> None:
            if delivered_lines < len(lines):
                checkpoint.advance_before(decoded, min(items.of_line(delivered_lines), first_quarantined))

        outcome = self._delivery.deliver(
            lines, time_left_ms=invocation.time_left_ms, on_call_delivered=on_call_delivered
        )
        invocation.stats.delivered += outcome.delivered_lines
        invocation.stats.delivery_retries += outcome.retried_calls
        if outcome.delivered_lines == len(lines):
            return len(items)
        self._logger.warning(
            "Firehose delivery incomplete; the rest of the batch will be retried",
            extra={"delivered_lines": outcome.delivered_lines, "error": outcome.error},
        )
        return items.of_line(outcome.delivered_lines)

    def _quarantine_batch(self, decoded: DecodedShard, stop: int, invocation: _Invocation) -> int:
        """Write the quarantine entries before item `stop` as one object; the batch's new stop (the
        first poison item when the write fails)."""
        count = decoded.items.quarantined_before(stop)
        if not count:
            return stop
        try:
            key = self._quarantine.write(decoded.quarantine[:count], invocation.ingested_at)
        except (ClientError, BotoCoreError) as error:
            self._logger.error("quarantine write failed; retrying from the first poison record: %s", error)
            return decoded.items.first_quarantined
        invocation.stats.quarantined += count
        self._logger.warning(
            "quarantined poison records",
            extra={"quarantine_key": key, "quarantined": count, "first_reason": decoded.quarantine[0].reason},
        )
        return stop


def _count_decoded(decoded: DecodedShard, invocation: _Invocation) -> None:
    stats = invocation.stats
    stats.records_in += len(decoded.items) + decoded.duplicates
    stats.duplicates_skipped += decoded.duplicates
    if decoded.min_arrival != float("inf"):
        lag = int((invocation.ingested_epoch - decoded.min_arrival) * 1000.0)
        stats.max_arrival_lag_ms = max(stats.max_arrival_lag_ms, lag)
