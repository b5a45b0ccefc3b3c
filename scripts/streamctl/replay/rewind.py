"""Move a consumer back to a timestamp or to a sequence number of one shard, without losing records.

Per shard the new checkpoint is "just before the first record to re-process"; a checkpoint only moves
back (a shard the consumer has not reached yet keeps its checkpoint). The mapping then has to start no
later than the earliest record any shard still needs: Pulumi re-creates it at its configured position
(TRIM_HORIZON), the boto3 way at that record's arrival time; the consumer skips everything at or below
each shard's checkpoint, so starting early only costs reads.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from functions.consumer.positions import Position
from streamctl.replay.checkpoint_reset import LAST_SUB_SEQUENCE, CheckpointRewinder, position_before
from streamctl.replay.event_source_mapping import disable_mapping, find_mapping, recreate_at_timestamp
from streamctl.replay.shard_reader import ShardRecord, first_record, shard_ids
from streamctl.replay.target import ReplayClients, ReplayTarget

# AT_TIMESTAMP compares approximate arrival times: start a little early, the checkpoints skip the rest.
ARRIVAL_MARGIN = timedelta(seconds=1)


class MappingStrategy(StrEnum):
    PULUMI = "pulumi"
    BOTO3 = "boto3"


@dataclass(frozen=True)
class ShardRewind:
    shard_id: str
    current: Position | None
    new: Position | None
    resume_arrival: datetime | None  # arrival of the first record this shard needs after the rewind
    note: str

    @property
    def changes(self) -> bool:
        return self.new is not None and self.new != self.current


@dataclass
class RewindPlan:
    target: ReplayTarget
    mapping: dict[str, Any]
    strategy: MappingStrategy
    shards: list[ShardRewind]
    mapping_urn: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def starting_at(self) -> datetime | None:
        """When the re-created mapping must start: the earliest record any shard still needs."""
        arrivals = [shard.resume_arrival for shard in self.shards if shard.resume_arrival is not None]
        return min(arrivals) - ARRIVAL_MARGIN if arrivals else None

    def describe(self) -> list[str]:
        t = self.target
        lines = [
            f"rewind {t.tenant}/{t.stream} (stream {t.stream_name}, consumer {t.consumer_function})",
            f"1. disable event source mapping {self.mapping['UUID']} and wait until no batch is in flight",
        ]
        for shard in self.shards:
            verb = "set" if shard.changes else "keep"
            shown = _position(shard.new if shard.changes else shard.current)
            lines.append(f"2. {verb} checkpoint of {shard.shard_id} at {shown} ({shard.note})")
        if self.strategy is MappingStrategy.BOTO3:
            if self.starting_at is None:
                lines.append(f"3. no record left to read: enable mapping {self.mapping['UUID']} again as it was")
                lines.extend(f"warning: {warning}" for warning in self.warnings)
                return lines
            lines.append(
                f"3. delete mapping {self.mapping['UUID']} and create it again with the same settings, "
                f"AT_TIMESTAMP {self.starting_at.isoformat()}"
            )
            lines.append(
                "   then reconcile Pulumi: `pulumi refresh` drops the deleted mapping from the state; the next "
                "`pulumi up` creates the program's mapping at its configured position and you delete the boto3 one "
                "(see docs/runbooks/replay.md)"
            )
        else:
            urn = self.mapping_urn or "<urn of the consumer's EventSourceMapping: pulumi stack --show-urns>"
            lines.append(f"3. run: pulumi up --stack {t.stack} --target-replace '{urn}'")
            lines.append(
                f"   (re-creates the mapping at {self.mapping.get('StartingPosition', 'its configured position')}, "
                "enabled; the consumer skips records at or below the checkpoints)"
            )
        lines.extend(f"warning: {warning}" for warning in self.warnings)
        return lines


def _position(position: Position | None) -> str:
    return "none (process everything delivered)" if position is None else f"{position.sequence}.{position.sub_sequence}"


def _after_checkpoint(
    clients: ReplayClients, target: ReplayTarget, shard_id: str, current: Position | None
) -> ShardRecord | None:
    """The first record the consumer may still need in this shard (early is harmless: it skips duplicates)."""
    if current is None:
        return first_record(clients.kinesis, target.stream_name, shard_id, ShardIteratorType="TRIM_HORIZON")
    # A checkpoint written by a rewind sits just before a real record; one written by the consumer is a
    # real record that may be an aggregate with sub-records left. Either way: read at a real number.
    sequence = current.sequence + 1 if current.sub_sequence == LAST_SUB_SEQUENCE else current.sequence
    return first_record(
        clients.kinesis,
        target.stream_name,
        shard_id,
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=str(sequence),
    )


def _shard_rewind(
    clients: ReplayClients,
    target: ReplayTarget,
    rewinder: CheckpointRewinder,
    shard_id: str,
    first_to_replay: ShardRecord | None,
) -> ShardRewind:
    current = rewinder.current(shard_id)
    if first_to_replay is None:
        pending = _after_checkpoint(clients, target, shard_id, current)
        return ShardRewind(
            shard_id, current, None, pending.arrival if pending else None, "no record at or after the target"
        )
    wanted = position_before(first_to_replay.sequence_number)
    if current is None or current <= wanted:
        pending = _after_checkpoint(clients, target, shard_id, current)
        why = "the consumer has not processed this shard" if current is None else "the consumer has not reached it yet"
        return ShardRewind(shard_id, current, None, pending.arrival if pending else None, why)
    note = f"re-process from {first_to_replay.sequence_number}, arrived {first_to_replay.arrival.isoformat()}"
    return ShardRewind(shard_id, current, wanted, first_to_replay.arrival, note)


def plan_rewind(
    clients: ReplayClients,
    target: ReplayTarget,
    *,
    strategy: MappingStrategy,
    to_timestamp: datetime | None = None,
    to_sequence: str | None = None,
    shard: str | None = None,
    mapping_urn: str | None = None,
) -> RewindPlan:
    """Work out every checkpoint and the mapping's new start; reads only."""
    if (to_timestamp is None) == (to_sequence is None):
        raise ValueError("give exactly one of a timestamp or a sequence number to rewind to")
    if to_sequence is not None and shard is None:
        raise ValueError("a sequence number belongs to one shard: give the shard id too")
    mapping = find_mapping(clients.lambda_, target.stream_arn, target.consumer_function)
    rewinder = CheckpointRewinder(
        clients.dynamodb, target.checkpoint_table, target.tenant, target.consumer_function, target.stream_name
    )
    shards = shard_ids(clients.kinesis, target.stream_name)
    plan = RewindPlan(target, mapping, strategy, [], mapping_urn)
    for shard_id in shards:
        if to_timestamp is not None:
            first = first_record(
                clients.kinesis, target.stream_name, shard_id, ShardIteratorType="AT_TIMESTAMP", Timestamp=to_timestamp
            )
        elif shard_id == shard:
            first = first_record(
                clients.kinesis,
                target.stream_name,
                shard_id,
                ShardIteratorType="AT_SEQUENCE_NUMBER",
                StartingSequenceNumber=to_sequence,
            )
            if first is None or first.sequence_number != to_sequence:
                raise ValueError(
                    f"sequence number {to_sequence} is not (or no longer) in shard {shard} of {target.stream_name}"
                )
        else:
            first = None
        plan.shards.append(_shard_rewind(clients, target, rewinder, shard_id, first))
    if shard is not None and shard not in shards:
        raise ValueError(f"shard {shard!r} is not a shard of {target.stream_name}; shards: {', '.join(shards)}")
    if strategy is MappingStrategy.PULUMI and mapping.get("StartingPosition") == "LATEST":
        plan.warnings.append(
            "the mapping is configured to start at LATEST: a Pulumi re-creation would skip the records to replay; "
            "use --mapping boto3"
        )
    if not any(shard_rewind.changes for shard_rewind in plan.shards):
        plan.warnings.append("no checkpoint moves back: the consumer has processed nothing at or after the target yet")
    return plan


def apply_rewind(
    clients: ReplayClients, plan: RewindPlan, *, sleep: Callable[[float], None] = time.sleep
) -> dict[str, Any] | None:
    """Disable, rewind checkpoints, and (boto3 strategy) re-create the mapping; returns the new mapping."""
    t = plan.target
    disable_mapping(clients.lambda_, plan.mapping["UUID"], sleep=sleep)
    rewinder = CheckpointRewinder(clients.dynamodb, t.checkpoint_table, t.tenant, t.consumer_function, t.stream_name)
    for shard in plan.shards:
        if shard.changes and shard.new is not None:
            rewinder.overwrite(shard.shard_id, shard.new)
    if plan.strategy is not MappingStrategy.BOTO3:
        return None
    starting_at = plan.starting_at
    if starting_at is None:
        # Nothing left to read in any shard: the old mapping's position is as good as any.
        clients.lambda_.update_event_source_mapping(UUID=plan.mapping["UUID"], Enabled=True)
        return None
    return recreate_at_timestamp(clients.lambda_, plan.mapping, starting_at, sleep=sleep)
