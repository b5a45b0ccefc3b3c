"""Re-drive the batches named by on-failure messages: re-read each range and put it back on the stream.

Putting the records back (same partition keys) rather than invoking the consumer with them is
deliberate: the mapping moved past the failed batch, so later batches advanced the shard's checkpoint
beyond it and the consumer would skip the old sequence numbers as duplicates. Re-put records get new
sequence numbers and take the normal path; records of the range that were already delivered arrive
in the lake twice, which readers remove by `event_id` (docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from streamctl.loadtest.batching import UserRecord
from streamctl.loadtest.producer import KinesisProducer
from streamctl.replay.failure_messages import FailureMessage, receive_messages
from streamctl.replay.shard_reader import RangeRead, read_range
from streamctl.replay.target import ReplayClients, ReplayTarget

# Long enough to re-read and re-put one batch (10,000 records at most) before the message reappears.
REDRIVE_VISIBILITY_SECONDS = 300


@dataclass
class BatchRedrive:
    message: FailureMessage
    read: RangeRead | None = None
    problem: str = ""
    sent: int = 0
    deleted: bool = False

    def describe(self) -> str:
        if self.message.record is None:
            return f"skip: {self.message.problem} (left in the queue)"
        batch = self.message.record.batch
        condition = self.message.record.request_context.condition or "unknown condition"
        head = (
            f"{batch.shard_id} {batch.start_sequence_number}..{batch.end_sequence_number} "
            f"({batch.batch_size} records, {condition})"
        )
        if self.problem:
            return f"skip {head}: {self.problem} (left in the queue)"
        assert self.read is not None
        expired = "; the first records are past the stream's retention" if self.read.expired else ""
        done = f"; put back {self.sent}, message deleted" if self.deleted else ""
        return f"re-drive {head}: {len(self.read.records)} records still in the stream{expired}{done}"


@dataclass
class RedriveReport:
    batches: list[BatchRedrive] = field(default_factory=list)

    def describe(self) -> list[str]:
        return [batch.describe() for batch in self.batches] or ["the on-failure queue is empty"]


def _check(target: ReplayTarget, message: FailureMessage) -> str:
    if message.record is None:
        return message.problem
    if message.record.batch.stream_arn != target.stream_arn:
        return f"the batch is from {message.record.batch.stream_arn}, not {target.stream_arn}"
    return ""


def redrive_failures(
    clients: ReplayClients,
    target: ReplayTarget,
    *,
    dry_run: bool,
    limit: int = 100,
    accept_expired: bool = False,
    producer: KinesisProducer | None = None,
) -> RedriveReport:
    """Re-drive up to `limit` messages; a message is deleted only after its whole range is back on the stream.

    A range whose first records have expired is left alone (message kept, so the loss stays visible)
    unless `accept_expired`: then what is left of it is put back and the message deleted.
    """
    report = RedriveReport()
    visibility = 0 if dry_run else REDRIVE_VISIBILITY_SECONDS
    producer = producer or KinesisProducer(clients.kinesis, target.stream_name)
    for message in receive_messages(clients.sqs, target.failure_queue_url, limit=limit, visibility_timeout=visibility):
        batch = BatchRedrive(message, problem=_check(target, message))
        report.batches.append(batch)
        _redrive_batch(clients, target, batch, dry_run=dry_run, accept_expired=accept_expired, producer=producer)
    if not dry_run:
        # Messages we leave must not stay hidden for the visibility timeout: the next run should see them.
        # Only now, after the last receive, or this run would receive them again.
        for batch in report.batches:
            if not batch.deleted:
                clients.sqs.change_message_visibility(
                    QueueUrl=target.failure_queue_url, ReceiptHandle=batch.message.receipt_handle, VisibilityTimeout=0
                )
    return report


def _redrive_batch(
    clients: ReplayClients,
    target: ReplayTarget,
    batch: BatchRedrive,
    *,
    dry_run: bool,
    accept_expired: bool,
    producer: KinesisProducer,
) -> None:
    message = batch.message
    if batch.problem or message.record is None:
        return
    info = message.record.batch
    batch.read = read_range(
        clients.kinesis, target.stream_name, info.shard_id, info.start_sequence_number, info.end_sequence_number
    )
    if batch.read.expired and not accept_expired:
        batch.problem = (
            f"records before {batch.read.records[0].sequence_number if batch.read.records else 'the end'} are past "
            "the stream's retention; recover them from the producers, or re-run with --accept-expired"
        )
        return
    if dry_run:
        return
    failed = producer.send(
        UserRecord(record.partition_key, record.data, f"{record.shard_id}:{record.sequence_number}")
        for record in batch.read.records
    )
    batch.sent = len(batch.read.records) - sum(entry.user_records for entry in failed)
    if failed:
        batch.problem = f"{len(failed)} records could not be put back; retry the re-drive"
        return
    clients.sqs.delete_message(QueueUrl=target.failure_queue_url, ReceiptHandle=message.receipt_handle)
    batch.deleted = True
