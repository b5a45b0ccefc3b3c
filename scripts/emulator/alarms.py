"""Local mode evaluates the stack's alarms: moto stores them and never evaluates them.

Every period (divided by the runtime's speed-up), each alarm stored in the emulator (`DescribeAlarms`, metric-math
alarms with their `Metrics`) is evaluated with `infra.alarm_evaluation` (CloudWatch's documented rules) on the
metrics in the emulator's CloudWatch: per period of the evaluation range one `GetMetricStatistics` call with the
alarm's statistic. A changed state is written back with `SetAlarmState`, as CloudWatch would change it. With a
speed-up, a period of P seconds lasts P / speed-up seconds of metric time, so a 3-of-3 one-minute alarm fires
after 3 x 60 / speed-up seconds. Alarm actions are not run (SNS deliveries are not emulated).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from infra.alarm_evaluation import AlarmDefinition, MetricKey, Series, State, UnsupportedExpression, evaluate

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Transition:
    alarm: str
    old: str
    new: str
    reason: str
    at: float


class LocalAlarms:
    """Evaluates the emulator's alarms (those whose name starts with `prefix`) and sets their state."""

    def __init__(
        self, cloudwatch: Any, *, speedup: float = 1.0, prefix: str = "", clock: Callable[[], float] = time.time
    ) -> None:
        self._cloudwatch = cloudwatch
        self.speedup = max(1.0, speedup)
        self.prefix = prefix
        self.clock = clock
        self.rounds = 0
        self.transitions: list[Transition] = []
        self.errors: dict[str, str] = {}
        self.interval_s = 60.0 / self.speedup
        self._lock = threading.Lock()

    def period_s(self, alarm: AlarmDefinition) -> float:
        return max(1.0, alarm.period / self.speedup)

    def alarms(self) -> list[tuple[AlarmDefinition, State]]:
        stored = self._cloudwatch.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"])
        found = []
        for page in stored:
            for alarm in page.get("MetricAlarms", []):
                if str(alarm["AlarmName"]).startswith(self.prefix):
                    try:
                        found.append((AlarmDefinition.from_api(alarm), alarm.get("StateValue", "INSUFFICIENT_DATA")))
                    except (UnsupportedExpression, KeyError) as error:
                        self.errors[str(alarm["AlarmName"])] = str(error)
        return found

    def evaluate_once(self) -> list[Transition]:
        """One round over every alarm; returns the state changes it made."""
        now = self.clock()
        changes = []
        alarms = self.alarms()
        self.interval_s = min((self.period_s(alarm) for alarm, _ in alarms), default=60.0 / self.speedup)
        for alarm, current in alarms:
            try:
                result = evaluate(alarm, self._series(alarm, now), current)
            except (UnsupportedExpression, ValueError, ClientError, BotoCoreError) as error:
                self.errors[alarm.name] = str(error)
                continue
            if result.state != current:
                self._cloudwatch.set_alarm_state(
                    AlarmName=alarm.name, StateValue=result.state, StateReason=f"local evaluation: {result.reason}"
                )
                changes.append(Transition(alarm.name, current, result.state, result.reason, now))
        with self._lock:
            self.rounds += 1
            self.transitions.extend(changes)
        return changes

    def _series(self, alarm: AlarmDefinition, now: float) -> dict[MetricKey, Series]:
        period = self.period_s(alarm)
        end = now - now % period  # the range ends with the last complete period
        start = end - alarm.range_periods * period
        data: dict[MetricKey, Series] = {}
        for metric in alarm.metrics:
            series: Series = {}
            for index in range(alarm.range_periods):
                low = start + index * period
                points = self._cloudwatch.get_metric_statistics(
                    Namespace=metric.namespace,
                    MetricName=metric.name,
                    Dimensions=[{"Name": name, "Value": value} for name, value in metric.dimensions],
                    StartTime=datetime.fromtimestamp(low, UTC),
                    EndTime=datetime.fromtimestamp(low + period, UTC),
                    Period=max(1, int(period)),
                    Statistics=[metric.statistic],
                )["Datapoints"]
                values = [float(point[metric.statistic]) for point in points]
                if values:
                    series[index] = max(values) if metric.statistic == "Maximum" else sum(values)
            data[metric] = series
        return data

    def run(self, stopping: threading.Event) -> None:
        """Evaluate every (sped-up) period until `stopping` is set."""
        while not stopping.is_set():
            try:
                self.evaluate_once()
            except (ClientError, BotoCoreError) as error:
                logger.warning("could not evaluate alarms: %s", error)
            stopping.wait(self.interval_s)

    def fired(self) -> list[Transition]:
        """Every change to ALARM so far."""
        with self._lock:
            return [t for t in self.transitions if t.new == "ALARM"]


def alarm_states(cloudwatch: Any, prefix: str = "") -> list[dict[str, str]]:
    """Name, state and reason of every stored metric alarm (for `streamctl local status`)."""
    states = []
    for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"]):
        for alarm in page.get("MetricAlarms", []):
            if str(alarm["AlarmName"]).startswith(prefix):
                states.append(
                    {
                        "name": str(alarm["AlarmName"]),
                        "state": str(alarm.get("StateValue", "")),
                        "reason": str(alarm.get("StateReason", "")),
                    }
                )
    return sorted(states, key=lambda s: s["name"])
