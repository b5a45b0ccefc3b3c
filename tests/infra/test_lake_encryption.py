"""Every grant of a bucket's SSE-KMS key through S3 matches the encryption context S3 really sends.

The lake and its replica use S3 Bucket Keys, to cut S3's KMS requests (and their cost) by up to 99%. With a Bucket
Key, S3 calls KMS with `aws:s3:arn` = the BUCKET ARN, not the object's: "If your existing IAM policies or AWS KMS key
policies use your object ARN as the encryption context ..., these policies won't work with an S3 Bucket Key"
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html, "Changes to note before enabling an S3 Bucket
Key"); a PUT without the bucket-key header uses the bucket's setting
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/configuring-bucket-key-object.html), and replication sees the
same context on both sides
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html). A condition on object
ARNs therefore denies every write: nothing reaches the lake.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.mock_runtime import ProgramRun, available_stacks, run_program

ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
S3_CONTEXT = "kms:EncryptionContext:aws:s3:arn"


@pytest.fixture(scope="module", params=available_stacks())
def run(request: pytest.FixtureRequest) -> ProgramRun:
    return run_program(request.param)


def bucket_key_buckets(run: ProgramRun) -> dict[str, str]:
    """SSE-KMS key ARN -> ARN of the bucket whose default encryption uses it with an S3 Bucket Key."""
    arns = {r.outputs["bucket"]: r.outputs["arn"] for r in run.of_type("aws:s3/bucket:Bucket")}
    found: dict[str, str] = {}
    for config in run.of_type(ENCRYPTION):
        for rule in config.inputs["rules"]:
            default = rule["applyServerSideEncryptionByDefault"]
            if default["sseAlgorithm"] == "aws:kms" and rule.get("bucketKeyEnabled"):
                found[default["kmsMasterKeyId"]] = arns[config.inputs["bucket"]]
    return found


def kms_via_s3_statements(run: ProgramRun) -> list[tuple[str, dict[str, Any]]]:
    statements = []
    for policy in run.of_type("aws:iam/rolePolicy:RolePolicy"):
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            via = statement.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService", "")
            if any(a.startswith("kms:") for a in statement["Action"]) and str(via).startswith("s3."):
                statements.append((f"{policy.name} / {statement['Sid']}", statement))
    return statements


def test_the_lake_keeps_its_s3_bucket_key(run: ProgramRun) -> None:
    lake = run.named("lake-bucket").outputs["arn"]
    assert lake in bucket_key_buckets(run).values()


def test_every_key_grant_through_s3_names_the_bucket_arn_as_encryption_context(run: ProgramRun) -> None:
    buckets = bucket_key_buckets(run)
    statements = kms_via_s3_statements(run)
    # Firehose (each stream), the consumer's quarantine writes, and in prod replication's source and replica keys.
    assert len(statements) >= 2 * len(run.of_type("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"))
    for label, statement in statements:
        (key,) = statement["Resource"]
        assert key in buckets, f"{label}: {key} encrypts no bucket with an S3 Bucket Key"
        conditions = statement["Condition"]
        assert set(conditions) == {"StringEquals"}, f"{label}: an object-ARN pattern (StringLike) never matches"
        assert conditions["StringEquals"][S3_CONTEXT] == buckets[key], label


def test_replication_may_decrypt_with_the_replica_key_as_bucket_keys_require() -> None:
    prod = run_program("prod")
    policy = json.loads(prod.named("lake-replica-role-policy").inputs["policy"])
    grants = {s["Sid"]: s for s in policy["Statement"]}
    assert "kms:Decrypt" in grants["EncryptReplica"]["Action"]
    assert grants["EncryptReplica"]["Resource"] == [prod.named("lake-replica-key-key").outputs["arn"]]
