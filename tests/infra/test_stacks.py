"""Every stack file builds, and each stream gets the resources and safe settings the platform promises."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from functions import aws_limits
from functions.consumer.config import ConsumerConfig
from functions.shard_scaler.config import ScalerConfig
from infra import naming
from infra.components.data_lake import lake_lifecycle_rules
from infra.config import config_from_pulumi_values
from infra.lifecycle import RECREATABLE_TYPES, STATEFUL_TYPES
from infra.mock_runtime import ProgramRun, RegisteredResource, available_stacks, load_stack_config, run_program
from infra.naming import PlatformNames
from streamctl.stack_outputs import StackOutputs

STACKS = available_stacks()
# Actions AWS only grants on "*" (no resource-level permissions; tests/policy/test_resource_types.py checks them).
STAR_RESOURCE_ACTIONS = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "cloudwatch:GetMetricData",
    "kinesis:UpdateShardCount",
    "kinesis:UpdateStreamMode",
}


@pytest.fixture(scope="module", params=STACKS)
def run(request: pytest.FixtureRequest) -> ProgramRun:
    return run_program(request.param)


def stream_settings(stack: str) -> list[tuple[str, str, Any]]:
    return config_from_pulumi_values(load_stack_config(stack), stack=stack).streams()


def by_name(run: ProgramRun, typ: str) -> dict[str, RegisteredResource]:
    return {str(r.inputs.get("name")): r for r in run.of_type(typ)}


def policies(run: ProgramRun) -> list[tuple[RegisteredResource, dict[str, Any]]]:
    return [(r, json.loads(r.inputs["policy"])) for r in run.of_type("aws:iam/rolePolicy:RolePolicy")]


def role_of(run: ProgramRun, policy: RegisteredResource) -> RegisteredResource:
    roles = [r for r in run.of_type("aws:iam/role:Role") if r.outputs["id"] == policy.inputs["role"]]
    assert len(roles) == 1
    return roles[0]


def test_there_are_dev_staging_and_prod_stacks() -> None:
    assert {"dev", "staging", "prod"} <= set(STACKS)


def test_stack_outputs_fulfil_the_scripts_contract(run: ProgramRun) -> None:
    outputs = StackOutputs.model_validate(run.outputs)
    for tenant, stream, settings in stream_settings(run.stack):
        names = PlatformNames("sp", run.stack).stream(tenant, stream)
        out = outputs.stream(tenant, stream)
        assert out.stream_name == names.stream
        assert out.stream_arn.endswith(f":stream/{names.stream}")
        assert out.consumer_function == names.consumer_function
        assert out.lake_prefix == f"events/tenant={tenant}/stream={stream}/"
        assert out.quarantine_prefix == f"quarantine/tenant={tenant}/stream={stream}/"
        assert (out.scaler_function is not None) == settings.autoscaled
    assert outputs.checkpoint_table == f"sp-{run.stack}-checkpoints"
    assert outputs.alarm_topic_arn.endswith(f":sp-{run.stack}-alarms")


def test_each_stream_is_encrypted_with_its_tenant_key_and_keeps_metrics(run: ProgramRun) -> None:
    streams = by_name(run, "aws:kinesis/stream:Stream")
    aliases = {r.inputs["name"]: r for r in run.of_type("aws:kms/alias:Alias")}
    keys = {r.outputs["keyId"]: r for r in run.of_type("aws:kms/key:Key")}
    for tenant, stream, settings in stream_settings(run.stack):
        resource = streams[f"sp-{run.stack}-{tenant}-{stream}"]
        inputs = resource.inputs
        assert inputs["encryptionType"] == "KMS"
        tenant_key = keys[aliases[f"alias/sp-{run.stack}-{tenant}"].inputs["targetKeyId"]]
        assert inputs["kmsKeyId"] == tenant_key.outputs["arn"]
        assert tenant_key.inputs["enableKeyRotation"] is True
        assert inputs["retentionPeriod"] == settings.retention_hours
        assert {"IncomingBytes", "IncomingRecords", "WriteProvisionedThroughputExceeded"} <= set(
            inputs["shardLevelMetrics"]
        )
        if settings.mode == "provisioned":
            assert inputs["streamModeDetails"] == {"streamMode": "PROVISIONED"}
            assert inputs["shardCount"] == settings.shards
        else:
            assert inputs["streamModeDetails"] == {"streamMode": "ON_DEMAND"}
            assert "shardCount" not in inputs
        assert ("shardCount" in resource.ignore_changes) == settings.autoscaled


def test_consumers_use_safe_event_source_mapping_settings(run: ProgramRun) -> None:
    mappings = {r.inputs["eventSourceArn"].rsplit("/", 1)[1]: r.inputs for r in run.of_type(
        "aws:lambda/eventSourceMapping:EventSourceMapping")}  # fmt: skip
    queues = by_name(run, "aws:sqs/queue:Queue")
    for tenant, stream, settings in stream_settings(run.stack):
        base = f"sp-{run.stack}-{tenant}-{stream}"
        mapping = mappings[base]
        assert mapping["functionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["bisectBatchOnFunctionError"] is True
        assert 0 <= mapping["maximumRetryAttempts"] == settings.consumer.max_retries <= 10_000
        assert 60 <= mapping["maximumRecordAgeInSeconds"] == settings.consumer.max_record_age_seconds
        assert mapping["batchSize"] == settings.consumer.batch_size
        assert mapping["parallelizationFactor"] == settings.consumer.parallelization
        assert mapping["functionName"].endswith(f":function:{base}-consumer")
        queue = queues[f"{base}-consumer-failures"]
        assert mapping["destinationConfig"] == {"onFailure": {"destinationArn": queue.outputs["arn"]}}
        assert queue.inputs["kmsMasterKeyId"].startswith("arn:aws:kms:")


def test_functions_run_python312_on_arm64_with_powertools_tracing_and_own_log_group(run: ProgramRun) -> None:
    log_groups = by_name(run, "aws:cloudwatch/logGroup:LogGroup")
    for function in run.of_type("aws:lambda/function:Function"):
        inputs = function.inputs
        assert inputs["runtime"] == "python3.12"
        assert inputs["architectures"] == ["arm64"]
        assert inputs["tracingConfig"] == {"mode": "Active"}
        assert re.fullmatch(
            r"arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-arm64:\d+",
            inputs["layers"][0],
        )
        assert ":layer:" in inputs["layers"][1] and "dependencies" in inputs["layers"][1]
        group = log_groups[f"/aws/lambda/{inputs['name']}"]
        assert group.inputs["retentionInDays"] > 0
        assert inputs["loggingConfig"]["logGroup"] == group.inputs["name"]


def test_consumer_environment_is_the_handler_contract(run: ProgramRun) -> None:
    functions = by_name(run, "aws:lambda/function:Function")
    for tenant, stream, settings in stream_settings(run.stack):
        base = f"sp-{run.stack}-{tenant}-{stream}"
        env = functions[f"{base}-consumer"].inputs["environment"]["variables"]
        assert env["TENANT"] == tenant
        assert env["STREAM_NAME"] == base
        assert env["CONSUMER_NAME"] == f"{base}-consumer"
        assert env["CHECKPOINT_TABLE"] == run.outputs["checkpoint_table"]
        assert env["DELIVERY_STREAM"] == f"{base}-lake"
        assert env["QUARANTINE_BUCKET"] == run.outputs["lake_bucket"]
        assert env["QUARANTINE_PREFIX"] == f"quarantine/tenant={tenant}/stream={stream}/"
        assert env["PII_FIELDS"] == ",".join(settings.pii_fields)
        # The handler's own parser reads what the program sets; its factor is the mapping's own.
        config = ConsumerConfig.from_env(env)
        assert (config.tenant, config.stream_name, config.pii_fields) == (tenant, base, tuple(settings.pii_fields))
        (mapping,) = (
            m
            for m in run.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
            if str(m.inputs["functionName"]).rsplit(":", 1)[-1] == f"{base}-consumer"
        )
        assert (
            config.parallelization_factor
            == mapping.inputs["parallelizationFactor"]
            == settings.consumer.parallelization
        )


def test_scaler_environment_is_the_handler_contract(run: ProgramRun) -> None:
    functions = by_name(run, "aws:lambda/function:Function")
    for tenant, stream, settings in stream_settings(run.stack):
        if not settings.autoscaled:
            continue
        base = f"sp-{run.stack}-{tenant}-{stream}"
        config = ScalerConfig.from_env(functions[f"{base}-scaler"].inputs["environment"]["variables"])
        assert (config.tenant, config.stream_name, config.scaling_table) == (tenant, base, run.outputs["scaling_table"])
        assert (config.min_shards, config.max_shards) == (settings.autoscaling.min, settings.autoscaling.max)
        assert config.allow_mode_switch == settings.autoscaling.allow_mode_switch
        assert config.consumer_function == f"{base}-consumer"


def test_firehose_delivers_compressed_encrypted_partitions_under_the_tenant_prefix(run: ProgramRun) -> None:
    firehoses = by_name(run, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")
    for tenant, stream, _ in stream_settings(run.stack):
        config = firehoses[f"sp-{run.stack}-{tenant}-{stream}-lake"].inputs
        s3 = config["extendedS3Configuration"]
        assert s3["prefix"].startswith(f"events/tenant={tenant}/stream={stream}/dt=!{{timestamp:yyyy-MM-dd}}/")
        assert s3["errorOutputPrefix"].startswith(f"errors/tenant={tenant}/stream={stream}/")
        assert s3["compressionFormat"] == "GZIP"
        assert s3["kmsKeyArn"].startswith("arn:aws:kms:")
        assert s3["cloudwatchLoggingOptions"]["enabled"] is True
        assert config["serverSideEncryption"]["keyType"] == "CUSTOMER_MANAGED_CMK"


def test_lake_bucket_is_private_versioned_kms_encrypted_and_tls_only(run: ProgramRun) -> None:
    lake = run.named("lake-bucket").outputs["bucket"]

    def for_lake(typ: str) -> dict[str, Any]:
        matches = [r.inputs for r in run.of_type(typ) if r.inputs["bucket"] == lake]
        assert len(matches) == 1, typ
        return matches[0]

    block = for_lake("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(block[k] is True for k in
               ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))  # fmt: skip
    assert for_lake("aws:s3/bucketVersioning:BucketVersioning")["versioningConfiguration"] == {"status": "Enabled"}
    sse = for_lake("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert sse["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    policy = json.loads(for_lake("aws:s3/bucketPolicy:BucketPolicy")["policy"])
    deny = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert deny and deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    rules = {
        rule["id"] for rule in for_lake("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")["rules"]
    }
    assert {"abort-incomplete-uploads", "tier-events", "expire-noncurrent-versions"} <= rules
    assert (
        for_lake("aws:s3/bucketLogging:BucketLogging")["targetBucket"]
        == run.named("lake-access-logs").outputs["bucket"]
    )


def test_lake_is_queryable_through_partition_projection(run: ProgramRun) -> None:
    table = run.of_type("aws:glue/catalogTable:CatalogTable")[0].inputs
    parameters = table["parameters"]
    assert parameters["projection.enabled"] == "true"
    tenants = {tenant for tenant, _, _ in stream_settings(run.stack)}
    assert set(parameters["projection.tenant.values"].split(",")) == tenants
    assert parameters["storage.location.template"].endswith("tenant=${tenant}/stream=${stream}/dt=${dt}/hour=${hour}/")
    workgroup = run.of_type("aws:athena/workgroup:Workgroup")[0].inputs["configuration"]
    assert workgroup["enforceWorkgroupConfiguration"] is True
    assert workgroup["resultConfiguration"]["encryptionConfiguration"]["encryptionOption"] == "SSE_KMS"


def test_state_tables_are_on_demand_with_pitr_and_kms(run: ProgramRun) -> None:
    tables = run.of_type("aws:dynamodb/table:Table")
    assert {t.inputs["name"] for t in tables} == {f"sp-{run.stack}-checkpoints", f"sp-{run.stack}-scaling-history"}
    for table in tables:
        assert table.inputs["billingMode"] == "PAY_PER_REQUEST"
        assert table.inputs["pointInTimeRecovery"] == {"enabled": True}
        assert table.inputs["serverSideEncryption"]["enabled"] is True
        assert table.inputs["serverSideEncryption"]["kmsKeyArn"].startswith("arn:aws:kms:")
        assert table.inputs["hashKey"] == "pk"
    history = next(t for t in tables if t.inputs["name"].endswith("-scaling-history"))
    assert history.inputs["rangeKey"] == "sk"
    assert history.inputs["ttl"] == {"attributeName": "ttl", "enabled": True}


def test_every_alarm_has_actions_and_its_resource_dimension(run: ProgramRun) -> None:
    topic = run.outputs["alarm_topic_arn"]
    alarms = run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    expected_per_stream = len(naming.STREAM_ALARM_KINDS) - 1  # scaler-errors only where autoscaled
    autoscaled = sum(1 for *_, s in stream_settings(run.stack) if s.autoscaled)
    replicated = len(naming.REPLICATION_ALARM_KINDS) if run.outputs["lake_replica_bucket"] else 0
    assert len(alarms) == expected_per_stream * len(stream_settings(run.stack)) + autoscaled + replicated
    dimensions_of = {"AWS/Kinesis": ["StreamName"], "AWS/Lambda": ["FunctionName"], "AWS/SQS": ["QueueName"],
                     "AWS/Firehose": ["DeliveryStreamName"],
                     "AWS/S3": ["SourceBucket", "DestinationBucket", "RuleId"]}  # fmt: skip
    for alarm in alarms:
        inputs = alarm.inputs
        assert inputs["alarmActions"] == [topic] and inputs["okActions"] == [topic]
        metrics = [q["metric"] for q in inputs.get("metricQueries", []) if q.get("metric")] or [inputs]
        for metric in metrics:
            assert sorted(metric["dimensions"]) == sorted(dimensions_of[metric["namespace"]]), alarm.name
            for value in metric["dimensions"].values():
                assert str(value).startswith(f"sp-{run.stack}-") or value == "replicate-everything", alarm.name
        assert "Runbook: docs/runbooks/" in inputs["alarmDescription"]


def test_autoscaler_runs_every_minute_and_on_its_own_throttle_alarm(run: ProgramRun) -> None:
    rules = by_name(run, "aws:cloudwatch/eventRule:EventRule")
    subscriptions = [r.inputs for r in run.of_type("aws:sns/topicSubscription:TopicSubscription")
                     if r.inputs["protocol"] == "lambda"]  # fmt: skip
    for tenant, stream, settings in stream_settings(run.stack):
        base = f"sp-{run.stack}-{tenant}-{stream}"
        if not settings.autoscaled:
            assert f"{base}-scaler-tick" not in rules
            continue
        assert rules[f"{base}-scaler-tick"].inputs["scheduleExpression"] == "rate(1 minute)"
        mine = [s for s in subscriptions if s["endpoint"].endswith(f":function:{base}-scaler")]
        assert len(mine) == 1
        assert json.loads(mine[0]["filterPolicy"]) == {
            "AlarmName": [f"{base}-write-throttled"],
            "NewStateValue": ["ALARM"],
        }
        assert mine[0]["filterPolicyScope"] == "MessageBody"


def test_iam_policies_grant_no_wildcards_beyond_what_aws_requires(run: ProgramRun) -> None:
    for resource, policy in policies(run):
        for statement in policy["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            for action in actions:
                assert action != "*" and not action.endswith(":*"), (resource.name, action)
            if "*" in resources:
                assert set(actions) <= STAR_RESOURCE_ACTIONS, (resource.name, statement["Sid"])
            for arn in resources:
                assert arn == "*" or arn.startswith("arn:aws:"), (resource.name, arn)


def test_no_tenant_policy_names_another_tenants_resources(run: ProgramRun) -> None:
    tenants = {tenant for tenant, _, _ in stream_settings(run.stack)}
    assert len(tenants) >= 2
    for resource, policy in policies(run):
        tenant = role_of(run, resource).inputs["tags"].get("tenant")  # None: a platform role
        text = json.dumps(policy)
        for other in tenants - {tenant}:
            assert f"-{other}-" not in text and f"tenant={other}/" not in text and f"{other}#" not in text
        for statement in policy["Statement"]:
            if any(action.startswith("dynamodb:") for action in statement["Action"]):
                keys = statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
                assert tenant is not None and keys == [f"{tenant}#*"]


def test_tenant_resources_carry_the_tenant_tag_and_the_provider_default_tags(run: ProgramRun) -> None:
    provider = run.of_type("pulumi:providers:aws")[0]
    default_tags = json.loads(provider.inputs["defaultTags"]) if isinstance(
        provider.inputs["defaultTags"], str) else provider.inputs["defaultTags"]  # fmt: skip
    assert default_tags["tags"] == {"project": "streaming-platform", "environment": run.stack, "managed-by": "pulumi"}
    for typ in ("aws:kinesis/stream:Stream", "aws:lambda/function:Function", "aws:sqs/queue:Queue",
                "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "aws:iam/role:Role"):  # fmt: skip
        for resource in run.of_type(typ):
            if "streaming:platform:TenantPipeline" not in run.ancestor_types(resource):
                assert "tenant" not in resource.inputs["tags"], resource.name  # a platform resource
                continue
            tenant = resource.inputs["tags"]["tenant"]
            assert f"-{tenant}-" in resource.inputs["name"]
    for resource in run.resources:
        if resource.custom and resource.type != "pulumi:providers:aws":
            assert resource.provider.startswith(provider.urn), resource.name


def test_every_resource_type_is_classified_stateful_or_recreatable(run: ProgramRun) -> None:
    """A new resource type must be put in infra/lifecycle.py's sets, so it cannot arrive unprotected."""
    custom_types = {r.type for r in run.resources if r.custom}
    assert not STATEFUL_TYPES & RECREATABLE_TYPES
    assert custom_types - STATEFUL_TYPES - RECREATABLE_TYPES == set()


