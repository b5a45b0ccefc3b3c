"""A consumer that stops while a producer writes raises the stalled-consumer alarm in local mode; a running one
does not. The alarms are the stack's own, deployed onto the emulator and evaluated by the local runtime
(`emulator.alarms`, CloudWatch's rules from `infra.alarm_evaluation`), with alarm periods sped up 30 times."""

from __future__ import annotations

import itertools
from pathlib import Path

from emulator.deployer import deploy
from emulator.function_host import FunctionHost
from emulator.runtime import LocalRuntime
from emulator.server import Emulator
from streamctl.aws_clients import aws_client
from streamctl.stack_outputs import StackOutputs
from tests.emulator.scenarios import one_stream_config

SPEEDUP = 30.0
# Rounds of evaluation to produce through: more than the stalled-consumer alarm's evaluation range (3 + 2 periods).
ROUNDS = 8
ROUND_LIMIT = 40  # a bound on the wait, in rounds, never a timed assertion


def produce_until(runtime: LocalRuntime, kinesis: object, stream: str, done: object) -> None:
    """Put a record every 0.1 s until `done()` or ROUND_LIMIT evaluation rounds have passed."""
    assert runtime.alarms is not None
    first = runtime.alarms.rounds
    for number in itertools.count():
        if done() or runtime.alarms.rounds - first >= ROUND_LIMIT:  # type: ignore[operator]
            return
        kinesis.put_record(StreamName=stream, Data=b'{"n": %d}' % number, PartitionKey=str(number % 7))  # type: ignore[attr-defined]
        runtime.stopping.wait(0.1)


def alarm_state(endpoint: str, name: str) -> str:
    alarms = aws_client("cloudwatch", endpoint_url=endpoint).describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return str(alarms[0]["StateValue"])


def test_a_stopped_consumer_raises_the_stalled_consumer_alarm_and_a_running_one_does_not(
    emulator: Emulator, tmp_path: Path
) -> None:
    stack = "ltstall"
    _, program = deploy(stack, emulator.endpoint_url, config=one_stream_config(shards=1), state_dir=tmp_path)
    outputs = StackOutputs.model_validate(program.outputs)
    stream = outputs.stream("acme", "clicks")
    alarm = f"sp-{stack}-acme-clicks-stalled-consumer"
    kinesis = aws_client("kinesis", endpoint_url=emulator.endpoint_url)
    host = FunctionHost(emulator.endpoint_url, tmp_path / "logs")

    def runtime() -> LocalRuntime:
        return LocalRuntime(
            host, functions={stream.consumer_function}, schedule_speedup=SPEEDUP, alarm_prefix=f"sp-{stack}-"
        )

    try:
        healthy = runtime()
        healthy.start()
        assert healthy.pollers, healthy.notes
        assert healthy.alarms is not None
        start = healthy.alarms.rounds
        produce_until(healthy, kinesis, stream.stream_name, lambda: healthy.alarms.rounds - start >= ROUNDS)
        healthy.stop()
        assert alarm_state(emulator.endpoint_url, alarm) == "OK"
        assert not [t for t in healthy.alarms.fired() if t.alarm.startswith(f"sp-{stack}-")], healthy.alarms.fired()

        # The consumer stops: its event source mapping is disabled, nothing polls the stream any more.
        lambda_client = aws_client("lambda", endpoint_url=emulator.endpoint_url)
        (uuid,) = healthy.pollers
        lambda_client.update_event_source_mapping(UUID=uuid, Enabled=False)
        stalled = runtime()
        stalled.start()
        assert not stalled.pollers and stalled.alarms is not None
        produce_until(
            stalled, kinesis, stream.stream_name, lambda: alarm_state(emulator.endpoint_url, alarm) == "ALARM"
        )
        stalled.stop()
        assert alarm_state(emulator.endpoint_url, alarm) == "ALARM", stalled.alarms.errors
        assert [t.alarm for t in stalled.alarms.fired()] == [alarm]
    finally:
        host.close()
