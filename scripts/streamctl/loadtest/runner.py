"""A rate-limited load-test run: writers that build events, key them and send them for a duration."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from functions.aws_limits import KINESIS_MAX_RECORDS_PER_CALL, KINESIS_PUT_PAYLOAD_UNIT_BYTES
from streamctl.loadtest.aggregation import KplAggregator
from streamctl.loadtest.batching import UserRecord
from streamctl.loadtest.envelope import EventFactory
from streamctl.loadtest.manifest import RunManifest, WriterManifest
from streamctl.loadtest.partition_keys import PartitionKeyStrategyName, partition_keys
from streamctl.loadtest.producer import KinesisProducer, ProducerStats, PutCallResult, RetryPolicy
from streamctl.loadtest.rate_limit import TokenBucket

# Each writer sends about this many batches per second: small enough to follow the rate closely.
BATCHES_PER_SECOND = 20


@dataclass(frozen=True)
class LoadSpec:
    """What a run sends; `rate` is user records per second summed over all writers."""

    run_id: str
    tenant: str
    stream_name: str
    rate: float
    duration_s: float
    record_bytes: int = 1024
    aggregate: bool = False
    aggregate_bytes: int = KINESIS_PUT_PAYLOAD_UNIT_BYTES
    linger_s: float = 0.1
    key_strategy: PartitionKeyStrategyName = PartitionKeyStrategyName.RANDOM
    entities: int = 10_000
    zipf_exponent: float = 1.1
    writers: int = 1
    seed: int | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        if self.rate <= 0:
            raise ValueError(f"--rate must be positive, got {self.rate}")
        if self.duration_s <= 0:
            raise ValueError(f"--duration must be positive, got {self.duration_s}")
        if self.writers < 1:
            raise ValueError(f"--writers must be at least 1, got {self.writers}")
        # Build each writer's parts once so bad options fail here, with their message, not in a writer thread.
        EventFactory(self.run_id, self.tenant, writer=self.writers - 1, record_bytes=self.record_bytes)
        partition_keys(self.key_strategy, entities=self.entities, zipf_exponent=self.zipf_exponent)
        if self.aggregate:
            KplAggregator(self.aggregate_bytes)

    @property
    def batch_size(self) -> int:
        per_writer = self.rate / self.writers
        return max(1, min(KINESIS_MAX_RECORDS_PER_CALL, round(per_writer / BATCHES_PER_SECOND)))


@dataclass
class WriterOutcome:
    writer: int
    stats: ProducerStats
    events: int = 0
    failed_event_ids: list[str] = field(default_factory=list)
    error: BaseException | None = None


def run_writer(
    spec: LoadSpec,
    writer: int,
    client: Any,
    outcome: WriterOutcome,
    stop: threading.Event,
    *,
    on_call: Callable[[PutCallResult], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """One writer: its share of the rate, its own producer (the producer is single-threaded)."""
    factory = EventFactory(spec.run_id, spec.tenant, writer=writer, record_bytes=spec.record_bytes)
    seed = None if spec.seed is None else spec.seed + writer
    keys = partition_keys(spec.key_strategy, entities=spec.entities, zipf_exponent=spec.zipf_exponent, seed=seed)
    aggregator = KplAggregator(spec.aggregate_bytes) if spec.aggregate else None
    producer = KinesisProducer(
        client,
        spec.stream_name,
        aggregator=aggregator,
        retry=spec.retry,
        on_call=on_call,
        stats=outcome.stats,  # shared with the progress display, which reads it from another thread
        sleep=sleep,
    )
    batch_size = spec.batch_size
    writer_rate = spec.rate / spec.writers
    # Up to half a second of catch-up after a slow call; the bucket starts empty so a run opens without a burst.
    bucket = TokenBucket(
        writer_rate, capacity=max(batch_size, writer_rate / 2), initial_tokens=0, clock=clock, sleep=sleep
    )
    deadline = clock() + spec.duration_s
    last_flush = clock()
    while not stop.is_set() and clock() < deadline:
        records = []
        for _ in range(bucket.acquire_batch(batch_size, KINESIS_MAX_RECORDS_PER_CALL)):
            event_id, data = factory.next_event()
            records.append(UserRecord(keys.next_key(), data, event_id))
        flush_due = aggregator is not None and clock() - last_flush >= spec.linger_s
        failed = producer.send(records, flush=flush_due)
        if flush_due:
            last_flush = clock()
        for entry in failed:
            outcome.failed_event_ids.extend(entry.record_ids)
        outcome.events = factory.events_built
    for entry in producer.flush():
        outcome.failed_event_ids.extend(entry.record_ids)
    outcome.events = factory.events_built


def _run_writer_recording_errors(
    spec: LoadSpec, writer: int, client: Any, outcome: WriterOutcome, stop: threading.Event
) -> None:
    """A writer that fails stops the whole run and leaves its error for the summary."""
    try:
        run_writer(spec, writer, client, outcome, stop)
    except BaseException as error:
        outcome.error = error
        stop.set()


@dataclass
class LoadRun:
    """A run in progress: writer threads plus the live counters a progress display polls."""

    spec: LoadSpec
    outcomes: list[WriterOutcome]
    started_at: datetime
    stop: threading.Event
    threads: list[threading.Thread]
    ended_at: datetime | None = None

    def totals(self) -> ProducerStats:
        total = ProducerStats()
        for outcome in self.outcomes:
            total.merge(outcome.stats)
        return total

    def errors(self) -> list[str]:
        return [f"writer {o.writer}: {o.error!r}" for o in self.outcomes if o.error is not None]

    def is_running(self) -> bool:
        return any(thread.is_alive() for thread in self.threads)

    def wait(self, timeout: float | None = None) -> None:
        for thread in self.threads:
            thread.join(timeout)
        if not self.is_running() and self.ended_at is None:
            self.ended_at = datetime.now(UTC)

    def manifest(self, stack: str, stream: str) -> RunManifest:
        return RunManifest(
            run_id=self.spec.run_id,
            stack=stack,
            tenant=self.spec.tenant,
            stream=stream,
            stream_name=self.spec.stream_name,
            started_at=self.started_at,
            ended_at=self.ended_at or datetime.now(UTC),
            record_bytes=self.spec.record_bytes,
            aggregate=self.spec.aggregate,
            writers=[
                WriterManifest(writer=o.writer, events=o.events, failed_event_ids=o.failed_event_ids)
                for o in self.outcomes
            ],
        )


def start_run(spec: LoadSpec, client_factory: Callable[[], Any]) -> LoadRun:
    """Start one thread per writer, each with its own client; the caller waits and reports."""
    stop = threading.Event()
    outcomes = [WriterOutcome(writer=index, stats=ProducerStats()) for index in range(spec.writers)]
    threads = [
        threading.Thread(
            target=_run_writer_recording_errors,
            args=(spec, outcome.writer, client_factory(), outcome, stop),
            name=f"loadtest-writer-{outcome.writer}",
            daemon=True,
        )
        for outcome in outcomes
    ]
    run = LoadRun(spec, outcomes, datetime.now(UTC), stop, threads)
    for thread in threads:
        thread.start()
    return run