def test_stateful_resources_are_kept_in_prod_and_disposable_elsewhere(run: ProgramRun) -> None:
    """Prod protects and retains every stateful resource (with AWS's own guards where there are any); dev and
    staging destroy cleanly: nothing protected, every bucket force_destroy, keys on KMS's shortest window."""
    kept = config_from_pulumi_values(load_stack_config(run.stack), stack=run.stack).protect_stateful
    assert kept == (run.stack == "prod")
    stateful = [r for r in run.resources if r.type in STATEFUL_TYPES]
    assert {r.type for r in stateful} == STATEFUL_TYPES  # the graph has one of each (so each is checked)
    for resource in stateful:
        assert (resource.protect, resource.retain_on_delete) == (kept, kept), resource.name
    assert not any(r.protect or r.retain_on_delete for r in run.resources if r.type not in STATEFUL_TYPES)
    for table in run.of_type("aws:dynamodb/table:Table"):
        assert table.inputs["deletionProtectionEnabled"] is kept, table.name
    for bucket in run.of_type("aws:s3/bucket:Bucket"):
        assert bucket.inputs["forceDestroy"] is (not kept), bucket.name
    for key in run.of_type("aws:kms/key:Key"):
        window = aws_limits.KMS_MAX_PENDING_WINDOW_DAYS if kept else aws_limits.KMS_MIN_PENDING_WINDOW_DAYS
        assert key.inputs["deletionWindowInDays"] == window, key.name
    for workgroup in run.of_type("aws:athena/workgroup:Workgroup"):
        assert workgroup.inputs["forceDestroy"] is (not kept)
    names = {r.name for r in stateful}
    assert {"lake-bucket", "lake-access-logs", "lake-database", "lake-events-table"} <= names
    assert sum(r.type == "aws:sqs/queue:Queue" for r in stateful) == len(stream_settings(run.stack))
    if run.stack == "prod":
        assert {"lake-replica-bucket", "lake-replica-key-key"} <= names


