"""Shard scaler Lambda: one per autoscaled stream, every minute (EventBridge) and on the throttle alarm (SNS).

It reads the stream and its CloudWatch metrics, asks the pure policy (functions.shard_scaler.policy) for a
decision, records the decision in the scaling table first (so two concurrent invocations cannot both act,
and the rolling 24-hour call count is never under-counted), then calls UpdateShardCount/UpdateStreamMode.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from functions.aws_clients import ClientCache
from functions.shard_scaler.metrics_reader import read_minutes
from functions.shard_scaler.policy import LOOKBACK_MINUTES, StreamMode, StreamStatus, StreamView, decide, round_due
from functions.shard_scaler.state import ScalingStateStore, StateConflict

logger = Logger()
metrics = Metrics()
_CLIENT_CACHE = ClientCache(read_timeout=10)
aws_client = _CLIENT_CACHE.get
forget_clients = _CLIENT_CACHE.clear


class ScalerConfigError(ValueError):
    """A missing or malformed environment variable; the message names it."""


@dataclass(frozen=True)
class ScalerSettings:
    stream_name: str
    stream_arn: str
    scaling_table: str
    tenant: str
    min_shards: int
    max_shards: int
    consumer_function: str | None
    allow_mode_switch: bool

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> ScalerSettings:
        env = dict(os.environ) if env is None else env

        def required(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise ScalerConfigError(f"environment variable {name} is required")
            return value

        def integer(name: str, default: int) -> int:
            raw = env.get(name, "").strip()
            try:
                return int(raw) if raw else default
            except ValueError:
                raise ScalerConfigError(f"environment variable {name} must be an integer, got {raw!r}") from None

        switch = env.get("ALLOW_MODE_SWITCH", "false").strip().lower()
        if switch not in ("true", "false", ""):
            raise ScalerConfigError(f"environment variable ALLOW_MODE_SWITCH must be true or false, got {switch!r}")
        min_shards, max_shards = integer("MIN_SHARDS", 1), integer("MAX_SHARDS", 500)
        if not 1 <= min_shards <= max_shards:
            raise ScalerConfigError(f"need 1 <= MIN_SHARDS <= MAX_SHARDS, got {min_shards} and {max_shards}")
        return cls(
            stream_name=required("STREAM_NAME"),
            stream_arn=required("STREAM_ARN"),
            scaling_table=required("SCALING_TABLE"),
            tenant=required("TENANT"),
            min_shards=min_shards,
            max_shards=max_shards,
            consumer_function=env.get("CONSUMER_FUNCTION", "").strip() or None,
            allow_mode_switch=switch == "true",
        )


def invocation_trigger(event: Any) -> str | None:
    """'schedule' for an EventBridge scheduled event, 'alarm' for SNS-wrapped alarms, None otherwise."""
    if not isinstance(event, dict):
        return None
    if event.get("source") == "aws.events" or event.get("detail-type") == "Scheduled Event":
        return "schedule"
    records = event.get("Records")
    if (
        isinstance(records, list)
        and records
        and all(
            isinstance(r, dict) and r.get("EventSource") == "aws:sns" and isinstance(r.get("Sns"), dict)
            for r in records
        )
    ):
        return "alarm"
    return None


def _stream_view(settings: ScalerSettings) -> StreamView:
    summary = aws_client("kinesis").describe_stream_summary(StreamName=settings.stream_name)
    description = summary["StreamDescriptionSummary"]
    mode = description.get("StreamModeDetails", {}).get("StreamMode", StreamMode.PROVISIONED.value)
    return StreamView(
        shards=int(description["OpenShardCount"]),
        status=StreamStatus(description["StreamStatus"]),
        mode=StreamMode(mode),
        min_shards=settings.min_shards,
        max_shards=settings.max_shards,
    )


def scale_stream(settings: ScalerSettings, now: datetime, trigger: str) -> dict[str, Any]:
    """One scaling round; returns what was decided (also logged and recorded)."""
    minute = int(now.timestamp()) // 60
    store = ScalingStateStore(aws_client("dynamodb"), settings.scaling_table, settings.tenant, settings.stream_name)
    state = store.load()
    stream = _stream_view(settings)
    if trigger == "schedule" and not round_due(stream, state.updated_minute, minute):
        # No GetMetricData, no write: the next due round reads these minutes too.
        logger.debug("on-demand stream between rounds", extra={"last_round_minute": state.updated_minute})
        return {"action": "skipped", "reason": "on-demand stream between rounds", "trigger": trigger}
    window = read_minutes(
        aws_client("cloudwatch"), settings.stream_name, settings.consumer_function, now, LOOKBACK_MINUTES
    )
    decision = decide(minute, window, stream, state.history, state.memory, allow_mode_switch=settings.allow_mode_switch)
    history = state.history.recorded(minute, decision) if _acts(decision) else state.history
    try:
        store.save(
            history,
            decision.memory,
            expected_version=state.version,
            decision=decision,
            shards=stream.shards,
            minute=minute,
        )
    except StateConflict:
        logger.warning("another invocation scaled this stream concurrently; skipping", extra={"trigger": trigger})
        return {"action": "none", "reason": "concurrent invocation"}
    result: dict[str, Any] = {
        "action": "none",
        "reason": decision.reason,
        "shards": stream.shards,
        "headroom": round(decision.headroom, 3),
        "trigger": trigger,
    }
    kinesis = aws_client("kinesis")
    if decision.target_shards is not None:
        try:
            kinesis.update_shard_count(
                StreamARN=settings.stream_arn, TargetShardCount=decision.target_shards, ScalingType="UNIFORM_SCALING"
            )
            result.update(action="update_shard_count", target_shards=decision.target_shards)
        except (kinesis.exceptions.LimitExceededException, kinesis.exceptions.ResourceInUseException) as error:
            logger.warning("UpdateShardCount refused", extra={"error": str(error)})
            result.update(action="refused", error=str(error))
    elif decision.target_mode is not None:
        try:
            kinesis.update_stream_mode(
                StreamARN=settings.stream_arn, StreamModeDetails={"StreamMode": decision.target_mode.value}
            )
            result.update(action="update_stream_mode", target_mode=decision.target_mode.value)
        except (kinesis.exceptions.LimitExceededException, kinesis.exceptions.ResourceInUseException) as error:
            logger.warning("UpdateStreamMode refused", extra={"error": str(error)})
            result.update(action="refused", error=str(error))
    metrics.add_metric(name="OpenShards", unit=MetricUnit.Count, value=stream.shards)
    metrics.add_metric(name="Headroom", unit=MetricUnit.Count, value=decision.headroom)
    if result["action"] in ("update_shard_count", "update_stream_mode"):
        metrics.add_metric(name="ScalingActions", unit=MetricUnit.Count, value=1)
    logger.info("scaling round", extra=result)
    return result


def _acts(decision: Any) -> bool:
    return decision.target_shards is not None or decision.target_mode is not None


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    trigger = invocation_trigger(event)
    if trigger is None:
        # Returning (not raising) keeps an unexpected event source from retrying into a crash loop.
        logger.error(
            "rejected event: neither an EventBridge schedule nor an SNS alarm notification",
            extra={"event_keys": sorted(event) if isinstance(event, dict) else type(event).__name__},
        )
        return {"action": "rejected", "reason": "unsupported event"}
    settings = ScalerSettings.from_env()
    logger.append_keys(stream=settings.stream_name, tenant=settings.tenant)
    return scale_stream(settings, datetime.now(UTC), trigger)
