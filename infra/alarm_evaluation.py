"""CloudWatch's alarm evaluation, as documented, for the alarms this program creates (no Pulumi needed).

Rules (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html, "Evaluating an
alarm", and https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html, "How
alarm state is evaluated when data is missing"):
- CloudWatch retrieves more datapoints than EvaluationPeriods: the evaluation range. Its size is not published;
  the page's example retrieves 5 for 3 evaluation periods, so this evaluator retrieves N + 2 (`EXTRA_PERIODS`).
- With at least N datapoints in the range, the most recent N are evaluated and missing data is not used.
- With none, the treatment decides: breaching -> ALARM, notBreaching -> OK, ignore -> the current state,
  missing -> INSUFFICIENT_DATA.
- With fewer than N, breaching and notBreaching fill the missing ones (as few as needed) and every real
  datapoint of the range is included. ignore and missing evaluate the real ones: ALARM with M breaching, OK
  when one is not breaching; with only breaching ones, fewer than M, ignore keeps the state and missing is
  INSUFFICIENT_DATA when the newest period has its datapoint (`- - - - X`). The page's table gives ALARM for
  `X - - - -` under missing, which no stated rule explains; no alarm here treats missing data as `missing`, and
  this evaluator raises `UndocumentedEvaluation` there rather than guess.
- ALARM when at least DatapointsToAlarm (M) of the N evaluated datapoints breach, else OK.

Metric math (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html): numbers,
query ids, + - * /, comparison (== != <= >= < >) and logical (AND && OR ||) operators, FILL(ts, scalar) and
IF(condition, a, b) as that page defines them; anything else raises `UnsupportedExpression`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

State = Literal["OK", "ALARM", "INSUFFICIENT_DATA"]
EXTRA_PERIODS = 2

COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "LessThanOrEqualToThreshold": lambda value, threshold: value <= threshold,
}


class UnsupportedExpression(ValueError):
    """A metric-math expression this evaluator does not implement."""


class UndocumentedEvaluation(ValueError):
    """A case AWS's documentation does not decide consistently."""


@dataclass(frozen=True)
class MetricKey:
    """A metric and its dimensions, with the statistic an alarm reads it with."""

    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]
    statistic: str


@dataclass(frozen=True)
class MetricQuery:
    id: str
    metric: MetricKey | None
    expression: str | None
    return_data: bool


@dataclass(frozen=True)
class AlarmDefinition:
    """A metric alarm as PutMetricAlarm takes it and DescribeAlarms returns it."""

    name: str
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int
    threshold: float
    comparison: str
    treat_missing_data: str
    queries: tuple[MetricQuery, ...]

    @classmethod
    def from_api(cls, alarm: Mapping[str, Any]) -> AlarmDefinition:
        """From a DescribeAlarms MetricAlarms item (or PutMetricAlarm parameters)."""
        evaluation_periods = int(alarm["EvaluationPeriods"])
        if alarm.get("Metrics"):
            queries = tuple(_query(entry) for entry in alarm["Metrics"])
            periods = {int(q["MetricStat"]["Period"]) for q in alarm["Metrics"] if q.get("MetricStat")}
            if len(periods) != 1:
                raise UnsupportedExpression(f"{alarm['AlarmName']}: its metrics must share one period, not {periods}")
            period = periods.pop()
        else:
            metric = MetricKey(
                alarm["Namespace"],
                alarm["MetricName"],
                _dimensions(alarm.get("Dimensions") or []),
                alarm["Statistic"],
            )
            queries = (MetricQuery("m1", metric, None, True),)
            period = int(alarm["Period"])
        return cls(
            name=str(alarm["AlarmName"]),
            period=period,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=int(alarm.get("DatapointsToAlarm") or evaluation_periods),
            threshold=float(alarm["Threshold"]),
            comparison=str(alarm["ComparisonOperator"]),
            treat_missing_data=str(alarm.get("TreatMissingData") or "missing"),
            queries=queries,
        )

    @property
    def metrics(self) -> list[MetricKey]:
        return [query.metric for query in self.queries if query.metric is not None]

    @property
    def range_periods(self) -> int:
        return self.evaluation_periods + EXTRA_PERIODS


def _dimensions(dimensions: Sequence[Mapping[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(d["Name"]), str(d["Value"])) for d in dimensions))


def _query(entry: Mapping[str, Any]) -> MetricQuery:
    stat = entry.get("MetricStat")
    metric = None
    if stat:
        metric = MetricKey(
            stat["Metric"]["Namespace"],
            stat["Metric"]["MetricName"],
            _dimensions(stat["Metric"].get("Dimensions") or []),
            stat["Stat"],
        )
    return MetricQuery(str(entry["Id"]), metric, entry.get("Expression"), bool(entry.get("ReturnData", True)))


