"""Every reason the consumer gives for quarantining a record, worded here and nowhere else.

Operators read these in quarantine entries and filter on them (`streamctl replay quarantine
--reason-contains`), and the replay tool predicts them for records it might put back
(scripts/streamctl/replay/consumer_code.py). Both word them with these functions, so a prediction
reads exactly like the entry the consumer would write. Each reason starts with a fixed phrase naming
the rule broken; the details after it come from the check that failed.
"""

from __future__ import annotations


def not_base64(error: Exception) -> str:
    """The record's `data` is not strict base64 (`error`: binascii's own message)."""
    return f"not base64: {error}"


def corrupt_aggregate(detail: str) -> str:
    """The record starts with the KPL magic but is not a valid aggregate."""
    return f"corrupt KPL aggregate: {detail}"


def too_large(record_bytes: int, max_event_bytes: int) -> str:
    """The user record is above the consumer's MAX_EVENT_BYTES."""
    return f"record is {record_bytes} bytes, above MAX_EVENT_BYTES={max_event_bytes}"


def not_json(error: Exception) -> str:
    """The user record is not UTF-8 JSON (`error`: orjson's message)."""
    return f"not JSON: {error}"


def not_reencodable(error: Exception) -> str:
    """Valid JSON that orjson cannot represent (a number beyond double range), where the line must be re-encoded."""
    return f"valid JSON that cannot be re-encoded (for PII masking, line breaks or surrounding whitespace): {error}"


def not_an_envelope(problem: str) -> str:
    """The JSON is not an event envelope (`problem`: `envelope_violation`'s explanation)."""
    return f"not an event envelope: {problem}"


def other_tenant(tenant: object, consumer_tenant: str) -> str:
    """A valid envelope of another tenant (its `tenant` is cut to 140 characters of repr)."""
    return f"tenant {tenant!r:.140} does not match this consumer's tenant {consumer_tenant!r}"


def line_too_large(line_bytes: int, max_record_bytes: int) -> str:
    """The enriched lake line would be above the Firehose record limit."""
    return f"lake line is {line_bytes} bytes, above the Firehose record limit {max_record_bytes}"
