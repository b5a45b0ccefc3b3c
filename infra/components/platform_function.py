"""A Lambda function with its own log group (retention set), least-privilege role and X-Ray tracing."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from functions.powertools_environment import powertools_environment
from infra import defaults
from infra.policy_documents import (
    Statement,
    assume_role,
    document,
    log_group_writes,
    service_principal,
    xray_writes,
)


@dataclass(frozen=True)
class FunctionPackage:
    """What every platform function runs: the `functions/` code, its layers, architecture and log retention."""

    code: pulumi.Archive
    layers: list[pulumi.Input[str]]
    architecture: str
    log_retention_days: int


@dataclass(frozen=True)
class PlatformFunctionArgs:
    function_name: str
    role_name: str
    handler: str
    # Powertools' `service` of its logs and metrics; the Powertools variables are set from it.
    service_name: str
    description: str
    package: FunctionPackage
    environment: dict[str, pulumi.Input[str]]
    statements: list[Statement]
    memory_mb: int
    timeout_seconds: int
    tags: dict[str, str] = field(default_factory=dict)


class PlatformFunction(pulumi.ComponentResource):
    """The function never gets AWSLambdaBasicExecutionRole's `logs:*` on `*`: only its own log group."""

    log_group: aws.cloudwatch.LogGroup
    role: aws.iam.Role
    policy: aws.iam.RolePolicy
    function: aws.lambda_.Function
    name: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: PlatformFunctionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:platform:PlatformFunction", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        package = args.package
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/lambda/{args.function_name}",
            retention_in_days=package.log_retention_days,
            tags=args.tags,
            opts=child,
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            name=args.role_name,
            description=f"Execution role of {args.function_name}",
            # The execution role's trust policy as Lambda documents it: no condition keys
            # (https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html).
            assume_role_policy=assume_role(service_principal("lambda")),
            tags=args.tags,
            opts=child,
        )
        self.policy = aws.iam.RolePolicy(
            f"{name}-policy",
            name="least-privilege",
            role=self.role.id,
            policy=document([log_group_writes(self.log_group.arn), xray_writes(), *args.statements]),
            opts=child,
        )
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=args.function_name,
            description=args.description,
            runtime=defaults.LAMBDA_RUNTIME,
            architectures=[package.architecture],
            handler=args.handler,
            code=package.code,
            role=self.role.arn,
            layers=package.layers,
            memory_size=args.memory_mb,
            timeout=args.timeout_seconds,
            environment={"variables": {**args.environment, **powertools_environment(args.service_name)}},
            tracing_config={"mode": "Active"},
            logging_config={"log_format": "JSON", "log_group": self.log_group.name},
            tags=args.tags,
            # The role's policy must exist before the function can poll or write anything.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.policy, self.log_group]),
        )
        self.name = self.function.name
        self.arn = self.function.arn
        self.register_outputs({"name": self.name, "arn": self.arn})
