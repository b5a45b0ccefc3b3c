"""`streamctl local run`: poll every event source mapping like Lambda does, and run scheduled functions.

Per mapping, one reader per shard (GetRecords) feeding ParallelizationFactor lanes, as Lambda runs it:
each partition key always goes to the same lane, so its records stay in order, while the lanes' batches
are in flight at the same time and finish in any order (Lambda guarantees order per partition key only:
https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html, "Lambda still ensures in-order processing
at the partition-key level"). How Lambda assigns keys to lanes is not documented; the emulator uses the
key's MD5 modulo the factor, and the consumer must not depend on it. Each lane batches up to BatchSize or
until MaximumBatchingWindowInSeconds has passed since its first record, invokes the function in-process
with the exact Kinesis event, and on failure follows the mapping's settings for its own batches:
ReportBatchItemFailures (retry from the lowest failed sequence number), BisectBatchOnFunctionError (split a
failing batch; splitting does not use the retry quota), MaximumRetryAttempts and MaximumRecordAgeInSeconds
(then send the batch's KinesisBatchInfo to the on-failure destination and move on). A child shard starts
only after its parent shard's every lane is drained. The mapping reads and writes with the function's execution
role: a read or an on-failure record AWS would refuse that role (decided at deploy, `emulator.authorization`) is
not made, and the mapping's last error says why. What is read is published
as AWS/Kinesis metrics per StreamName (see `KinesisMetrics`), so the shard autoscaler and the
dashboards have real-shaped data.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from emulator.alarms import LocalAlarms
from emulator.authorization import denied_checks
from emulator.call_guard import denial_message
from emulator.firehose_delivery import flush_firehose
from emulator.function_host import FunctionHost, Invocation
from emulator.lambda_events import StreamRecord, kinesis_event, on_failure_record, scheduled_event
from functions.aws_limits import KINESIS_MAX_RECORDS_PER_READ, LAMBDA_NO_MAXIMUM_RECORD_AGE, LAMBDA_RETRY_FOREVER
from streamctl.aws_clients import aws_client

logger = logging.getLogger(__name__)

IDLE_POLL_S = 0.2
SHARD_DISCOVERY_S = 1.0
METRICS_FLUSH_S = 5.0
RETRY_BACKOFF_CAP_S = 1.0
# The reader stops reading while this many records per lane wait in the lanes (Lambda, too, reads a shard
# only as fast as its batches are processed).
LANE_BUFFER_BATCHES = 4


@dataclass(frozen=True)
class MappingConfig:
    """An event source mapping as stored in the emulator."""

    uuid: str
    function_arn: str
    stream_arn: str
    batch_size: int
    batching_window_s: float
    starting_position: str
    bisect_on_error: bool
    max_retry_attempts: int  # LAMBDA_RETRY_FOREVER (-1): until the record expires
    max_record_age_s: int  # LAMBDA_NO_MAXIMUM_RECORD_AGE (-1): no limit
    report_batch_item_failures: bool
    on_failure_arn: str | None
    enabled: bool
    parallelization_factor: int = 1
    tumbling_window_s: int = 0

    @property
    def stream_name(self) -> str:
        return self.stream_arn.rsplit("/", 1)[-1]

    @classmethod
    def from_api(cls, mapping: Mapping[str, Any]) -> MappingConfig:
        destination = ((mapping.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        retries = mapping.get("MaximumRetryAttempts")
        age = mapping.get("MaximumRecordAgeInSeconds")
        return cls(
            uuid=str(mapping["UUID"]),
            function_arn=str(mapping["FunctionArn"]),
            stream_arn=str(mapping["EventSourceArn"]),
            batch_size=int(mapping.get("BatchSize") or 100),
            batching_window_s=float(mapping.get("MaximumBatchingWindowInSeconds") or 0),
            starting_position=str(mapping.get("StartingPosition") or "TRIM_HORIZON"),
            bisect_on_error=bool(mapping.get("BisectBatchOnFunctionError")),
            max_retry_attempts=LAMBDA_RETRY_FOREVER if retries is None else int(retries),
            max_record_age_s=LAMBDA_NO_MAXIMUM_RECORD_AGE if age is None else int(age),
            report_batch_item_failures="ReportBatchItemFailures" in (mapping.get("FunctionResponseTypes") or []),
            on_failure_arn=str(destination) if destination else None,
            enabled=str(mapping.get("State", "Enabled")) not in ("Disabled", "Disabling"),
            parallelization_factor=int(mapping.get("ParallelizationFactor") or 1),
            tumbling_window_s=int(mapping.get("TumblingWindowInSeconds") or 0),
        )


@dataclass
class MappingStats:
    """Counters of one mapping; `completed` counts each record once, when its batch is done."""

    read: int = 0
    completed: int = 0
    discarded: int = 0
    invocations: int = 0
    function_errors: int = 0
    partial_failures: int = 0
    bisections: int = 0
    retries: int = 0
    shards_finished: int = 0
    last_error: str | None = None

    def copy(self) -> MappingStats:
        return MappingStats(**vars(self))


@dataclass
class _Attempt:
    records: list[StreamRecord]
    retries: int = 0
    invocations: int = 0


def emulator_publishes_incoming_metrics() -> bool:
    """moto 5.2.5 publishes IncomingRecords/IncomingBytes on every put (earlier versions did not)."""
    from moto.kinesis.models import KinesisBackend

    return hasattr(KinesisBackend, "_send_stream_metrics")


class KinesisMetrics:
    """AWS/Kinesis metrics of what the runtime reads, per stream and second, flushed in batches.

    Always: GetRecords.IteratorAgeMilliseconds (Maximum), OutgoingRecords, OutgoingBytes. Also
    IncomingRecords/IncomingBytes, by arrival second, when the emulator does not publish them itself.
    """

    def __init__(self, cloudwatch: Any, *, publish_incoming: bool) -> None:
        self._cloudwatch = cloudwatch
        self.publish_incoming = publish_incoming
        self._incoming: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
        self._outgoing: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0, 0])
        self._lock = threading.Lock()

    def observe(self, stream_name: str, records: list[StreamRecord], read_at: float) -> None:
        """One GetRecords call; an empty one too (Kinesis reports an iterator age of 0 for a caught-up read)."""
        with self._lock:
            outgoing = self._outgoing[(stream_name, int(read_at))]
            for record in records:
                size = len(record.data) + len(record.partition_key.encode())
                outgoing[0] += 1
                outgoing[1] += size
                outgoing[2] = max(outgoing[2], int((read_at - record.arrival) * 1000))
                if self.publish_incoming:
                    incoming = self._incoming[(stream_name, int(record.arrival))]
                    incoming[0] += 1
                    incoming[1] += size

    def flush(self) -> None:
        with self._lock:
            incoming, self._incoming = self._incoming, defaultdict(lambda: [0, 0])
            outgoing, self._outgoing = self._outgoing, defaultdict(lambda: [0, 0, 0])
        by_stream: dict[str, list[dict[str, Any]]] = defaultdict(list)

        def datum(stream_name: str, second: int, name: str, value: float, unit: str) -> None:
            by_stream[stream_name].append(
                {
                    "MetricName": name,
                    "Dimensions": [{"Name": "StreamName", "Value": stream_name}],
                    "Timestamp": datetime.fromtimestamp(second, UTC),
                    "Value": value,
                    "Unit": unit,
                }
            )

        for (stream_name, second), (count, size) in sorted(incoming.items()):
            datum(stream_name, second, "IncomingRecords", count, "Count")
            datum(stream_name, second, "IncomingBytes", size, "Bytes")
        for (stream_name, second), (count, size, age_ms) in sorted(outgoing.items()):
            datum(stream_name, second, "OutgoingRecords", count, "Count")
            datum(stream_name, second, "OutgoingBytes", size, "Bytes")
            datum(stream_name, second, "GetRecords.IteratorAgeMilliseconds", age_ms, "Milliseconds")
        for data in by_stream.values():
            for start in range(0, len(data), 500):
                try:
                    self._cloudwatch.put_metric_data(Namespace="AWS/Kinesis", MetricData=data[start : start + 500])
                except (ClientError, BotoCoreError) as error:
                    logger.warning("could not publish Kinesis metrics: %s", error)


class ServiceMetrics:
    """AWS/Lambda and AWS/SQS metrics as those services would report them for what runs locally.

    Per function and second: Invocations and Errors, for every invocation (Lambda reports invocation metrics when
    the function is invoked). Per on-failure queue, at each flush: ApproximateNumberOfMessagesVisible (SQS reports
    it every minute while the queue is active; the local queues are active while the runtime runs). Throttles
    are never reported: nothing is throttled locally.
    """

    def __init__(self, cloudwatch: Any, sqs: Any, clock: Callable[[], float]) -> None:
        self._cloudwatch = cloudwatch
        self._sqs = sqs
        self._clock = clock
        self._invocations: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
        self.queues: dict[str, str] = {}  # queue name -> URL
        self._lock = threading.Lock()

    def invoked(self, function_name: str, failed: bool) -> None:
        with self._lock:
            counts = self._invocations[(function_name, int(self._clock()))]
            counts[0] += 1
            counts[1] += int(failed)

    def flush(self) -> None:
        with self._lock:
            invocations, self._invocations = self._invocations, defaultdict(lambda: [0, 0])
        data: list[tuple[str, dict[str, Any]]] = []
        for (function, second), (count, errors) in sorted(invocations.items()):
            for name, value in (("Invocations", count), ("Errors", errors)):
                data.append(("AWS/Lambda", _datum(name, "FunctionName", function, second, value, "Count")))
        now = int(self._clock())
        for queue, url in sorted(self.queues.items()):
            try:
                attributes = self._sqs.get_queue_attributes(
                    QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
                )
            except (ClientError, BotoCoreError) as error:
                logger.warning("could not read queue %s: %s", queue, error)
                continue
            visible = int(attributes["Attributes"]["ApproximateNumberOfMessages"])
            data.append(
                ("AWS/SQS", _datum("ApproximateNumberOfMessagesVisible", "QueueName", queue, now, visible, "Count"))
            )
        for namespace in sorted({namespace for namespace, _ in data}):
            batch = [datum for space, datum in data if space == namespace]
            for start in range(0, len(batch), 500):
                try:
                    self._cloudwatch.put_metric_data(Namespace=namespace, MetricData=batch[start : start + 500])
                except (ClientError, BotoCoreError) as error:
                    logger.warning("could not publish %s metrics: %s", namespace, error)


def _datum(name: str, dimension: str, value_of: str, second: int, value: float, unit: str) -> dict[str, Any]:
    return {
        "MetricName": name,
        "Dimensions": [{"Name": dimension, "Value": value_of}],
        "Timestamp": datetime.fromtimestamp(second, UTC),
        "Value": value,
        "Unit": unit,
    }


def lane_of(partition_key: str, lanes: int) -> int:
    """The emulator's lane for a partition key: the same key always in the same lane."""
    if lanes == 1:
        return 0
    return int.from_bytes(hashlib.md5(partition_key.encode(), usedforsecurity=False).digest()[:8], "big") % lanes


