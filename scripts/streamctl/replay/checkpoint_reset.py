"""Move consumer checkpoints backwards: the one write the consumer itself never makes.

The consumer's `CheckpointStore` only moves a checkpoint forward (conditional update); a replay
overwrites it unconditionally, with the same item layout, after the consumer's mapping is disabled.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from functions.consumer.checkpoints import CheckpointStore
from functions.consumer.positions import POSITION_SUB_SEQUENCE_WIDTH, Position, encode_position

LAST_SUB_SEQUENCE = 10**POSITION_SUB_SEQUENCE_WIDTH - 1


def position_before(sequence_number: str) -> Position:
    """The checkpoint that makes the consumer process `sequence_number` (all its sub-records) and later."""
    sequence = int(sequence_number)
    if sequence <= 0:
        raise ValueError(f"sequence number {sequence_number!r} has no position before it")
    return Position(sequence - 1, LAST_SUB_SEQUENCE)


class CheckpointRewinder:
    """Reads and overwrites the checkpoints of one (tenant, consumer, stream) (client: boto3 DynamoDB)."""

    def __init__(self, dynamodb: Any, table: str, tenant: str, consumer_name: str, stream_name: str) -> None:
        self._dynamodb = dynamodb
        self._table = table
        self._store = CheckpointStore(dynamodb, table, tenant, consumer_name, stream_name)
        self._attributes = {
            "tenant": tenant,
            "consumer_name": consumer_name,
            "stream_name": stream_name,
        }

    def current(self, shard_id: str) -> Position | None:
        return self._store.load(shard_id)

    def overwrite(self, shard_id: str, position: Position) -> None:
        sequence_number = str(position.sequence)
        item = {
            "pk": {"S": self._store.key(shard_id)},
            "position": {"S": encode_position(sequence_number, position.sub_sequence)},
            "sequence_number": {"S": sequence_number},
            "sub_sequence_number": {"N": str(position.sub_sequence)},
            "updated_at": {"S": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")},
            "shard_id": {"S": shard_id},
            "rewound_by": {"S": "streamctl replay rewind"},
        } | {name: {"S": value} for name, value in self._attributes.items()}
        self._dynamodb.put_item(TableName=self._table, Item=item)
