"""The consumer's hot path: one shard's Kinesis records into lake lines and quarantine entries.

Per record: base64 (`decode_data`), KPL deaggregation, skipping what the checkpoint already covers,
then the envelope check and the lake line (`LakeLineEncoder.write_line`). The result says what each
user record became, in stream order, so the processor can map delivery results back to positions;
delivering, quarantining and checkpointing are the processor's.

Two loops, because the common batch is nothing but plain records past the checkpoint:
`_encode_plain_run` takes the leading run of those with no per-record bookkeeping, and `_decode_rest`
everything from the first record that is not plain (an aggregate, poison, a duplicate). Both are
flat and bind what they call to locals; the speed is measured (docs/consumer.md, Performance).
"""

from __future__ import annotations

import io
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from functions.consumer import quarantine_reasons
from functions.consumer.deaggregation import KPL_MAGIC, CorruptAggregateError, deaggregate
from functions.consumer.firehose_delivery import LineBuffer
from functions.consumer.kinesis_event import InvalidKinesisEventError, decode_data
from functions.consumer.lake_line import LakeLineEncoder, PoisonRecordError
from functions.consumer.quarantine import QuarantineEntry, entry_for_bytes

ALL_SUB_RECORDS = 1 << 62
"""`skip_through` for a record the checkpoint covers entirely, whatever its sub-records."""
_KPL_FIRST_BYTE = KPL_MAGIC[0]


class CoveredRecords(Protocol):
    """What decoding asks of a checkpoint: which records it already covers (duplicates to skip)."""

    @property
    def sequence_bound(self) -> int:
        """Records with a higher sequence number are not covered; -1 when no record is."""
        ...

    def skip_through(self, kinesis: Mapping[str, Any], sequence: int) -> int:
        """The last sub-sequence number of this record (`sequence` at most `sequence_bound`) that is
        covered: -1 for none, ALL_SUB_RECORDS for all."""
        ...


@dataclass(slots=True)
class ItemIndex:
    """Where each item of a shard came from, and which items became quarantine entries.

    An item is a user record past the checkpoint: a plain Kinesis record, a sub-record of a KPL
    aggregate, or a record that could not be decoded at all. Item i is sub-record `sub_sequence[i]` of
    Kinesis record `record[i]` (an index into the shard's records). Every item becomes either a lake
    line or a quarantine entry, both in item order, so `quarantined` also tells which item a line is.
    """

    record: list[int] = field(default_factory=list)
    sub_sequence: list[int] = field(default_factory=list)
    quarantined: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.record)

    def of_line(self, line: int) -> int:
        """The item that became lake line `line`: its index plus the quarantine entries before it."""
        if not self.quarantined:
            return line
        # Entry j follows (its item) - j lines: a non-decreasing sequence to bisect.
        lines_before = [item - entry for entry, item in enumerate(self.quarantined)]
        return line + bisect_right(lines_before, line)

    @property
    def first_quarantined(self) -> int:
        """The first item that became a quarantine entry, or the item count when none did."""
        return self.quarantined[0] if self.quarantined else len(self.record)

    def quarantined_before(self, item: int) -> int:
        """How many quarantine entries come from items before `item`."""
        return bisect_left(self.quarantined, item)


@dataclass(slots=True)
class DecodedShard:
    """One shard's records decoded: lake lines and quarantine entries, with the items they came from."""

    records: list[dict[str, Any]]
    lines: LineBuffer
    items: ItemIndex = field(default_factory=ItemIndex)
    quarantine: list[QuarantineEntry] = field(default_factory=list)
    duplicates: int = 0
    min_arrival: float = float("inf")

    def position(self, item: int) -> tuple[str, int]:
        """(sequence number, sub-sequence number) of an item, as the checkpoint stores them."""
        kinesis = self.records[self.items.record[item]]["kinesis"]
        return str(kinesis["sequenceNumber"]), self.items.sub_sequence[item]

    def sequence_numbers_from(self, item: int) -> list[str]:
        """Sequence numbers of the Kinesis record holding `item` and of every record after it."""
        return [record["kinesis"]["sequenceNumber"] for record in self.records[self.items.record[item] :]]

    def add_poison(self, record: int, sub_sequence: int, entry: QuarantineEntry) -> None:
        items = self.items
        items.quarantined.append(len(items.record))
        items.record.append(record)
        items.sub_sequence.append(sub_sequence)
        self.quarantine.append(entry)


