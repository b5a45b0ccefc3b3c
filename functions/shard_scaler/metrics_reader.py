"""Read the stream's last minutes from CloudWatch with one GetMetricData call (paged)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from functions.shard_scaler.policy import MinuteMetrics

_QUERIES = (
    ("bytes", "AWS/Kinesis", "IncomingBytes", "Sum"),
    ("records", "AWS/Kinesis", "IncomingRecords", "Sum"),
    ("throttled", "AWS/Kinesis", "WriteProvisionedThroughputExceeded", "Sum"),
    ("age", "AWS/Lambda", "IteratorAge", "Maximum"),
)


def metric_queries(stream_name: str, consumer_function: str | None) -> list[dict[str, Any]]:
    queries = []
    for query_id, namespace, name, stat in _QUERIES:
        if namespace == "AWS/Lambda":
            if not consumer_function:
                continue
            dimensions = [{"Name": "FunctionName", "Value": consumer_function}]
        else:
            dimensions = [{"Name": "StreamName", "Value": stream_name}]
        metric = {"Namespace": namespace, "MetricName": name, "Dimensions": dimensions}
        queries.append(
            {"Id": query_id, "MetricStat": {"Metric": metric, "Period": 60, "Stat": stat}, "ReturnData": True}
        )
    return queries


def read_minutes(
    cloudwatch: Any, stream_name: str, consumer_function: str | None, now: datetime, lookback_minutes: int
) -> list[MinuteMetrics]:
    """Per-minute metrics, oldest first; minutes without IncomingRecords data are left out."""
    end = now.replace(second=0, microsecond=0)
    start = end - timedelta(minutes=lookback_minutes)
    series: dict[str, dict[int, float]] = {query_id: {} for query_id, *_ in _QUERIES}
    request: dict[str, Any] = {
        "MetricDataQueries": metric_queries(stream_name, consumer_function),
        "StartTime": start,
        "EndTime": end,
        "ScanBy": "TimestampAscending",
    }
    while True:
        response = cloudwatch.get_metric_data(**request)
        for result in response.get("MetricDataResults", []):
            points = series.setdefault(result["Id"], {})
            for stamp, value in zip(result.get("Timestamps", []), result.get("Values", []), strict=False):
                points[int(stamp.timestamp()) // 60] = float(value)
        token = response.get("NextToken")
        if not token:
            break
        request["NextToken"] = token
    minutes = sorted(set(series["records"]) | set(series["bytes"]))
    return [
        MinuteMetrics(
            minute=minute,
            incoming_bytes=series["bytes"].get(minute, 0.0),
            incoming_records=series["records"].get(minute, 0.0),
            throttled_records=series["throttled"].get(minute, 0.0),
            iterator_age_ms=series["age"].get(minute, 0.0),
        )
        for minute in minutes
    ]
