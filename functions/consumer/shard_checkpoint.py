"""How a batch uses its shard's checkpoint: which records it skips, and how far it moves it.

The checkpoint is one position per shard (checkpoints.py stores it): every user record at or below
it is in the lake or in quarantine. A batch reads it once, decoding skips what it covers, and the
processor moves it forward as prefixes of the batch become safe. `ShardCheckpoint` is that whole
strategy behind three members: `sequence_bound` and `skip_through` (what decode.py asks, as
`CoveredRecords`) and `advance_before` (what the processor asks).

Only a consumer at ParallelizationFactor 1 moves the checkpoint. At N > 1 Lambda runs up to N batches of
a shard at once, split by partition key, and keeps order per partition key only
(https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html): a batch's delivered prefix then says
nothing about the other batches' records below it, and moving the checkpoint past them would skip them.
So at N > 1 a batch reads the checkpoint (a factor-1 era's or a rewind's, still true) and never writes it;
retries and crashes then re-deliver duplicates, which the lake's deduplicated view removes, and nothing is
ever skipped that was not delivered. docs/consumer.md ("Parallelization") has the argument and the cost.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from functions.consumer.checkpoints import CheckpointStore
from functions.consumer.decode import ALL_SUB_RECORDS, DecodedShard
from functions.consumer.positions import Position


class ShardCheckpoint:
    """One shard's checkpoint during one batch: the position read, and the last item it covers since.

    Storage errors never fail the batch: a failed read means no duplicate skipping (duplicates,
    never loss), a failed write a stale checkpoint (a retry may re-deliver). Both are logged and
    counted in `errors`.
    """

    __slots__ = (
        "_covered_item",
        "_logger",
        "_moves",
        "_shard_id",
        "_store",
        "_sub_sequence",
        "_updated_at",
        "errors",
        "sequence_bound",
    )

    def __init__(
        self,
        store: CheckpointStore,
        shard_id: str,
        position: Position | None,
        *,
        updated_at: str,
        logger: logging.Logger | Any,
        moves: bool = True,
        errors: int = 0,
    ) -> None:
        self._store = store
        self._moves = moves  # False at ParallelizationFactor > 1: the batch never writes the checkpoint
        self._shard_id = shard_id
        self._updated_at = updated_at
        self._logger = logger
        self._covered_item = -1  # the last item handed to the store, written or not: never asked again
        self.errors = errors
        self.sequence_bound = position.sequence if position is not None else -1
        self._sub_sequence = position.sub_sequence if position is not None else -1

    @classmethod
    def load(
        cls,
        store: CheckpointStore,
        shard_id: str,
        *,
        parallelization_factor: int,
        updated_at: str,
        logger: logging.Logger | Any,
    ) -> ShardCheckpoint:
        """The shard's stored checkpoint; none (with the error counted) when it cannot be read."""
        moves = parallelization_factor == 1
        try:
            position = store.load(shard_id)
        except (ClientError, BotoCoreError, ValueError) as error:
            # Without a checkpoint we may re-deliver (duplicates), never lose: better than blocking the shard.
            logger.error("checkpoint read failed; processing without duplicate skipping: %s", error)
            return cls(store, shard_id, None, updated_at=updated_at, logger=logger, moves=moves, errors=1)
        return cls(store, shard_id, position, updated_at=updated_at, logger=logger, moves=moves)

    def skip_through(self, kinesis: Mapping[str, Any], sequence: int) -> int:
        """The last sub-sequence number of a record at or below the checkpoint's sequence that it covers."""
        return ALL_SUB_RECORDS if sequence < self.sequence_bound else self._sub_sequence

    def advance_before(self, decoded: DecodedShard, item_end: int) -> None:
        """Cover every item before `item_end` (all delivered or quarantined); never moves back."""
        last = item_end - 1
        if last <= self._covered_item or not self._moves:
            return
        sequence_number, sub_sequence = decoded.position(last)
        try:
            self._store.advance(self._shard_id, sequence_number, sub_sequence, updated_at=self._updated_at)
        except (ClientError, BotoCoreError) as error:
            # The data is safe; a stale checkpoint only means a retry may re-deliver duplicates.
            self.errors += 1
            self._logger.error("checkpoint write failed: %s", error)
        self._covered_item = last
