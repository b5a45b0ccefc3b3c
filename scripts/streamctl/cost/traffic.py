"""Traffic assumptions for the cost model: per stream throughput, record size, and the consumer's cost per batch.

A traffic file (YAML or JSON) sets defaults and per-stream values; streams it does not list are idle:

    defaults: {record_bytes: 1024, peak_to_average: 2.0}
    streams:
      acme/clicks: {mb_per_s: 4.0, record_bytes: 800}
      globex/telemetry: {mb_per_s: 0.5}
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from functions.aws_limits import KINESIS_MAX_RECORD_BYTES


class StreamTraffic(BaseModel):
    """One stream's average traffic and the assumptions the model cannot know from the config."""

    model_config = ConfigDict(extra="forbid")

    mb_per_s: float = Field(default=0.0, ge=0, description="Average producer throughput, MB (10^6 bytes) per second.")
    record_bytes: int = Field(default=1024, ge=1, le=KINESIS_MAX_RECORD_BYTES, description="Average record size.")
    peak_to_average: float = Field(
        default=1.0, ge=1, description="Peak / average throughput: sizes provisioned shards."
    )
    consumer_ms_per_batch: float = Field(
        default=30.0, ge=0, description="Consumer time per invocation apart from records (Firehose, DynamoDB calls)."
    )
    consumer_us_per_record: float | None = Field(
        default=None,
        ge=0,
        description="Consumer Duration per record (decode, validate, mask, encode); default: the benchmark's "
        "CPU time per record, scaled by the consumer's share of a vCPU.",
    )
    lake_compression_ratio: float = Field(
        default=0.2, gt=0, le=1, description="Compressed / raw size of lake objects (GZIP on JSON lines)."
    )

    @property
    def bytes_per_s(self) -> float:
        return self.mb_per_s * 1e6

    @property
    def records_per_s(self) -> float:
        return self.bytes_per_s / self.record_bytes


class TrafficFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    defaults: dict[str, Any] = Field(default_factory=dict)
    streams: dict[str, dict[str, Any]] = Field(default_factory=dict)


class TrafficError(ValueError):
    """The traffic input is unusable; the message names the file and the key."""


def _stream_traffic(values: dict[str, Any], where: str) -> StreamTraffic:
    try:
        return StreamTraffic.model_validate(values)
    except ValidationError as error:
        problems = "; ".join(
            f"{where}.{'.'.join(str(p) for p in item['loc'])}: {item['msg']}"
            for item in error.errors(include_url=False)
        )
        raise TrafficError(problems) from None


def uniform_traffic(streams: Iterable[tuple[str, str]], mb_per_s: float, record_bytes: int) -> dict[str, StreamTraffic]:
    """The same throughput on every stream (`--mb-per-s`)."""
    traffic = _stream_traffic({"mb_per_s": mb_per_s, "record_bytes": record_bytes}, "--mb-per-s")
    return {f"{tenant}/{stream}": traffic for tenant, stream in streams}


def load_traffic(path: Path, streams: Iterable[tuple[str, str]]) -> dict[str, StreamTraffic]:
    """Traffic per `tenant/stream` from a file; every key must be a stream of the stack."""
    known = {f"{tenant}/{stream}" for tenant, stream in streams}
    try:
        document = yaml.safe_load(path.read_text()) or {}
        parsed = TrafficFile.model_validate(document)
    except (OSError, yaml.YAMLError) as error:
        raise TrafficError(f"{path}: {error}") from None
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        raise TrafficError(f"{path}: {'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
    unknown = sorted(set(parsed.streams) - known)
    if unknown:
        raise TrafficError(
            f"{path}: streams.{unknown[0]} is not a stream of the stack; streams: {', '.join(sorted(known))}"
        )
    _stream_traffic(parsed.defaults, f"{path}: defaults")
    return {
        key: _stream_traffic(parsed.defaults | parsed.streams.get(key, {}), f"{path}: streams.{key}")
        for key in sorted(known)
    }
