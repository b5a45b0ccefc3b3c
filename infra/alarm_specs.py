"""What each alarm watches, apart from Pulumi: the program builds them, the cost model counts them, the alarm
evaluator (`infra/alarm_evaluation.py`) and local mode evaluate them.

Each alarm kind decides what a period without datapoints means (`MissingData`), from when AWS emits its metric;
the reason is written here once and shown on the kind's runbook page (`docs/runbooks/<kind>.md`, checked by
tests/infra/test_runbooks.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from infra import defaults
from infra.config import StreamSettings

TreatMissingData = Literal["breaching", "notBreaching", "ignore", "missing"]
# The id of a metric-math alarm's expression (MetricDataQuery Id: a lowercase letter first,
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataQuery.html).
EXPRESSION_ID = "result"

KINESIS_METRICS = "https://docs.aws.amazon.com/streams/latest/dev/monitoring-with-cloudwatch.html"
LAMBDA_METRICS = "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html"
SQS_METRICS = (
    "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html"
)
FIREHOSE_METRICS = "https://docs.aws.amazon.com/firehose/latest/dev/monitoring-with-cloudwatch-metrics.html"
S3_REPLICATION_METRICS = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/repl-metrics.html"


@dataclass(frozen=True)
class MissingData:
    """How the alarm treats a period without datapoints (PutMetricAlarm TreatMissingData), and why."""

    treatment: TreatMissingData
    reason: str


ONLY_ON_WRITES = MissingData(
    "notBreaching",
    "Kinesis reports WriteProvisionedThroughputExceeded for PutRecord and PutRecords calls "
    f"({KINESIS_METRICS}, basic stream-level metrics): no datapoint means nobody wrote, so nothing was throttled.",
)
ONLY_ON_READS = MissingData(
    "notBreaching",
    f"Kinesis reports ReadProvisionedThroughputExceeded for GetRecords calls ({KINESIS_METRICS}): no datapoint "
    "means nobody read, so nothing was throttled; a consumer that stopped reading is the stalled-consumer alarm's.",
)
ITERATOR_AGE = MissingData(
    "ignore",
    f"Kinesis reports GetRecords.IteratorAgeMilliseconds only for GetRecords calls ({KINESIS_METRICS}): when the "
    "consumer stops polling there are no datapoints, which is no sign of health. Missing data keeps the alarm's "
    "state: a consumer that lagged and then stopped stays in ALARM; one that stops while healthy, with records "
    "arriving, raises stalled-consumer. Not breaching: a new stream has no datapoints until its mapping polls, "
    "and would page at every deploy.",
)
ONLY_ON_INVOCATIONS = MissingData(
    "notBreaching",
    f"Lambda reports invocation metrics (Invocations, Errors, Throttles) only when the function is invoked "
    f"({LAMBDA_METRICS}, invocation metrics): no datapoint means no invocation, so nothing failed; a consumer "
    "that is not invoked while records arrive is the stalled-consumer alarm's.",
)
STALLED_CONSUMER = MissingData(
    "notBreaching",
    "The expression FILLs both inputs with 0, so every period in which records arrived or the function ran has a "
    "value; a period with neither is an idle stream, which is healthy.",
)
QUEUE_INACTIVE = MissingData(
    "ignore",
    f"SQS reports a queue's metrics only while the queue is active ({SQS_METRICS}: all metrics emit non-negative "
    "values only when the queue is active; SQS considers a queue active for up to six hours after the last API "
    "call that accesses it): failed batches can wait for replay for the whole 14-day retention while the queue "
    "reports nothing. Missing data keeps the alarm's state, so it stays in ALARM until a datapoint says "
    "otherwise (the replay's ReceiveMessage and DeleteMessage make the queue active again). Not breaching "
    "would turn it OK while batches still wait; breaching would page for an empty queue nobody touches.",
)
ONLY_WHILE_DELIVERING = MissingData(
    "notBreaching",
    f"Firehose reports DeliveryToS3.DataFreshness while it holds records to deliver ({FIREHOSE_METRICS}, data "
    "delivery metrics); records it cannot deliver stay and their age keeps being reported, so no datapoint means "
    "nothing is waiting.",
)
ONLY_ON_SCHEDULE = MissingData(
    "notBreaching",
    f"Lambda reports Errors only for invocations ({LAMBDA_METRICS}); the autoscaler's schedule invokes it every "
    "minute, and a minute without an invocation has no error.",
)
ONLY_ON_FAILED_REPLICATION = MissingData(
    "notBreaching",
    f"S3 reports OperationsFailedReplication for replication operations that failed ({S3_REPLICATION_METRICS}); "
    "no datapoint means nothing failed.",
)
ONLY_WHILE_REPLICATING = MissingData(
    "notBreaching",
    f"S3 reports ReplicationLatency while objects are replicated ({S3_REPLICATION_METRICS}); a lake without new "
    "objects has nothing to replicate, and a replication that fails is replication-failed's.",
)


@dataclass(frozen=True)
class MetricInput:
    """One metric an alarm reads: its namespace, name, the dimensions it is filtered by, and the statistic."""

    id: str
    namespace: str
    metric: str
    dimensions: tuple[str, ...]
    statistic: str


@dataclass(frozen=True)
class AlarmSpec:
    """One CloudWatch alarm; `kind` names its runbook page `docs/runbooks/<kind>.md`.

    One input and no expression: an alarm on that metric. Several inputs and an `expression` over their ids:
    a metric-math alarm on the expression (CloudWatch bills it per metric it reads).
    """

    kind: str
    summary: str
    inputs: tuple[MetricInput, ...]
    threshold: float
    missing_data: MissingData
    comparison: str = "GreaterThanOrEqualToThreshold"
    expression: str | None = None
    period_seconds: int = defaults.ALARM_PERIOD_SECONDS
    evaluation_periods: int = defaults.ALARM_EVALUATION_PERIODS
    datapoints_to_alarm: int = defaults.ALARM_DATAPOINTS_TO_ALARM

    @property
    def metric(self) -> MetricInput:
        """The one metric of a single-metric alarm."""
        if self.expression is not None or len(self.inputs) != 1:
            raise ValueError(f"alarm {self.kind} is a metric-math alarm over {len(self.inputs)} metrics")
        return self.inputs[0]

    @property
    def billed_metrics(self) -> int:
        """Metrics CloudWatch bills this alarm for: each metric a metric-math alarm reads counts."""
        return len(self.inputs)

    @property
    def dimensions(self) -> tuple[str, ...]:
        """Every dimension name the alarm's metrics are filtered by."""
        return tuple(dict.fromkeys(name for metric in self.inputs for name in metric.dimensions))


