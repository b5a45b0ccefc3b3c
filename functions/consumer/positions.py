"""Record positions within a shard: (sequence number, sub-sequence number) and their sortable encoding.

Kinesis sequence numbers have up to 56 digits, more than a DynamoDB number holds (38), so the checkpoint
stores a fixed-width zero-padded string whose lexicographic order is the numeric order.
"""

from __future__ import annotations

from typing import NamedTuple

# Zero-padded to these widths, string order is numeric order; 64 leaves room above the 56 digits Kinesis
# assigns (functions.aws_limits.KINESIS_SEQUENCE_NUMBER_DIGITS).
POSITION_SEQUENCE_WIDTH = 64
POSITION_SUB_SEQUENCE_WIDTH = 10


class Position(NamedTuple):
    """Where a user record sits in its shard; tuples compare in delivery order."""

    sequence: int
    sub_sequence: int


def parse_sequence_number(text: str) -> int:
    """The integer value of a Kinesis sequence number string, or ValueError naming the bad value."""
    if not text.isascii() or not text.isdigit() or len(text) > POSITION_SEQUENCE_WIDTH:
        raise ValueError(f"sequence number {text!r} is not a decimal string of at most 64 digits")
    return int(text)


def encode_position(sequence_number: str, sub_sequence_number: int) -> str:
    """Fixed-width string whose lexicographic order equals the order of positions."""
    sequence = parse_sequence_number(sequence_number)
    if not 0 <= sub_sequence_number < 10**POSITION_SUB_SEQUENCE_WIDTH:
        raise ValueError(f"sub-sequence number {sub_sequence_number} is out of range")
    return f"{sequence:0{POSITION_SEQUENCE_WIDTH}d}.{sub_sequence_number:0{POSITION_SUB_SEQUENCE_WIDTH}d}"


def decode_position(encoded: str) -> Position:
    """Inverse of `encode_position`; ValueError names a malformed stored value."""
    sequence_text, dot, sub_text = encoded.partition(".")
    if (
        not dot
        or len(sequence_text) != POSITION_SEQUENCE_WIDTH
        or len(sub_text) != POSITION_SUB_SEQUENCE_WIDTH
        or not (sequence_text + sub_text).isascii()
        or not (sequence_text + sub_text).isdigit()
    ):
        raise ValueError(f"checkpoint position {encoded!r} is not '<64 digits>.<10 digits>'")
    return Position(int(sequence_text), int(sub_text))
