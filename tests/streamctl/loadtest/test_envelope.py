from __future__ import annotations

from datetime import datetime

import orjson
import pytest

from streamctl.loadtest.envelope import MAX_EVENT_ID_CHARS, EventFactory

ENVELOPE_KEYS = {"event_id", "tenant", "type", "occurred_at", "payload", "schema_version"}


@pytest.mark.parametrize("record_bytes", [300, 1024, 25_000])
def test_every_event_is_exactly_the_requested_size(record_bytes: int) -> None:
    factory = EventFactory("run-1", "acme", record_bytes=record_bytes)
    sizes = {len(factory.next_event()[1]) for _ in range(50)}
    assert sizes == {record_bytes}


def test_events_carry_only_envelope_fields_and_the_run_inside_payload() -> None:
    factory = EventFactory("run-1", "acme", writer=3, clock_ms=lambda: 1_764_140_873_123)
    event_id, data = factory.next_event()
    event = orjson.loads(data)
    assert set(event) <= ENVELOPE_KEYS
    assert event["event_id"] == event_id
    assert len(event_id) <= MAX_EVENT_ID_CHARS
    assert event["tenant"] == "acme"
    assert event["payload"]["run_id"] == "run-1"
    assert event["payload"]["produced_at"] == 1_764_140_873_123
    assert isinstance(event["payload"]["produced_at"], int)
    assert datetime.fromisoformat(event["occurred_at"]).timestamp() == 1_764_140_873.123


def test_event_ids_are_unique_per_writer_and_sequence() -> None:
    first = EventFactory("run-1", "acme", writer=0)
    second = EventFactory("run-1", "acme", writer=1)
    ids = [first.next_event()[0] for _ in range(100)] + [second.next_event()[0] for _ in range(100)]
    assert len(set(ids)) == 200


def test_record_size_below_the_envelope_is_refused_with_the_size_needed() -> None:
    with pytest.raises(ValueError, match="--record-bytes 50 is smaller than the smallest"):
        EventFactory("run-1", "acme", record_bytes=50)


def test_run_id_that_would_overflow_the_event_id_is_refused() -> None:
    with pytest.raises(ValueError, match="too long"):
        EventFactory("r" * 120, "acme")