# A time series on the alarm's grid: period index (0 oldest .. R-1 newest) -> value; absent = no datapoint.
Series = dict[int, float]


@dataclass(frozen=True)
class Evaluation:
    state: State
    reason: str
    datapoints: tuple[float | None, ...]  # the range, oldest first; None = missing


def alarm_series(alarm: AlarmDefinition, data: Mapping[MetricKey, Series]) -> Series:
    """The series the alarm compares with its threshold: its metric, or its expression over its queries."""
    if len(alarm.queries) == 1 and alarm.queries[0].expression is None:
        metric = alarm.queries[0].metric
        assert metric is not None
        return dict(data.get(metric, {}))
    values: dict[str, Series] = {}
    for query in alarm.queries:
        if query.metric is not None:
            values[query.id] = dict(data.get(query.metric, {}))
    returned = [query for query in alarm.queries if query.return_data]
    if len(returned) != 1 or returned[0].expression is None:
        raise UnsupportedExpression(f"{alarm.name}: exactly one expression must return data")
    for query in alarm.queries:
        if query.expression is not None:
            result = evaluate_expression(query.expression, values, alarm.range_periods)
            if not isinstance(result, dict):
                raise UnsupportedExpression(f"{alarm.name}: {query.expression!r} is a scalar, not a time series")
            values[query.id] = result
    return values[returned[0].id]


def evaluate(
    alarm: AlarmDefinition, data: Mapping[MetricKey, Series], current: State = "INSUFFICIENT_DATA"
) -> Evaluation:
    """The alarm's state after one evaluation of the range in `data` (period 0 the oldest)."""
    series = alarm_series(alarm, data)
    points = tuple(series.get(index) for index in range(alarm.range_periods))
    return decide(points, alarm, current)


def decide(points: Sequence[float | None], alarm: AlarmDefinition, current: State) -> Evaluation:
    """The documented decision for the datapoints of the evaluation range, oldest first."""
    breaches = COMPARISONS[alarm.comparison]
    n, m, treatment = alarm.evaluation_periods, alarm.datapoints_to_alarm, alarm.treat_missing_data
    existing = [value for value in points if value is not None]
    snapshot = tuple(points)

    def verdict(evaluated: Sequence[bool], why: str) -> Evaluation:
        breaching = sum(evaluated)
        state: State = "ALARM" if breaching >= m else "OK"
        return Evaluation(state, f"{breaching} of {len(evaluated)} datapoints breach ({m} to alarm); {why}", snapshot)

    if len(existing) >= n:
        return verdict([breaches(v, alarm.threshold) for v in existing[-n:]], "enough real datapoints")
    if not existing:
        by_treatment: dict[str, State] = {"breaching": "ALARM", "notBreaching": "OK", "missing": "INSUFFICIENT_DATA"}
        state = current if treatment == "ignore" else by_treatment[treatment]
        return Evaluation(state, f"no datapoints in the range: treated as {treatment}", snapshot)
    real = [breaches(v, alarm.threshold) for v in existing]
    if treatment in ("breaching", "notBreaching"):
        filled = real + [treatment == "breaching"] * (n - len(real))
        return verdict(filled, f"{n - len(real)} missing datapoints treated as {treatment}")
    if sum(real) >= m:
        return verdict(real, "real datapoints only")
    if not all(real):
        return verdict(real, f"real datapoints only ({treatment})")
    if treatment == "ignore":
        return Evaluation(current, "too few datapoints, all breaching: state kept (ignore)", snapshot)
    if points[-1] is not None:
        return Evaluation("INSUFFICIENT_DATA", "too few datapoints, all breaching (missing)", snapshot)
    raise UndocumentedEvaluation(f"{alarm.name}: {len(real)} breaching datapoints and missing data treated as missing")


# --- metric math ---------------------------------------------------------------------------------------------

Value = float | Series
TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(==|!=|<=|>=|&&|\|\||[-+*/<>(),]))")
BINARY_PRECEDENCE = {"OR": 1, "||": 1, "AND": 2, "&&": 2, "==": 3, "!=": 3, "<": 3, ">": 3, "<=": 3, ">=": 3,
                     "+": 4, "-": 4, "*": 5, "/": 5}  # fmt: skip
