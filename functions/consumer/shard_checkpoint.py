"""How a batch uses its shard's checkpoint: which records it skips, and how far it moves it.

The checkpoint is one position per shard (checkpoints.py stores it): every user record at or below
it is in the lake or in quarantine. A batch reads it once, decoding skips what it covers, and the
processor moves it forward as prefixes of the batch become safe. `ShardCheckpoint` is that whole
strategy behind three members: `sequence_bound` and `skip_through` (what decode.py asks, as
`CoveredRecords`) and `advance_before` (what the processor asks). Another granularity, such as a
checkpoint per partition key, would be another class with the same three.
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
        errors: int = 0,
    ) -> None:
        self._store = store
        self._shard_id = shard_id
        self._updated_at = updated_at
        self._logger = logger
        self._covered_item = -1  # the last item handed to the store, written or not: never asked again
        self.errors = errors
        self.sequence_bound = position.sequence if position is not None else -1
        self._sub_sequence = position.sub_sequence if position is not None else -1

    @classmethod
    def load(
        cls, store: CheckpointStore, shard_id: str, *, updated_at: str, logger: logging.Logger | Any
    ) -> ShardCheckpoint:
        """The shard's stored checkpoint; none (with the error counted) when it cannot be read."""
        try:
            return cls(store, shard_id, store.load(shard_id), updated_at=updated_at, logger=logger)
        except (ClientError, BotoCoreError, ValueError) as error:
            # Without a checkpoint we may re-deliver (duplicates), never lose: better than blocking the shard.
            logger.error("checkpoint read failed; processing without duplicate skipping: %s", error)
            return cls(store, shard_id, None, updated_at=updated_at, logger=logger, errors=1)

    def skip_through(self, kinesis: Mapping[str, Any], sequence: int) -> int:
        """The last sub-sequence number of a record at or below the checkpoint's sequence that it covers."""
        return ALL_SUB_RECORDS if sequence < self.sequence_bound else self._sub_sequence

    def advance_before(self, decoded: DecodedShard, item_end: int) -> None:
        """Cover every item before `item_end` (all delivered or quarantined); never moves back."""
        last = item_end - 1
        if last <= self._covered_item:
            return
        sequence_number, sub_sequence = decoded.position(last)
        try:
            self._store.advance(self._shard_id, sequence_number, sub_sequence, updated_at=self._updated_at)
        except (ClientError, BotoCoreError) as error:
            # The data is safe; a stale checkpoint only means a retry may re-deliver duplicates.
            self.errors += 1
            self._logger.error("checkpoint write failed: %s", error)
        self._covered_item = last