class ShardWorker(threading.Thread):
    """Reads one shard in order and splits its records by partition key into the mapping's lanes."""

    def __init__(self, poller: MappingPoller, shard_id: str, iterator_type: str) -> None:
        super().__init__(name=f"{poller.config.stream_name}/{shard_id}", daemon=True)
        self.poller = poller
        self.shard_id = shard_id
        self.iterator_type = iterator_type
        self.finished = threading.Event()
        self.lanes = [ShardLane(self, index) for index in range(poller.config.parallelization_factor)]
        self._iterator: str | None = None

    def run(self) -> None:
        for lane in self.lanes:
            lane.start()
        try:
            self._run()
        except Exception as error:  # keep the runtime alive; the stats say what happened
            logger.exception("shard worker %s stopped", self.name)
            self.poller.record_error(f"{self.shard_id}: {type(error).__name__}: {error}")
        for lane in self.lanes:
            lane.reader_done()
        for lane in self.lanes:
            lane.join()
        if not self.poller.runtime.stopping.is_set():
            self.finished.set()
            self.poller.shard_finished()

    def _run(self) -> None:
        runtime, config = self.poller.runtime, self.poller.config
        self._iterator = runtime.kinesis.get_shard_iterator(
            StreamARN=config.stream_arn, ShardId=self.shard_id, ShardIteratorType=self.iterator_type
        )["ShardIterator"]
        full = config.batch_size * LANE_BUFFER_BATCHES
        while not runtime.stopping.is_set():
            if any(lane.waiting() >= full for lane in self.lanes):
                runtime.stopping.wait(IDLE_POLL_S / 4)
                continue
            records = self._read()
            if records:
                self._distribute(records)
                continue
            if self._iterator is None or (self._shard_closed() and not self._read_more()):
                return
            runtime.stopping.wait(IDLE_POLL_S)

    def _distribute(self, records: list[StreamRecord]) -> None:
        by_lane: dict[int, list[StreamRecord]] = defaultdict(list)
        for record in records:
            by_lane[lane_of(record.partition_key, len(self.lanes))].append(record)
        for index, lane_records in by_lane.items():
            self.lanes[index].feed(lane_records)

    def _read(self) -> list[StreamRecord]:
        runtime, config = self.poller.runtime, self.poller.config
        response = runtime.kinesis.get_records(
            StreamARN=config.stream_arn, ShardIterator=self._iterator, Limit=KINESIS_MAX_RECORDS_PER_READ
        )
        self._iterator = response.get("NextShardIterator")
        records = [StreamRecord.from_get_records(self.shard_id, record) for record in response["Records"]]
        runtime.metrics.observe(config.stream_name, records, runtime.clock())
        if records:
            self.poller.add(read=len(records))
        return records

    def _shard_closed(self) -> bool:
        runtime, config = self.poller.runtime, self.poller.config
        for shard in runtime.kinesis.list_shards(StreamARN=config.stream_arn)["Shards"]:
            if shard["ShardId"] == self.shard_id:
                return "EndingSequenceNumber" in shard["SequenceNumberRange"]
        return True  # trimmed: nothing left to read

    def _read_more(self) -> bool:
        """After seeing the shard closed, read once more: records put before the close may remain."""
        records = self._read()
        self._distribute(records)
        return bool(records)


