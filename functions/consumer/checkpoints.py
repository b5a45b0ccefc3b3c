"""Per-shard checkpoints in DynamoDB: the last position whose record is safely in the lake or quarantine.

Item (table key `pk` S): pk = "{tenant}#{consumer}#{stream}#{shard}", position (S, see positions.py),
sequence_number (S), sub_sequence_number (N), updated_at (S), tenant, consumer_name, stream_name,
shard_id. Updates are conditional so a checkpoint only moves forward, even with concurrent retries.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from functions.consumer.positions import Position, decode_position, encode_position


class CheckpointStore:
    """Reads and advances checkpoints for one (tenant, consumer, stream) (client: boto3 DynamoDB)."""

    def __init__(self, dynamodb_client: Any, table: str, tenant: str, consumer_name: str, stream_name: str) -> None:
        self._dynamodb = dynamodb_client
        self._table = table
        self._tenant = tenant
        self._consumer_name = consumer_name
        self._stream_name = stream_name

    def key(self, shard_id: str) -> str:
        # The tenant prefix is what the IAM dynamodb:LeadingKeys condition allows.
        return f"{self._tenant}#{self._consumer_name}#{self._stream_name}#{shard_id}"

    def load(self, shard_id: str) -> Position | None:
        response = self._dynamodb.get_item(
            TableName=self._table,
            Key={"pk": {"S": self.key(shard_id)}},
            ConsistentRead=True,
            ProjectionExpression="#position",
            ExpressionAttributeNames={"#position": "position"},
        )
        item = response.get("Item")
        if not item or "position" not in item:
            return None
        return decode_position(item["position"]["S"])

    def advance(self, shard_id: str, sequence_number: str, sub_sequence_number: int, updated_at: str) -> bool:
        """Move the checkpoint forward to this position; False when it already is at or beyond it."""
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key={"pk": {"S": self.key(shard_id)}},
                UpdateExpression=(
                    "SET #position = :position, sequence_number = :sequence, sub_sequence_number = :sub,"
                    " updated_at = :now, tenant = :tenant, consumer_name = :consumer,"
                    " stream_name = :stream, shard_id = :shard"
                ),
                ConditionExpression="attribute_not_exists(#position) OR #position < :position",
                ExpressionAttributeNames={"#position": "position"},
                ExpressionAttributeValues={
                    ":position": {"S": encode_position(sequence_number, sub_sequence_number)},
                    ":sequence": {"S": sequence_number},
                    ":sub": {"N": str(sub_sequence_number)},
                    ":now": {"S": updated_at},
                    ":tenant": {"S": self._tenant},
                    ":consumer": {"S": self._consumer_name},
                    ":stream": {"S": self._stream_name},
                    ":shard": {"S": shard_id},
                },
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True