def single_metric(
    kind: str,
    summary: str,
    namespace: str,
    metric: str,
    dimension: str,
    statistic: str,
    threshold: float,
    missing_data: MissingData,
    comparison: str = "GreaterThanOrEqualToThreshold",
) -> AlarmSpec:
    return AlarmSpec(
        kind,
        summary,
        (MetricInput("m1", namespace, metric, (dimension,), statistic),),
        threshold,
        missing_data,
        comparison,
    )


def stalled_consumer_period_seconds(batching_window_seconds: int) -> int:
    """A period no shorter than the batching window, in whole minutes: a batch waiting for its window is invoked
    in the period its first record arrived in or the next, so only a stall gives consecutive breaching periods."""
    return max(defaults.ALARM_PERIOD_SECONDS, 60 * math.ceil(batching_window_seconds / 60))


def alarm_specs(settings: StreamSettings, delivery_buffer_seconds: int) -> list[AlarmSpec]:
    """What to watch on a stream pipeline, with the stream's threshold overrides applied."""
    limits = settings.alarms
    freshness = limits.delivery_freshness_seconds or defaults.delivery_freshness_threshold(delivery_buffer_seconds)
    return [
        single_metric(
            "iterator-age",
            "Consumer is falling behind the stream",
            "AWS/Kinesis",
            "GetRecords.IteratorAgeMilliseconds",
            "StreamName",
            "Maximum",
            limits.iterator_age_seconds * 1000,
            ITERATOR_AGE,
            "GreaterThanThreshold",
        ),
        AlarmSpec(
            "stalled-consumer",
            "Records arrive on the stream but the consumer is not invoked",
            (
                MetricInput("incoming", "AWS/Kinesis", "IncomingRecords", ("StreamName",), "Sum"),
                MetricInput("invocations", "AWS/Lambda", "Invocations", ("FunctionName",), "Sum"),
            ),
            1,
            STALLED_CONSUMER,
            expression="IF((FILL(incoming, 0) > 0) AND (FILL(invocations, 0) == 0), 1, 0)",
            period_seconds=stalled_consumer_period_seconds(settings.consumer.batching_window_seconds),
            evaluation_periods=defaults.ALARM_STALLED_CONSUMER_PERIODS,
            datapoints_to_alarm=defaults.ALARM_STALLED_CONSUMER_PERIODS,
        ),
        single_metric(
            "write-throttled",
            "Producers are throttled: the stream needs more capacity",
            "AWS/Kinesis",
            "WriteProvisionedThroughputExceeded",
            "StreamName",
            "Sum",
            limits.write_throttled_records,
            ONLY_ON_WRITES,
        ),
        single_metric(
            "read-throttled",
            "Reads are throttled: too many consumers or GetRecords calls",
            "AWS/Kinesis",
            "ReadProvisionedThroughputExceeded",
            "StreamName",
            "Sum",
            limits.read_throttled_records,
            ONLY_ON_READS,
        ),
        single_metric(
            "consumer-errors",
            "Consumer invocations fail",
            "AWS/Lambda",
            "Errors",
            "FunctionName",
            "Sum",
            limits.consumer_errors,
            ONLY_ON_INVOCATIONS,
        ),
        single_metric(
            "consumer-throttles",
            "Consumer invocations are throttled",
            "AWS/Lambda",
            "Throttles",
            "FunctionName",
            "Sum",
            limits.consumer_throttles,
            ONLY_ON_INVOCATIONS,
        ),
        single_metric(
            "failure-queue-depth",
            "Batches gave up and wait in the on-failure queue for replay",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            "QueueName",
            "Maximum",
            limits.failure_queue_depth,
            QUEUE_INACTIVE,
        ),
        single_metric(
            "failure-queue-age",
            "The oldest failed batch has waited half the queue's retention: replay it before SQS deletes it",
            "AWS/SQS",
            "ApproximateAgeOfOldestMessage",
            "QueueName",
            "Maximum",
            defaults.ALARM_FAILURE_QUEUE_AGE_SECONDS,
            QUEUE_INACTIVE,
        ),
        single_metric(
            "delivery-freshness",
            "Events are not reaching the lake in time",
            "AWS/Firehose",
            "DeliveryToS3.DataFreshness",
            "DeliveryStreamName",
            "Maximum",
            freshness,
            ONLY_WHILE_DELIVERING,
            "GreaterThanThreshold",
        ),
    ]


