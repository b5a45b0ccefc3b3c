"""Deliver NDJSON lines to Firehose in order-preserving chunks within PutRecordBatch limits.

Lines arrive in one `LineBuffer` (a bytearray plus end offsets): keeping 10,000 separate ~1 KB bytes
objects alive costs several microseconds per record in allocation alone, more than serializing them.
They are packed several to a Firehose record (each line ends in "\\n", so the lake sees plain NDJSON)
because Firehose bills every record rounded up to 5 KB: 1 KB events sent one per record would cost 5x.
Calls go out one after another; only the failed entries of a call are retried, with jittered backoff.
The result is the length of the delivered prefix, so the caller never checkpoints past a gap.

Warm invocations reuse their memory: lines go into one long-lived bytearray (`LineBuffer`) and are
copied into long-lived record buffers. Allocating ~10 MB afresh per batch cost over 1 us per record in
page faults whenever the heap had been handed back to the OS.
"""

from __future__ import annotations

import io
import random
import time
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from functions.aws_limits import (
    FIREHOSE_MAX_BYTES_PER_CALL,
    FIREHOSE_MAX_RECORD_BYTES,
    FIREHOSE_MAX_RECORDS_PER_CALL,
)

BACKOFF_BASE_SECONDS = 0.1
BACKOFF_CAP_SECONDS = 2.0
# Stop retrying when the invocation has less than this left, so we can still checkpoint and report.
MIN_TIME_LEFT_MS = 5_000


@dataclass(slots=True)
class LineBuffer:
    """NDJSON lines stored back to back in `data`; `ends[i]` is the offset just past line i.

    `data` is positioned at `size`; bytes past it are scratch. A consumer hands the same BytesIO to
    every batch, so warm invocations overwrite memory they already own instead of growing a fresh
    ~10 MB buffer each time. (BytesIO rather than bytearray: slice assignment into a bytearray first
    copies the bytes assigned, and a bytearray cannot be emptied without giving its memory back.)
    """

    data: io.BytesIO = field(default_factory=io.BytesIO)
    ends: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, lines: Sequence[bytes]) -> LineBuffer:
        buffer = cls()
        for line in lines:
            buffer.append(line)
        return buffer

    @property
    def size(self) -> int:
        """Bytes of `data` holding lines."""
        return self.ends[-1] if self.ends else 0

    def append(self, line: bytes) -> None:
        self.data.write(line)
        self.ends.append(self.size + len(line))

    def __len__(self) -> int:
        return len(self.ends)


@dataclass(frozen=True, slots=True)
class PackedRecord:
    """One Firehose record holding lines[first_line:end_line], concatenated."""

    first_line: int
    end_line: int
    data: bytes | bytearray


def pack_lines(
    lines: LineBuffer, max_record_bytes: int = FIREHOSE_MAX_RECORD_BYTES, reuse: list[bytearray] | None = None
) -> list[PackedRecord]:
    """Greedily pack consecutive lines into records of at most `max_record_bytes` (a longer line
    gets a record of its own; callers keep lines within the Firehose record limit).

    Each record's end is found by bisecting the line offsets, not by visiting every line: a batch has
    thousands of lines and only a handful of records. With `reuse`, record i's data is `reuse[i]`
    refilled (the list grows as needed) instead of new bytes, so it is only valid until the next call.
    """
    ends = lines.ends
    records: list[PackedRecord] = []
    first_line = 0
    record_start = 0
    # Released on the way out: a BytesIO cannot grow while its buffer is exported.
    with lines.data.getbuffer() as view:
        while first_line < len(ends):
            # At least one line per record, then every further line that still fits.
            end_line = max(first_line + 1, bisect_right(ends, record_start + max_record_bytes, first_line))
            record_end = ends[end_line - 1]
            content = view[record_start:record_end]
            data = bytes(content) if reuse is None else _refill(reuse, len(records), content)
            records.append(PackedRecord(first_line, end_line, data))
            first_line, record_start = end_line, record_end
    return records


