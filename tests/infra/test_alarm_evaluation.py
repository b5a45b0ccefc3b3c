"""CloudWatch's evaluation rules, and every alarm kind the program creates fed the series of its failure and a
healthy one. The alarms are the program's own: the stack's MetricAlarm inputs, turned into the PutMetricAlarm
parameters the local deploy sends (`emulator.provisioners.alarm_parameters`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from emulator.provisioners import alarm_parameters
from infra.alarm_evaluation import (
    AlarmDefinition,
    MetricKey,
    Series,
    State,
    UndocumentedEvaluation,
    decide,
    evaluate,
    evaluate_expression,
)
from infra.mock_runtime import ProgramRun

METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TREATMENTS = ("missing", "ignore", "breaching", "notBreaching")
RETAIN = "retain"


def table_alarm(datapoints_to_alarm: int, treatment: str) -> AlarmDefinition:
    """The page's examples: threshold crossed by X, 3 evaluation periods, 5 datapoints retrieved."""
    return AlarmDefinition("table", 300, 3, datapoints_to_alarm, 1.0, "GreaterThanOrEqualToThreshold", treatment, ())


def points(row: str) -> list[float | None]:
    return [None if c == "-" else 1.0 if c == "X" else 0.0 for c in row.split()]


# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html, "How alarm state is
# evaluated when data is missing": rows oldest first; columns MISSING, IGNORE, BREACHING, NOT BREACHING.
THREE_OF_THREE = [
    ("0 - X - X", ("OK", "OK", "OK", "OK")),
    ("0 - - - -", ("OK", "OK", "OK", "OK")),
    ("- - - - -", ("INSUFFICIENT_DATA", RETAIN, "ALARM", "OK")),
    ("0 X X - X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    ("- - - - X", ("INSUFFICIENT_DATA", RETAIN, "ALARM", "OK")),
    ("X - - - -", (None, RETAIN, "ALARM", "OK")),  # MISSING: ALARM on the page, against the row above
]
TWO_OF_THREE = [
    ("0 - X - X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    ("0 0 X 0 X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    ("0 - X - -", ("OK", "OK", "ALARM", "OK")),
    ("- - - - 0", ("OK", "OK", "ALARM", "OK")),
    ("- - - - X", ("INSUFFICIENT_DATA", RETAIN, "ALARM", "OK")),
]


@pytest.mark.parametrize(
    ("m", "row", "treatment", "expected"),
    [
        (m, row, treatment, expected)
        for m, table in ((3, THREE_OF_THREE), (2, TWO_OF_THREE))
        for row, states in table
        for treatment, expected in zip(TREATMENTS, states, strict=True)
    ],
)
def test_the_documented_missing_data_tables(m: int, row: str, treatment: str, expected: str | None) -> None:
    alarm = table_alarm(m, treatment)
    if expected is None:
        with pytest.raises(UndocumentedEvaluation):
            decide(points(row), alarm, "OK")
        return
    for current in ("OK", "ALARM"):
        state = decide(points(row), alarm, current).state  # type: ignore[arg-type]
        assert state == (current if expected == RETAIN else expected), (row, treatment, current)


def test_comparison_and_logical_operators_treat_a_missing_value_as_zero() -> None:
    # using-metric-math.html, "Comparison and logical operators": metric1 [30, 20, 0, 0], metric2 [20, -, 20, -].
    values = {"metric1": {0: 30.0, 1: 20.0, 2: 0.0, 3: 0.0}, "metric2": {0: 20.0, 2: 20.0}}
    assert evaluate_expression("(metric1 < metric2)", values, 4) == {0: 0.0, 1: 0.0, 2: 1.0, 3: 0.0}
    assert evaluate_expression("(metric1 >= 30)", values, 4) == {0: 1.0, 1: 0.0, 2: 0.0, 3: 0.0}
    assert evaluate_expression("(metric1 > 15 AND metric2 > 15)", values, 4) == {0: 1.0, 1: 0.0, 2: 0.0, 3: 0.0}


def test_if_follows_the_documented_tables() -> None:
    # using-metric-math.html, "Using IF expressions": metric1 [1, 1, 0, 0, -], metric2 [30, -, 0, 0, 30],
    # metric3 [0, 0, 20, -, 20].
    values = {
        "metric1": {0: 1.0, 1: 1.0, 2: 0.0, 3: 0.0},
        "metric2": {0: 30.0, 2: 0.0, 3: 0.0, 4: 30.0},
        "metric3": {0: 0.0, 1: 0.0, 2: 20.0, 4: 20.0},
    }
    assert evaluate_expression("IF(metric1, metric2, metric3)", values, 5) == {0: 30.0, 1: 0.0, 2: 20.0}
    assert evaluate_expression("IF(metric1, 5, metric3)", values, 5) == {0: 5.0, 1: 5.0, 2: 20.0}
    assert evaluate_expression("IF(metric1, metric2, 5)", values, 5) == {0: 30.0, 1: 0.0, 2: 5.0, 3: 5.0}


def test_fill_gives_every_period_of_the_range_a_value() -> None:
    assert evaluate_expression("FILL(m, 0)", {"m": {1: 4.0}}, 3) == {0: 0.0, 1: 4.0, 2: 0.0}
    assert evaluate_expression("FILL(m, 0)", {"m": {}}, 2) == {0: 0.0, 1: 0.0}


# --- every alarm kind of the program ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """Per metric name, the values of the evaluation range (oldest first, None = no datapoint)."""

    series: dict[str, list[float | None]] = field(default_factory=dict)
    current: State = "OK"


def repeat(value: float | None, times: int = 7) -> list[float | None]:
    return [value] * times


NO_DATA = Case()
DAY = 86_400
# kind -> (failure cases that must end in ALARM, healthy cases that must end OK)
CASES: dict[str, tuple[list[Case], list[Case]]] = {
    "iterator-age": (
        [Case({"GetRecords.IteratorAgeMilliseconds": repeat(120_000)}),
         # the consumer lagged, then stopped polling: no datapoints must not turn it OK
         Case({"GetRecords.IteratorAgeMilliseconds": repeat(None)}, "ALARM")],
        [Case({"GetRecords.IteratorAgeMilliseconds": repeat(0)}), NO_DATA],
    ),
    "stalled-consumer": (
        [Case({"IncomingRecords": repeat(50, 5)}),  # records arrive, no Invocations datapoint at all
         Case({"IncomingRecords": repeat(50, 5), "Invocations": [3, 2, 0, 0, 0]})],
        [Case({"IncomingRecords": repeat(50, 5), "Invocations": repeat(4, 5)}),
         NO_DATA,  # an idle stream: nothing arrives, nothing is invoked
         # a trickle waiting for its batching window: invoked every other period
         Case({"IncomingRecords": repeat(1, 5), "Invocations": [1, None, 1, None, 1]})],
    ),
    "write-throttled": ([Case({"WriteProvisionedThroughputExceeded": repeat(20)})],
                        [NO_DATA, Case({"WriteProvisionedThroughputExceeded": repeat(0)})]),
    "read-throttled": ([Case({"ReadProvisionedThroughputExceeded": repeat(20)})],
                       [NO_DATA, Case({"ReadProvisionedThroughputExceeded": repeat(0)})]),
    "consumer-errors": ([Case({"Errors": [None, None, 1, 2, None, 1, None]})], [NO_DATA, Case({"Errors": repeat(0)})]),
    "consumer-throttles": ([Case({"Throttles": repeat(3)})], [NO_DATA, Case({"Throttles": repeat(0)})]),
    "failure-queue-depth": (
        [Case({"ApproximateNumberOfMessagesVisible": repeat(2)}),
         # the queue went inactive with the batches still in it: SQS reports nothing, the alarm stays red
         Case({"ApproximateNumberOfMessagesVisible": repeat(None)}, "ALARM")],
        [Case({"ApproximateNumberOfMessagesVisible": repeat(0)}),
         NO_DATA,  # an empty queue nobody touches
         # replayed: the queue is active again and reports 0
         Case({"ApproximateNumberOfMessagesVisible": [2, 2, 0, 0, 0, 0, 0]}, "ALARM")],
    ),
    "failure-queue-age": (
        [Case({"ApproximateAgeOfOldestMessage": repeat(8 * DAY)}),
         Case({"ApproximateAgeOfOldestMessage": repeat(None)}, "ALARM")],
        [Case({"ApproximateAgeOfOldestMessage": repeat(DAY)}), NO_DATA],
    ),
    "delivery-freshness": ([Case({"DeliveryToS3.DataFreshness": repeat(3_600)})],
                           [NO_DATA, Case({"DeliveryToS3.DataFreshness": repeat(90)})]),
    "scaler-errors": ([Case({"Errors": repeat(1)})], [NO_DATA, Case({"Errors": repeat(0)})]),
    "replication-failed": ([Case({"OperationsFailedReplication": [None, None, 3]})],
                           [NO_DATA, Case({"OperationsFailedReplication": repeat(0, 3)})]),
    "replication-latency": ([Case({"ReplicationLatency": repeat(7_200, 5)})],
                            [NO_DATA, Case({"ReplicationLatency": repeat(30, 5)})]),
}  # fmt: skip


def program_alarms(stack_run: Callable[[str], ProgramRun]) -> dict[str, AlarmDefinition]:
    """One alarm per kind, as the dev stack (streams) and the prod stack (replica) deploy it."""
    alarms: dict[str, AlarmDefinition] = {}
    for stack in ("dev", "prod"):
        for resource in stack_run(stack).of_type(METRIC_ALARM):
            kind = str(resource.inputs["alarmDescription"]).rsplit("/", 1)[-1].removesuffix(".md")
            alarms.setdefault(
                kind, AlarmDefinition.from_api(alarm_parameters(str(resource.inputs["name"]), resource.inputs))
            )
    return alarms


def data_for(alarm: AlarmDefinition, case: Case) -> dict[MetricKey, Series]:
    data: dict[MetricKey, Series] = {}
    for metric in alarm.metrics:
        values = case.series.get(metric.name, [])
        assert len(values) in (0, alarm.range_periods), (alarm.name, metric.name, alarm.range_periods)
        data[metric] = {index: float(v) for index, v in enumerate(values) if v is not None}
    return data


def test_every_alarm_kind_has_a_failing_and_a_healthy_series(stack_run: Callable[[str], ProgramRun]) -> None:
    assert set(program_alarms(stack_run)) == set(CASES)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_the_alarm_goes_to_alarm_on_its_failure_and_stays_ok_when_healthy(
    kind: str, stack_run: Callable[[str], ProgramRun]
) -> None:
    alarm = program_alarms(stack_run)[kind]
    failures, healthy = CASES[kind]
    for case in failures:
        result = evaluate(alarm, data_for(alarm, case), case.current)
        assert result.state == "ALARM", (kind, case, result)
    for case in healthy:
        result = evaluate(alarm, data_for(alarm, case), case.current)
        assert result.state == "OK", (kind, case, result)
