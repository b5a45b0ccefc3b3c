"""The readers' view `events_deduplicated`: dedup within an hour partition, pruning by Athena's rules.

The view text in docs/athena/ is Athena (Trino) SQL; these tests run sqlglot's mechanical translation of it in
DuckDB and read its AST as Trino's optimizer would (`pruning.scan_filters`).
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from infra.lake_table import EVENT_COLUMNS, PARTITION_COLUMNS
from streamctl.lake.local_engine import run_local_query
from streamctl.lake.pruning import parse, scan_filters
from streamctl.lake.table import LakeTable
from streamctl.lake.views import load_views, to_duckdb

from .conftest import SyntheticLake, lake_line

VIEWS = load_views()
VIEW = VIEWS["events_deduplicated"]
LAKE_COLUMNS = [name for name, _ in EVENT_COLUMNS + PARTITION_COLUMNS]
# The view as it was before issue 24: partitioned by event_id only, so no dt predicate could reach the scan.
UNBOUNDED_VIEW = """
CREATE OR REPLACE VIEW events_deduplicated AS
SELECT event_id, tenant, stream, dt, hour FROM (
  SELECT events.*, row_number() OVER (PARTITION BY tenant, stream, event_id ORDER BY ingested_at DESC) AS delivery_rank
  FROM events
) AS deliveries
WHERE delivery_rank = 1
"""


def glue_table() -> LakeTable:
    """The Glue table as the program declares it (parameters from infra.lake_table)."""
    from infra.lake_table import LOCATION_TEMPLATE_SUFFIX, SERDE_LIBRARY, TABLE_NAME, projection_parameters

    return LakeTable.from_glue(
        {
            "DatabaseName": "sp_dev",
            "Name": TABLE_NAME,
            "StorageDescriptor": {
                "Columns": [{"Name": n, "Type": t} for n, t in EVENT_COLUMNS],
                "SerdeInfo": {"SerializationLibrary": SERDE_LIBRARY},
            },
            "PartitionKeys": [{"Name": n, "Type": t} for n, t in PARTITION_COLUMNS],
            "Parameters": {
                **projection_parameters(["acme"], ["clicks"]),
                "storage.location.template": f"s3://lake/events/{LOCATION_TEMPLATE_SUFFIX}",
            },
        }
    )


def duckdb_lake(rows: list[dict[str, object]]) -> duckdb.DuckDBPyConnection:
    db = duckdb.connect()
    db.execute(f"CREATE TABLE events ({', '.join(f'{c} VARCHAR' for c in LAKE_COLUMNS)})")
    for row in rows:
        db.execute(
            f"INSERT INTO events VALUES ({', '.join('?' for _ in LAKE_COLUMNS)})", [row.get(c) for c in LAKE_COLUMNS]
        )
    db.execute(to_duckdb(VIEW.text))
    return db


def delivery(event_id: str, ingested_at: str, stream: str = "clicks", **extra: object) -> dict[str, object]:
    """One copy of an event as the lake holds it; dt/hour are its Firehose arrival (here: ingested_at)."""
    return {
        "event_id": event_id,
        "tenant": "acme",
        "stream": stream,
        "payload": "{}",
        "ingested_at": ingested_at,
        "dt": ingested_at[:10],
        "hour": ingested_at[11:13],
        "sequence_number": "1",
        **extra,
    }


def test_the_view_translates_to_duckdb_and_keeps_its_window() -> None:
    translated = sqlglot.parse_one(to_duckdb(VIEW.text), read="duckdb")
    [window] = translated.find_all(exp.Window)
    assert [c.name for c in window.args["partition_by"]] == ["tenant", "stream", "dt", "hour", "event_id"]
    assert [column[0] for column in duckdb_lake([]).execute("SELECT * FROM events_deduplicated").description] == [
        *("event_id", "tenant", "stream", "type", "occurred_at", "schema_version", "payload", "ingested_at"),
        *("arrival_lag_ms", "shard_id", "sequence_number", "sub_sequence_number", "dt", "hour"),
    ]


def test_within_an_hour_partition_one_row_per_event_and_the_newest_copy_wins() -> None:
    db = duckdb_lake(
        [
            delivery("e1", "2026-11-26T07:10:00.000Z", payload='{"bug": true}'),
            delivery("e1", "2026-11-26T07:40:00.000Z", payload='{"retried": true}'),
            delivery("e2", "2026-11-26T07:10:01.000Z"),
            delivery("e2", "2026-11-26T07:10:01.000Z", shard_id="shardId-000000000001"),  # a re-sent entry
            delivery("e1", "2026-11-26T07:10:00.000Z", stream="orders"),  # same id, another stream: its own event
        ]
    )

    rows = db.execute("SELECT stream, event_id, payload FROM events_deduplicated ORDER BY stream, event_id").fetchall()

    assert rows == [("clicks", "e1", '{"retried": true}'), ("clicks", "e2", "{}"), ("orders", "e1", "{}")]


def test_copies_in_different_hour_partitions_are_different_rows_the_documented_bound() -> None:
    db = duckdb_lake(
        [
            delivery("e1", "2026-11-26T07:59:58.000Z"),
            delivery("e1", "2026-11-26T08:00:03.000Z"),  # a retry 5 s later, across the hour boundary
            delivery("e2", "2026-11-26T08:00:01.000Z"),
            delivery("e2", "2026-11-26T08:00:09.000Z"),
        ]
    )

    per_hour = db.execute("SELECT hour, count(*) FROM events_deduplicated GROUP BY hour ORDER BY hour").fetchall()
    exact = db.execute(
        "SELECT count(DISTINCT event_id) FROM events WHERE dt = '2026-11-26' AND hour BETWEEN '07' AND '08'"
    ).fetchall()

    assert per_hour == [("07", 1), ("08", 2)]  # e1 in both hours, e2 once
    assert exact == [(2,)]


@pytest.mark.parametrize(
    ("where", "filtered"),
    [
        ("dt = '2026-11-26' AND hour = '07'", {"dt", "hour"}),
        ("tenant = 'acme' AND dt BETWEEN '2026-11-20' AND '2026-11-26'", {"tenant", "dt"}),
        ("dt >= '2026-11-25' AND event_id = 'e1'", {"dt"}),  # event_id passes the window but is no partition
    ],
)
def test_partition_predicates_on_the_view_reach_the_scan_by_trinos_window_rule(where: str, filtered: set[str]) -> None:
    [scan] = scan_filters(
        parse(f"SELECT count(*) FROM events_deduplicated WHERE {where}"),
        glue_table(),
        {"events_deduplicated": VIEW.select},
    )
    assert scan.filtered_columns() == filtered


def test_the_unbounded_view_lets_no_dt_predicate_reach_the_scan() -> None:
    """The rule can fail: the old view's window had no dt in its PARTITION BY, so its queries read everything."""
    unbounded = sqlglot.parse_one(UNBOUNDED_VIEW, read="athena").expression
    [scan] = scan_filters(
        parse("SELECT count(*) FROM events_deduplicated WHERE tenant = 'acme' AND dt = '2026-11-26'"),
        glue_table(),
        {"events_deduplicated": unbounded},
    )
    assert scan.filtered_columns() == {"tenant"}


