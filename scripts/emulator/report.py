"""Audit a local run against the lake: every produced event delivered or quarantined, nothing lost.

Delivered events are NDJSON lines under each stream's lake prefix (found by `event_id`); poison records
are quarantine lines whose base64 `data` is exactly the bytes that were produced. A stream whose lake delivery or
consumer calls AWS would refuse (decided at deploy, `emulator.authorization`) gets a note saying which and why:
its events are then lost the way they would be in AWS.
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import orjson

from emulator.alarms import Transition
from emulator.authorization import StackAuthorization
from streamctl.loadtest.verify import list_objects_since, object_lines
from streamctl.stack_outputs import StackOutputs


@dataclass
class StreamRun:
    """What was produced to one stream: good event ids and the exact bytes of each poison record."""

    tenant: str
    stream: str
    event_ids: set[str] = field(default_factory=set)
    poison: set[bytes] = field(default_factory=set)

    @property
    def produced(self) -> int:
        return len(self.event_ids) + len(self.poison)


@dataclass
class StreamAudit:
    tenant: str
    stream: str
    produced: int
    poison_produced: int
    delivered: int
    duplicates: int
    quarantined: int
    quarantined_without_reason: int
    lost_events: list[str]
    lost_poison: int
    lake_objects: int
    latencies_ms: list[float]
    # Distinct (event, hour partition) pairs: the rows events_deduplicated has, which deduplicates within an hour.
    delivered_per_partition: int = 0
    parallelization: int = 1  # the consumer mapping's ParallelizationFactor
    notes: list[str] = field(default_factory=list)  # requests of this stream's data path AWS would refuse

    @property
    def lost(self) -> int:
        return len(self.lost_events) + self.lost_poison


@dataclass
class Checkpoint:
    key: str
    sequence_number: str
    sub_sequence_number: int
    updated_at: str


@dataclass
class RunAudit:
    streams: list[StreamAudit]
    checkpoints: list[Checkpoint]
    elapsed_s: float = 0.0

    def total(self, attribute: str) -> int:
        return sum(int(getattr(stream, attribute)) for stream in self.streams)

    @property
    def lost(self) -> int:
        return sum(stream.lost for stream in self.streams)

    def lake_objects_by_tenant(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for stream in self.streams:
            counts[stream.tenant] += stream.lake_objects
        return dict(sorted(counts.items()))

    def latency_percentiles_ms(self) -> tuple[float, float] | None:
        values = [value for stream in self.streams for value in stream.latencies_ms]
        if not values:
            return None
        p50, p99 = np.percentile(np.asarray(values), [50, 99])
        return float(p50), float(p99)


def _latency_ms(line: Mapping[str, Any]) -> float | None:
    """Produce-to-consumer latency: the consumer's `ingested_at` minus the producer's `produced_at`."""
    payload = line.get("payload")
    produced_at = payload.get("produced_at") if isinstance(payload, Mapping) else None
    ingested_at = line.get("ingested_at")
    if not isinstance(produced_at, int | float) or not isinstance(ingested_at, str):
        return None
    ingested = datetime.fromisoformat(ingested_at.replace("Z", "+00:00")).timestamp() * 1000
    return ingested - float(produced_at)


def partition_of_key(key: str) -> str:
    """The partition folder of a lake object (`.../dt=.../hour=...`): Firehose's arrival hour of its oldest record."""
    return key.rsplit("/", 1)[0]


def audit_stream(s3: Any, bucket: str, lake_prefix: str, quarantine_prefix: str, run: StreamRun) -> StreamAudit:
    copies: Counter[str] = Counter()
    per_partition: set[tuple[str, str]] = set()
    latencies: list[float] = []
    lake_objects = 0
    for key in list_objects_since(s3, bucket, lake_prefix, None):
        lake_objects += 1
        for raw in object_lines(s3.get_object(Bucket=bucket, Key=key)["Body"].read(), key):
            line = orjson.loads(raw)
            event_id = line.get("event_id")
            if event_id in run.event_ids:
                copies[event_id] += 1
                per_partition.add((event_id, partition_of_key(key)))
                if copies[event_id] == 1:
                    latency = _latency_ms(line)
                    if latency is not None:
                        latencies.append(latency)
    quarantined: set[bytes] = set()
    without_reason = 0
    for key in list_objects_since(s3, bucket, quarantine_prefix, None):
        for raw in object_lines(s3.get_object(Bucket=bucket, Key=key)["Body"].read(), key):
            entry = orjson.loads(raw)
            data = base64.b64decode(entry.get("data", ""))
            if data in run.poison:
                quarantined.add(data)
                without_reason += 0 if str(entry.get("reason") or "").strip() else 1
    return StreamAudit(
        tenant=run.tenant,
        stream=run.stream,
        produced=run.produced,
        poison_produced=len(run.poison),
        delivered=len(copies),
        duplicates=sum(count - 1 for count in copies.values()),
        quarantined=len(quarantined),
        quarantined_without_reason=without_reason,
        lost_events=sorted(run.event_ids - set(copies)),
        lost_poison=len(run.poison - quarantined),
        lake_objects=lake_objects,
        latencies_ms=latencies,
        delivered_per_partition=len(per_partition),
    )