COMPARE: dict[str, Callable[[float, float], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
    "AND": lambda a, b: a != 0 and b != 0,
    "&&": lambda a, b: a != 0 and b != 0,
    "OR": lambda a, b: a != 0 or b != 0,
    "||": lambda a, b: a != 0 or b != 0,
}


def _tokens(expression: str) -> list[str]:
    tokens, position = [], 0
    while position < len(expression.rstrip()):
        match = TOKEN.match(expression, position)
        if match is None:
            raise UnsupportedExpression(f"cannot read {expression[position:]!r} in {expression!r}")
        tokens.append(next(group for group in match.groups() if group is not None))
        position = match.end()
    return tokens


def evaluate_expression(expression: str, values: Mapping[str, Series], range_periods: int) -> Value:
    """The value of a metric-math expression over the query ids in `values`, on a grid of `range_periods`."""
    parser = _Parser(_tokens(expression), values, range_periods, expression)
    result = parser.expression(0)
    if parser.position != len(parser.tokens):
        raise UnsupportedExpression(f"unexpected {parser.tokens[parser.position]!r} in {expression!r}")
    return result


class _Parser:
    def __init__(self, tokens: list[str], values: Mapping[str, Series], periods: int, text: str) -> None:
        self.tokens, self.values, self.periods, self.text, self.position = tokens, values, periods, text, 0

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise UnsupportedExpression(f"expected {expected or 'more'} in {self.text!r}")
        self.position += 1
        return token

    def expression(self, minimum: int) -> Value:
        left = self.operand()
        while (operator := self.peek()) in BINARY_PRECEDENCE and BINARY_PRECEDENCE[operator] > minimum:
            self.take()
            left = _binary(operator, left, self.expression(BINARY_PRECEDENCE[operator]))
        return left

    def operand(self) -> Value:
        token = self.take()
        if token == "(":
            value = self.expression(0)
            self.take(")")
            return value
        if token == "-":
            return _binary("-", 0.0, self.operand())
        if re.fullmatch(r"\d+(?:\.\d+)?", token):
            return float(token)
        if self.peek() == "(":
            return self.call(token)
        if token in self.values:
            return dict(self.values[token])
        raise UnsupportedExpression(f"unknown id or function {token!r} in {self.text!r}")

    def call(self, function: str) -> Value:
        self.take("(")
        arguments = [self.expression(0)]
        while self.peek() == ",":
            self.take()
            arguments.append(self.expression(0))
        self.take(")")
        if function == "FILL" and len(arguments) == 2 and isinstance(arguments[0], dict):
            fill = arguments[1]
            if not isinstance(fill, float):
                raise UnsupportedExpression(f"FILL with a time series filler is not implemented: {self.text!r}")
            # FILL "fills the missing values of a time series" over the whole queried range.
            return {index: arguments[0].get(index, fill) for index in range(self.periods)}
        if function == "IF" and len(arguments) in (2, 3):
            return _if(*arguments, text=self.text)
        raise UnsupportedExpression(f"{function} with these arguments is not implemented: {self.text!r}")


def _binary(operator: str, left: Value, right: Value) -> Value:
    """Arithmetic, comparison and logical operators; a value missing from one series counts as 0."""
    if operator in COMPARE:
        combine: Callable[[float, float], float] = lambda a, b: 1.0 if COMPARE[operator](a, b) else 0.0  # noqa: E731
    elif operator == "+":
        combine = lambda a, b: a + b  # noqa: E731
    elif operator == "-":
        combine = lambda a, b: a - b  # noqa: E731
    elif operator == "*":
        combine = lambda a, b: a * b  # noqa: E731
    else:
        combine = lambda a, b: a / b  # noqa: E731  (a division by zero drops the datapoint, below)
    if isinstance(left, float) and isinstance(right, float):
        return combine(left, right)
    if isinstance(left, float) or isinstance(right, float):
        series, scalar, series_left = (right, left, False) if isinstance(left, float) else (left, right, True)
        assert isinstance(series, dict) and isinstance(scalar, float)
        pairs = {i: (v, scalar) if series_left else (scalar, v) for i, v in series.items()}
    else:
        pairs = {i: (left.get(i, 0.0), right.get(i, 0.0)) for i in sorted(set(left) | set(right))}
    result: Series = {}
    for index, (a, b) in pairs.items():
        if operator == "/" and b == 0:
            continue
        result[index] = combine(a, b)
    return result


def _if(condition: Value, true: Value, false: Value | None = None, *, text: str) -> Value:
    """IF(condition, a, b) per "Using IF expressions": per datapoint of the condition series."""
    if isinstance(condition, float):
        chosen = true if condition != 0 else false
        return {} if chosen is None else chosen
    result: Series = {}
    for index, value in condition.items():
        branch = true if value != 0 else false
        if branch is None:
            continue  # FALSE with no false value: dropped
        if isinstance(branch, float):
            result[index] = branch
        elif index in branch:
            result[index] = branch[index]
        elif value != 0:
            result[index] = 0.0  # TRUE and the true series has no datapoint there: 0
    return result