class ShardLane(threading.Thread):
    """One of a shard's ParallelizationFactor concurrent batch streams: batches its keys' records in order."""

    def __init__(self, shard: ShardWorker, index: int) -> None:
        super().__init__(name=f"{shard.name}/lane-{index}", daemon=True)
        self.shard = shard
        self.poller = shard.poller
        self.index = index
        self._buffer: deque[StreamRecord] = deque()
        self._fed_at: deque[float] = deque()  # when each buffered record reached the lane
        self._arrived = threading.Condition()
        self._reader_done = False

    def feed(self, records: list[StreamRecord]) -> None:
        now = time.monotonic()
        with self._arrived:
            self._buffer.extend(records)
            self._fed_at.extend([now] * len(records))
            self._arrived.notify()

    def reader_done(self) -> None:
        with self._arrived:
            self._reader_done = True
            self._arrived.notify()

    def waiting(self) -> int:
        with self._arrived:
            return len(self._buffer)

    def run(self) -> None:
        try:
            while not self.poller.runtime.stopping.is_set():
                batch = self._collect_batch()
                if batch:
                    self._process(batch)
                elif self._drained():
                    return
        except Exception as error:  # keep the runtime alive; the stats say what happened
            logger.exception("lane %s stopped", self.name)
            self.poller.record_error(f"{self.shard.shard_id} lane {self.index}: {type(error).__name__}: {error}")

    def _drained(self) -> bool:
        with self._arrived:
            return self._reader_done and not self._buffer

    def _collect_batch(self) -> list[StreamRecord]:
        """Up to BatchSize records, once the batch is full, the batching window has passed or the shard ended."""
        config, stopping = self.poller.config, self.poller.runtime.stopping
        with self._arrived:
            while not self._buffer and not self._reader_done and not stopping.is_set():
                self._arrived.wait(IDLE_POLL_S)
            if not self._buffer:
                return []
            deadline = self._fed_at[0] + config.batching_window_s
            while len(self._buffer) < config.batch_size and not self._reader_done and not stopping.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._arrived.wait(min(IDLE_POLL_S, left))
            count = min(config.batch_size, len(self._buffer))
            for _ in range(count):
                self._fed_at.popleft()
            return [self._buffer.popleft() for _ in range(count)]

    def _process(self, batch: list[StreamRecord]) -> None:
        """Deliver `batch` to the function until every record succeeded or was discarded."""
        config, runtime = self.poller.config, self.poller.runtime
        work: deque[_Attempt] = deque([_Attempt(batch)])
        while work and not runtime.stopping.is_set():
            attempt = work.popleft()
            attempt.records = self._discard_expired(attempt)
            if not attempt.records:
                continue
            invocation = runtime.invoke_batch(config, attempt.records)
            attempt.invocations += 1
            self.poller.add(invocations=1)
            failed_from = self._failed_from(invocation, attempt.records)
            if failed_from is None:
                self.poller.add(completed=len(attempt.records))
                continue
            if failed_from > 0:
                self.poller.add(completed=failed_from)
            remaining = attempt.records[failed_from:]
            if invocation.error is not None:
                self.poller.add(function_errors=1)
                self.poller.record_error(f"{type(invocation.error).__name__}: {invocation.error}")
                if config.bisect_on_error and len(remaining) > 1:
                    middle = len(remaining) // 2
                    self.poller.add(bisections=1)
                    work.appendleft(_Attempt(remaining[middle:], attempt.retries, attempt.invocations))
                    work.appendleft(_Attempt(remaining[:middle], attempt.retries, attempt.invocations))
                    continue
            else:
                self.poller.add(partial_failures=1)
            attempt.records, attempt.retries = remaining, attempt.retries + 1
            if 0 <= config.max_retry_attempts < attempt.retries:
                self._discard(attempt, "RetryAttemptsExhausted", invocation.function_error)
                continue
            self.poller.add(retries=1)
            runtime.stopping.wait(min(RETRY_BACKOFF_CAP_S, 0.05 * 2 ** min(attempt.retries, 10)))
            work.appendleft(attempt)

    def _failed_from(self, invocation: Invocation, records: list[StreamRecord]) -> int | None:
        """Index of the first record to retry, or None when the whole batch succeeded."""
        if invocation.error is not None:
            return 0
        if not self.poller.config.report_batch_item_failures or not isinstance(invocation.response, Mapping):
            return None
        failures = invocation.response.get("batchItemFailures") or []
        if not failures:
            return None
        positions = {record.sequence_number: index for index, record in enumerate(records)}
        indexes = []
        for failure in failures:
            identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
            if identifier not in positions:
                return 0  # Lambda treats a malformed or unknown identifier as a failure of the whole batch
            indexes.append(positions[identifier])
        return min(indexes)

    def _discard_expired(self, attempt: _Attempt) -> list[StreamRecord]:
        max_age = self.poller.config.max_record_age_s
        if max_age < 0:
            return attempt.records
        oldest_allowed = self.poller.runtime.clock() - max_age
        expired = [record for record in attempt.records if record.arrival < oldest_allowed]
        if expired:
            self._discard(_Attempt(expired, attempt.retries, attempt.invocations), "RecordAgeExceeded", None)
        return [record for record in attempt.records if record.arrival >= oldest_allowed]

    def _discard(self, attempt: _Attempt, condition: str, function_error: str | None) -> None:
        config = self.poller.config
        self.poller.add(discarded=len(attempt.records), completed=len(attempt.records))
        message = on_failure_record(
            attempt.records,
            stream_arn=config.stream_arn,
            function_arn=config.function_arn,
            condition=condition,
            invoke_count=max(1, attempt.invocations),
            function_error=function_error,
            now=self.poller.runtime.clock(),
        )
        if config.on_failure_arn is not None:
            refused = self.poller.runtime.send_to_destination(config.on_failure_arn, message, config.function_arn)
            if refused is not None:
                self.poller.record_error(f"on-failure record not sent: {refused}")