def read_checkpoints(dynamodb: Any, table: str) -> list[Checkpoint]:
    checkpoints = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        for item in page.get("Items", []):
            checkpoints.append(
                Checkpoint(
                    key=item["pk"]["S"],
                    sequence_number=item.get("sequence_number", {}).get("S", ""),
                    sub_sequence_number=int(item.get("sub_sequence_number", {}).get("N", "0")),
                    updated_at=item.get("updated_at", {}).get("S", ""),
                )
            )
    return sorted(checkpoints, key=lambda checkpoint: checkpoint.key)


def audit_run(
    outputs: StackOutputs,
    runs: list[StreamRun],
    s3: Any,
    dynamodb: Any,
    parallelization: Mapping[str, int] | None = None,
    authorization: StackAuthorization | None = None,
    dropped: Mapping[str, int] | None = None,
) -> RunAudit:
    """Audit every stream; `parallelization` is each Kinesis stream name's consumer ParallelizationFactor,
    `dropped` the records the emulator's Firehose accepted and never wrote, by delivery stream ARN."""
    audits = []
    for run in runs:
        stream = outputs.stream(run.tenant, run.stream)
        audit = audit_stream(s3, outputs.lake_bucket, stream.lake_prefix, stream.quarantine_prefix, run)
        audit.parallelization = (parallelization or {}).get(stream.stream_name, 1)
        if authorization is not None:
            audit.notes = authorization.stream_notes(stream.delivery_stream, dropped or {})
        audits.append(audit)
    return RunAudit(audits, read_checkpoints(dynamodb, outputs.checkpoint_table))


def render_alarms(fired: Sequence[Transition], rounds: int, console: Any) -> None:
    """The alarms that went to ALARM during the run (local mode evaluates them, `emulator.alarms`)."""
    if not fired:
        console.print(f"Alarms: none fired ({rounds} evaluation rounds).")
        return
    for transition in fired:
        console.print(f"[bold red]Alarm {transition.alarm} fired[/]: {transition.reason}")


def render_report(audit: RunAudit, console: Any) -> None:
    """The demo's final report as rich tables: per stream, per tenant, latency and checkpoints."""
    from rich.table import Table

    streams = Table(title="Local run: produced vs. lake", show_lines=False)
    columns = ("tenant/stream", "factor", "produced", "delivered", "quarantined", "duplicates", "lost", "lake objects")
    for column in columns:
        streams.add_column(column, justify="right" if column != "tenant/stream" else "left")
    for stream in audit.streams:
        streams.add_row(
            f"{stream.tenant}/{stream.stream}",
            str(stream.parallelization),
            str(stream.produced),
            str(stream.delivered),
            f"{stream.quarantined}/{stream.poison_produced}",
            str(stream.duplicates),
            f"[bold red]{stream.lost}[/]" if stream.lost else "[green]0[/]",
            str(stream.lake_objects),
        )
    streams.add_row(
        "[bold]total",
        "",
        str(audit.total("produced")),
        str(audit.total("delivered")),
        f"{audit.total('quarantined')}/{audit.total('poison_produced')}",
        str(audit.total("duplicates")),
        f"[bold red]{audit.lost}[/]" if audit.lost else "[bold green]0[/]",
        str(audit.total("lake_objects")),
    )
    console.print(streams)
    tenants = ", ".join(f"{tenant}: {count}" for tenant, count in audit.lake_objects_by_tenant().items())
    console.print(f"Lake objects per tenant: {tenants}")
    percentiles = audit.latency_percentiles_ms()
    if percentiles is not None:
        console.print(
            "End-to-end latency (produced -> consumer delivered): "
            f"p50 {percentiles[0]:.0f} ms, p99 {percentiles[1]:.0f} ms"
        )
    checkpoints = Table(title="Checkpoints (DynamoDB)")
    for column in ("tenant#consumer#stream#shard", "sequence number", "sub", "updated at"):
        checkpoints.add_column(column)
    for checkpoint in audit.checkpoints:
        checkpoints.add_row(
            checkpoint.key, checkpoint.sequence_number, str(checkpoint.sub_sequence_number), checkpoint.updated_at
        )
    console.print(checkpoints)
    parallel = [f"{s.tenant}/{s.stream}" for s in audit.streams if s.parallelization > 1]
    if parallel:
        console.print(
            f"No checkpoint rows for {', '.join(parallel)}: above factor 1 the consumer never moves a shard's"
            " checkpoint (docs/consumer.md, Parallelization)."
        )
    for stream in audit.streams:
        for note in stream.notes:
            console.print(f"[red]{stream.tenant}/{stream.stream}: {note}")
        if stream.lost_events:
            console.print(f"[red]{stream.tenant}/{stream.stream}: lost {stream.lost_events[:5]} ...")
        if stream.quarantined_without_reason:
            console.print(
                f"[red]{stream.tenant}/{stream.stream}: "
                f"{stream.quarantined_without_reason} quarantined without a reason"
            )
    console.print(f"Elapsed: {audit.elapsed_s:.1f} s.  Lost: {audit.lost} (must be 0)")
