"""Bad configuration fails before anything is registered, with the key path and the rule that broke."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from infra.config import StackConfigError, parse_config
from infra.mock_runtime import FabricatedAwsMocks, load_stack_config, run_program

NS = "streaming-platform"


def valid() -> dict[str, Any]:
    return {
        "tenants": {
            "acme": {
                "streams": {
                    "clicks": {"mode": "provisioned", "shards": 2, "autoscaling": {"min": 1, "max": 8}},
                    "orders": {"mode": "on_demand"},
                }
            }
        }
    }


def clicks(**settings: Any) -> dict[str, Any]:
    config = valid()
    config["tenants"]["acme"]["streams"]["clicks"].update(settings)
    return config


def top(**settings: Any) -> dict[str, Any]:
    config = valid()
    config.update(settings)
    return config


P = "tenants.acme.streams.clicks"

# (id, config, expected path, expected fragment of the rule)
INVALID: list[tuple[str, dict[str, Any], str, str]] = [
    ("retention-below-min", clicks(retention_hours=12), f"{P}.retention_hours",
     "12 is below the Kinesis minimum of 24"),
    ("retention-above-max", clicks(retention_hours=9000), f"{P}.retention_hours",
     "9000 is above the Kinesis maximum of 8760"),
    ("batch-size-zero", clicks(consumer={"batch_size": 0}), f"{P}.consumer.batch_size", "minimum of 1"),
    ("batch-size-too-big", clicks(consumer={"batch_size": 10001}), f"{P}.consumer.batch_size", "maximum of 10000"),
    ("window-too-long", clicks(consumer={"batching_window_seconds": 301}), f"{P}.consumer.batching_window_seconds",
     "maximum of 300"),
    ("window-negative", clicks(consumer={"batching_window_seconds": -1}), f"{P}.consumer.batching_window_seconds",
     "minimum of 0"),
    ("parallelization-zero", clicks(consumer={"parallelization": 0}), f"{P}.consumer.parallelization",
     "minimum of 1"),
    ("parallelization-eleven", clicks(consumer={"parallelization": 11}), f"{P}.consumer.parallelization",
     "maximum of 10"),
    ("infinite-retries", clicks(consumer={"max_retries": -1}), f"{P}.consumer.max_retries", "retry forever"),
    ("retries-too-many", clicks(consumer={"max_retries": 10001}), f"{P}.consumer.max_retries", "maximum of 10000"),
    ("infinite-record-age", clicks(consumer={"max_record_age_seconds": -1}), f"{P}.consumer.max_record_age_seconds",
     "no maximum record age"),
    ("record-age-too-short", clicks(consumer={"max_record_age_seconds": 59}),
     f"{P}.consumer.max_record_age_seconds", "minimum of 60"),
    ("record-age-too-long", clicks(consumer={"max_record_age_seconds": 604801}),
     f"{P}.consumer.max_record_age_seconds", "maximum of 604800"),
    ("starting-position-unknown", clicks(consumer={"starting_position": "AT_TIMESTAMP"}),
     f"{P}.consumer.starting_position", "TRIM_HORIZON"),
    ("memory-too-small", clicks(consumer={"memory_mb": 64}), f"{P}.consumer.memory_mb", "minimum of 128"),
    ("timeout-too-long", clicks(consumer={"timeout_seconds": 901}), f"{P}.consumer.timeout_seconds",
     "maximum of 900"),
    ("unknown-consumer-key", clicks(consumer={"batchsize": 10}), f"{P}.consumer.batchsize",
     "did you mean 'batch_size'"),
    ("unknown-stream-key", clicks(shard=3), f"{P}.shard", "did you mean 'shards'"),
    ("unknown-top-key", top(tennants={}), "tennants", "did you mean 'tenants'"),
    ("mode-unknown", clicks(mode="serverless"), f"{P}.mode", "'provisioned' or 'on_demand'"),
    ("shards-zero", clicks(shards=0), f"{P}.shards", "minimum of 1"),
    ("shards-not-a-number", clicks(shards="four"), f"{P}.shards", "integer"),
    ("shards-with-on-demand", clicks(mode="on_demand", shards=2, autoscaling={"enabled": False}), P,
     "on-demand streams have no shard count"),
    ("autoscaling-on-demand", clicks(mode="on_demand", shards=None, autoscaling={"enabled": True}), P,
     "mode is on_demand"),
    ("autoscaling-min-above-max", clicks(autoscaling={"min": 9, "max": 4}, shards=5), f"{P}.autoscaling",
     "min (9) is above max (4)"),
    ("shards-outside-autoscaling", clicks(shards=20, autoscaling={"min": 1, "max": 8}), P,
     "outside autoscaling min..max (1..8)"),
    ("pii-path-invalid", clicks(pii_fields=["payload..email"]), f"{P}.pii_fields", "dotted JSON path"),
    ("pii-path-duplicate", clicks(pii_fields=["payload.email", "payload.email"]), f"{P}.pii_fields", "twice"),
    ("alarm-threshold-zero", clicks(alarms={"iterator_age_seconds": 0}), f"{P}.alarms.iterator_age_seconds",
     "minimum of 1"),
    ("lake-buffer-too-big", clicks(lake={"buffer_mb": 129}), f"{P}.lake.buffer_mb", "Firehose maximum of 128"),
    ("lake-compression-unknown", clicks(lake={"compression": "LZ4"}), f"{P}.lake.compression", "GZIP"),
    ("stack-lake-interval-too-long", top(lake={"buffer_seconds": 901}), "lake.buffer_seconds",
     "Firehose maximum of 900"),
    ("log-retention-not-allowed", top(log_retention_days=10), "log_retention_days",
     "not a CloudWatch Logs retention period"),
    ("architecture-unknown", top(architecture="ppc64"), "architecture", "'arm64' or 'x86_64'"),
    ("alarm-email-invalid", top(alarms={"emails": ["not-an-email"]}), "alarms.emails", "not an email address"),
    ("alarm-endpoint-plain-http", top(alarms={"https_endpoints": ["http://hooks.example.com"]}),
     "alarms.https_endpoints", "not an https:// URL"),
    ("name-prefix-uppercase", top(name_prefix="SP"), "name_prefix", "lowercase"),
    ("tenant-uppercase", {"tenants": {"Acme": {"streams": {"clicks": {}}}}}, "tenants.Acme", "tenant name 'Acme'"),
    ("tenant-with-hyphen", {"tenants": {"ac-me": {"streams": {"clicks": {}}}}}, "tenants.ac-me", "no hyphens"),
    ("stream-with-underscore", {"tenants": {"acme": {"streams": {"page_views": {}}}}},
     "tenants.acme.streams.page_views", "stream name 'page_views'"),
    ("tenant-without-streams", {"tenants": {"acme": {"streams": {}}}}, "tenants.acme.streams", "at least 1"),
    ("no-tenants", {"tenants": {}}, "tenants", "at least 1"),
    ("tenants-missing", {}, "tenants", "is required"),
    ("derived-name-too-long",
     {"tenants": {"acmecorporation12345": {"streams": {"clickstream-events-from-web-app": {}}}}},
     "tenants.acmecorporation12345.streams.clickstream-events-from-web-app",
     "derived IAM role name 'sp-dev-acmecorporation12345-clickstream-events-from-web-app-consumer-role' is 73 "
     "characters, above the IAM role limit of 64"),
    ("derived-name-budget",
     {"tenants": {"acmecorporation12345": {"streams": {"clickstream-events-from-web-app": {}}}}},
     "tenants.acmecorporation12345.streams.clickstream-events-from-web-app",
     "with name_prefix 'sp' and stack 'dev', tenant and stream names may total at most 42 characters"),
    ("tenant-platform-reserved", {"tenants": {"platform": {"streams": {"clicks": {}}}}}, "tenants.platform",
     "'platform' is reserved: the platform's own KMS key has the alias alias/<name_prefix>-<stack>-platform"),
    ("lake-compression-misspelt", clicks(lake={"compression": "SNAPPY"}), f"{P}.lake.compression",
     "'SNAPPY' is not one of UNCOMPRESSED, GZIP, ZIP, Snappy, HADOOP_SNAPPY "
     "(firehose CreateDeliveryStream CompressionFormat)"),
    ("lake-compression-framed-snappy", top(lake={"compression": "Snappy"}), "lake.compression",
     "Athena cannot read"),
    ("lake-compression-zip", clicks(lake={"compression": "ZIP"}), f"{P}.lake.compression",
     "'ZIP' is a Firehose CompressionFormat Athena cannot read from the lake's JSON table "
     "(https://docs.aws.amazon.com/athena/latest/ug/compression-formats.html); use one of UNCOMPRESSED, GZIP, "
     "HADOOP_SNAPPY"),
    ("replica-region-invalid", top(lake={"replica_region": "mars-1"}), "lake.replica_region",
     "not an AWS region name"),
    ("powertools-version-zero", top(powertools_layer_version=0), "powertools_layer_version", "minimum of 1"),
]  # fmt: skip


@pytest.mark.parametrize(("config", "path", "fragment"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_config_is_rejected_with_its_key_path_and_rule(
    config: dict[str, Any], path: str, fragment: str
) -> None:
    with pytest.raises(StackConfigError) as caught:
        parse_config(copy.deepcopy(config), stack="dev")
    matching = [p for p in caught.value.problems if p.startswith(f"{path}: ")]
    assert matching, f"no problem reported at {path!r}: {caught.value.problems}"
    assert any(fragment in p for p in matching), f"{fragment!r} not in {matching}"


def test_there_are_at_least_thirty_distinct_invalid_configurations() -> None:
    assert len({case[0] for case in INVALID}) == len(INVALID) >= 30


def test_every_problem_is_reported_at_once() -> None:
    config = clicks(retention_hours=1, consumer={"batch_size": 0, "parallelization": 99})
    with pytest.raises(StackConfigError) as caught:
        parse_config(config, stack="dev")
    assert len(caught.value.problems) == 3
    assert "invalid configuration for stack 'dev' (3 problem(s))" in str(caught.value)


class CountingMocks(FabricatedAwsMocks):
    def __init__(self) -> None:
        super().__init__()
        self.created: list[str] = []

    def new_resource(self, args: Any) -> Any:
        self.created.append(args.typ)
        return super().new_resource(args)


@pytest.mark.parametrize("case", INVALID[:5] + INVALID[-5:], ids=lambda c: c[0])
def test_invalid_config_registers_no_resource(case: tuple[str, dict[str, Any], str, str]) -> None:
    _, config, path, _ = case
    mocks = CountingMocks()
    pulumi_config = {f"{NS}:{key}": value for key, value in config.items()}
    with pytest.raises(StackConfigError, match=path.split(".")[0]):
        run_program("dev", config=pulumi_config, mocks=mocks)
    assert mocks.created == []


def test_replica_region_must_differ_from_the_stack_region() -> None:
    config = {f"{NS}:{key}": value for key, value in top(lake={"replica_region": "eu-west-1"}).items()}
    config["aws:region"] = "eu-west-1"
    with pytest.raises(StackConfigError, match=r"lake\.replica_region: 'eu-west-1' is the stack's own region"):
        run_program("dev", config=config)


def test_values_set_with_pulumi_config_set_path_are_accepted_as_strings() -> None:
    # `pulumi config set --path tenants.acme.streams.clicks.shards 4` may hand the program "4".
    config = clicks(shards="4", retention_hours="48")
    parsed = parse_config(config, stack="dev")
    settings = parsed.tenants["acme"].streams["clicks"]
    assert (settings.shards, settings.retention_hours) == (4, 48)


def test_defaults_fill_a_minimal_stream() -> None:
    parsed = parse_config({"tenants": {"acme": {"streams": {"clicks": {}}}}}, stack="dev")
    settings = parsed.tenants["acme"].streams["clicks"]
    assert settings.mode == "provisioned"
    assert settings.shards == 1
    assert settings.autoscaled
    assert settings.consumer.max_retries == 10
    on_demand = parse_config({"tenants": {"acme": {"streams": {"orders": {"mode": "on_demand"}}}}}, stack="dev")
    assert not on_demand.tenants["acme"].streams["orders"].autoscaled


def test_the_program_rejects_a_misspelt_top_level_key_it_reads_through_pulumi_config() -> None:
    # pulumi.Config reads known keys only; the program lists the engine's keys so a typo is not ignored.
    config = {**load_stack_config("dev"), f"{NS}:log_retention_day": 14}
    with pytest.raises(StackConfigError, match=r"log_retention_day: unknown key; did you mean 'log_retention_days'"):
        run_program("dev", config=config)
