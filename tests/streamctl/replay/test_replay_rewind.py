"""`streamctl replay rewind`: checkpoints move back exactly to the target, never forward, and the mapping follows."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest
from typer.testing import CliRunner

from streamctl.replay import cli
from streamctl.replay.event_source_mapping import mapping_urn
from streamctl.replay.rewind import MappingStrategy, apply_rewind, plan_rewind

NO_SLEEP = {"sleep": lambda seconds: None}


def _two_waves(deployed: Any, build: Any) -> list[str]:
    """Deliver wave 1 (evt-0..5) and wave 2 (evt-10..15) to the lake; returns wave 2's event ids."""
    deployed.put([build.envelope(i) for i in range(6)], key_prefix="a")
    assert deployed.deliver() == []
    time.sleep(0.05)  # wave 2 must arrive strictly later than wave 1
    deployed.put([build.envelope(10 + i) for i in range(6)], key_prefix="b")
    assert deployed.deliver() == []
    return [f"evt-{10 + i}" for i in range(6)]


def test_rewind_to_timestamp_redelivers_exactly_the_records_that_arrived_since(deployed: Any, build: Any) -> None:
    wave_two = _two_waves(deployed, build)
    wave_two_start = min(
        r.arrival for records in deployed.shard_records().values() for r in records if r.partition_key.startswith("b")
    )
    old_uuid = deployed.mapping["UUID"]

    plan = plan_rewind(deployed.clients, deployed.target, strategy=MappingStrategy.BOTO3, to_timestamp=wave_two_start)
    created = apply_rewind(deployed.clients, plan, **NO_SLEEP)

    assert created is not None and created["UUID"] != old_uuid
    [mapping] = deployed.mappings()
    assert mapping["UUID"] == created["UUID"]
    assert mapping["StartingPosition"] == "AT_TIMESTAMP"
    assert (mapping["BatchSize"], mapping["ParallelizationFactor"]) == (500, 2)
    assert mapping["DestinationConfig"] == deployed.mapping["DestinationConfig"]
    # The new mapping starts a little early (arrival margin); the checkpoints make the consumer skip wave 1.
    assert plan.starting_at is not None and plan.starting_at <= wave_two_start
    deployed.deliver(ShardIteratorType="AT_TIMESTAMP", Timestamp=plan.starting_at)
    counts = Counter(deployed.lake_event_ids())
    assert {event: counts[event] for event in wave_two} == dict.fromkeys(wave_two, 2)
    assert all(counts[f"evt-{i}"] == 1 for i in range(6))


def test_rewind_to_sequence_number_replays_that_shard_from_that_record(deployed: Any, build: Any) -> None:
    deployed.put([build.envelope(i) for i in range(12)])
    deployed.deliver()
    shard, records = max(deployed.shard_records().items(), key=lambda item: len(item[1]))
    assert len(records) >= 3, "the fixture's keys should spread at least 3 records to one shard"
    replay_from = records[2]
    others = {s: deployed.checkpoint(s) for s in deployed.shard_records() if s != shard}

    plan = plan_rewind(
        deployed.clients,
        deployed.target,
        strategy=MappingStrategy.PULUMI,
        to_sequence=replay_from.sequence_number,
        shard=shard,
        mapping_urn="urn:pulumi:dev::streaming-platform::mapping",
    )
    assert apply_rewind(deployed.clients, plan, **NO_SLEEP) is None

    [mapping] = deployed.mappings()
    assert mapping["UUID"] == deployed.mapping["UUID"] and mapping["State"] == "Disabled"
    assert deployed.checkpoint(shard) == str(int(replay_from.sequence_number) - 1)
    assert {s: deployed.checkpoint(s) for s in others} == others
    assert any(
        "pulumi up --stack dev --target-replace 'urn:pulumi:dev::streaming-platform::mapping'" in line
        for line in plan.describe()
    )
    # Pulumi re-creates the mapping at TRIM_HORIZON: only the replayed records reach the lake again.
    deployed.deliver()
    counts = Counter(deployed.lake_event_ids())
    replayed = {r.data for r in records[2:]}
    assert sum(counts.values()) == 12 + len(replayed)
    assert {count for count in counts.values()} == {1, 2}