def _lifecycle_of(run: ProgramRun, bucket: RegisteredResource) -> list[dict[str, Any]]:
    [lifecycle] = [
        r
        for r in run.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
        if r.inputs["bucket"] == bucket.outputs["id"]
    ]
    return list(lifecycle.inputs["rules"])


def _versioned(run: ProgramRun, bucket: RegisteredResource) -> bool:
    return any(
        r.inputs["bucket"] == bucket.outputs["id"] and r.inputs["versioningConfiguration"] == {"status": "Enabled"}
        for r in run.of_type("aws:s3/bucketVersioning:BucketVersioning")
    )


def _rule(rules: list[dict[str, Any]], rule_id: str) -> dict[str, Any]:
    [rule] = [rule for rule in rules if rule["id"] == rule_id]
    return rule


def test_every_bucket_is_versioned_and_expires_noncurrent_versions_and_lone_delete_markers(run: ProgramRun) -> None:
    lake = config_from_pulumi_values(load_stack_config(run.stack), stack=run.stack).lake
    buckets = run.of_type("aws:s3/bucket:Bucket")
    assert len(buckets) == (3 if run.stack == "prod" else 2)
    for bucket in buckets:
        assert _versioned(run, bucket), bucket.name
        rules = _lifecycle_of(run, bucket)
        assert all(rule["status"] == "Enabled" for rule in rules)
        # A lone delete marker needs a rule of its own: ExpiredObjectDeleteMarker "cannot be specified with Days or
        # Date" (https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleExpiration.html).
        assert _rule(rules, "remove-expired-delete-markers")["expiration"] == {"expiredObjectDeleteMarker": True}
        assert _rule(rules, "abort-incomplete-uploads")["abortIncompleteMultipartUpload"] == {
            "daysAfterInitiation": lake.abort_incomplete_upload_days
        }
        assert "noncurrentVersionExpiration" in _rule(rules, "expire-noncurrent-versions")
    access_logs = _lifecycle_of(run, run.named("lake-access-logs"))
    assert _rule(access_logs, "expire-noncurrent-versions")["noncurrentVersionExpiration"] == {
        "noncurrentDays": lake.access_log_noncurrent_expiry_days
    }
    assert _rule(access_logs, "expire-access-logs")["expiration"] == {"days": lake.access_log_expiry_days}