def _refill(pool: list[bytearray], index: int, content: memoryview) -> bytes | bytearray:
    """`pool[index]` (new when the pool is shorter) holding exactly `content`, written in place."""
    if index == len(pool):
        pool.append(bytearray(content))
        return pool[index]
    buffer = pool[index]
    if len(content) < len(buffer) // 2:
        # CPython would hand the memory of a bytearray cut below half back; keep it for later batches.
        return bytes(content)
    # Not `buffer[:n] = content`: that first copies `content` into a temporary bytearray.
    keep = min(len(buffer), len(content))
    del buffer[len(content) :]  # the tail of a longer previous record
    with memoryview(buffer) as target:
        target[:keep] = content[:keep]
    buffer += content[keep:]  # the rest, when this record is longer
    return buffer


def plan_calls(
    records: Sequence[PackedRecord],
    max_records: int = FIREHOSE_MAX_RECORDS_PER_CALL,
    max_bytes: int = FIREHOSE_MAX_BYTES_PER_CALL,
) -> list[list[PackedRecord]]:
    """Split records, in order, into PutRecordBatch calls within the count and size limits."""
    calls: list[list[PackedRecord]] = []
    current: list[PackedRecord] = []
    size = 0
    for record in records:
        if current and (len(current) == max_records or size + len(record.data) > max_bytes):
            calls.append(current)
            current, size = [], 0
        current.append(record)
        size += len(record.data)
    if current:
        calls.append(current)
    return calls


@dataclass(slots=True)
class DeliveryOutcome:
    delivered_lines: int  # lines[:delivered_lines] are in Firehose; the rest must be retried by Lambda
    retried_calls: int = 0
    error: str | None = None


class FirehoseDelivery:
    """Sends lines to one delivery stream (client: boto3 Firehose with botocore standard retries).

    Record data are bytearrays this object refills on its next `deliver`: a client must not keep them
    past the call (boto3 serializes the request within it). One `deliver` at a time, as in Lambda.
    """

    def __init__(
        self,
        firehose_client: Any,
        delivery_stream: str,
        *,
        max_record_bytes: int = FIREHOSE_MAX_RECORD_BYTES,
        max_attempts: int = 4,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self._firehose = firehose_client
        self._delivery_stream = delivery_stream
        self._max_record_bytes = max_record_bytes
        self._max_attempts = max_attempts
        self._sleep = sleep
        self._jitter = jitter
        self._record_buffers: list[bytearray] = []

    def deliver(
        self,
        lines: LineBuffer,
        *,
        time_left_ms: Callable[[], int] | None = None,
        on_call_delivered: Callable[[int], None] | None = None,
    ) -> DeliveryOutcome:
        """Deliver in order; stop at the first call that still has failures after retries.

        `on_call_delivered(n)` runs after each fully delivered call with the delivered prefix length.
        """
        outcome = DeliveryOutcome(delivered_lines=0)
        for call in plan_calls(pack_lines(lines, self._max_record_bytes, self._record_buffers)):
            first_failed = self._send_call(call, outcome, time_left_ms)
            if first_failed is not None:
                outcome.delivered_lines = call[first_failed].first_line
                return outcome
            outcome.delivered_lines = call[-1].end_line
            if on_call_delivered is not None:
                on_call_delivered(outcome.delivered_lines)
        return outcome

    def _send_call(
        self, call: list[PackedRecord], outcome: DeliveryOutcome, time_left_ms: Callable[[], int] | None
    ) -> int | None:
        """Index in `call` of the first record not delivered, or None when all were."""
        pending = list(range(len(call)))
        for attempt in range(self._max_attempts):
            if attempt:
                if time_left_ms is not None and time_left_ms() < MIN_TIME_LEFT_MS:
                    break
                outcome.retried_calls += 1
                self._sleep(self._jitter(0.0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt)))
            try:
                response = self._firehose.put_record_batch(
                    DeliveryStreamName=self._delivery_stream,
                    Records=[{"Data": call[index].data} for index in pending],
                )
            except (ClientError, BotoCoreError) as error:
                # botocore's standard mode already retried transient errors; what is left will not heal here.
                outcome.error = f"PutRecordBatch failed: {error}"
                return pending[0]
            if not response.get("FailedPutCount"):
                return None
            responses = response.get("RequestResponses", [])
            still_failed = [
                index
                for position, index in enumerate(pending)
                if position >= len(responses) or "ErrorCode" in responses[position]
            ]
            if not still_failed:
                return None
            codes = {responses[p].get("ErrorCode") for p in range(len(responses)) if "ErrorCode" in responses[p]}
            outcome.error = f"{len(still_failed)} Firehose records failed ({', '.join(sorted(map(str, codes)))})"
            pending = still_failed
        return pending[0]
