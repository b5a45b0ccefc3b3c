"""Shard scaler Lambda: one per autoscaled stream, every minute (EventBridge) and on the throttle alarm (SNS).

It reads the stream and its CloudWatch metrics, asks the pure policy (functions.shard_scaler.policy) for a
decision, records the decision in the scaling table first (so two concurrent invocations cannot both act,
and the rolling 24-hour call count is never under-counted), then calls UpdateShardCount/UpdateStreamMode.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from functions.aws_clients import ClientCache
from functions.shard_scaler.config import ScalerConfig
from functions.shard_scaler.metrics_reader import read_minutes
from functions.shard_scaler.policy import LOOKBACK_MINUTES, StreamMode, StreamStatus, StreamView, decide, round_due
from functions.shard_scaler.state import ScalingStateStore, StateConflict

logger = Logger()
metrics = Metrics()
_CLIENT_CACHE = ClientCache(read_timeout=10)
aws_client = _CLIENT_CACHE.get
forget_clients = _CLIENT_CACHE.clear


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


def _stream_view(config: ScalerConfig) -> StreamView:
    summary = aws_client("kinesis").describe_stream_summary(StreamName=config.stream_name)
    description = summary["StreamDescriptionSummary"]
    mode = description.get("StreamModeDetails", {}).get("StreamMode", StreamMode.PROVISIONED.value)
    return StreamView(
        shards=int(description["OpenShardCount"]),
        status=StreamStatus(description["StreamStatus"]),
        mode=StreamMode(mode),
        min_shards=config.min_shards,
        max_shards=config.max_shards,
    )


def scale_stream(config: ScalerConfig, now: datetime, trigger: str) -> dict[str, Any]:
    """One scaling round; returns what was decided (also logged and recorded)."""
    minute = int(now.timestamp()) // 60
    store = ScalingStateStore(aws_client("dynamodb"), config.scaling_table, config.tenant, config.stream_name)
    state = store.load()
    stream = _stream_view(config)
    if trigger == "schedule" and not round_due(stream, state.updated_minute, minute):
        # No GetMetricData, no write: the next due round reads these minutes too.
        logger.debug("on-demand stream between rounds", extra={"last_round_minute": state.updated_minute})
        return {"action": "skipped", "reason": "on-demand stream between rounds", "trigger": trigger}
    window = read_minutes(aws_client("cloudwatch"), config.stream_name, config.consumer_function, now, LOOKBACK_MINUTES)
    decision = decide(minute, window, stream, state.history, state.memory, allow_mode_switch=config.allow_mode_switch)
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
                StreamARN=config.stream_arn, TargetShardCount=decision.target_shards, ScalingType="UNIFORM_SCALING"
            )
            result.update(action="update_shard_count", target_shards=decision.target_shards)
        except (kinesis.exceptions.LimitExceededException, kinesis.exceptions.ResourceInUseException) as error:
            logger.warning("UpdateShardCount refused", extra={"error": str(error)})
            result.update(action="refused", error=str(error))
    elif decision.target_mode is not None:
        try:
            kinesis.update_stream_mode(
                StreamARN=config.stream_arn, StreamModeDetails={"StreamMode": decision.target_mode.value}
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
    config = ScalerConfig.from_env()
    logger.append_keys(stream=config.stream_name, tenant=config.tenant)
    return scale_stream(config, datetime.now(UTC), trigger)
