"""The stack's alarm topic: every alarm notifies it, configured endpoints subscribe to it."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from infra.policy_documents import deny_insecure_transport, document, service_principal


@dataclass(frozen=True)
class AlarmTopicArgs:
    topic_name: str
    key_arn: pulumi.Input[str]
    account_id: pulumi.Input[str]
    emails: list[str] = field(default_factory=list)
    https_endpoints: list[str] = field(default_factory=list)
    # The endpoints come from a secret config key: each subscription's endpoint stays a secret (a paging URL's path
    # is its integration key; the state then holds it encrypted).
    secret_endpoints: bool = False
    tags: dict[str, str] = field(default_factory=dict)


class AlarmTopic(pulumi.ComponentResource):
    """KMS-encrypted SNS topic that only CloudWatch of this account may publish to, over TLS only."""

    topic: aws.sns.Topic
    policy: aws.sns.TopicPolicy
    subscriptions: list[aws.sns.TopicSubscription]
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: AlarmTopicArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:platform:AlarmTopic", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.topic = aws.sns.Topic(
            f"{name}-topic", name=args.topic_name, kms_master_key_id=args.key_arn, tags=args.tags, opts=child
        )
        self.policy = aws.sns.TopicPolicy(
            f"{name}-policy",
            arn=self.topic.arn,
            policy=document(
                [
                    {
                        "Sid": "CloudWatchAlarmsPublish",
                        "Effect": "Allow",
                        "Principal": {"Service": service_principal("cloudwatch")},
                        "Action": "sns:Publish",
                        "Resource": self.topic.arn,
                        "Condition": {"StringEquals": {"aws:SourceAccount": args.account_id}},
                    },
                    deny_insecure_transport([self.topic.arn], actions="sns:Publish"),
                ]
            ),
            opts=child,
        )

        def endpoint(value: str) -> pulumi.Input[str]:
            return pulumi.Output.secret(value) if args.secret_endpoints else value

        self.subscriptions = [
            *(
                aws.sns.TopicSubscription(
                    f"{name}-email-{index}",
                    topic=self.topic.arn,
                    protocol="email",
                    endpoint=endpoint(email),
                    opts=child,
                )
                for index, email in enumerate(args.emails)
            ),
            *(
                aws.sns.TopicSubscription(
                    f"{name}-https-{index}", topic=self.topic.arn, protocol="https", endpoint=endpoint(url), opts=child
                )
                for index, url in enumerate(args.https_endpoints)
            ),
        ]
        self.arn = self.topic.arn
        self.register_outputs({"arn": self.arn})