def test_the_replica_expires_what_the_lake_expires_with_the_same_rules() -> None:
    """Lifecycle actions are not replicated (delete markers a lifecycle rule adds "won't be replicated",
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/delete-marker-replication.html), so the replica has the lake's
    rules, from the same function, less tiering; noncurrent replicas are STANDARD_IA, billed 30 days at least
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html), so they
    are kept at least that long."""
    prod = run_program("prod")
    lake = config_from_pulumi_values(load_stack_config("prod"), stack="prod").lake
    replica_rules = _lifecycle_of(prod, prod.named("lake-replica-bucket"))
    lake_rules = _lifecycle_of(prod, prod.named("lake-bucket"))
    assert {r["id"] for r in lake_rules} - {r["id"] for r in replica_rules} == {"tier-events"}
    assert [r for r in lake_rules if r["id"] != "tier-events"] == replica_rules
    # Below the 30-day minimum the replica keeps its noncurrent versions the 30 days it pays for anyway.
    short = lake_lifecycle_rules(noncurrent_expiry_days=7, abort_incomplete_upload_days=7, tiering_after_days=None)
    assert _rule(short, "expire-noncurrent-versions")["noncurrent_version_expiration"] == {"noncurrent_days": 7}
    config = {
        **load_stack_config("prod"),
        "streaming-platform:lake": {
            **load_stack_config("prod")["streaming-platform:lake"],
            "noncurrent_expiry_days": 7,
        },
    }
    short_run = run_program("prod", config=config)
    expiry = _rule(_lifecycle_of(short_run, short_run.named("lake-replica-bucket")), "expire-noncurrent-versions")
    assert expiry["noncurrentVersionExpiration"] == {"noncurrentDays": aws_limits.S3_STANDARD_IA_MIN_STORAGE_DAYS}
    lake_expiry = _rule(_lifecycle_of(short_run, short_run.named("lake-bucket")), "expire-noncurrent-versions")
    assert lake_expiry["noncurrentVersionExpiration"] == {"noncurrentDays": 7}
    assert lake.noncurrent_expiry_days >= aws_limits.S3_STANDARD_IA_MIN_STORAGE_DAYS


