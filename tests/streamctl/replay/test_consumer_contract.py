"""The scripts' view of the consumer (what it rejects, what it adds) matches what the real consumer does."""

from __future__ import annotations

import base64
from typing import Any

import orjson

from streamctl.replay.consumer_code import enrichment_bytes, rejection

TENANT = "acme"


def _records(build: Any) -> dict[str, bytes]:
    valid = build.envelope(1)
    return {
        "valid": valid,
        "valid with spaces": b'{ "event_id": "e-2", "tenant": "acme", "type": "t",'
        b' "occurred_at": "2026-11-26T06:00:00Z", "payload": {"x": [1, 2]} }',
        "not json": b"{oops",
        "not UTF-8": b'{"event_id": "\xff"}',
        "other tenant": build.envelope(3, tenant="globex"),
        "missing payload": orjson.dumps({k: v for k, v in orjson.loads(build.envelope(4)).items() if k != "payload"}),
        "extra property": build.envelope(5, producer="x"),
        "array": b"[1, 2]",
        "bad occurred_at": build.envelope(6, occurred_at="yesterday"),
    }


def test_scripts_reject_exactly_what_the_consumer_quarantines_in_its_words(deployed: Any, build: Any) -> None:
    records = _records(build)
    deployed.put(list(records.values()))
    assert deployed.deliver() == []

    s3 = deployed.clients.s3
    listing = s3.list_objects_v2(Bucket=deployed.target.lake_bucket, Prefix=deployed.target.quarantine_prefix)
    entries = [
        orjson.loads(line)
        for item in listing.get("Contents", [])
        for line in s3.get_object(Bucket=deployed.target.lake_bucket, Key=item["Key"])["Body"].read().splitlines()
    ]
    quarantined = {base64.b64decode(entry["data"]): entry["reason"] for entry in entries}
    predicted = {data: reason for data in records.values() if (reason := rejection(data, TENANT)) is not None}
    assert quarantined == predicted
    assert len(predicted) == 7


def test_enrichment_bytes_are_what_the_consumer_adds_to_each_event(deployed: Any, build: Any) -> None:
    records = {name: data for name, data in _records(build).items() if rejection(data, TENANT) is None}
    deployed.put(list(records.values()))
    deployed.deliver()

    listing = deployed.clients.s3.list_objects_v2(Bucket=deployed.target.lake_bucket, Prefix="events/")
    lines = [
        line + b"\n"
        for item in listing["Contents"]
        for line in deployed.clients.s3.get_object(Bucket=deployed.target.lake_bucket, Key=item["Key"])["Body"]
        .read()
        .splitlines()
    ]
    by_event = {orjson.loads(data)["event_id"]: data for data in records.values()}
    assert len(lines) == len(by_event) == 2
    for line in lines:
        doc = orjson.loads(line)
        expected = enrichment_bytes(
            shard_id=doc["shard_id"],
            sequence_number=doc["sequence_number"],
            sub_sequence_number=doc["sub_sequence_number"],
            arrival_lag_ms=doc["arrival_lag_ms"],
        )
        original = by_event[doc["event_id"]]
        # The consumer may re-serialize (dropping insignificant whitespace); compare with the compact form.
        compact = orjson.dumps(orjson.loads(original))
        assert len(line) - len(compact) == expected or len(line) - len(original) == expected
