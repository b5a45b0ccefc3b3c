"""The Athena dedup view: one row per event, the newest delivery wins, every lake column kept.

Athena (Trino) is not available here; SQLite runs the same standard window-function SQL.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from infra.lake_table import EVENT_COLUMNS, PARTITION_COLUMNS

VIEW_SQL = Path(__file__).resolve().parents[2] / "docs" / "athena" / "events_deduplicated.sql"
LAKE_COLUMNS = [name for name, _ in EVENT_COLUMNS + PARTITION_COLUMNS]


def lake_with(rows: list[dict[str, object]]) -> sqlite3.Connection:
    """An in-memory `events` table shaped like the Glue table, and the view created from the shipped SQL."""
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE TABLE events ({', '.join(LAKE_COLUMNS)})")
    for row in rows:
        values = [row.get(column) for column in LAKE_COLUMNS]
        db.execute(f"INSERT INTO events VALUES ({', '.join('?' * len(values))})", values)
    db.execute(VIEW_SQL.read_text().replace("CREATE OR REPLACE VIEW", "CREATE VIEW"))
    return db


def delivery(
    event_id: str, ingested_at: str, payload: str = "{}", stream: str = "clicks", **extra: object
) -> dict[str, object]:
    return {
        "event_id": event_id,
        "tenant": "acme",
        "stream": stream,
        "type": "click",
        "payload": payload,
        "ingested_at": ingested_at,
        "dt": ingested_at[:10],
        "hour": ingested_at[11:13],
        "sequence_number": "1",
        **extra,
    }


def test_view_keeps_one_row_per_event_and_the_newest_delivery_wins() -> None:
    db = lake_with(
        [
            delivery("e1", "2026-11-26T03:00:00.000Z", payload='{"bug": true}'),
            delivery("e1", "2026-11-26T07:00:00.000Z", payload='{"fixed": true}'),  # re-delivered by a rewind
            delivery("e2", "2026-11-26T03:00:01.000Z"),
            delivery("e2", "2026-11-26T03:00:01.000Z", shard_id="shardId-000000000001"),  # redrive copy
            delivery("e1", "2026-11-26T03:00:00.000Z", stream="orders"),  # same id on another stream: its own event
        ]
    )

    rows = db.execute("SELECT stream, event_id, payload FROM events_deduplicated ORDER BY stream, event_id").fetchall()

    assert rows == [("clicks", "e1", '{"fixed": true}'), ("clicks", "e2", "{}"), ("orders", "e1", "{}")]


def test_view_exposes_every_column_of_the_glue_table() -> None:
    cursor = lake_with([]).execute("SELECT * FROM events_deduplicated")
    assert [column[0] for column in cursor.description] == [
        "event_id",
        "tenant",
        "stream",
        "type",
        "occurred_at",
        "schema_version",
        "payload",
        "ingested_at",
        "arrival_lag_ms",
        "shard_id",
        "sequence_number",
        "sub_sequence_number",
        "dt",
        "hour",
    ]
    assert sorted(column[0] for column in cursor.description) == sorted(LAKE_COLUMNS)