def test_physical_names_and_urns_never_clash(run: ProgramRun) -> None:
    urns = [r.urn for r in run.resources]
    assert len(urns) == len(set(urns))
    for typ in {r.type for r in run.resources}:
        names = [r.inputs["name"] for r in run.of_type(typ) if isinstance(r.inputs.get("name"), str)]
        if typ not in {"aws:iam/rolePolicy:RolePolicy", "aws:cloudwatch/logStream:LogStream"}:
            assert len(names) == len(set(names)), typ


def test_tenants_and_streams_with_tricky_names_do_not_clash() -> None:
    # Tenant and stream names that concatenate to the same strings as other resources' names.
    tenants = {
        "lake": {"streams": {"bucket": {}, "key": {}}},
        "key": {"streams": {"lake": {}, "consumer": {"mode": "on_demand"}}},
        "alarms": {"streams": {"ab-consumer": {}, "ab": {}}},
    }
    run = run_program("dev", config={"aws:region": "eu-west-1", "streaming-platform:tenants": tenants})
    assert len(run.of_type("aws:kinesis/stream:Stream")) == 6
    test_physical_names_and_urns_never_clash(run)
    assert all(":eu-west-1:" in r.outputs["arn"] for r in run.of_type("aws:kinesis/stream:Stream"))


