"""The demo's lake check: a redelivered batch, then the lake read as its users read it, against the report.

The lake is at-least-once (docs/athena/events_deduplicated.sql): a consumer whose Firehose call partly failed is
retried by Lambda and writes the same lines again. The demo does that on purpose (`redeliver_batch`: one batch of
already-delivered lake lines re-put through the stream's delivery stream by the consumer's own `FirehoseDelivery`),
then queries the lake with the engine `streamctl lake query` runs locally (`run_local_query`: the deployed Glue
table, the views of docs/athena/, partition pruning) and checks it against the audit: per stream, the rows of
`events_deduplicated` are the events delivered, the rows of `events` are those plus every duplicate, and a
one-hour query on one stream reads only that hour's objects.

The view deduplicates within an hour partition (dt/hour are Firehose's arrival time): copies that land in
another hour than their first copy are rows of their own by design. The audit counts exactly those
(`StreamAudit.delivered_per_partition`), and the demo says so when it happens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from emulator.firehose_delivery import flush_firehose
from emulator.report import RunAudit, partition_of_key
from functions.consumer.firehose_delivery import FirehoseDelivery, LineBuffer
from streamctl.lake.local_engine import ReadStats, run_local_query
from streamctl.loadtest.verify import list_objects_since, object_lines
from streamctl.stack_outputs import StackOutputs


class RedeliveryError(RuntimeError):
    """The batch could not be redelivered: nothing of the stream is in the lake, or Firehose refused it."""


@dataclass(frozen=True)
class Redelivery:
    """One batch of lake lines delivered a second time: where its first copy is and where the new one landed."""

    tenant: str
    stream: str
    shard_id: str
    lines: int
    original_key: str
    redelivered_keys: tuple[str, ...]

    @property
    def original_partition(self) -> str:
        return partition_of_key(self.original_key)

    @property
    def redelivered_partitions(self) -> list[str]:
        return sorted({partition_of_key(key) for key in self.redelivered_keys})

    @property
    def hour_changed(self) -> bool:
        return self.redelivered_partitions != [self.original_partition]

    def describe(self) -> str:
        where = ", ".join(self.redelivered_partitions)
        text = (
            f"Redelivered one batch: {self.lines} lake lines of {self.tenant}/{self.stream} (shard {self.shard_id}) "
            f"put again through its Firehose with PutRecordBatch, as a consumer retried after a partial failure "
            f"does (same event_ids); first copy in {self.original_partition}, redelivered in {where}."
        )
        if self.hour_changed:
            text += (
                " The hour changed between the first copy and the redelivery: events_deduplicated deduplicates "
                "within an hour partition, so these copies stay rows of their own."
            )
        return text


def redeliver_batch(
    s3: Any, firehose: Any, endpoint_url: str, outputs: StackOutputs, tenant: str, stream: str, batch_size: int
) -> Redelivery:
    """Re-put up to `batch_size` lines of one shard from the stream's newest lake object, then flush its Firehose."""
    outputs_stream = outputs.stream(tenant, stream)
    before = sorted(list_objects_since(s3, outputs.lake_bucket, outputs_stream.lake_prefix, None))
    if not before:
        raise RedeliveryError(f"{tenant}/{stream}: no lake object to redeliver a batch from")
    newest = max(before, key=lambda key: (partition_of_key(key), key))  # Firehose names sort by arrival time
    lines = list(object_lines(s3.get_object(Bucket=outputs.lake_bucket, Key=newest)["Body"].read(), newest))
    shard_id = str(orjson.loads(lines[0]).get("shard_id"))
    batch = [line for line in lines if orjson.loads(line).get("shard_id") == shard_id][:batch_size]
    outcome = FirehoseDelivery(firehose, outputs_stream.delivery_stream).deliver(
        LineBuffer.of([line + b"\n" for line in batch])
    )
    if outcome.delivered_lines != len(batch):
        raise RedeliveryError(
            f"{tenant}/{stream}: Firehose took {outcome.delivered_lines} of {len(batch)} lines: {outcome.error}"
        )
    flush_firehose(endpoint_url, outputs_stream.delivery_stream)
    after = set(list_objects_since(s3, outputs.lake_bucket, outputs_stream.lake_prefix, None))
    return Redelivery(tenant, stream, shard_id, len(batch), newest, tuple(sorted(after - set(before))))


@dataclass(frozen=True)
class StreamRows:
    events: int = 0
    deduplicated: int = 0


@dataclass
class HourQuery:
    """A query of one stream's one hour: what it counted and what it read."""

    tenant: str
    stream: str
    dt: str
    hour: str
    rows: int
    stats: ReadStats

    @property
    def sql(self) -> str:
        return one_hour_sql(self.tenant, self.stream, self.dt, self.hour)


@dataclass
class LakeSummary:
    """The lake per stream as `streamctl lake query` reads it, and one pruned query."""

    streams: dict[tuple[str, str], StreamRows]
    whole_lake: ReadStats
    hour: HourQuery | None
    notes: list[str] = field(default_factory=list)


