"""The whole stack: shared lake, state tables, alarm topic and keys, and one pipeline per tenant."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from infra import defaults
from infra.alarm_specs import replication_alarm_specs
from infra.components.alarm_topic import AlarmTopic, AlarmTopicArgs
from infra.components.data_lake import DataLake, DataLakeArgs
from infra.components.encryption_key import EncryptionKey, EncryptionKeyArgs
from infra.components.lake_replica import LakeReplica, LakeReplicaArgs
from infra.components.platform_function import FunctionPackage
from infra.components.state_table import StateTable, StateTableArgs
from infra.components.stream_alarms import metric_alarm
from infra.components.tenant_pipeline import TenantPipeline, TenantPipelineArgs
from infra.config import PlatformConfig
from infra.function_code import dependency_layer_dir, function_code_archive, powertools_layer_arn
from infra.naming import PlatformNames
from infra.platform_resources import AwsPartition, PlatformResources
from infra.policy_documents import service_principal


class StreamingPlatform(pulumi.ComponentResource):
    """Every resource of a stack hangs under this component, on an explicit provider with default tags.

    Its outputs are the stack outputs: the contract every script reads (scripts/streamctl/stack_outputs.py).
    """

    provider: aws.Provider
    platform_key: EncryptionKey
    lake: DataLake
    replica: LakeReplica | None
    checkpoints: StateTable
    scaling_history: StateTable
    alarm_topic: AlarmTopic
    dependency_layer: aws.lambda_.LayerVersion
    tenants: dict[str, TenantPipeline]
    outputs: dict[str, Any]

    def __init__(
        self,
        name: str,
        config: PlatformConfig,
        *,
        stack: str,
        region: str,
        secret_keys: frozenset[str] = frozenset(),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("streaming:platform:StreamingPlatform", name, None, opts)
        names = PlatformNames(config.name_prefix, stack)
        base_tags = {"project": "streaming-platform", "environment": stack, "managed-by": "pulumi"}
        self.provider = aws.Provider(
            "aws", region=region, default_tags={"tags": base_tags}, opts=pulumi.ResourceOptions(parent=self)
        )
        child = pulumi.ResourceOptions(parent=self, providers=[self.provider])
        protect = config.protect_stateful
        on_provider = pulumi.InvokeOptions(provider=self.provider)
        account_id = aws.get_caller_identity_output(opts=on_provider).account_id
        # The provider's partition (aws, aws-us-gov, aws-cn...): every ARN and endpoint name is built in it.
        reported = aws.get_partition_output(opts=on_provider)
        partition = AwsPartition(name=reported.partition, dns_suffix=reported.dns_suffix)

        self.platform_key = EncryptionKey(
            "platform",
            EncryptionKeyArgs(
                description=f"{names.base}: lake, state tables and alarm topic",
                alias=names.platform_key_alias,
                account_id=account_id,
                partition=partition.name,
                service_principals=[service_principal("cloudwatch")],  # alarms publish to the encrypted topic
                protect=protect,
            ),
            opts=child,
        )
        lake = config.lake
        self.lake = DataLake(
            "lake",
            DataLakeArgs(
                tiering_after_days=lake.tiering_after_days,
                noncurrent_expiry_days=lake.noncurrent_expiry_days,
                abort_incomplete_upload_days=lake.abort_incomplete_upload_days,
                access_log_expiry_days=lake.access_log_expiry_days,
                access_log_noncurrent_expiry_days=lake.access_log_noncurrent_expiry_days,
                key_arn=self.platform_key.arn,
                glue_database=names.glue_database,
                athena_workgroup=names.athena_workgroup,
                tenants=sorted(config.tenants),
                streams=sorted({stream for _, stream, _ in config.streams()}),
                bucket_prefix=names.base,
                account_id=account_id,
                protect=protect,
            ),
            opts=child,
        )
        self.replica = None
        if lake.replica_region:
            self.replica = LakeReplica(
                "lake-replica",
                LakeReplicaArgs(
                    replica_region=lake.replica_region,
                    source_region=region,
                    source_bucket=self.lake.bucket.id,
                    source_bucket_arn=self.lake.bucket_arn,
                    source_key_arn=self.platform_key.arn,
                    source_versioning=self.lake.versioning,
                    bucket_prefix=names.replica_bucket_prefix,
                    key_alias=names.replica_key_alias,
                    role_name=names.lake_replica_role,
                    account_id=account_id,
                    partition=partition,
                    noncurrent_expiry_days=lake.noncurrent_expiry_days,
                    abort_incomplete_upload_days=lake.abort_incomplete_upload_days,
                    protect=protect,
                ),
                opts=child,
            )
        self.checkpoints = StateTable(
            "checkpoints",
            StateTableArgs(table_name=names.checkpoint_table, key_arn=self.platform_key.arn, protect=protect),
            opts=child,
        )
        self.scaling_history = StateTable(
            "scaling-history",
            StateTableArgs(
                table_name=names.scaling_table,
                key_arn=self.platform_key.arn,
                range_key="sk",
                ttl_attribute="ttl",  # the scaler's action log expires after 30 days
                protect=protect,
            ),
            opts=child,
        )
        self.alarm_topic = AlarmTopic(
            "alarms",
            AlarmTopicArgs(
                topic_name=names.alarm_topic,
                key_arn=self.platform_key.arn,
                account_id=account_id,
                emails=config.alarms.emails,
                https_endpoints=config.alarms.https_endpoints,
                secret_endpoints="alarms" in secret_keys,
            ),
            opts=child,
        )
        self.replication_alarms: dict[str, aws.cloudwatch.MetricAlarm] = {}
        if self.replica is not None:
            # S3 reports the replication metrics of a rule in the source bucket's region, per source, destination
            # and rule (infra/alarm_specs.py REPLICATION_DIMENSIONS).
            replication: dict[str, pulumi.Input[str]] = {
                "SourceBucket": self.lake.bucket_name,
                "DestinationBucket": self.replica.bucket_name,
                "RuleId": self.replica.rule_id,
            }
            self.replication_alarms = {
                spec.kind: metric_alarm(
                    f"lake-{spec.kind}",
                    spec,
                    alarm_name=names.replication_alarm(spec.kind),
                    subject=f"{names.base} lake replica",
                    dimension_values=replication,
                    topic_arn=self.alarm_topic.arn,
                    tags=base_tags,
                    parent=self,
                    providers=[self.provider],
                )
                for spec in replication_alarm_specs()
            }
        self.dependency_layer = aws.lambda_.LayerVersion(
            "dependencies",
            layer_name=names.dependency_layer,
            description="Pinned handler dependencies (functions/requirements.txt) built for the Lambda platform",
            code=pulumi.FileArchive(str(dependency_layer_dir(config.architecture))),
            compatible_runtimes=[defaults.LAMBDA_RUNTIME],
            compatible_architectures=[config.architecture],
            opts=child,
        )
        platform = PlatformResources(
            region=region,
            account_id=account_id,
            partition=partition,
            platform_key_arn=self.platform_key.arn,
            lake_bucket=self.lake.bucket_name,
            lake_bucket_arn=self.lake.bucket_arn,
            checkpoint_table=self.checkpoints.name,
            checkpoint_table_arn=self.checkpoints.arn,
            scaling_table=self.scaling_history.name,
            scaling_table_arn=self.scaling_history.arn,
            alarm_topic_arn=self.alarm_topic.arn,
        )
        package = FunctionPackage(
            code=function_code_archive(),
            layers=[
                partition.name.apply(
                    lambda name: powertools_layer_arn(
                        name, region, config.architecture, config.powertools_layer_version
                    )
                ),
                self.dependency_layer.arn,
            ],
            architecture=config.architecture,
            log_retention_days=config.log_retention_days,
        )
        self.tenants = {
            tenant: TenantPipeline(
                tenant,
                TenantPipelineArgs(
                    tenant=tenant,
                    settings=settings,
                    lake=lake,
                    names=names,
                    platform=platform,
                    package=package,
                    protect=protect,
                    tags=base_tags,
                ),
                opts=child,
            )
            for tenant, settings in sorted(config.tenants.items())
        }
        self.outputs = {
            "region": region,
            "lake_bucket": self.lake.bucket_name,
            "lake_events_prefix": defaults.LAKE_EVENTS_PREFIX,
            "lake_replica_bucket": self.replica.bucket_name if self.replica else None,
            "quarantine_prefix": defaults.LAKE_QUARANTINE_PREFIX,
            "glue_database": self.lake.database_name,
            "athena_workgroup": self.lake.workgroup_name,
            "checkpoint_table": self.checkpoints.name,
            "scaling_table": self.scaling_history.name,
            "alarm_topic_arn": self.alarm_topic.arn,
            "tenants": {tenant: pipeline.outputs for tenant, pipeline in self.tenants.items()},
        }
        self.register_outputs(self.outputs)