def scaler_alarm_spec() -> AlarmSpec:
    """The shard autoscaler's own alarm (one per autoscaled stream)."""
    return single_metric(
        "scaler-errors",
        "The shard autoscaler fails",
        "AWS/Lambda",
        "Errors",
        "FunctionName",
        "Sum",
        defaults.ALARM_SCALER_ERRORS,
        ONLY_ON_SCHEDULE,
    )


# S3 reports replication metrics per rule, with these dimensions (S3_REPLICATION_METRICS).
REPLICATION_DIMENSIONS = ("SourceBucket", "DestinationBucket", "RuleId")


def replication_alarm_specs() -> list[AlarmSpec]:
    """The lake replica's alarms (stacks with `lake.replica_region`); the rule must enable replication metrics."""
    period = defaults.ALARM_REPLICATION_PERIOD_SECONDS
    return [
        AlarmSpec(
            "replication-failed",
            "Lake objects failed to replicate to the replica region",
            (MetricInput("m1", "AWS/S3", "OperationsFailedReplication", REPLICATION_DIMENSIONS, "Sum"),),
            defaults.ALARM_REPLICATION_FAILED_OPERATIONS,
            ONLY_ON_FAILED_REPLICATION,
            period_seconds=period,
            evaluation_periods=1,
            datapoints_to_alarm=1,
        ),
        AlarmSpec(
            "replication-latency",
            "The lake replica lags the lake by more than its threshold",
            (MetricInput("m1", "AWS/S3", "ReplicationLatency", REPLICATION_DIMENSIONS, "Maximum"),),
            defaults.ALARM_REPLICATION_LATENCY_SECONDS,
            ONLY_WHILE_REPLICATING,
            "GreaterThanThreshold",
            period_seconds=period,
            evaluation_periods=3,
            datapoints_to_alarm=3,
        ),
    ]
