"""A customer-managed KMS key with rotation, an alias and a key policy naming the services that use it."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from infra.lifecycle import kms_deletion_window_days, stateful_options
from infra.policy_documents import document


@dataclass(frozen=True)
class EncryptionKeyArgs:
    description: str
    alias: str
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]  # aws, aws-us-gov, aws-cn...: the account root's ARN is in it
    # Services that encrypt with the key on their own behalf (CloudWatch publishing to an encrypted topic).
    service_principals: list[str] = field(default_factory=list)
    region: str | None = None  # another region than the provider's (pulumi-aws 7 per-resource region)
    protect: bool = False
    tags: dict[str, str] = field(default_factory=dict)


class EncryptionKey(pulumi.ComponentResource):
    """Customer-managed keys (not AWS-managed) so each tenant's data can be audited and revoked apart."""

    key: aws.kms.Key
    alias: aws.kms.Alias
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: EncryptionKeyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:platform:EncryptionKey", name, None, opts)
        statements = [
            {
                # The AWS default key policy: the account administers the key through IAM.
                "Sid": "AccountAdministersKeyThroughIam",
                "Effect": "Allow",
                "Principal": {"AWS": pulumi.Output.concat("arn:", args.partition, ":iam::", args.account_id, ":root")},
                "Action": "kms:*",
                "Resource": "*",
            }
        ]
        if args.service_principals:
            statements.append(
                {
                    "Sid": "ServicesEncryptForThisAccount",
                    "Effect": "Allow",
                    "Principal": {"Service": sorted(args.service_principals)},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": args.account_id}},
                }
            )
        self.key = aws.kms.Key(
            f"{name}-key",
            description=args.description,
            region=args.region,
            enable_key_rotation=True,
            deletion_window_in_days=kms_deletion_window_days(args.protect),
            policy=document(statements),
            tags=args.tags,
            opts=stateful_options(args.protect, parent=self),
        )
        self.alias = aws.kms.Alias(
            f"{name}-alias",
            name=args.alias,
            region=args.region,
            target_key_id=self.key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = self.key.arn
        self.register_outputs({"arn": self.arn})
