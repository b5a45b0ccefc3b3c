from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from functions.aws_limits import KINESIS_PUT_PAYLOAD_UNIT_BYTES
from streamctl.loadtest.aggregation import KplAggregator
from streamctl.loadtest.batching import UserRecord
from streamctl.loadtest.envelope import EventFactory
from streamctl.loadtest.partition_keys import PartitionKeyStrategyName, partition_keys
from streamctl.loadtest.producer import KinesisProducer
from streamctl.loadtest.report import packing_efficiency

Drain = Callable[[], list[dict[str, Any]]]


def user_records(count: int, record_bytes: int = 1024) -> list[UserRecord]:
    factory = EventFactory("run-agg", "acme", record_bytes=record_bytes)
    keys = partition_keys(PartitionKeyStrategyName.RANDOM, seed=3)
    out = []
    for _ in range(count):
        event_id, data = factory.next_event()
        out.append(UserRecord(keys.next_key(), data, event_id))
    return out


def test_aggregated_records_come_back_intact_with_their_own_partition_keys(
    kinesis: Any, stream_name: str, drain: Drain
) -> None:
    sent = user_records(300)
    producer = KinesisProducer(kinesis, stream_name, aggregator=KplAggregator(), sleep=lambda _s: None)
    assert producer.send(sent) == []
    assert producer.flush() == []
    received = drain()
    assert sorted((r["PartitionKey"], r["Data"]) for r in received) == sorted((r.partition_key, r.data) for r in sent)
    assert producer.stats.kinesis_records_sent < len(sent) / 20


def shard_for(kinesis: Any, stream_name: str, partition_key: str) -> str:
    """The shard Kinesis routes a key to: the one whose hash-key range holds the key's MD5."""
    hashed = int(hashlib.md5(partition_key.encode()).hexdigest(), 16)
    for shard in kinesis.list_shards(StreamName=stream_name)["Shards"]:
        hash_range = shard["HashKeyRange"]
        if int(hash_range["StartingHashKey"]) <= hashed <= int(hash_range["EndingHashKey"]):
            return str(shard["ShardId"])
    raise AssertionError(f"no shard holds {partition_key}")


def test_every_sub_record_lands_on_the_shard_of_the_aggregates_first_key(
    kinesis: Any, stream_name: str, drain: Drain
) -> None:
    aggregator = KplAggregator()
    sent = user_records(120)
    entries = [entry for record in sent for entry in aggregator.add(record)]
    last = aggregator.drain()
    entries += [last] if last is not None else []
    producer = KinesisProducer(kinesis, stream_name, sleep=lambda _s: None)
    assert producer.put_entries(entries) == []
    landed = {record["Data"]: record["ShardId"] for record in drain()}
    by_id = {record.record_id: record for record in sent}
    moved = 0
    for entry in entries:
        aggregate_shard = shard_for(kinesis, stream_name, entry.partition_key)
        for record_id in entry.record_ids:
            sub_record = by_id[record_id]
            assert landed[sub_record.data] == aggregate_shard
            moved += shard_for(kinesis, stream_name, sub_record.partition_key) != aggregate_shard
    # With random keys about half the sub-records belong, by their own key, to the other shard.
    assert moved > 0


def test_one_kilobyte_records_fill_at_least_ninety_percent_of_each_payload_unit() -> None:
    aggregator = KplAggregator()
    entries = [entry for record in user_records(2_400) for entry in aggregator.add(record)]
    assert all(entry.size_bytes <= KINESIS_PUT_PAYLOAD_UNIT_BYTES for entry in entries)
    assert all(entry.payload_units == 1 for entry in entries)
    user_bytes = sum(entry.user_bytes for entry in entries)
    efficiency = packing_efficiency(user_bytes, sum(entry.payload_units for entry in entries))
    assert efficiency is not None and efficiency >= 0.90
    assert min(entry.user_records for entry in entries) >= 22


def test_a_record_too_big_for_an_aggregate_is_sent_alone_unaggregated() -> None:
    aggregator = KplAggregator()
    small, large = user_records(1, 1024)[0], user_records(1, 30_000)[0]
    assert aggregator.add(small) == []
    alone = aggregator.add(large)
    assert [entry.data for entry in alone] == [large.data]
    assert aggregator.buffered_records == 1
    drained = aggregator.drain()
    assert drained is not None and drained.record_ids == (small.record_id,)


def test_aggregate_size_outside_the_record_limits_is_refused() -> None:
    with pytest.raises(ValueError, match="aggregate size"):
        KplAggregator(2 * 1024 * 1024)