def test_prod_replicates_the_lake_to_another_region_and_dev_does_not() -> None:
    dev = run_program("dev")
    assert not dev.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    assert dev.outputs["lake_replica_bucket"] is None
    prod = run_program("prod")
    replication = prod.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    assert len(replication) == 1
    lake, replica = prod.named("lake-bucket"), prod.named("lake-replica-bucket")
    assert replica.inputs["region"] == "us-west-2" and replica.protect
    assert prod.outputs["lake_replica_bucket"] == replica.outputs["bucket"]
    rule = replication[0].inputs["rules"][0]
    assert replication[0].inputs["bucket"] == lake.outputs["id"]
    assert rule["status"] == "Enabled" and rule["deleteMarkerReplication"] == {"status": "Enabled"}
    assert rule["sourceSelectionCriteria"] == {"sseKmsEncryptedObjects": {"status": "Enabled"}}
    assert rule["destination"]["bucket"] == replica.outputs["arn"]
    replica_key = prod.named("lake-replica-key-key")
    assert replica_key.inputs["region"] == "us-west-2"
    assert rule["destination"]["encryptionConfiguration"] == {"replicaKmsKeyId": replica_key.outputs["arn"]}
    for typ in ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                "aws:s3/bucketPolicy:BucketPolicy"):  # fmt: skip
        assert [r for r in prod.of_type(typ) if r.inputs["bucket"] == replica.outputs["id"]], typ
    role_policy = json.loads(prod.named("lake-replica-role-policy").inputs["policy"])
    writes = next(s for s in role_policy["Statement"] if s["Sid"] == "WriteReplica")
    assert writes["Resource"] == [replica.outputs["arn"] + "/*"]


