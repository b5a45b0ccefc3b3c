"""Grouping a Lambda Kinesis event by shard: the one-shard fast path and the general loop agree."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.consumer.kinesis_event import InvalidKinesisEventError, records_by_shard


def _record(event_id: object) -> dict[str, Any]:
    return {"eventID": event_id, "kinesis": {"sequenceNumber": "1"}}


def _grouped_one_by_one(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    shards: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        shards.setdefault(record["eventID"].partition(":")[0], []).append(record)
    return shards


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["shardId-1", "shardId-10", "shardId-1:x", "s"]),
            st.sampled_from(["1", "2", ":3", ""]),
        ),
        max_size=12,
    )
)
def test_grouping_keeps_every_record_under_its_own_shard_in_order(ids: list[tuple[str, str]]) -> None:
    """Shard ids that prefix each other, or records whose id holds more colons, must not merge."""
    records = [_record(f"{shard}:{rest}") for shard, rest in ids]

    shards = records_by_shard({"Records": records})

    expected = _grouped_one_by_one(records)
    assert list(shards) == list(expected)
    for shard_id, group in shards.items():
        assert len(group) == len(expected[shard_id])
        assert all(record is original for record, original in zip(group, expected[shard_id], strict=True))


def test_one_shard_batch_is_a_new_list_of_the_same_records() -> None:
    records = [_record(f"shardId-7:{index}") for index in range(3)]

    shards = records_by_shard({"Records": records})

    assert list(shards) == ["shardId-7"]
    assert shards["shardId-7"] == records and shards["shardId-7"] is not records


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"kinesis": {}}, r"Records\[2\] has no 'eventID' string"),
        (_record(7), r"Records\[2\] has no 'eventID' string"),
        (_record(b"shardId-1:1"), r"Records\[2\] has no 'eventID' string"),
        ("not a record", r"Records\[2\] has no 'eventID' string"),
        (_record("shardId-1"), r"Records\[2\]\.eventID is not '<shardId>:<sequenceNumber>'"),
        (_record(":1"), r"Records\[2\]\.eventID is not '<shardId>:<sequenceNumber>'"),
    ],
)
def test_a_malformed_record_after_good_ones_is_named(bad: Any, message: str) -> None:
    records = [_record("shardId-1:1"), _record("shardId-1:2"), bad]

    with pytest.raises(InvalidKinesisEventError, match=message):
        records_by_shard({"Records": records})


def test_empty_batch_has_no_shards() -> None:
    assert records_by_shard({"Records": []}) == {}
