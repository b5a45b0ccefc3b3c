"""The stack-wide resources every tenant pipeline uses, by identifier: StreamingPlatform creates them once."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class AwsPartition:
    """The partition the provider reports (`aws`, `aws-us-gov`, `aws-cn`...) and its DNS suffix.

    ARNs and service endpoint names are built from these, never from a literal `arn:aws:`, so the program deploys to
    GovCloud and China as to the commercial regions
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html: `arn:partition:service:region:account-id:`).
    """

    name: pulumi.Output[str]
    dns_suffix: pulumi.Output[str]

    def arn(self, service: str, region: str, account: pulumi.Input[str], resource: str) -> pulumi.Output[str]:
        return pulumi.Output.concat("arn:", self.name, ":", service, ":", region, ":", account, ":", resource)


@dataclass(frozen=True)
class PlatformResources:
    """Identifiers (Outputs) of the shared key, lake bucket, state tables and alarm topic, and where they are."""

    region: str
    account_id: pulumi.Output[str]
    partition: AwsPartition
    platform_key_arn: pulumi.Output[str]
    lake_bucket: pulumi.Output[str]
    lake_bucket_arn: pulumi.Output[str]
    checkpoint_table: pulumi.Output[str]
    checkpoint_table_arn: pulumi.Output[str]
    scaling_table: pulumi.Output[str]
    scaling_table_arn: pulumi.Output[str]
    alarm_topic_arn: pulumi.Output[str]