def test_rewind_never_moves_a_checkpoint_forward_past_unprocessed_records(deployed: Any, build: Any) -> None:
    deployed.put([build.envelope(i) for i in range(4)], key_prefix="a")
    time.sleep(0.05)
    deployed.put([build.envelope(10 + i) for i in range(4)], key_prefix="b")
    later = min(r.arrival for rs in deployed.shard_records().values() for r in rs if r.partition_key.startswith("b"))

    plan = plan_rewind(deployed.clients, deployed.target, strategy=MappingStrategy.BOTO3, to_timestamp=later)

    assert not any(shard.changes for shard in plan.shards), "nothing was processed, so nothing may be skipped"
    earliest = min(r.arrival for rs in deployed.shard_records().values() for r in rs)
    assert plan.starting_at is not None and plan.starting_at <= earliest


def test_rewind_rejects_a_sequence_number_that_is_not_in_the_shard(deployed: Any, build: Any) -> None:
    deployed.put([build.envelope(0)])
    shard = next(iter(deployed.shard_records()))
    with pytest.raises(ValueError, match=r"not .*in shard"):
        plan_rewind(
            deployed.clients, deployed.target, strategy=MappingStrategy.PULUMI, to_sequence="999999999", shard=shard
        )


def test_rewind_dry_run_prints_the_plan_and_changes_nothing(
    deployed: Any, build: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployed.put([build.envelope(i) for i in range(4)])
    deployed.deliver()
    before = {shard: deployed.checkpoint(shard) for shard in deployed.shard_records()}
    monkeypatch.setattr(cli.ReplayTarget, "load", classmethod(lambda cls, stack, tenant, stream: deployed.target))
    monkeypatch.setattr(cli.ReplayClients, "for_stack", classmethod(lambda cls, stack: deployed.clients))

    result = CliRunner().invoke(
        cli.app,
        [
            "rewind",
            "--stack",
            "dev",
            "--tenant",
            "acme",
            "--stream",
            "clicks",
            "--to-timestamp",
            "2020-01-01T00:00:00Z",
            "--mapping",
            "boto3",
            "--dry-run",
        ],
    )

    assert result.exit_code == 0, result.output
    assert "dry run" in result.output and "set checkpoint" in result.output
    [mapping] = deployed.mappings()
    assert (mapping["UUID"], mapping["State"]) == (deployed.mapping["UUID"], "Enabled")
    assert {shard: deployed.checkpoint(shard) for shard in before} == before


def test_rewind_command_names_the_missing_option() -> None:
    result = CliRunner().invoke(cli.app, ["rewind", "--stack", "dev", "--tenant", "acme", "--stream", "clicks"])
    assert result.exit_code != 0
    assert "--to-timestamp or --to-sequence" in result.output


def test_pulumi_urn_of_the_consumer_mapping_comes_from_the_program(stack_run: Any) -> None:
    run = stack_run("dev")
    urn = mapping_urn("dev", "sp-dev-acme-clicks-consumer", run)
    assert urn is not None and urn.startswith("urn:pulumi:dev::streaming-platform::")
    assert urn.split("::")[2].endswith("aws:lambda/eventSourceMapping:EventSourceMapping")
    assert urn != mapping_urn("dev", "sp-dev-acme-orders-consumer", run)
    assert mapping_urn("dev", "no-such-consumer", run) is None


def test_rewind_past_what_the_consumer_processed_restarts_the_mapping_at_its_checkpoints(
    deployed: Any, build: Any
) -> None:
    deployed.put([build.envelope(i) for i in range(6)], key_prefix="a")
    deployed.deliver()
    time.sleep(0.05)
    deployed.put([build.envelope(10 + i) for i in range(6)], key_prefix="b")  # not processed yet
    wave_two = [r for rs in deployed.shard_records().values() for r in rs if r.partition_key.startswith("b")]
    target = max(r.arrival for r in wave_two)

    plan = plan_rewind(deployed.clients, deployed.target, strategy=MappingStrategy.BOTO3, to_timestamp=target)
    apply_rewind(deployed.clients, plan, **NO_SLEEP)

    assert not any(shard.changes for shard in plan.shards)
    assert plan.starting_at is not None and plan.starting_at <= min(r.arrival for r in wave_two)
    deployed.deliver(ShardIteratorType="AT_TIMESTAMP", Timestamp=plan.starting_at)
    assert Counter(deployed.lake_event_ids()) == Counter(f"evt-{i}" for i in [*range(6), *range(10, 16)])
