"""A single-writer Kinesis producer: PutRecords within the limits, retrying only the entries that failed.

botocore's standard retry mode (see `streamctl.aws_clients`) retries whole calls that fail; a PutRecords
call that succeeds with some entries throttled is not an error to botocore, so those entries are
resent here with jittered exponential backoff.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from streamctl.loadtest.aggregation import KplAggregator
from streamctl.loadtest.batching import KinesisEntry, UserRecord, chunk_entries, single_entry

THROTTLED_ERROR_CODE = "ProvisionedThroughputExceededException"


@dataclass(frozen=True)
class RetryPolicy:
    """Full-jitter exponential backoff: attempt n waits uniformly in [0, min(cap, base * 2^n)]."""

    max_attempts: int = 8
    base_delay_s: float = 0.05
    max_delay_s: float = 2.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")

    def delay_s(self, retry: int, rng: random.Random) -> float:
        return rng.uniform(0.0, min(self.max_delay_s, self.base_delay_s * 2**retry))


@dataclass(frozen=True)
class PutCallResult:
    """One PutRecords call as observed by the producer (what Locust reports as one request)."""

    latency_ms: float
    entries: int
    request_bytes: int
    failed_entries: int
    throttled_entries: int
    error: Exception | None = None


@dataclass
class ProducerStats:
    """Counters of one writer; `merge` sums writers for a run summary."""

    user_records_sent: int = 0
    user_records_failed: int = 0
    user_bytes_sent: int = 0
    kinesis_records_sent: int = 0
    payload_units: int = 0
    calls: int = 0
    call_errors: int = 0
    throttled_entries: int = 0
    retried_entries: int = 0
    put_latencies_ms: list[float] = field(default_factory=list)

    def merge(self, other: ProducerStats) -> None:
        for name in (
            "user_records_sent",
            "user_records_failed",
            "user_bytes_sent",
            "kinesis_records_sent",
            "payload_units",
            "calls",
            "call_errors",
            "throttled_entries",
            "retried_entries",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.put_latencies_ms.extend(other.put_latencies_ms)


class KinesisProducer:
    """Sends user records to one stream from one thread, optionally KPL-aggregated.

    `send` returns the entries that still failed after `retry.max_attempts`; their `record_ids` name
    the user records that never reached the stream.
    """

    def __init__(
        self,
        client: Any,
        stream_name: str,
        *,
        aggregator: KplAggregator | None = None,
        retry: RetryPolicy | None = None,
        on_call: Callable[[PutCallResult], None] | None = None,
        stats: ProducerStats | None = None,
        sleep: Callable[[float], None] = time.sleep,
        timer: Callable[[], float] = time.perf_counter,
        rng: random.Random | None = None,
    ) -> None:
        self.client = client
        self.stream_name = stream_name
        self.aggregator = aggregator
        self.retry = retry or RetryPolicy()
        self.stats = stats if stats is not None else ProducerStats()
        self._on_call = on_call
        self._sleep = sleep
        self._timer = timer
        self._rng = rng or random.Random()

    def send(self, records: Iterable[UserRecord], *, flush: bool = False) -> list[KinesisEntry]:
        """Send `records`; an aggregate that is not yet full stays buffered unless `flush` is set.

        With `flush`, the partial aggregate goes out in the same PutRecords calls as the full ones.
        """
        if self.aggregator is None:
            return self.put_entries([single_entry(record) for record in records])
        ready: list[KinesisEntry] = []
        for record in records:
            ready.extend(self.aggregator.add(record))
        pending = self.aggregator.drain() if flush else None
        return self.put_entries([*ready, pending] if pending is not None else ready)

    def flush(self) -> list[KinesisEntry]:
        """Send the partially filled aggregate, if any."""
        if self.aggregator is None:
            return []
        pending = self.aggregator.drain()
        return self.put_entries([pending]) if pending is not None else []

    def put_entries(self, entries: Iterable[KinesisEntry]) -> list[KinesisEntry]:
        failed: list[KinesisEntry] = []
        for batch in chunk_entries(entries):
            failed.extend(self._put_with_retry(batch))
        return failed

    def _put_with_retry(self, batch: list[KinesisEntry]) -> list[KinesisEntry]:
        pending = batch
        for attempt in range(self.retry.max_attempts):
            if attempt:
                self.stats.retried_entries += len(pending)
                self._sleep(self.retry.delay_s(attempt - 1, self._rng))
            pending = self._put_once(pending)
            if not pending:
                return []
        self.stats.user_records_failed += sum(entry.user_records for entry in pending)
        return pending

    def _put_once(self, batch: list[KinesisEntry]) -> list[KinesisEntry]:
        """One PutRecords call; returns the entries that were not written."""
        request_bytes = sum(entry.size_bytes for entry in batch)
        started = self._timer()
        try:
            response = self.client.put_records(
                StreamName=self.stream_name, Records=[entry.as_request_entry() for entry in batch]
            )
        except (ClientError, BotoCoreError) as error:
            if not _is_retryable(error):
                raise
            latency_ms = (self._timer() - started) * 1000
            self.stats.calls += 1
            self.stats.call_errors += 1
            throttled_entries = len(batch) if _is_throttling(error) else 0
            self.stats.throttled_entries += throttled_entries
            self._observe(PutCallResult(latency_ms, len(batch), request_bytes, len(batch), throttled_entries, error))
            return batch
        latency_ms = (self._timer() - started) * 1000
        self.stats.calls += 1
        self.stats.put_latencies_ms.append(latency_ms)
        failed: list[KinesisEntry] = []
        throttled = 0
        for entry, result in zip(batch, response["Records"], strict=True):
            error_code = result.get("ErrorCode")
            if error_code:
                failed.append(entry)
                throttled += 1 if error_code == THROTTLED_ERROR_CODE else 0
                continue
            self.stats.user_records_sent += entry.user_records
            self.stats.user_bytes_sent += entry.user_bytes
            self.stats.kinesis_records_sent += 1
            self.stats.payload_units += entry.payload_units
        self.stats.throttled_entries += throttled
        self._observe(PutCallResult(latency_ms, len(batch), request_bytes, len(failed), throttled))
        return failed

    def _observe(self, result: PutCallResult) -> None:
        if self._on_call is not None:
            self._on_call(result)


# Call-level errors worth another attempt once botocore's own retries are spent; others (a missing
# stream, denied access, a malformed request) fail the same way every time.
RETRYABLE_CALL_ERRORS = frozenset(
    {
        THROTTLED_ERROR_CODE,
        "LimitExceededException",
        "KMSThrottlingException",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
        "ThrottlingException",
    }
)


def _is_retryable(error: Exception) -> bool:
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code") in RETRYABLE_CALL_ERRORS
    return True


def _is_throttling(error: Exception) -> bool:
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code") == THROTTLED_ERROR_CODE
    return False