class MappingPoller(threading.Thread):
    """Discovers one mapping's shards and starts a worker per shard once its parents are drained."""

    def __init__(self, runtime: LocalRuntime, config: MappingConfig, refused: str | None = None) -> None:
        super().__init__(name=f"mapping-{config.uuid}", daemon=True)
        self.runtime = runtime
        self.config = config
        self.refused = refused  # why the execution role may not read the stream
        self.workers: dict[str, ShardWorker] = {}
        self._stats = MappingStats()
        self._lock = threading.Lock()

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self._stats, name, getattr(self._stats, name) + value)

    def record_error(self, message: str) -> None:
        with self._lock:
            self._stats.last_error = message[:300]

    def shard_finished(self) -> None:
        self.add(shards_finished=1)

    def stats(self) -> MappingStats:
        with self._lock:
            return self._stats.copy()

    def run(self) -> None:
        if self.refused is not None:
            # Lambda needs these permissions of the execution role to read the stream
            # (https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-create.html).
            self.record_error(f"PROBLEM: the mapping cannot read its stream: {self.refused}")
            return
        while not self.runtime.stopping.is_set():
            try:
                self._start_ready_shards()
            except (ClientError, BotoCoreError) as error:
                self.record_error(f"ListShards: {error}")
            self.runtime.stopping.wait(SHARD_DISCOVERY_S)

    def _start_ready_shards(self) -> None:
        shards = self.runtime.kinesis.list_shards(StreamARN=self.config.stream_arn)["Shards"]
        known = {shard["ShardId"] for shard in shards}
        initial = not self.workers
        for shard in shards:
            shard_id = shard["ShardId"]
            if shard_id in self.workers:
                continue
            parents = [shard.get(key) for key in ("ParentShardId", "AdjacentParentShardId")]
            waiting = [p for p in parents if p and p in known and not self._finished(p)]
            if waiting:
                continue
            position = self.config.starting_position if initial and not any(parents) else "TRIM_HORIZON"
            worker = self.workers[shard_id] = ShardWorker(self, shard_id, position)
            worker.start()

    def _finished(self, shard_id: str) -> bool:
        worker = self.workers.get(shard_id)
        return worker is not None and worker.finished.is_set()