def test_a_filter_on_a_non_partition_window_column_does_not_reach_the_scan() -> None:
    query = parse(
        "SELECT * FROM (SELECT e.*, count(*) OVER (PARTITION BY event_id) AS copies FROM events e) WHERE dt = 'x'"
    )
    [scan] = scan_filters(query, glue_table(), {})
    assert scan.predicates == []


def test_a_cte_read_twice_reads_the_partitions_of_both_uses() -> None:
    query = parse(
        "WITH d AS (SELECT * FROM events_deduplicated) "
        "SELECT * FROM d a JOIN d b ON a.event_id = b.event_id WHERE a.hour = '07' AND b.hour = '08'"
    )
    scans = scan_filters(query, glue_table(), {"events_deduplicated": VIEW.select})
    assert sorted(scan.condition().sql() for scan in scans if scan.condition()) == ["hour = '07'", "hour = '08'"]


H07 = datetime(2026, 11, 26, 7, 59, 58, tzinfo=UTC)
H08 = datetime(2026, 11, 26, 8, 0, 3, tzinfo=UTC)


def test_on_a_synthetic_lake_duplicates_across_the_hour_and_a_one_hour_query_reads_one_hour(
    synthetic_lake: SyntheticLake,
) -> None:
    first = [lake_line(f"e{i}", "2026-11-26T07:59:58.000Z", sequence_number=str(i)) for i in range(10)]
    synthetic_lake.put("acme", "clicks", H07, first)
    synthetic_lake.put("acme", "clicks", H07, first[:3])  # a retry within the hour: removed by the view
    synthetic_lake.put("acme", "clicks", H08, [lake_line("e9", "2026-11-26T08:00:03.000Z", sequence_number="9")])
    synthetic_lake.put("acme", "orders", H08, [lake_line("o1", "2026-11-26T08:00:03.000Z")])

    def query(sql: str) -> tuple[list[tuple[object, ...]], int, int]:
        result = run_local_query(sql, synthetic_lake.s3, synthetic_lake.glue, synthetic_lake.database)
        return result.rows, result.stats.objects_read, result.stats.bytes_read

    raw, _, _ = query("SELECT hour, count(*) FROM events WHERE stream = 'clicks' GROUP BY hour ORDER BY hour")
    view, _, _ = query(
        "SELECT hour, count(*) FROM events_deduplicated WHERE stream = 'clicks' GROUP BY hour ORDER BY 1"
    )
    one_hour, objects, read = query(
        "SELECT count(*) FROM events_deduplicated WHERE dt = '2026-11-26' AND hour = '07' AND stream = 'clicks'"
    )

    assert raw == [("07", 13), ("08", 1)]
    assert view == [("07", 10), ("08", 1)]  # e9's copy at 08:00:03 is across the hour: a row of its own
    assert (one_hour, objects) == ([(10,)], 2)
    sizes = {
        key: synthetic_lake.s3.head_object(Bucket=synthetic_lake.bucket, Key=key)["ContentLength"]
        for key in synthetic_lake.written
    }
    assert read == sum(size for key, size in sizes.items() if "hour=07/" in key)
