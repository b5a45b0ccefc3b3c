from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.aws_limits import KINESIS_MAX_BYTES_PER_CALL, KINESIS_MAX_RECORD_BYTES, KINESIS_MAX_RECORDS_PER_CALL
from streamctl.loadtest.batching import KinesisEntry, RecordTooLargeError, UserRecord, chunk_entries, single_entry


def entry(size: int, key: str = "k") -> KinesisEntry:
    return KinesisEntry(key, b"x" * size, ("id",), size)


def test_batches_hold_at_most_500_entries() -> None:
    batches = list(chunk_entries(entry(10) for _ in range(1_201)))
    assert [len(batch) for batch in batches] == [500, 500, 201]


def test_batches_stay_within_five_mebibytes_counting_partition_keys() -> None:
    # 600 KiB records with a 1-byte key: eight fit in 5 MiB, the ninth would not.
    size = 600 * 1024
    batches = list(chunk_entries(entry(size) for _ in range(20)))
    assert all(sum(e.size_bytes for e in batch) <= KINESIS_MAX_BYTES_PER_CALL for batch in batches)
    assert [len(batch) for batch in batches] == [8, 8, 4]


def test_a_record_of_exactly_one_mebibyte_with_its_key_is_accepted() -> None:
    record = UserRecord("key", b"x" * (KINESIS_MAX_RECORD_BYTES - 3), "e1")
    assert single_entry(record).size_bytes == KINESIS_MAX_RECORD_BYTES


def test_a_record_over_one_mebibyte_is_refused_naming_the_record() -> None:
    record = UserRecord("key", b"x" * (KINESIS_MAX_RECORD_BYTES - 2), "event-42")
    with pytest.raises(RecordTooLargeError, match="event-42"):
        single_entry(record)


def test_partition_keys_longer_than_256_characters_are_refused() -> None:
    with pytest.raises(ValueError, match="257 characters"):
        single_entry(UserRecord("k" * 257, b"x"))


def test_order_of_entries_is_kept_across_batches() -> None:
    entries = [KinesisEntry(str(index), b"x", (str(index),), 1) for index in range(KINESIS_MAX_RECORDS_PER_CALL + 10)]
    flattened = [e.partition_key for batch in chunk_entries(entries) for e in batch]
    assert flattened == [str(index) for index in range(KINESIS_MAX_RECORDS_PER_CALL + 10)]


@given(st.lists(st.integers(min_value=1, max_value=KINESIS_MAX_RECORD_BYTES - 1), max_size=1_200))
@settings(max_examples=40, deadline=None)
def test_any_sequence_of_records_is_cut_into_valid_calls_without_loss_or_reordering(sizes: list[int]) -> None:
    sized = [KinesisEntry("k", b"x" * size, (str(index),), size) for index, size in enumerate(sizes)]
    batches = list(chunk_entries(sized))
    assert [e.record_ids for batch in batches for e in batch] == [e.record_ids for e in sized]
    for batch in batches:
        assert 1 <= len(batch) <= KINESIS_MAX_RECORDS_PER_CALL
        assert sum(e.size_bytes for e in batch) <= KINESIS_MAX_BYTES_PER_CALL