@dataclass(frozen=True)
class Schedule:
    rule_name: str
    rule_arn: str
    function_arn: str
    interval_s: float


RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def schedule_interval_s(expression: str) -> float | None:
    """Seconds between runs of a `rate(...)` expression; None for cron (not run locally)."""
    match = RATE.match(expression.strip())
    if match is None:
        return None
    return int(match.group(1)) * UNIT_SECONDS[match.group(2).rstrip("s")]


@dataclass
class ScheduleStats:
    invocations: int = 0
    errors: int = 0
    last_error: str | None = None


class LocalRuntime:
    """Everything `local run` drives: a poller per enabled mapping and a thread for the schedules."""

    def __init__(
        self,
        host: FunctionHost,
        *,
        region: str = "us-east-1",
        account: str = "123456789012",
        schedule_speedup: float = 1.0,
        invoke_hook: Callable[[MappingConfig, list[StreamRecord]], None] | None = None,
        clock: Callable[[], float] = time.time,
        functions: set[str] | None = None,
        alarm_prefix: str | None = "",
    ) -> None:
        self.host = host
        self.region = region
        self.account = account
        self.stopping = threading.Event()
        endpoint = host.endpoint_url
        self.kinesis = aws_client("kinesis", region=region, endpoint_url=endpoint, max_pool_connections=50)
        self._lambda = aws_client("lambda", region=region, endpoint_url=endpoint)
        self._sqs = aws_client("sqs", region=region, endpoint_url=endpoint)
        self._sns = aws_client("sns", region=region, endpoint_url=endpoint)
        self._events = aws_client("events", region=region, endpoint_url=endpoint)
        self.metrics = KinesisMetrics(
            aws_client("cloudwatch", region=region, endpoint_url=endpoint),
            publish_incoming=not emulator_publishes_incoming_metrics(),
        )
        cloudwatch = aws_client("cloudwatch", region=region, endpoint_url=endpoint)
        self.service_metrics = ServiceMetrics(cloudwatch, self._sqs, clock)
        # Alarms of names starting with `alarm_prefix` are evaluated as CloudWatch would (None: not evaluated).
        self.alarms = (
            None if alarm_prefix is None else LocalAlarms(cloudwatch, speedup=schedule_speedup, prefix=alarm_prefix)
        )
        self.pollers: dict[str, MappingPoller] = {}
        self.schedules: list[Schedule] = []
        self.schedule_stats: dict[str, ScheduleStats] = {}
        self.notes: list[str] = []
        self._speedup = schedule_speedup
        self._invoke_hook = invoke_hook
        self.clock = clock
        self._functions = functions
        self._threads: list[threading.Thread] = []
        self.firehose_deliveries: list[dict[str, Any]] = []  # what stop() delivered from Firehose's buffers

    def start(self) -> None:
        for mapping in (
            self._lambda.get_paginator("list_event_source_mappings")
            .paginate()
            .build_full_result()["EventSourceMappings"]
        ):
            config = MappingConfig.from_api(mapping)
            if self._functions is not None and config.function_arn.rsplit(":", 1)[-1] not in self._functions:
                continue
            if not config.stream_arn.startswith("arn:aws:kinesis:"):
                self.notes.append(f"mapping {config.uuid}: only Kinesis sources are polled locally")
                continue
            if not config.enabled:
                self.notes.append(f"mapping {config.uuid} is disabled")
                continue
            if config.tumbling_window_s:
                self.notes.append(f"mapping {config.uuid}: tumbling windows are not emulated (no state is passed)")
            self._watch_failure_queue(config)
            refused = self.refused_reads(config)
            if refused is not None:
                self.notes.append(f"mapping {config.uuid}: {refused}")
            poller = self.pollers[config.uuid] = MappingPoller(self, config, refused)
            poller.start()
        self.schedules = self._load_schedules()
        targets: list[tuple[str, Callable[[], None]]] = [
            ("schedules", self._run_schedules),
            ("metrics", self._flush_metrics),
        ]
        if self.alarms is not None:
            alarms = self.alarms
            targets.append(("alarms", lambda: alarms.run(self.stopping)))
        for name, target in targets:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout_s: float = 30.0) -> None:
        self.stopping.set()
        deadline = time.monotonic() + timeout_s
        for poller in self.pollers.values():
            for worker in list(poller.workers.values()):
                worker.join(max(0.0, deadline - time.monotonic()))
            poller.join(max(0.0, deadline - time.monotonic()))
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        # The handlers are done putting to Firehose: deliver what its buffers hold, so a drained run leaves no record
        # waiting for an interval (the demo and `local run` audit or leave the lake right after).
        self.firehose_deliveries = flush_firehose(self.host.endpoint_url)
        self.flush_metrics()

    def flush_metrics(self) -> None:
        self.metrics.flush()
        self.service_metrics.flush()

    def _watch_failure_queue(self, config: MappingConfig) -> None:
        """Report the mapping's on-failure queue's depth, as SQS does for an active queue."""
        destination = config.on_failure_arn
        if destination is None or destination.split(":")[2] != "sqs":
            return
        account, queue = destination.split(":")[4], destination.split(":")[5]
        try:
            url = self._sqs.get_queue_url(QueueName=queue, QueueOwnerAWSAccountId=account)["QueueUrl"]
        except (ClientError, BotoCoreError) as error:
            self.notes.append(f"on-failure queue {queue}: {error}")
            return
        self.service_metrics.queues[queue] = url

    def stats_by_stream(self) -> dict[str, MappingStats]:
        return {poller.config.stream_name: poller.stats() for poller in self.pollers.values()}

    def invoke_batch(self, config: MappingConfig, records: list[StreamRecord]) -> Invocation:
        if self._invoke_hook is not None:
            self._invoke_hook(config, records)
        function = self.host.config(config.function_arn)
        event = kinesis_event(records, config.stream_arn, function.role, self.region)
        invocation = self.host.invoke(config.function_arn, event)
        self.service_metrics.invoked(config.function_arn.rsplit(":", 1)[-1], invocation.error is not None)
        return invocation

    def refused_reads(self, config: MappingConfig) -> str | None:
        """Why the execution role may not read the mapping's stream, or None (the mapping's kinesis reads)."""
        principal = self.host.principal(config.function_arn)
        for operation in ("DescribeStream", "DescribeStreamSummary", "ListShards", "GetShardIterator", "GetRecords"):
            denied = denied_checks(principal.gates, "kinesis", operation, {"StreamARN": config.stream_arn})
            if denied:
                return denial_message(principal.session_arn, denied[0])
        return None

    def send_to_destination(
        self, destination_arn: str, message: dict[str, Any], function_arn: str | None = None
    ) -> str | None:
        """Send an on-failure record with the function's role; the denial when AWS would refuse it, else None."""
        body = json.dumps(message)
        service = destination_arn.split(":")[2]
        if service == "sqs":
            account, queue = destination_arn.split(":")[4], destination_arn.split(":")[5]
            url = self._sqs.get_queue_url(QueueName=queue, QueueOwnerAWSAccountId=account)["QueueUrl"]
            if function_arn is not None:
                principal = self.host.principal(function_arn)
                denied = denied_checks(principal.gates, "sqs", "SendMessage", {"QueueUrl": url})
                if denied:
                    return denial_message(principal.session_arn, denied[0])
            self._sqs.send_message(QueueUrl=url, MessageBody=body)
        elif service == "sns":
            self._sns.publish(TopicArn=destination_arn, Message=body)
        else:
            self.notes.append(f"on-failure destination {destination_arn} is not supported locally; message dropped")
        return None

    def _load_schedules(self) -> list[Schedule]:
        schedules = []
        for rule in self._events.list_rules().get("Rules", []):
            expression = rule.get("ScheduleExpression")
            if not expression or rule.get("State") == "DISABLED":
                continue
            interval = schedule_interval_s(expression)
            if interval is None:
                self.notes.append(f"rule {rule['Name']}: {expression} is not run locally (only rate() schedules are)")
                continue
            for target in self._events.list_targets_by_rule(Rule=rule["Name"]).get("Targets", []):
                if self._functions is not None and target["Arn"].rsplit(":", 1)[-1] not in self._functions:
                    continue
                if ":lambda:" in target["Arn"]:
                    schedules.append(Schedule(rule["Name"], rule["Arn"], target["Arn"], interval / self._speedup))
        return schedules

    def _run_schedules(self) -> None:
        next_run = {schedule: time.monotonic() + schedule.interval_s for schedule in self.schedules}
        while self.schedules and not self.stopping.is_set():
            schedule = min(next_run, key=lambda s: next_run[s])
            if self.stopping.wait(max(0.0, next_run[schedule] - time.monotonic())):
                return
            next_run[schedule] += schedule.interval_s
            self.flush_metrics()  # the scheduled scaler reads what has been read so far
            event = scheduled_event(schedule.rule_arn, self.account, self.region, time.time())
            stats = self.schedule_stats.setdefault(schedule.function_arn, ScheduleStats())
            invocation = self.host.invoke(schedule.function_arn, event)
            self.service_metrics.invoked(schedule.function_arn.rsplit(":", 1)[-1], invocation.error is not None)
            stats.invocations += 1
            if invocation.error is not None:
                stats.errors += 1
                stats.last_error = f"{type(invocation.error).__name__}: {invocation.error}"[:300]

    def _flush_metrics(self) -> None:
        while not self.stopping.wait(min(METRICS_FLUSH_S, self._metrics_interval_s())):
            self.flush_metrics()

    def _metrics_interval_s(self) -> float:
        """Flush at least twice per (sped-up) alarm period, so an evaluation sees the periods that ended."""
        return METRICS_FLUSH_S if self.alarms is None else max(0.5, self.alarms.interval_s / 2)