def decode_shard(
    records: list[dict[str, Any]],
    shard_id: str,
    covered: CoveredRecords,
    encoder: LakeLineEncoder,
    line_data: io.BytesIO,
) -> DecodedShard:
    """Skip, deaggregate and encode every record of one shard, in order.

    Lines are written into `line_data` from its start (a buffer the caller reuses across batches).
    A record lacking Kinesis fields raises InvalidKinesisEventError naming it; poison never raises.
    """
    line_data.seek(0)
    decoded = DecodedShard(records, LineBuffer(line_data))
    plain = _encode_plain_run(decoded, shard_id, covered.sequence_bound, encoder)
    if plain < len(records):
        _decode_rest(decoded, plain, shard_id, covered, encoder)
    return decoded


def _encode_plain_run(decoded: DecodedShard, shard_id: str, sequence_bound: int, encoder: LakeLineEncoder) -> int:
    """Encode the leading run of plain records and return its length.

    Plain: above the checkpoint's sequence bound, base64, not a KPL aggregate, a valid lake line;
    usually the whole batch. Record i of the run is item i and line i, so the items are written once
    at the end instead of appends per record (measurably cheaper). The first record that is not
    plain, or that raises, ends the run unconsumed: `_decode_rest` takes it from there, so poison is
    quarantined and a malformed record reported as by the general loop (a poison record is encoded
    twice, which only costs time).
    """
    write_line = encoder.write_line
    splice_head = encoder.splice_head(shard_id)
    line_data = decoded.lines.data
    line_ends_append = decoded.lines.ends.append
    line_end = decoded.lines.size
    min_arrival = decoded.min_arrival
    try:
        for record in decoded.records:
            kinesis = record["kinesis"]
            sequence_number = kinesis["sequenceNumber"]
            arrival = kinesis["approximateArrivalTimestamp"]
            if arrival < min_arrival:
                min_arrival = arrival
            if sequence_bound >= 0 and int(sequence_number) <= sequence_bound:
                break
            data = decode_data(kinesis["data"])
            # The first byte alone rules out an aggregate: cheaper than startswith.
            if data and data[0] == _KPL_FIRST_BYTE and data.startswith(KPL_MAGIC):
                break
            line_end += write_line(line_data, data, shard_id, splice_head, sequence_number, 0, arrival)
            line_ends_append(line_end)
            # Free the decoded bytes before the next record's are allocated, not when `data` is
            # rebound after it: the allocator then reuses the same memory (0.96x handler CPU in
            # an interleaved A/B).
            del data
    except (KeyError, TypeError, ValueError):  # includes PoisonRecordError and binascii.Error
        pass
    decoded.min_arrival = min_arrival
    plain = len(decoded.lines.ends)  # one line per plain record
    decoded.items.record.extend(range(plain))
    decoded.items.sub_sequence.extend([0] * plain)
    return plain


