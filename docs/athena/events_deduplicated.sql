-- The readers' view of the lake: one row per delivered event, duplicates removed.
--
-- The lake is at-least-once: consumer retries, `streamctl replay` (rewind, redrive, quarantine) and
-- producer retries can write an event more than once. Every copy carries the same `event_id`; the view
-- keeps the copy the consumer processed last (`ingested_at`), so a rewind after a consumer fix replaces
-- the rows the bug wrote. `tenant` and `stream` are in the PARTITION BY, so filters on them prune
-- partitions through the window; filter `dt` outside with a margin (see docs/architecture.md).
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
      PARTITION BY tenant, stream, event_id
      ORDER BY ingested_at DESC, dt DESC, hour DESC, shard_id, sequence_number, sub_sequence_number
    ) AS delivery_rank
  FROM events
) AS deliveries
WHERE delivery_rank = 1
