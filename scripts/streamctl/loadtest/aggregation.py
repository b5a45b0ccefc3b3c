"""KPL aggregation with aws-kinesis-agg, sized so that one aggregate is one 25 KB PUT payload unit.

Kinesis routes a record by its partition key only, so every sub-record of an aggregate lands on the
shard of the aggregate's partition key, which is the key of its *first* sub-record. Per-entity ordering
across shards and the skew of a Zipf key strategy are therefore blurred by aggregation: the consumer
still sees each sub-record's own key after deaggregation, but not on the shard that key hashes to.
"""

from __future__ import annotations

from aws_kinesis_agg.aggregator import AggRecord

from functions.aws_limits import KINESIS_MAX_RECORD_BYTES, KINESIS_PUT_PAYLOAD_UNIT_BYTES
from streamctl.loadtest.batching import KinesisEntry, UserRecord, single_entry, validate_partition_key


class KplAggregator:
    """Packs user records into KPL aggregates of at most `max_bytes` (data blob plus partition key).

    Not thread-safe: one aggregator per writer.
    """

    def __init__(self, max_bytes: int = KINESIS_PUT_PAYLOAD_UNIT_BYTES) -> None:
        if not KINESIS_PUT_PAYLOAD_UNIT_BYTES // 5 <= max_bytes <= KINESIS_MAX_RECORD_BYTES:
            raise ValueError(
                f"aggregate size {max_bytes} must be between {KINESIS_PUT_PAYLOAD_UNIT_BYTES // 5} and "
                f"{KINESIS_MAX_RECORD_BYTES} bytes"
            )
        self.max_bytes = max_bytes
        self._current: AggRecord | None = None
        self._record_ids: list[str] = []
        self._user_bytes = 0

    @property
    def buffered_records(self) -> int:
        return len(self._record_ids)

    def add(self, record: UserRecord) -> list[KinesisEntry]:
        """Buffer `record`; returns the aggregate it completed, if any, ready to send.

        A record too big to share an aggregate is returned on its own, unaggregated (as the KPL does).
        """
        validate_partition_key(record.partition_key)
        try:
            if self._current is not None and self._current.add_user_record(record.partition_key, record.data):
                self._record_ids.append(record.record_id)
                self._user_bytes += len(record.data)
                return []
            fresh = AggRecord(self.max_bytes - len(record.partition_key.encode()))
            fresh.add_user_record(record.partition_key, record.data)
        except ValueError:  # aws-kinesis-agg's way of saying the record alone exceeds the aggregate size
            return [single_entry(record)]
        completed = self.drain()
        self._current = fresh
        self._record_ids = [record.record_id]
        self._user_bytes = len(record.data)
        return [completed] if completed is not None else []

    def drain(self) -> KinesisEntry | None:
        """The partially filled aggregate, if any, leaving the aggregator empty."""
        if self._current is None or not self._record_ids:
            self._current = None
            return None
        partition_key, _explicit_hash_key, data = self._current.get_contents()
        entry = KinesisEntry(partition_key, data, tuple(self._record_ids), self._user_bytes)
        self._current, self._record_ids, self._user_bytes = None, [], 0
        return entry
