"""The scaler's state in the shared scaling table: history of calls and the policy's memory.

Keys (the table is shared by every tenant; IAM restricts each tenant to pk values starting "{tenant}#"):
- pk = "{tenant}#{stream}", sk = "state": the current state, guarded by an optimistic `version`;
- pk = "{tenant}#{stream}", sk = "action#{ISO minute}": one item per scaling call, kept 30 days (ttl).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from functions.shard_scaler.policy import Decision, PolicyMemory, ScalingHistory

STATE_SORT_KEY = "state"
ACTION_SORT_KEY_PREFIX = "action#"
ACTION_TTL_SECONDS = 30 * 24 * 3600


class StateConflict(RuntimeError):
    """Another invocation wrote the state since we read it."""


@dataclass(frozen=True)
class ScalingState:
    history: ScalingHistory
    memory: PolicyMemory
    version: int
    updated_minute: int | None = None
    """Minute of the round that wrote this state (None before the first)."""


def partition_key(tenant: str, stream_name: str) -> str:
    return f"{tenant}#{stream_name}"


class ScalingStateStore:
    def __init__(self, dynamodb: Any, table: str, tenant: str, stream_name: str) -> None:
        self._dynamodb = dynamodb
        self._table = table
        self._pk = partition_key(tenant, stream_name)

    def load(self) -> ScalingState:
        item = self._dynamodb.get_item(
            TableName=self._table, Key={"pk": {"S": self._pk}, "sk": {"S": STATE_SORT_KEY}}, ConsistentRead=True
        ).get("Item")
        if not item:
            return ScalingState(ScalingHistory(), PolicyMemory(), 0)
        reshards = tuple(int(x["N"]) for x in item.get("reshard_minutes", {}).get("L", []))
        switches = tuple(int(x["N"]) for x in item.get("mode_switch_minutes", {}).get("L", []))
        memory = PolicyMemory.from_json(item["memory"]["S"]) if "memory" in item else PolicyMemory()
        updated = int(item["updated_minute"]["N"]) if "updated_minute" in item else None
        return ScalingState(ScalingHistory(reshards, switches), memory, int(item["version"]["N"]), updated)

    def save(
        self,
        history: ScalingHistory,
        memory: PolicyMemory,
        *,
        expected_version: int,
        decision: Decision,
        shards: int,
        minute: int,
    ) -> None:
        """Write the new state if nobody else did since `expected_version`; log an action item if it acted."""
        item = {
            "pk": {"S": self._pk},
            "sk": {"S": STATE_SORT_KEY},
            "version": {"N": str(expected_version + 1)},
            "reshard_minutes": {"L": [{"N": str(m)} for m in history.reshard_minutes]},
            "mode_switch_minutes": {"L": [{"N": str(m)} for m in history.mode_switch_minutes]},
            "memory": {"S": memory.to_json().decode()},
            "last_reason": {"S": decision.reason},
            "updated_minute": {"N": str(minute)},
        }
        condition = "attribute_not_exists(pk)" if expected_version == 0 else "version = :expected"
        values = {} if expected_version == 0 else {":expected": {"N": str(expected_version)}}
        request: dict[str, Any] = {"TableName": self._table, "Item": item, "ConditionExpression": condition}
        if values:
            request["ExpressionAttributeValues"] = values
        try:
            self._dynamodb.put_item(**request)
        except self._dynamodb.exceptions.ConditionalCheckFailedException as error:
            raise StateConflict(str(error)) from error
        if decision.target_shards is None and decision.target_mode is None:
            return
        stamp = datetime.fromtimestamp(minute * 60, UTC).strftime("%Y-%m-%dT%H:%MZ")
        action = {
            "pk": {"S": self._pk},
            "sk": {"S": f"{ACTION_SORT_KEY_PREFIX}{stamp}"},
            "from_shards": {"N": str(shards)},
            "reason": {"S": decision.reason},
            "ttl": {"N": str(minute * 60 + ACTION_TTL_SECONDS)},
        }
        if decision.target_shards is not None:
            action["to_shards"] = {"N": str(decision.target_shards)}
        if decision.target_mode is not None:
            action["to_mode"] = {"S": decision.target_mode.value}
        self._dynamodb.put_item(TableName=self._table, Item=action)