COUNT_SQL = "SELECT tenant, stream, count(*) AS n FROM {source} GROUP BY tenant, stream"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def one_hour_sql(tenant: str, stream: str, dt: str, hour: str) -> str:
    return (
        f"SELECT count(*) AS n FROM events_deduplicated WHERE tenant = {_literal(tenant)} "
        f"AND stream = {_literal(stream)} AND dt = {_literal(dt)} AND hour = {_literal(hour)}"
    )


def query_lake(s3: Any, glue: Any, database: str, hour_of: tuple[str, str, str] | None) -> LakeSummary:
    """Counts per stream of `events` and `events_deduplicated`; `hour_of` (tenant, stream, partition folder)
    the one-hour query's stream and `dt=.../hour=...` partition."""
    raw = run_local_query(COUNT_SQL.format(source="events"), s3, glue, database)
    deduplicated = run_local_query(COUNT_SQL.format(source="events_deduplicated"), s3, glue, database)
    events = {(str(t), str(s)): int(n) for t, s, n in raw.rows}
    unique = {(str(t), str(s)): int(n) for t, s, n in deduplicated.rows}
    streams = {key: StreamRows(events.get(key, 0), unique.get(key, 0)) for key in sorted({*events, *unique})}
    hour: HourQuery | None = None
    if hour_of is not None:
        tenant, stream, folder = hour_of
        values = dict(part.split("=", 1) for part in folder.split("/") if "=" in part)
        result = run_local_query(one_hour_sql(tenant, stream, values["dt"], values["hour"]), s3, glue, database)
        hour = HourQuery(tenant, stream, values["dt"], values["hour"], int(result.rows[0][0]), result.stats)
    return LakeSummary(streams, raw.stats, hour)


def disagreements(audit: RunAudit, lake: LakeSummary) -> list[str]:
    """Where the lake query and the report disagree (the demo fails on any)."""
    problems = []
    for stream in audit.streams:
        rows = lake.streams.get((stream.tenant, stream.stream), StreamRows())
        name = f"{stream.tenant}/{stream.stream}"
        if rows.deduplicated != stream.delivered_per_partition:
            problems.append(
                f"{name}: events_deduplicated has {rows.deduplicated} rows, the report delivered "
                f"{stream.delivered} events ({stream.delivered_per_partition} event-hour partitions)"
            )
        if rows.events != stream.delivered + stream.duplicates:
            problems.append(
                f"{name}: events has {rows.events} rows, the report found {stream.delivered} delivered "
                f"+ {stream.duplicates} duplicates"
            )
    reported = {(audited.tenant, audited.stream) for audited in audit.streams}
    for tenant, name in sorted(set(lake.streams) - reported):
        problems.append(f"{tenant}/{name}: in the lake but not in the report")
    return problems


def render_lake(audit: RunAudit, lake: LakeSummary, console: Any) -> None:
    """The demo's last table: the report's counts next to the lake query's, then what pruning saved."""
    from rich.table import Table

    table = Table(title="Lake query (`streamctl lake query`'s local engine)")
    for column in ("tenant/stream", "delivered", "events", "events_deduplicated", "removed"):
        table.add_column(column, justify="left" if column == "tenant/stream" else "right")
    for stream in audit.streams:
        rows = lake.streams.get((stream.tenant, stream.stream), StreamRows())
        agrees = rows.deduplicated == stream.delivered_per_partition
        table.add_row(
            f"{stream.tenant}/{stream.stream}",
            str(stream.delivered),
            str(rows.events),
            f"[green]{rows.deduplicated}[/]" if agrees else f"[bold red]{rows.deduplicated}[/]",
            str(rows.events - rows.deduplicated),
        )
    totals = StreamRows(
        sum(rows.events for rows in lake.streams.values()), sum(rows.deduplicated for rows in lake.streams.values())
    )
    table.add_row(
        "[bold]total",
        str(audit.total("delivered")),
        str(totals.events),
        str(totals.deduplicated),
        str(totals.events - totals.deduplicated),
    )
    console.print(table)
    pruning = Table(title="What a query reads (partition pruning)")
    for column in ("query", "objects read", "bytes read", "partitions read"):
        pruning.add_column(column, justify="left" if column == "query" else "right")
    queries: list[tuple[str, ReadStats]] = [("whole lake: count(*) per stream", lake.whole_lake)]
    if lake.hour is not None:
        hour = lake.hour
        queries.append((f"one hour: {hour.tenant}/{hour.stream} dt={hour.dt} hour={hour.hour}", hour.stats))
    for name, stats in queries:
        pruning.add_row(
            name,
            f"{stats.objects_read} of {stats.objects_in_table}",
            f"{stats.bytes_read:,} of {stats.bytes_in_table:,}",
            f"{stats.partitions_read} of {stats.partitions_in_table}",
        )
    console.print(pruning)
    if lake.hour is not None:
        console.print(f"One-hour query ({lake.hour.rows} rows): {lake.hour.sql}", highlight=False)
    for stream in audit.streams:
        crossed = stream.delivered_per_partition - stream.delivered
        if crossed:
            console.print(
                f"[yellow]{stream.tenant}/{stream.stream}: {crossed} copies landed in another hour partition than "
                "their first copy; events_deduplicated keeps one row per event per hour, so it has "
                f"{stream.delivered_per_partition} rows for {stream.delivered} events.",
                highlight=False,
            )
