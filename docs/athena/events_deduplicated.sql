-- The readers' view of the lake: one row per event per hour partition, duplicates removed, and it prunes.
--
-- The lake is at-least-once: consumer retries, Firehose partial-failure re-sends, producer retries and
-- `streamctl replay` can write an event more than once. Every copy carries the same `event_id`; within a
-- partition hour the view keeps the copy the consumer processed last (`ingested_at`).
--
-- Bounded on purpose. The window partitions by tenant, stream, dt and hour (the partition columns) and
-- event_id, so a filter on any of them passes the window (Trino pushes a filter through a window only on
-- its PARTITION BY columns) and partition projection reads only those partitions: a query with
-- `dt = '2026-11-26' AND hour = '07'` reads that hour's objects, not the stream's history, and fits the
-- workgroup's 10 GiB bytes-scanned cutoff. The price: copies that land in different hour partitions (dt
-- and hour are Firehose's arrival time) are different rows. Automatic duplicates are re-sent within one
-- consumer timeout of the first copy, and never later than the consumer's MaximumRecordAgeInSeconds plus
-- its timeout (records older than that go to the on-failure queue instead); a replay (rewind, redrive,
-- quarantine) writes its copies in the hours it runs, so they are new rows by design. The bound, what it
-- costs and the exact query over a widened range are in docs/architecture.md ("Delivery semantics").
-- `streamctl lake query` runs this text in Athena and, translated by sqlglot, in DuckDB over the local lake.
--
-- Create it in the stack's Glue database (stack output `glue_database`), with the stack's workgroup:
--   aws athena start-query-execution --work-group "$(pulumi stack output athena_workgroup)" \
--     --query-execution-context Database="$(pulumi stack output glue_database)" \
--     --query-string file://docs/athena/events_deduplicated.sql
CREATE OR REPLACE VIEW events_deduplicated AS
SELECT
  event_id,
  tenant,
  stream,
  type,
  occurred_at,
  schema_version,
  payload,
  ingested_at,
  arrival_lag_ms,
  shard_id,
  sequence_number,
  sub_sequence_number,
  dt,
  hour
FROM (
  SELECT
    events.*,
    row_number() OVER (
      PARTITION BY tenant, stream, dt, hour, event_id
      ORDER BY ingested_at DESC, shard_id, sequence_number, sub_sequence_number
    ) AS delivery_rank
  FROM events
) AS deliveries
WHERE delivery_rank = 1
