"""Lambda entry point: wires environment, boto3 clients and Powertools around `KinesisConsumer`.

Clients are created lazily (`functions.aws_clients`) and reused across warm invocations; tests and local
mode put clients into `CLIENT_CACHE.clients` or set AWS_ENDPOINT_URL before the first call.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.aws_clients import ClientCache
from functions.consumer.config import ConsumerConfig
from functions.consumer.kinesis_event import records_by_shard, sequence_range
from functions.consumer.processor import BatchStats, KinesisConsumer
from functions.powertools_environment import ENV_METRICS_NAMESPACE, ENV_SERVICE_NAME

logger = Logger()
metrics = Metrics()
tracer = Tracer()

CLIENT_CACHE = ClientCache(read_timeout=20)
aws_client = CLIENT_CACHE.get
_consumer: KinesisConsumer | None = None


def consumer() -> KinesisConsumer:
    global _consumer
    if _consumer is None:
        config = ConsumerConfig.from_env(os.environ)
        # Local mode may import this module before setting the environment; Powertools read it at import.
        metrics.namespace = metrics.namespace or os.environ.get(ENV_METRICS_NAMESPACE)
        metrics.service = metrics.service or os.environ.get(ENV_SERVICE_NAME)
        _consumer = KinesisConsumer(
            config,
            firehose_client=aws_client("firehose"),
            dynamodb_client=aws_client("dynamodb"),
            s3_client=aws_client("s3"),
            logger=logger,
        )
    return _consumer


def reset() -> None:
    """Forget cached configuration and clients (tests, and local mode after changing the environment)."""
    global _consumer
    _consumer = None
    CLIENT_CACHE.clear()


def publish_metrics(config: ConsumerConfig, stats: BatchStats) -> None:
    # Per invocation, not default dimensions: Powertools shares those across Metrics instances, and
    # local mode hosts several consumers in one process.
    metrics.add_dimension(name="tenant", value=config.tenant)
    metrics.add_dimension(name="stream", value=config.stream_name)
    metrics.add_metric(name="RecordsIn", unit=MetricUnit.Count, value=stats.records_in)
    metrics.add_metric(name="RecordsDelivered", unit=MetricUnit.Count, value=stats.delivered)
    metrics.add_metric(name="RecordsQuarantined", unit=MetricUnit.Count, value=stats.quarantined)
    metrics.add_metric(name="DuplicatesSkipped", unit=MetricUnit.Count, value=stats.duplicates_skipped)
    metrics.add_metric(name="DeliveryRetries", unit=MetricUnit.Count, value=stats.delivery_retries)
    metrics.add_metric(name="RecordsLeftForRetry", unit=MetricUnit.Count, value=stats.left_for_retry)
    metrics.add_metric(name="CheckpointErrors", unit=MetricUnit.Count, value=stats.checkpoint_errors)
    metrics.add_metric(name="MaxArrivalLag", unit=MetricUnit.Milliseconds, value=stats.max_arrival_lag_ms)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, list[dict[str, str]]]:
    batch_consumer = consumer()
    shards = records_by_shard(event)
    if shards:
        first_records = next(iter(shards.values()))
        first, last = sequence_range(first_records)
        logger.append_keys(shard_id=",".join(shards), sequence_range={"first": first, "last": last})
    result = batch_consumer.process_shards(shards, time_left_ms=context.get_remaining_time_in_millis)
    publish_metrics(batch_consumer.config, result.stats)
    logger.info("batch processed", extra={"stats": _as_dict(result.stats)})
    return result.response()


def _as_dict(stats: BatchStats) -> dict[str, int]:
    return {name: getattr(stats, name) for name in BatchStats.__slots__}
