"""What the demo and the end-to-end tests send: load-test envelopes across tenants, plus poison records.

Events come from the load-test `EventFactory` and go out through its `KinesisProducer` (PutRecords
chunking, partial-failure retries), one producer per stream on one thread: moto's Kinesis loses records
when several writers put to one shard at once.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import orjson

from emulator.report import StreamRun
from emulator.runtime import LocalRuntime
from streamctl.loadtest.batching import UserRecord
from streamctl.loadtest.envelope import EventFactory
from streamctl.loadtest.producer import KinesisProducer
from streamctl.stack_outputs import StackOutputs

SEND_CHUNK = 250


@dataclass(frozen=True)
class StreamLoad:
    tenant: str
    stream: str
    events: int
    poison: int


def poison_record(run_id: str, tenant: str, index: int) -> bytes:
    """A record the consumer must quarantine, never deliver: one of four ways an event can be broken."""
    kind = index % 4
    marker = f"{run_id}-poison-{tenant}-{index}"
    if kind == 0:
        return f"not json {marker}".encode()
    if kind == 1:
        return orjson.dumps(
            {"tenant": tenant, "type": "broken", "occurred_at": "2026-01-01T00:00:00Z", "payload": {"m": marker}}
        )
    if kind == 2:
        return orjson.dumps(
            {
                "event_id": marker,
                "tenant": "someone-else",
                "type": "x",
                "occurred_at": "2026-01-01T00:00:00Z",
                "payload": {},
            }
        )
    return orjson.dumps(
        {
            "event_id": marker,
            "tenant": tenant,
            "type": "x",
            "occurred_at": "2026-01-01T00:00:00Z",
            "payload": {},
            "extra": 1,
        }
    )


def split_evenly(total: int, weights: list[float]) -> list[int]:
    shares = [int(total * weight / sum(weights)) for weight in weights]
    shares[0] += total - sum(shares)
    return shares


def plan_load(
    outputs: StackOutputs, events: int, poison_per_stream: int = 0, poison_fraction: float = 0.0
) -> list[StreamLoad]:
    """Every stream of every tenant gets a share of `events` (the first stream of a tenant a double share)."""
    streams = [(tenant, name) for tenant, t in sorted(outputs.tenants.items()) for name in sorted(t.streams)]
    weights = [2.0 if index == 0 else 1.0 for index, _ in enumerate(streams)]
    loads = []
    for (tenant, stream), count in zip(streams, split_evenly(events, weights), strict=True):
        poison = poison_per_stream + round(count * poison_fraction)
        loads.append(StreamLoad(tenant, stream, count - poison, poison))
    return loads


class StreamWriter(threading.Thread):
    """Sends one stream's events and poison records, interleaved, at about `rate` records per second."""

    def __init__(
        self,
        kinesis: object,
        outputs: StackOutputs,
        load: StreamLoad,
        run_id: str,
        writer: int,
        *,
        rate: float,
        record_bytes: int = 512,
        between_chunks: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__(name=f"writer-{load.tenant}-{load.stream}", daemon=True)
        stream = outputs.stream(load.tenant, load.stream)
        self.load = load
        self.stream_run = StreamRun(load.tenant, load.stream)
        self.producer = KinesisProducer(kinesis, stream.stream_name)
        self.factory = EventFactory(run_id, load.tenant, writer=writer, record_bytes=record_bytes)
        self.run_id = run_id
        self.rate = rate
        self.sent = 0
        self.failed: list[str] = []
        self.error: BaseException | None = None
        self._between_chunks = between_chunks

    def run(self) -> None:
        try:
            self._send_all()
        except BaseException as error:  # reported by the caller, which decides the exit code
            self.error = error

    def _records(self) -> Iterator[UserRecord]:
        """Events built as they are sent (their `produced_at` is the send time), poison spread evenly."""
        total = self.load.events + self.load.poison
        poison_every = total // self.load.poison if self.load.poison else 0
        poison_index = 0
        for position in range(total):
            remaining = total - position
            due = poison_every and position % poison_every == poison_every - 1
            if poison_index < self.load.poison and (due or remaining <= self.load.poison - poison_index):
                data = poison_record(self.run_id, self.load.tenant, poison_index)
                self.stream_run.poison.add(data)
                yield UserRecord(f"poison-{poison_index}", data, f"poison-{poison_index}")
                poison_index += 1
                continue
            event_id, data = self.factory.next_event()
            self.stream_run.event_ids.add(event_id)
            yield UserRecord(event_id, data, event_id)

    def _send_all(self) -> None:
        records = self._records()
        started = time.monotonic()
        for chunk_index in itertools.count():
            chunk = list(itertools.islice(records, SEND_CHUNK))
            if not chunk:
                return
            for entry in self.producer.send(chunk):
                self.failed.extend(entry.record_ids)
            self.sent += len(chunk)
            if self._between_chunks is not None:
                self._between_chunks(chunk_index)
            ahead = self.sent / self.rate - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)


@dataclass
class ProducedRun:
    """What the writers sent, and whether the consumers finished it before the timeout."""

    streams: list[StreamRun]
    drained: bool
    unsent_record_ids: list[str]


@dataclass
class RunProgress:
    produced: dict[str, int]
    consumed: dict[str, int]
    targets: dict[str, int]


def produce_and_drain(
    kinesis: object,
    outputs: StackOutputs,
    runtime: LocalRuntime,
    loads: list[StreamLoad],
    run_id: str,
    *,
    rate: float,
    record_bytes: int = 512,
    timeout_s: float = 600.0,
    on_progress: Callable[[RunProgress], None] | None = None,
    between_chunks: Callable[[StreamLoad, int], None] | None = None,
) -> ProducedRun:
    """Send every load on its own writer while the runtime consumes, until each stream is drained.

    Drained means the runtime completed (delivered, quarantined or discarded) as many Kinesis records
    as the writer put on that stream; `runtime` is a started `LocalRuntime`.
    """
    per_stream_rate = rate / max(1, len(loads))
    writers = []
    for index, load in enumerate(loads):
        hook = None
        if between_chunks is not None:

            def hook(chunk: int, load: StreamLoad = load) -> None:
                between_chunks(load, chunk)

        writers.append(
            StreamWriter(
                kinesis,
                outputs,
                load,
                run_id,
                index,
                rate=per_stream_rate,
                record_bytes=record_bytes,
                between_chunks=hook,
            )
        )
    for writer in writers:
        writer.start()
    names = {writer.load: outputs.stream(writer.load.tenant, writer.load.stream).stream_name for writer in writers}
    deadline = time.monotonic() + timeout_s
    drained = False
    while not drained:
        stats = runtime.stats_by_stream()
        progress = RunProgress(
            produced={names[w.load]: w.sent for w in writers},
            consumed={names[w.load]: stats[names[w.load]].completed if names[w.load] in stats else 0 for w in writers},
            targets={names[w.load]: w.load.events + w.load.poison for w in writers},
        )
        if on_progress is not None:
            on_progress(progress)
        errors = [w.error for w in writers if w.error is not None]
        if errors:
            raise RuntimeError(f"a writer failed: {errors[0]!r}") from errors[0]
        writing = any(w.is_alive() for w in writers)
        sent = {names[w.load]: w.producer.stats.kinesis_records_sent for w in writers}
        drained = not writing and all(progress.consumed[name] >= sent[name] for name in sent)
        if not drained and time.monotonic() > deadline:
            break
        if not drained:
            time.sleep(0.25)
    unsent = [record_id for writer in writers for record_id in writer.failed]
    return ProducedRun([writer.stream_run for writer in writers], drained, unsent)
