"""`streamctl lake query`'s local engine on a synthetic lake: rows as Athena's SerDe reads them, partitions pruned."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from streamctl.lake.local_engine import run_local_query
from streamctl.lake.pruning import LakeQueryError

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


@pytest.mark.parametrize("compression", ["UNCOMPRESSED", "GZIP", "HADOOP_SNAPPY"])
def test_objects_are_decoded_by_their_extension_as_every_lake_reader_does(
    synthetic_lake: SyntheticLake, compression: str
) -> None:
    """The lake's compressions (the ones Athena reads) all read locally: one codec table, `streamctl.lake_objects`."""
    lines = [lake_line(f"e{index}", "2026-11-26T07:30:00.000Z", n=index) for index in range(300)]
    key = synthetic_lake.put("acme", "clicks", H07, lines, compression=compression)

    result = run_local_query(
        "SELECT count(*) AS n, count(DISTINCT event_id) AS ids FROM events",
        synthetic_lake.s3,
        synthetic_lake.glue,
        synthetic_lake.database,
    )

    assert result.rows == [(300, 300)]
    assert key.endswith({"UNCOMPRESSED": "", "GZIP": ".gz", "HADOOP_SNAPPY": ".snappy"}[compression])
    assert (
        result.stats.bytes_read
        == result.stats.bytes_in_table
        == synthetic_lake.s3.head_object(Bucket=synthetic_lake.bucket, Key=key)["ContentLength"]
    )


def test_an_object_its_extension_cannot_decode_is_an_error_naming_it(synthetic_lake: SyntheticLake) -> None:
    key = synthetic_lake.put("acme", "clicks", H07, [lake_line("e1", "2026-11-26T07:30:00.000Z")], compression="GZIP")
    corrupt = key.removesuffix(".gz") + ".snappy"  # gzip bytes under the Hadoop-Snappy extension
    synthetic_lake.s3.copy_object(
        Bucket=synthetic_lake.bucket, Key=corrupt, CopySource={"Bucket": synthetic_lake.bucket, "Key": key}
    )

    with pytest.raises(LakeQueryError, match=rf"s3 object {corrupt}: cannot decode it by its extension"):
        run_local_query("SELECT count(*) FROM events", synthetic_lake.s3, synthetic_lake.glue, synthetic_lake.database)
