"""Turn one user record's bytes into a lake line: validated envelope, PII masked, enriched, NDJSON.

Fast path: when masking changes nothing, the line is the producer's validated bytes with the
enrichment spliced in before the closing brace, so the envelope is not re-serialized (that alone cost
as much as the JSON parse). It applies only when the bytes end in "}" and hold no raw CR/LF (JSON
allows those only as whitespace, and they would split the NDJSON line); otherwise orjson re-encodes.
Without PII fields a spliced record is not even parsed: msgspec checks the raw bytes against the
envelope schema (`envelope_tenant`), and only what it does not accept goes through orjson.
"""

from __future__ import annotations

import io
from typing import Any

import orjson

from functions.aws_limits import FIREHOSE_MAX_RECORD_BYTES
from functions.consumer import quarantine_reasons
from functions.consumer.envelope import envelope_tenant, envelope_violation
from functions.consumer.pii import PiiMasker

_DUMP_OPTIONS = orjson.OPT_APPEND_NEWLINE
_LF = ord("\n")
_CR = ord("\r")
_SEEK_CUR = io.SEEK_CUR


def _spliceable(data: bytes, sequence_number: str) -> bool:
    """Whether the enrichment can replace the last byte of `data` (a valid envelope) to make its line."""
    return (
        data[-1:] == b"}"
        # An int needle is a bare memchr: a bytes needle costs 3x (`find` parses its arguments into
        # a tuple; `in` tries the int path first and clears the TypeError).
        and _LF not in data
        and _CR not in data
        # The sequence number goes into the JSON unescaped: ASCII digits never need escaping
        # (checked on bytes: str.isdigit consults the Unicode database per character).
        and sequence_number.isascii()
        and sequence_number.encode().isdigit()
    )


class PoisonRecordError(ValueError):
    """The record can never be delivered; the message is the quarantine reason."""


# Longest enrichment the splice adds: fixed keys, a 64-digit sequence number, numbers and timestamps.
_SPLICE_TAIL_MAX_BYTES = 512


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
        # Spliced lines cannot outgrow a Firehose record unless the event limit allows it.
        self._check_spliced_size = max_event_bytes + _SPLICE_TAIL_MAX_BYTES > FIREHOSE_MAX_RECORD_BYTES

    def splice_head(self, shard_id: str) -> str:
        """The constant start of the spliced enrichment for one shard (computed once per shard)."""
        fields = orjson.dumps({"ingested_at": self._ingested_at, "shard_id": shard_id}).decode()
        return "," + fields[1:-1] + ',"sequence_number":"'

    def write_line(
        self,
        out: io.BytesIO,
        data: bytes,
        shard_id: str,
        splice_head: str,
        sequence_number: str,
        sub_sequence_number: int,
        arrival_timestamp: float,
    ) -> int:
        """Write this record's NDJSON line at `out`'s position and return its length, or raise
        PoisonRecordError saying why not (with `out`'s position unchanged).

        `splice_head` is `self.splice_head(shard_id)`, passed in so the hot loop computes it once.
        """
        if len(data) > self._max_event_bytes:
            raise PoisonRecordError(quarantine_reasons.too_large(len(data), self._max_event_bytes))
        arrival_lag_ms = int(self._ingested_epoch_ms - arrival_timestamp * 1000.0)
        # Without masking, a record msgspec vouches for is spliced unparsed: the common case.
        if not (self._mask is None and _spliceable(data, sequence_number) and envelope_tenant(data) == self._tenant):
            envelope = self._parse(data)
            if (self._mask is not None and self._mask(envelope)) or not _spliceable(data, sequence_number):
                envelope["ingested_at"] = self._ingested_at
                envelope["arrival_lag_ms"] = arrival_lag_ms
                envelope["shard_id"] = shard_id
                envelope["sequence_number"] = sequence_number
                envelope["sub_sequence_number"] = sub_sequence_number
                line = orjson.dumps(envelope, option=_DUMP_OPTIONS)
                out.write(line)
                return self._check_line_size(out, len(line))
        tail = (
            f'{splice_head}{sequence_number}","sub_sequence_number":{sub_sequence_number},'
            f'"arrival_lag_ms":{arrival_lag_ms}}}\n'
        ).encode()
        out.write(data)
        out.seek(-1, _SEEK_CUR)  # the tail replaces the closing brace
        out.write(tail)
        line_bytes = len(data) - 1 + len(tail)
        return self._check_line_size(out, line_bytes) if self._check_spliced_size else line_bytes

    def _parse(self, data: bytes) -> dict[str, Any]:
        """The envelope, parsed and validated, or PoisonRecordError saying why it is not one of ours."""
        try:
            envelope = orjson.loads(data)
        except orjson.JSONDecodeError as error:
            if envelope_tenant(data) is not None:  # valid, but with a number beyond double range
                raise PoisonRecordError(quarantine_reasons.not_reencodable(error)) from None
            raise PoisonRecordError(quarantine_reasons.not_json(error)) from None
        problem = envelope_violation(envelope)
        if problem is not None:
            raise PoisonRecordError(quarantine_reasons.not_an_envelope(problem))
        if envelope["tenant"] != self._tenant:
            raise PoisonRecordError(quarantine_reasons.other_tenant(envelope["tenant"], self._tenant))
        return envelope

    @staticmethod
    def _check_line_size(out: io.BytesIO, line_bytes: int) -> int:
        """`line_bytes`, or PoisonRecordError (with the line taken back) when Firehose would refuse it."""
        if line_bytes > FIREHOSE_MAX_RECORD_BYTES:
            out.seek(-line_bytes, _SEEK_CUR)
            raise PoisonRecordError(quarantine_reasons.line_too_large(line_bytes, FIREHOSE_MAX_RECORD_BYTES))
        return line_bytes
