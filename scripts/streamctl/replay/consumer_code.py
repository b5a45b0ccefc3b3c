"""What the consumer accepts and what it adds, for the operations scripts, from its published contract.

The rules are docs/events.md's: a record is one JSON object of at most MAX_EVENT_BYTES that passes the
consumer's own envelope validator (`envelope_violation`) and names the consumer's tenant; the lake line
is that object plus the enrichment fields. The consumer's encoder is its hot path and its signature
changes with optimisations, so scripts use the contract, and tests/streamctl/replay checks it against the consumer.
Reasons are worded by the consumer's own `quarantine_reasons`, so a prediction reads like the entry it predicts.
"""

from __future__ import annotations

import orjson

from functions.consumer import quarantine_reasons
from functions.consumer.config import DEFAULT_MAX_EVENT_BYTES
from functions.consumer.envelope import envelope_violation


def rejection(data: bytes, tenant: str, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> str | None:
    """Why the consumer would quarantine this record, or None when it would deliver it."""
    if len(data) > max_event_bytes:
        return quarantine_reasons.too_large(len(data), max_event_bytes)
    try:
        envelope = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        return quarantine_reasons.not_json(error)
    problem = envelope_violation(envelope)
    if problem is not None:
        return quarantine_reasons.not_an_envelope(problem)
    if envelope["tenant"] != tenant:
        return quarantine_reasons.other_tenant(envelope["tenant"], tenant)
    return None


def enrichment_bytes(*, shard_id: str, sequence_number: str, sub_sequence_number: int, arrival_lag_ms: int) -> int:
    """Bytes the consumer adds to an event's JSON object: the enrichment fields and the line's newline."""
    fields = {
        "ingested_at": "2026-01-01T00:00:00.000Z",  # always this shape: milliseconds and Z
        "arrival_lag_ms": arrival_lag_ms,
        "shard_id": shard_id,
        "sequence_number": sequence_number,
        "sub_sequence_number": sub_sequence_number,
    }
    return len(orjson.dumps(fields)) - 2 + len(",") + len("\n")  # without its braces, after a comma
