"""Test-only changes to a stack's policies before the deployer decides them (`deploy(..., policy_edit=...)`).

Each edits the access graph the decisions are made against, never the deployed resources, the way the proof's
statement removals do; statements are found by what they grant, not by Sid, so a fix that renames them still
edits the same grant.
"""

from __future__ import annotations

import fnmatch
from dataclasses import replace
from typing import Any

from policy.access_graph import AccessGraph, StatementRef
from policy.stack_wiring import StackWiring


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement.get("Action", [])
    return [actions] if isinstance(actions, str) else list(actions)


def _without_grants(graph: AccessGraph, role_arn: str, action: str) -> AccessGraph:
    """The role's inline policies without any Allow statement that grants `action`."""
    refs: list[StatementRef] = []
    for document in graph.identity_documents(role_arn):
        for ref in document.refs():
            statement = graph.statement(ref)
            if statement.get("Effect") == "Allow" and any(fnmatch.fnmatch(action, a) for a in _actions(statement)):
                refs.append(ref)
    for ref in refs:
        graph = graph.without(ref)
    return graph


def without_lake_kms_grant(graph: AccessGraph, wiring: StackWiring) -> AccessGraph:
    """Every delivery role loses its kms:GenerateDataKey grant: AWS refuses Firehose's writes into the lake."""
    for stream in wiring.streams:
        graph = _without_grants(graph, stream.delivery.role_arn, "kms:GenerateDataKey")
    return graph


def without_consumer_firehose_grant(graph: AccessGraph, wiring: StackWiring) -> AccessGraph:
    """Every consumer loses firehose:PutRecordBatch: AWS answers its deliveries with AccessDeniedException."""
    for stream in wiring.streams:
        graph = _without_grants(graph, stream.consumer.role_arn, "firehose:PutRecordBatch")
    return graph


def without_consumer_stream_reads(graph: AccessGraph, wiring: StackWiring) -> AccessGraph:
    """Every consumer role loses the statements granting kinesis:GetRecords (and so whatever reads they grant with
    it): its event source mapping cannot read the stream."""
    for stream in wiring.streams:
        graph = _without_grants(graph, stream.consumer.role_arn, "kinesis:GetRecords")
    return graph


def with_bucket_key_context_grant(graph: AccessGraph, wiring: StackWiring) -> AccessGraph:
    """Each delivery role may also use the lake key through S3 with the bucket's ARN as encryption context, the
    context S3 sends under S3 Bucket Keys (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html).

    The program has this grant since its Bucket Key fix; adding it again keeps the test's allowed case allowed
    whatever the program grants, since an added Allow cannot deny anything."""
    for stream in wiring.streams:
        delivery = stream.delivery
        key_arn = delivery.s3_key_arn or delivery.bucket.key_arn
        if key_arn is None:
            continue
        statement = {
            "Sid": "TestBucketKeyContext",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
            "Resource": key_arn,
            "Condition": {
                "StringEquals": {
                    "kms:ViaService": f"s3.{wiring.region}.amazonaws.com",
                    "kms:EncryptionContext:aws:s3:arn": delivery.bucket.arn,
                }
            },
        }
        document = graph.identity_documents(delivery.role_arn)[0]
        extended = replace(document, statements=(*document.statements, ("TestBucketKeyContext", statement)))
        graph = replace(graph, documents={**graph.documents, document.label: extended})
    return graph
