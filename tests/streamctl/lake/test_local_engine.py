"""`streamctl lake query`'s local engine on a synthetic lake: rows as Athena's SerDe reads them, partitions pruned."""

from __future__ import annotations

from datetime import UTC, datetime

from streamctl.lake.local_engine import run_local_query

from .conftest import SyntheticLake, lake_line

H07 = datetime(2026, 11, 26, 7, 30, tzinfo=UTC)
H08 = datetime(2026, 11, 26, 8, 5, tzinfo=UTC)


def test_rows_read_as_the_openx_serde_reads_them(synthetic_lake: SyntheticLake) -> None:
    synthetic_lake.put("acme", "clicks", H07, [lake_line("e1", "2026-11-26T07:30:00.000Z", path="/pricing")])

    result = run_local_query(
        "SELECT event_id, tenant, stream, dt, hour, payload, schema_version, arrival_lag_ms FROM events",
        synthetic_lake.s3,
        synthetic_lake.glue,
        synthetic_lake.database,
    )

    assert result.columns == [
        "event_id",
        "tenant",
        "stream",
        "dt",
        "hour",
        "payload",
        "schema_version",
        "arrival_lag_ms",
    ]
    assert result.rows == [("e1", "acme", "clicks", "2026-11-26", "07", '{"path":"/pricing"}', "1", 5)]
    assert (result.stats.objects_read, result.stats.bytes_read) == (
        1,
        synthetic_lake.s3.head_object(Bucket=synthetic_lake.bucket, Key=synthetic_lake.written[0])["ContentLength"],
    )


def test_an_hour_predicate_reads_only_that_hours_objects(synthetic_lake: SyntheticLake) -> None:
    synthetic_lake.put("acme", "clicks", H07, [lake_line("e1", "2026-11-26T07:30:00.000Z")])
    synthetic_lake.put("acme", "clicks", H08, [lake_line("e2", "2026-11-26T08:05:00.000Z")])
    synthetic_lake.put("globex", "telemetry", H08, [lake_line("g1", "2026-11-26T08:05:00.000Z", tenant="globex")])

    result = run_local_query(
        "SELECT count(*) AS n FROM events_deduplicated WHERE dt = '2026-11-26' AND hour = '08' AND tenant = 'acme'",
        synthetic_lake.s3,
        synthetic_lake.glue,
        synthetic_lake.database,
    )

    assert result.rows == [(1,)]
    assert (result.stats.objects_read, result.stats.objects_in_table) == (1, 3)
