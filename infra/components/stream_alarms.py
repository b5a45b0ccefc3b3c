"""The alarms of one tenant stream: each with its resource's dimension, actions and a runbook link."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.alarm_specs import EXPRESSION_ID, AlarmSpec
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
                dimension_values=dimension_values,
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
    dimension_values: Mapping[str, pulumi.Input[str]],
    topic_arn: pulumi.Input[str],
    tags: dict[str, str],
    parent: pulumi.Resource,
    providers: list[pulumi.ProviderResource] | None = None,
) -> aws.cloudwatch.MetricAlarm:
    """One alarm notifying the stack topic on ALARM and OK, treating missing data as its kind decides."""
    common: dict[str, Any] = {
        "name": alarm_name,
        "alarm_description": f"{subject}: {spec.summary}. Runbook: {RUNBOOKS}{spec.kind}.md",
        "evaluation_periods": spec.evaluation_periods,
        "datapoints_to_alarm": spec.datapoints_to_alarm,
        "threshold": spec.threshold,
        "comparison_operator": spec.comparison,
        "treat_missing_data": spec.missing_data.treatment,
        "alarm_actions": [topic_arn],
        "ok_actions": [topic_arn],
        "tags": tags,
    }
    if spec.expression is None:
        metric = spec.metric
        shape: dict[str, Any] = {
            "namespace": metric.namespace,
            "metric_name": metric.metric,
            "dimensions": {name: dimension_values[name] for name in metric.dimensions},
            "statistic": metric.statistic,
            "period": spec.period_seconds,
        }
    else:
        shape = {
            "metric_queries": [
                *(
                    {
                        "id": metric.id,
                        "return_data": False,
                        "metric": {
                            "namespace": metric.namespace,
                            "metric_name": metric.metric,
                            "dimensions": {name: dimension_values[name] for name in metric.dimensions},
                            "stat": metric.statistic,
                            "period": spec.period_seconds,
                        },
                    }
                    for metric in spec.inputs
                ),
                {"id": EXPRESSION_ID, "expression": spec.expression, "label": spec.summary, "return_data": True},
            ]
        }
    return aws.cloudwatch.MetricAlarm(
        resource_name, **common, **shape, opts=pulumi.ResourceOptions(parent=parent, providers=providers)
    )
