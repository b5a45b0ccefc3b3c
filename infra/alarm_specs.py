"""What each tenant stream's alarms watch, apart from Pulumi: the program builds them, the cost model counts them."""

from __future__ import annotations

from dataclasses import dataclass

from infra import defaults
from infra.config import StreamSettings


@dataclass(frozen=True)
class AlarmSpec:
    """One CloudWatch alarm; `kind` names its runbook page `docs/runbooks/<kind>.md`."""

    kind: str
    summary: str
    namespace: str
    metric: str
    dimension: str
    statistic: str
    threshold: float
    comparison: str = "GreaterThanOrEqualToThreshold"


def alarm_specs(settings: StreamSettings, delivery_buffer_seconds: int) -> list[AlarmSpec]:
    """What to watch on a stream pipeline, with the stream's threshold overrides applied."""
    limits = settings.alarms
    freshness = limits.delivery_freshness_seconds or defaults.delivery_freshness_threshold(delivery_buffer_seconds)
    return [
        AlarmSpec(
            "iterator-age",
            "Consumer is falling behind the stream",
            "AWS/Kinesis",
            "GetRecords.IteratorAgeMilliseconds",
            "StreamName",
            "Maximum",
            limits.iterator_age_seconds * 1000,
            "GreaterThanThreshold",
        ),
        AlarmSpec(
            "write-throttled",
            "Producers are throttled: the stream needs more capacity",
            "AWS/Kinesis",
            "WriteProvisionedThroughputExceeded",
            "StreamName",
            "Sum",
            limits.write_throttled_records,
        ),
        AlarmSpec(
            "read-throttled",
            "Reads are throttled: too many consumers or GetRecords calls",
            "AWS/Kinesis",
            "ReadProvisionedThroughputExceeded",
            "StreamName",
            "Sum",
            limits.read_throttled_records,
        ),
        AlarmSpec(
            "consumer-errors",
            "Consumer invocations fail",
            "AWS/Lambda",
            "Errors",
            "FunctionName",
            "Sum",
            limits.consumer_errors,
        ),
        AlarmSpec(
            "consumer-throttles",
            "Consumer invocations are throttled",
            "AWS/Lambda",
            "Throttles",
            "FunctionName",
            "Sum",
            limits.consumer_throttles,
        ),
        AlarmSpec(
            "failure-queue-depth",
            "Batches gave up and wait in the on-failure queue for replay",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            "QueueName",
            "Maximum",
            limits.failure_queue_depth,
        ),
        AlarmSpec(
            "delivery-freshness",
            "Events are not reaching the lake in time",
            "AWS/Firehose",
            "DeliveryToS3.DataFreshness",
            "DeliveryStreamName",
            "Maximum",
            freshness,
            "GreaterThanThreshold",
        ),
    ]