def _decode_rest(
    decoded: DecodedShard, start: int, shard_id: str, covered: CoveredRecords, encoder: LakeLineEncoder
) -> None:
    """The general loop, from record `start` on: duplicates, aggregates and poison as well."""
    records = decoded.records
    write_line = encoder.write_line
    splice_head = encoder.splice_head(shard_id)
    items = decoded.items
    item_record_append = items.record.append
    item_sub_sequence_append = items.sub_sequence.append
    line_data = decoded.lines.data
    line_ends_append = decoded.lines.ends.append
    line_end = decoded.lines.size
    line_data.seek(line_end)  # where the plain run left it, unless it ended in an unexpected error
    sequence_bound = covered.sequence_bound
    min_arrival = decoded.min_arrival
    index = start
    try:
        for index in range(start, len(records)):
            record = records[index]
            kinesis = record["kinesis"]
            sequence_number = kinesis["sequenceNumber"]
            arrival = kinesis["approximateArrivalTimestamp"]
            if arrival < min_arrival:
                min_arrival = arrival
            skip_through = -1
            if sequence_bound >= 0:
                sequence = int(sequence_number)
                if sequence <= sequence_bound:
                    skip_through = covered.skip_through(kinesis, sequence)
            try:
                data = decode_data(kinesis["data"])
            except ValueError as error:  # binascii.Error, or text that is not ASCII
                _undecodable(decoded, shard_id, index, skip_through, quarantine_reasons.not_base64(error))
                continue
            if data.startswith(KPL_MAGIC):
                _decode_aggregate(decoded, data, shard_id, index, skip_through, encoder)
                line_end = decoded.lines.size
                continue
            if skip_through >= 0:
                decoded.duplicates += 1
                continue
            item = len(items.record)
            item_record_append(index)
            item_sub_sequence_append(0)
            try:
                line_end += write_line(line_data, data, shard_id, splice_head, sequence_number, 0, arrival)
            except PoisonRecordError as poison:
                items.quarantined.append(item)
                decoded.quarantine.append(_entry(data, shard_id, record, 0, str(poison)))
                continue
            line_ends_append(line_end)
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidKinesisEventError(
            f"shard {shard_id} record {index}: not a Kinesis record ({type(error).__name__}: {error})"
        ) from None
    decoded.min_arrival = min_arrival


def _undecodable(decoded: DecodedShard, shard_id: str, index: int, skip_through: int, reason: str) -> None:
    """A record whose data is not base64: one poison item, its text as the quarantined bytes."""
    if skip_through >= 0:
        decoded.duplicates += 1
        return
    record = decoded.records[index]
    raw = str(record["kinesis"]["data"]).encode()
    decoded.add_poison(index, 0, _entry(raw, shard_id, record, 0, reason))


def _decode_aggregate(
    decoded: DecodedShard, data: bytes, shard_id: str, index: int, skip_through: int, encoder: LakeLineEncoder
) -> None:
    """A KPL aggregate: an item per sub-record past `skip_through`, or one poison item if corrupt."""
    record = decoded.records[index]
    try:
        user_records = deaggregate(data)
    except CorruptAggregateError as error:
        # The whole aggregate is one poison item at sub-sequence 0.
        if skip_through >= 0:
            decoded.duplicates += 1
        else:
            decoded.add_poison(index, 0, _entry(data, shard_id, record, 0, str(error)))
        return
    kinesis = record["kinesis"]
    sequence_number = kinesis["sequenceNumber"]
    arrival = kinesis["approximateArrivalTimestamp"]
    splice_head = encoder.splice_head(shard_id)
    items, lines = decoded.items, decoded.lines
    for sub_sequence, (user_data, partition_key) in enumerate(user_records):
        if sub_sequence <= skip_through:
            decoded.duplicates += 1
            continue
        try:
            line_bytes = encoder.write_line(
                lines.data, user_data, shard_id, splice_head, sequence_number, sub_sequence, arrival
            )
        except PoisonRecordError as poison:
            entry = entry_for_bytes(
                user_data, shard_id, sequence_number, sub_sequence, partition_key, arrival, str(poison)
            )
            decoded.add_poison(index, sub_sequence, entry)
            continue
        items.record.append(index)
        items.sub_sequence.append(sub_sequence)
        lines.ends.append(lines.size + line_bytes)


def _entry(data: bytes, shard_id: str, record: dict[str, Any], sub_sequence: int, reason: str) -> QuarantineEntry:
    kinesis = record["kinesis"]
    return entry_for_bytes(
        data,
        shard_id,
        kinesis["sequenceNumber"],
        sub_sequence,
        kinesis.get("partitionKey", ""),
        kinesis["approximateArrivalTimestamp"],
        reason,
    )