def test_access_logging_waits_for_the_log_bucket_policy_that_lets_s3_deliver(run: ProgramRun) -> None:
    # S3 checks the target bucket's policy when logging is turned on: the policy must exist first.
    logging = run.named("lake-logging")
    policy = run.named("lake-access-logs-policy")
    assert policy.urn in logging.dependencies
    statement = next(s for s in json.loads(policy.inputs["policy"])["Statement"] if s["Effect"] == "Allow")
    assert statement["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert statement["Resource"].endswith(f"/{logging.inputs['targetPrefix']}*")
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"] == run.named("lake-bucket").outputs["arn"]


def test_autoscaler_may_only_resize_its_own_stream_and_keep_its_own_history(run: ProgramRun) -> None:
    for tenant, stream, settings in stream_settings(run.stack):
        if not settings.autoscaled:
            continue
        base = f"sp-{run.stack}-{tenant}-{stream}"
        [(_, policy)] = [
            (r, p) for r, p in policies(run) if role_of(run, r).inputs.get("name") == f"{base}-scaler-role"
        ]
        grants = {s["Sid"]: (sorted(s["Action"]), s["Resource"]) for s in policy["Statement"]}
        assert grants["DescribeOwnStream"] == (
            ["kinesis:DescribeStreamSummary"],
            [f"arn:aws:kinesis:us-east-1:123456789012:stream/{base}"],
        )
        # No resource type: IAM authorizes these against "*" (list_amazonkinesisdatastreams.html), and only these.
        expected_resize = ["kinesis:UpdateShardCount"]
        if settings.autoscaling.allow_mode_switch:
            expected_resize.append("kinesis:UpdateStreamMode")
        assert grants["ResizeStreams"] == (expected_resize, ["*"])
        assert grants["OwnScalingHistory"][0] == ["dynamodb:GetItem", "dynamodb:PutItem"]
        assert grants["ReadStreamMetrics"] == (["cloudwatch:GetMetricData"], ["*"])


def test_every_component_registers_its_outputs(run: ProgramRun) -> None:
    components = [r for r in run.resources if not r.custom and r.type.startswith("streaming:platform:")]
    assert components
    silent = [r.name for r in components if not r.outputs]
    assert not silent, f"components that register no outputs: {silent}"
    platform = next(r for r in components if r.type == "streaming:platform:StreamingPlatform")
    assert without_none(run.outputs) == platform.outputs  # the engine keeps no null outputs


def without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: without_none(item) for key, item in value.items() if item is not None}
    return value
