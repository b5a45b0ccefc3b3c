"""Stack rules: guardrails that need more than one resource, such as "every bucket has its encryption".

S3 settings live in separate resources (BucketServerSideEncryptionConfiguration, BucketPublicAccessBlock,
BucketPolicy) that name their bucket, so a forgotten one is only visible across the whole stack. The
engine hands stack policies each resource's outputs, where a bucket's `bucket` output is its name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from policy.properties import PropertyMap, as_list, is_set, nested
from policy.rules import S3_BUCKET_POLICY, S3_PUBLIC_ACCESS_BLOCK

S3_BUCKET = "aws:s3/bucket:Bucket"
S3_ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
S3_LOGGING = "aws:s3/bucketLogging:BucketLogging"
KMS_ALGORITHMS = frozenset({"aws:kms", "aws:kms:dsse"})


@dataclass(frozen=True)
class StackResource:
    """One resource of the stack as a stack policy sees it (type, logical name, URN, output properties)."""

    type: str
    name: str
    urn: str
    props: PropertyMap


@dataclass(frozen=True)
class StackViolation:
    message: str
    urn: str


StackCheck = Callable[[Sequence[StackResource]], list[StackViolation]]


@dataclass(frozen=True)
class StackRule:
    name: str
    description: str
    check: StackCheck
    cdk_nag: str | None = None

    def validate(self, resources: Sequence[StackResource]) -> list[StackViolation]:
        return self.check(resources)


def _bucket_name(bucket: StackResource) -> str:
    return str(bucket.props.get("bucket") or bucket.name)


def _attached(resources: Sequence[StackResource], resource_type: str, bucket: StackResource) -> list[StackResource]:
    """The resources of `resource_type` whose `bucket` property names this bucket."""
    name = _bucket_name(bucket)
    return [r for r in resources if r.type == resource_type and r.props.get("bucket") == name]


def _access_log_targets(resources: Sequence[StackResource]) -> set[str]:
    return {str(r.props.get("targetBucket")) for r in resources if r.type == S3_LOGGING}


def _kms_problem(encryption: StackResource) -> str | None:
    """Why this encryption configuration is not SSE-KMS with a named key, or None when it is."""
    rules = as_list(encryption.props.get("rules"))
    if not rules:
        return "has no rules"
    for rule in rules:
        algorithm = nested(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm")
        if algorithm not in KMS_ALGORITHMS:
            return f"uses sseAlgorithm {algorithm!r}, not aws:kms"
        if not is_set(nested(rule, "applyServerSideEncryptionByDefault", "kmsMasterKeyId")):
            return "uses aws:kms without kmsMasterKeyId (the AWS managed key aws/s3)"
    return None


def s3_buckets_kms_encrypted(resources: Sequence[StackResource]) -> list[StackViolation]:
    """SSE-KMS with a customer key on every bucket, except access-log targets where AWS requires SSE-S3."""
    log_targets = _access_log_targets(resources)
    violations: list[StackViolation] = []
    for bucket in (r for r in resources if r.type == S3_BUCKET):
        name = _bucket_name(bucket)
        configurations = _attached(resources, S3_ENCRYPTION, bucket)
        if not configurations:
            violations.append(
                StackViolation(f"bucket {name} has no BucketServerSideEncryptionConfiguration", bucket.urn)
            )
            continue
        for encryption in configurations:
            problem = _kms_problem(encryption)
            if problem is None:
                continue
            # S3 server access logging cannot deliver into SSE-KMS buckets: SSE-S3 is the only option there.
            if name in log_targets and all(
                nested(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm") == "AES256"
                for rule in as_list(encryption.props.get("rules"))
            ):
                continue
            violations.append(StackViolation(f"encryption of bucket {name} {problem}", encryption.urn))
    return violations


def s3_buckets_block_public_access(resources: Sequence[StackResource]) -> list[StackViolation]:
    return [
        StackViolation(f"bucket {_bucket_name(bucket)} has no BucketPublicAccessBlock", bucket.urn)
        for bucket in resources
        if bucket.type == S3_BUCKET and not _attached(resources, S3_PUBLIC_ACCESS_BLOCK, bucket)
    ]


def s3_buckets_have_policy(resources: Sequence[StackResource]) -> list[StackViolation]:
    """Every bucket has a bucket policy; `s3-bucket-policy-tls-only` checks that policy denies plain HTTP."""
    return [
        StackViolation(f"bucket {_bucket_name(bucket)} has no BucketPolicy to deny requests without TLS", bucket.urn)
        for bucket in resources
        if bucket.type == S3_BUCKET and not _attached(resources, S3_BUCKET_POLICY, bucket)
    ]


STACK_RULES: Sequence[StackRule] = (
    StackRule(
        "s3-bucket-kms-encrypted",
        "S3 buckets default to SSE-KMS with a customer managed key (SSE-S3 only for access-log targets).",
        s3_buckets_kms_encrypted,
    ),
    StackRule(
        "s3-bucket-public-access-blocked",
        "Every S3 bucket has a public access block.",
        s3_buckets_block_public_access,
        "AwsSolutions-S2",
    ),
    StackRule(
        "s3-bucket-has-tls-only-policy",
        "Every S3 bucket has a bucket policy (which s3-bucket-policy-tls-only checks denies plain HTTP).",
        s3_buckets_have_policy,
        "AwsSolutions-S10",
    ),
)
