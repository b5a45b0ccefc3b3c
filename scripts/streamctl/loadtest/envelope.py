"""Load-test events in the platform's envelope, padded to an exact encoded size.

The consumer accepts exactly `event_id`, `tenant`, `type`, `occurred_at`, `payload` and an optional
`schema_version` at the top level, so everything the load test needs to trace an event (run id, writer,
sequence, `produced_at`) lives inside `payload`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

LOADTEST_EVENT_TYPE = "loadtest.synthetic"
MAX_EVENT_ID_CHARS = 128
# Sequence numbers are zero-padded so that every event of a run encodes to the same length.
SEQUENCE_DIGITS = 12


def rfc3339_millis(epoch_ms: int) -> str:
    """`2026-11-26T06:47:53.123Z`: the fixed-width form the lake uses for `ingested_at`."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def event_id_for(run_id: str, writer: int, sequence: int) -> str:
    """The event id of one event: the run, the writer and its position, so verify can name what is missing."""
    return f"{run_id}:{writer}:{sequence:0{SEQUENCE_DIGITS}d}"


@dataclass
class EventFactory:
    """Builds the encoded events of one writer of one run, each exactly `record_bytes` long."""

    run_id: str
    tenant: str
    writer: int = 0
    record_bytes: int = 1024
    event_type: str = LOADTEST_EVENT_TYPE
    clock_ms: Callable[[], int] | None = None

    def __post_init__(self) -> None:
        if not self.run_id or ":" in self.run_id:
            raise ValueError(f"run id {self.run_id!r} must be non-empty and contain no ':'")
        longest_id = event_id_for(self.run_id, self.writer, 10**SEQUENCE_DIGITS - 1)
        if len(longest_id) > MAX_EVENT_ID_CHARS:
            raise ValueError(
                f"run id {self.run_id!r} is too long: event ids would be {len(longest_id)} characters, "
                f"the envelope allows {MAX_EVENT_ID_CHARS}"
            )
        self._next_sequence = 0
        # Encoded size of an event with empty filler; every field but the filler has a fixed width.
        self._unpadded_bytes = len(self._encode(longest_id, int(time.time() * 1000), ""))
        if self.record_bytes < self._unpadded_bytes:
            raise ValueError(
                f"--record-bytes {self.record_bytes} is smaller than the smallest load-test event "
                f"({self._unpadded_bytes} bytes for run id {self.run_id!r})"
            )
        self._filler = "x" * (self.record_bytes - self._unpadded_bytes)

    @property
    def events_built(self) -> int:
        return self._next_sequence

    def next_event(self) -> tuple[str, bytes]:
        """The id and encoding of this writer's next event, `record_bytes` long, `produced_at` now."""
        sequence = self._next_sequence
        self._next_sequence += 1
        now_ms = self.clock_ms() if self.clock_ms is not None else int(time.time() * 1000)
        event_id = event_id_for(self.run_id, self.writer, sequence)
        return event_id, self._encode(event_id, now_ms, self._filler)

    def _encode(self, event_id: str, produced_at_ms: int, filler: str) -> bytes:
        return orjson.dumps(
            {
                "event_id": event_id,
                "tenant": self.tenant,
                "type": self.event_type,
                "occurred_at": rfc3339_millis(produced_at_ms),
                "payload": {
                    "run_id": self.run_id,
                    "writer": self.writer,
                    "produced_at": produced_at_ms,
                    "filler": filler,
                },
            }
        )
