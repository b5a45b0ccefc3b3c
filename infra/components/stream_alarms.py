"""The alarms of one tenant stream: each with its resource's dimension, actions and a runbook link."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from infra import defaults
from infra.alarm_specs import AlarmSpec
from infra.naming import StreamNames

RUNBOOKS = "docs/runbooks/"


@dataclass(frozen=True)
class StreamAlarmsArgs:
    names: StreamNames
    subject: str  # "<tenant>/<stream>", in descriptions
    specs: list[AlarmSpec]
    # The value of each dimension an alarm spec may name.
    stream_name: pulumi.Input[str]
    consumer_function: pulumi.Input[str]
    failure_queue_name: pulumi.Input[str]
    delivery_stream_name: pulumi.Input[str]
    alarm_topic_arn: pulumi.Input[str]
    tags: dict[str, str] = field(default_factory=dict)


class StreamAlarms(pulumi.ComponentResource):
    """Unlike the reference solutions: every alarm has actions and its resource dimension."""

    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    alarm_names: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: StreamAlarmsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:platform:StreamAlarms", name, None, opts)
        dimension_values: dict[str, pulumi.Input[str]] = {
            "StreamName": args.stream_name,
            "FunctionName": args.consumer_function,
            "QueueName": args.failure_queue_name,
            "DeliveryStreamName": args.delivery_stream_name,
        }
        self.alarms = {
            spec.kind: metric_alarm(
                f"{name}-{spec.kind}",
                spec,
                alarm_name=args.names.alarm(spec.kind),
                subject=args.subject,
                dimension_value=dimension_values[spec.dimension],
                topic_arn=args.alarm_topic_arn,
                tags=args.tags,
                parent=self,
            )
            for spec in args.specs
        }
        self.alarm_names = {kind: alarm.name for kind, alarm in self.alarms.items()}
        self.register_outputs({"alarm_names": self.alarm_names})


def metric_alarm(
    resource_name: str,
    spec: AlarmSpec,
    *,
    alarm_name: str,
    subject: str,
    dimension_value: pulumi.Input[str],
    topic_arn: pulumi.Input[str],
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> aws.cloudwatch.MetricAlarm:
    """One alarm notifying the stack topic on ALARM and OK; missing data (no traffic) is not breaching."""
    return aws.cloudwatch.MetricAlarm(
        resource_name,
        name=alarm_name,
        alarm_description=f"{subject}: {spec.summary}. Runbook: {RUNBOOKS}{spec.kind}.md",
        namespace=spec.namespace,
        metric_name=spec.metric,
        dimensions={spec.dimension: dimension_value},
        statistic=spec.statistic,
        period=defaults.ALARM_PERIOD_SECONDS,
        evaluation_periods=defaults.ALARM_EVALUATION_PERIODS,
        datapoints_to_alarm=defaults.ALARM_DATAPOINTS_TO_ALARM,
        threshold=spec.threshold,
        comparison_operator=spec.comparison,
        treat_missing_data="notBreaching",
        alarm_actions=[topic_arn],
        ok_actions=[topic_arn],
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )
