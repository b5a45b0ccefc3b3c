"""The demo's lake check without an emulator: when the lake query and the report disagree the demo fails and says
where; a redelivery that changed hour is said to have."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest
from rich.console import Console

from emulator import demo
from emulator.demo_lake import HourQuery, LakeSummary, Redelivery, StreamRows, disagreements, render_lake
from emulator.report import RunAudit, StreamAudit
from streamctl.lake.local_engine import ReadStats

PARTITION = "events/tenant=acme/stream=clicks/dt=2026-12-08/hour={hour}"


def stream_audit(delivered: int, duplicates: int, per_partition: int | None = None) -> StreamAudit:
    return StreamAudit(
        tenant="acme",
        stream="clicks",
        produced=delivered,
        poison_produced=0,
        delivered=delivered,
        duplicates=duplicates,
        quarantined=0,
        quarantined_without_reason=0,
        lost_events=[],
        lost_poison=0,
        lake_objects=2,
        latencies_ms=[],
        delivered_per_partition=delivered if per_partition is None else per_partition,
    )


def summary(events: int, deduplicated: int) -> LakeSummary:
    whole = ReadStats(partitions_in_table=2, partitions_read=2, objects_in_table=3, objects_read=3)
    whole.bytes_in_table = whole.bytes_read = 3_000
    hour = HourQuery("acme", "clicks", "2026-12-08", "02", deduplicated, ReadStats(1, 1, 3, 3_000, 2, 2_000))
    return LakeSummary({("acme", "clicks"): StreamRows(events, deduplicated)}, whole, hour)


def redelivery(first_hour: str, again_hour: str) -> Redelivery:
    return Redelivery(
        "acme",
        "clicks",
        "shardId-000000000000",
        100,
        PARTITION.format(hour=first_hour) + "/a.gz",
        (PARTITION.format(hour=again_hour) + "/b.gz",),
    )


def test_the_lake_agrees_when_the_view_removes_exactly_the_duplicates() -> None:
    assert disagreements(RunAudit([stream_audit(1_000, 100)], []), summary(1_100, 1_000)) == []


def test_a_view_count_other_than_the_reports_is_a_disagreement_naming_the_stream() -> None:
    problems = disagreements(RunAudit([stream_audit(1_000, 100)], []), summary(1_100, 1_050))
    assert problems == [
        "acme/clicks: events_deduplicated has 1050 rows, the report delivered 1000 events (1000 event-hour partitions)"
    ]


def test_raw_rows_must_be_delivered_plus_duplicates() -> None:
    problems = disagreements(RunAudit([stream_audit(1_000, 100)], []), summary(1_000, 1_000))
    assert problems == ["acme/clicks: events has 1000 rows, the report found 1000 delivered + 100 duplicates"]


def test_copies_in_another_hour_are_rows_of_the_view_and_said_so() -> None:
    audit = RunAudit([stream_audit(1_000, 100, per_partition=1_100)], [])
    assert disagreements(audit, summary(1_100, 1_100)) == []
    console = Console(record=True, width=200)
    render_lake(audit, summary(1_100, 1_100), console)
    assert "100 copies landed in another hour partition than their first copy" in console.export_text()

    changed = redelivery("02", "03")
    assert changed.hour_changed
    assert "The hour changed between the first copy and the redelivery" in changed.describe()
    assert not redelivery("02", "02").hour_changed
    assert "hour changed" not in redelivery("02", "02").describe()


def test_the_lake_table_shows_counts_and_what_the_one_hour_query_read() -> None:
    console = Console(record=True, width=200)
    render_lake(RunAudit([stream_audit(1_000, 100)], []), summary(1_100, 1_000), console)
    text = console.export_text()
    assert "│ acme/clicks   │      1000 │   1100 │                1000 │     100 │" in text
    assert "one hour: acme/clicks dt=2026-12-08 hour=02 │       2 of 3 │ 2,000 of 3,000 │" in text


def test_the_demo_fails_when_the_lake_query_disagrees(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "query_lake", lambda *args: summary(1_100, 1_050))
    console = Console(record=True, width=200)
    outputs = cast(Any, SimpleNamespace(glue_database="sp_dev_lake"))
    audit = RunAudit([stream_audit(1_000, 100)], [])

    agrees = demo._lake_query(audit, outputs, redelivery("02", "02"), "us-east-1", "http://127.0.0.1:9", console)

    assert not agrees
    assert (
        "The lake query disagrees with the report: acme/clicks: events_deduplicated has 1050" in console.export_text()
    )
