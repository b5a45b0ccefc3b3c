"""Turn one user record's bytes into a lake line: validated envelope, PII masked, enriched, NDJSON."""

from __future__ import annotations

import orjson

from functions.consumer.envelope import envelope_violation
from functions.consumer.limits import FIREHOSE_MAX_RECORD_BYTES
from functions.consumer.pii import PiiMasker

_DUMP_OPTIONS = orjson.OPT_APPEND_NEWLINE


class PoisonRecordError(ValueError):
    """The record can never be delivered; the message is the quarantine reason."""


class LakeLineEncoder:
    """Validates and encodes records for one tenant; built once per invocation (fixed `ingested_at`)."""

    def __init__(
        self, tenant: str, masker: PiiMasker, max_event_bytes: int, ingested_at: str, ingested_epoch: float
    ) -> None:
        self._tenant = tenant
        self._mask = masker.mask if masker else None
        self._max_event_bytes = max_event_bytes
        self._ingested_at = ingested_at
        self._ingested_epoch_ms = ingested_epoch * 1000.0

    def encode(
        self,
        data: bytes,
        shard_id: str,
        sequence_number: str,
        sub_sequence_number: int,
        arrival_timestamp: float,
    ) -> bytes:
        """The NDJSON line for this record, or PoisonRecordError saying why it cannot be delivered."""
        if len(data) > self._max_event_bytes:
            raise PoisonRecordError(f"record is {len(data)} bytes, above MAX_EVENT_BYTES={self._max_event_bytes}")
        try:
            envelope = orjson.loads(data)
        except orjson.JSONDecodeError as error:
            raise PoisonRecordError(f"not JSON: {error}") from None
        problem = envelope_violation(envelope)
        if problem is not None:
            raise PoisonRecordError(f"not an event envelope: {problem}")
        if envelope["tenant"] != self._tenant:
            raise PoisonRecordError(
                f"tenant {envelope['tenant']!r:.140} does not match this consumer's tenant {self._tenant!r}"
            )
        if self._mask is not None:
            self._mask(envelope)
        envelope["ingested_at"] = self._ingested_at
        envelope["arrival_lag_ms"] = int(self._ingested_epoch_ms - arrival_timestamp * 1000.0)
        envelope["shard_id"] = shard_id
        envelope["sequence_number"] = sequence_number
        envelope["sub_sequence_number"] = sub_sequence_number
        line = orjson.dumps(envelope, option=_DUMP_OPTIONS)
        if len(line) > FIREHOSE_MAX_RECORD_BYTES:
            raise PoisonRecordError(
                f"lake line is {len(line)} bytes, above the Firehose record limit {FIREHOSE_MAX_RECORD_BYTES}"
            )
        return line
