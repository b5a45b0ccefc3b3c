"""Checkpoint positions order like Kinesis sequence numbers, even past DynamoDB's 38-digit numbers."""

from __future__ import annotations

import uuid

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from functions.consumer.checkpoints import CheckpointStore
from functions.consumer.positions import Position, decode_position, encode_position

sequence_numbers = st.integers(min_value=0, max_value=10**56 - 1)
sub_sequence_numbers = st.integers(min_value=0, max_value=10_000)
positions = st.tuples(sequence_numbers, sub_sequence_numbers)


@given(positions, positions)
def test_encoded_positions_sort_like_the_numbers(a: tuple[int, int], b: tuple[int, int]) -> None:
    encoded_a = encode_position(str(a[0]), a[1])
    encoded_b = encode_position(str(b[0]), b[1])
    assert (encoded_a < encoded_b) == (a < b)
    assert decode_position(encoded_a) == Position(*a)


@pytest.mark.parametrize("bad", ["", "12a", "-1", "1" * 65, "١٢٣"])
def test_malformed_sequence_number_is_rejected_by_name(bad: str) -> None:
    with pytest.raises(ValueError, match="sequence number"):
        encode_position(bad, 0)


def test_malformed_stored_position_is_rejected() -> None:
    with pytest.raises(ValueError, match="checkpoint position"):
        decode_position("123.4")


def test_dynamodb_checkpoint_keeps_the_maximum_of_any_update_order() -> None:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="checkpoints",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        store = CheckpointStore(client, "checkpoints", "acme", "consumer", "clicks")

        @settings(max_examples=25, deadline=None)
        @given(st.lists(positions, min_size=1, max_size=6))
        def check(updates: list[tuple[int, int]]) -> None:
            shard = f"shardId-{uuid.uuid4()}"
            for sequence, sub_sequence in updates:
                store.advance(shard, str(sequence), sub_sequence, updated_at="t")
            assert store.load(shard) == Position(*max(updates))

        check()
