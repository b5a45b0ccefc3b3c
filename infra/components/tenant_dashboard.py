"""One CloudWatch dashboard per tenant: a row of graphs per stream, built from small widget helpers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.naming import StreamNames

WIDGET_WIDTH = 6
WIDGET_HEIGHT = 6


def metric_widget(
    title: str, region: str, metrics: list[list[Any]], x: int, y: int, stat: str = "Sum"
) -> dict[str, Any]:
    return {
        "type": "metric",
        "x": x,
        "y": y,
        "width": WIDGET_WIDTH,
        "height": WIDGET_HEIGHT,
        "properties": {
            "title": title,
            "region": region,
            "metrics": metrics,
            "stat": stat,
            "period": 60,
            "view": "timeSeries",
        },
    }


def stream_row(stream: str, names: StreamNames, region: str, y: int) -> list[dict[str, Any]]:
    """Throughput, lag, consumer health and delivery of one stream, left to right."""
    return [
        metric_widget(
            f"{stream}: incoming",
            region,
            [
                ["AWS/Kinesis", "IncomingRecords", "StreamName", names.stream],
                ["AWS/Kinesis", "WriteProvisionedThroughputExceeded", "StreamName", names.stream],
            ],
            0,
            y,
        ),
        metric_widget(
            f"{stream}: iterator age (ms)",
            region,
            [
                ["AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", "StreamName", names.stream],
            ],
            WIDGET_WIDTH,
            y,
            stat="Maximum",
        ),
        metric_widget(
            f"{stream}: consumer",
            region,
            [
                ["AWS/Lambda", "Invocations", "FunctionName", names.consumer_function],
                ["AWS/Lambda", "Errors", "FunctionName", names.consumer_function],
                ["AWS/Lambda", "Throttles", "FunctionName", names.consumer_function],
                ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", names.failure_queue],
            ],
            2 * WIDGET_WIDTH,
            y,
        ),
        metric_widget(
            f"{stream}: lake delivery",
            region,
            [
                ["AWS/Firehose", "DeliveryToS3.Records", "DeliveryStreamName", names.delivery_stream],
                [
                    "AWS/Firehose",
                    "DeliveryToS3.DataFreshness",
                    "DeliveryStreamName",
                    names.delivery_stream,
                    {"stat": "Maximum"},
                ],
            ],
            3 * WIDGET_WIDTH,
            y,
        ),
    ]


def dashboard_body(streams: dict[str, StreamNames], region: str) -> str:
    widgets = []
    for row, (stream, names) in enumerate(sorted(streams.items())):
        widgets.extend(stream_row(stream, names, region, row * WIDGET_HEIGHT))
    return json.dumps({"widgets": widgets}, sort_keys=True)


@dataclass(frozen=True)
class TenantDashboardArgs:
    dashboard_name: str
    region: str
    streams: dict[str, StreamNames] = field(default_factory=dict)


class TenantDashboard(pulumi.ComponentResource):
    """The tenant's streams side by side, so one view answers "is it keeping up?"."""

    dashboard: aws.cloudwatch.Dashboard
    name: pulumi.Output[str]

    def __init__(self, name: str, args: TenantDashboardArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:platform:TenantDashboard", name, None, opts)
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=args.dashboard_name,
            dashboard_body=dashboard_body(args.streams, args.region),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.name = self.dashboard.dashboard_name
        self.register_outputs({"name": self.name})
