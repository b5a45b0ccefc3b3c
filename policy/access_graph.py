"""Every policy of a recorded resource graph that AWS consults when it authorizes a request, keyed as AWS looks it up.

AWS decides a request from the principal's identity policies and the resource's own policy (key policy, bucket,
queue or topic policy, a function's resource policy, a role's trust policy for sts:AssumeRole):
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html. This module reads those
documents out of `infra.mock_runtime.run_program(stack)` and refuses a graph holding any other kind of grant
(managed policies, grants, permission boundaries...), so the proof can never pass by not reading a policy.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

Statement = dict[str, Any]

# Resource types whose policies are read below.
READ_TYPES = {
    "aws:iam/role:Role",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:kms/key:Key",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:sqs/queuePolicy:QueuePolicy",
    "aws:sns/topicPolicy:TopicPolicy",
    "aws:lambda/permission:Permission",
}
# Inputs that would attach a grant this module does not read.
UNREAD_INPUTS = {
    "aws:iam/role:Role": ("managedPolicyArns", "inlinePolicies", "permissionsBoundary"),
    "aws:sqs/queue:Queue": ("policy",),
    "aws:sns/topic:Topic": ("policy",),
    "aws:s3/bucket:Bucket": ("policy",),
    "aws:lambda/permission:Permission": ("principalOrgId", "eventSourceToken", "functionUrlAuthType", "qualifier"),
}


class UnreadPolicyError(ValueError):
    """The graph grants access through a resource or input the proof does not read."""


class GraphResource(Protocol):
    """What the proof reads of a registration (`infra.mock_runtime.RegisteredResource` has it)."""

    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def inputs(self) -> dict[str, Any]: ...
    @property
    def outputs(self) -> dict[str, Any]: ...


@dataclass(frozen=True, order=True)
class StatementRef:
    """One statement of one policy document: its Sid, or `Statement[i]` where it has none."""

    document: str
    sid: str

    def __str__(self) -> str:
        return f"{self.document} / {self.sid}"


def statement_id(index: int, statement: Statement) -> str:
    return str(statement.get("Sid") or f"Statement[{index}]")


@dataclass(frozen=True)
class PolicyDocument:
    """A policy as AWS stores it, labelled by what it is attached to (e.g. `role x: policy least-privilege`).

    Each statement keeps the id it was read with (its Sid, or its position), so ids stay stable once one is removed.
    """

    label: str
    statements: tuple[tuple[str, Statement], ...]

    @classmethod
    def of(cls, label: str, statements: Sequence[Statement]) -> PolicyDocument:
        return cls(label, tuple((statement_id(i, dict(s)), dict(s)) for i, s in enumerate(statements)))

    def refs(self) -> list[StatementRef]:
        return [StatementRef(self.label, sid) for sid, _ in self.statements]

    def statement(self, sid: str) -> Statement:
        for candidate, statement in self.statements:
            if candidate == sid:
                return statement
        raise KeyError(f"{self.label} has no statement {sid!r}; it has {[r.sid for r in self.refs()]}")

    def without(self, sid: str) -> PolicyDocument:
        self.statement(sid)
        return replace(self, statements=tuple((i, s) for i, s in self.statements if i != sid))

    def as_policy(self) -> dict[str, Any]:
        return {"Version": "2012-10-17", "Statement": [statement for _, statement in self.statements]}


def _document(label: str, text: Any) -> PolicyDocument:
    parsed = json.loads(text) if isinstance(text, str) else dict(text)
    statements = parsed.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    return PolicyDocument.of(label, statements or [])


def _lambda_permission_statement(permission: GraphResource, function_arn: str) -> Statement:
    """The statement Lambda's AddPermission writes into the function policy for one `aws.lambda_.Permission`.

    https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html (and the AddPermission API:
    SourceArn becomes `ArnLike AWS:SourceArn`, SourceAccount `StringEquals AWS:SourceAccount`).
    """
    inputs = permission.inputs
    principal = str(inputs["principal"])
    condition: dict[str, Any] = {}
    if inputs.get("sourceArn"):
        condition["ArnLike"] = {"AWS:SourceArn": inputs["sourceArn"]}
    if inputs.get("sourceAccount"):
        condition["StringEquals"] = {"AWS:SourceAccount": inputs["sourceAccount"]}
    statement: Statement = {
        "Sid": str(inputs.get("statementId") or permission.name),
        "Effect": "Allow",
        "Principal": {"Service": principal} if principal.endswith(".amazonaws.com") else {"AWS": principal},
        "Action": inputs["action"],
        "Resource": function_arn,
    }
    if condition:
        statement["Condition"] = condition
    return statement


def _refuse_unread(resources: Sequence[GraphResource]) -> None:
    for resource in resources:
        lowered = resource.type.lower()
        grants = lowered.startswith("aws:iam/") or "policy" in lowered or "permission" in lowered
        if resource.type not in READ_TYPES and (grants or resource.type == "aws:kms/grant:Grant"):
            raise UnreadPolicyError(f"{resource.name}: the authorization proof does not read {resource.type}")
        for key in UNREAD_INPUTS.get(resource.type, ()):
            if resource.inputs.get(key):
                raise UnreadPolicyError(f"{resource.name}: the authorization proof does not read {key}")


@dataclass(frozen=True)
class AccessGraph:
    """Policy documents by label, and where AWS finds them: role ARN (identity, trust) or resource ARN."""

    account: str
    region: str
    documents: Mapping[str, PolicyDocument]
    inline_policies: Mapping[str, tuple[str, ...]]
    trust_policies: Mapping[str, str]
    resource_policies: Mapping[str, str]
    partition: str = "aws"  # of the roles' ARNs: aws, aws-us-gov, aws-cn...

    @classmethod
    def from_resources(cls, resources: Sequence[GraphResource], region: str) -> AccessGraph:
        _refuse_unread(resources)

        def of_type(typ: str) -> list[GraphResource]:
            return [r for r in resources if r.type == typ]

        documents: dict[str, PolicyDocument] = {}
        inline: dict[str, tuple[str, ...]] = {}
        trust: dict[str, str] = {}
        resource_policies: dict[str, str] = {}

        def add(document: PolicyDocument) -> str:
            if document.label in documents:
                raise ValueError(f"two policy documents are labelled {document.label!r}")
            documents[document.label] = document
            return document.label

        roles = {str(r.outputs["id"]): r for r in of_type("aws:iam/role:Role")}
        partitions = {str(r.outputs["arn"]).split(":")[1] for r in roles.values()}
        if len(partitions) != 1:
            raise ValueError(f"expected the roles of one partition, found {sorted(partitions)}")
        (partition,) = partitions
        for role in roles.values():
            trust[role.outputs["arn"]] = add(
                _document(f"role {role.outputs['name']}: trust policy", role.inputs["assumeRolePolicy"])
            )
            inline[role.outputs["arn"]] = ()
        for policy in of_type("aws:iam/rolePolicy:RolePolicy"):
            role = roles[str(policy.inputs["role"])]
            label = add(
                _document(f"role {role.outputs['name']}: policy {policy.outputs['name']}", policy.inputs["policy"])
            )
            inline[role.outputs["arn"]] += (label,)

        aliases = {str(a.inputs["targetKeyId"]): str(a.inputs["name"]) for a in of_type("aws:kms/alias:Alias")}
        for key in of_type("aws:kms/key:Key"):
            name = aliases.get(str(key.outputs["keyId"]), str(key.outputs["keyId"]))
            resource_policies[key.outputs["arn"]] = add(_document(f"key {name}: key policy", key.inputs["policy"]))
        for bucket_policy in of_type("aws:s3/bucketPolicy:BucketPolicy"):
            bucket = str(bucket_policy.inputs["bucket"])
            resource_policies[s3_bucket_arn(partition, bucket)] = add(
                _document(f"bucket {bucket}: bucket policy", bucket_policy.inputs["policy"])
            )
        queues = {str(q.outputs["url"]): q for q in of_type("aws:sqs/queue:Queue")}
        for queue_policy in of_type("aws:sqs/queuePolicy:QueuePolicy"):
            queue = queues[str(queue_policy.inputs["queueUrl"])]
            resource_policies[queue.outputs["arn"]] = add(
                _document(f"queue {queue.outputs['name']}: queue policy", queue_policy.inputs["policy"])
            )
        topics = {str(t.outputs["arn"]): t for t in of_type("aws:sns/topic:Topic")}
        for topic_policy in of_type("aws:sns/topicPolicy:TopicPolicy"):
            topic_arn = str(topic_policy.inputs["arn"])
            resource_policies[topic_arn] = add(
                _document(f"topic {topics[topic_arn].outputs['name']}: topic policy", topic_policy.inputs["policy"])
            )
        functions = {str(f.outputs["name"]): f for f in of_type("aws:lambda/function:Function")}
        functions |= {str(f.outputs["arn"]): f for f in functions.values()}
        permissions: dict[str, list[Statement]] = {}
        for permission in of_type("aws:lambda/permission:Permission"):
            function = functions[str(permission.inputs["function"])]
            arn = str(function.outputs["arn"])
            permissions.setdefault(arn, []).append(_lambda_permission_statement(permission, arn))
        for arn, statements in permissions.items():
            label = f"function {functions[arn].outputs['name']}: resource policy"
            resource_policies[arn] = add(PolicyDocument.of(label, statements))

        accounts = {arn.split(":")[4] for arn in trust}
        if len(accounts) != 1:
            raise ValueError(f"expected the roles of one account, found {sorted(accounts)}")
        return cls(accounts.pop(), region, documents, inline, trust, resource_policies, partition)

    def refs(self) -> list[StatementRef]:
        """Every statement, sorted (the engine registers resources in no fixed order)."""
        return sorted(ref for document in self.documents.values() for ref in document.refs())

    def statement(self, ref: StatementRef) -> Statement:
        return self.documents[ref.document].statement(ref.sid)

    def without(self, ref: StatementRef) -> AccessGraph:
        """This graph with one statement removed, as if the program had never written it."""
        return replace(self, documents={**self.documents, ref.document: self.documents[ref.document].without(ref.sid)})

    def identity_documents(self, role_arn: str) -> list[PolicyDocument]:
        if role_arn not in self.inline_policies:
            raise KeyError(f"the graph has no role {role_arn}")
        return [self.documents[label] for label in self.inline_policies[role_arn]]

    def resource_document(self, action: str, resource: str) -> PolicyDocument | None:
        """The policy AWS reads on the resource side: a role's trust policy for sts:AssumeRole, else the
        resource's own policy (an S3 object's is its bucket's)."""
        if action.lower() == "sts:assumerole":
            return self.documents[self.trust_policies[resource]]
        bucket_prefix = s3_bucket_arn(self.partition, "")
        if resource.startswith(bucket_prefix):
            resource = s3_bucket_arn(self.partition, resource.removeprefix(bucket_prefix).split("/", 1)[0])
        label = self.resource_policies.get(resource)
        return self.documents[label] if label else None

    def documents_read_by(self, action: str, resource: str, role_arn: str | None) -> Iterator[str]:
        """Labels of every document a request's decision depends on."""
        if role_arn is not None:
            yield from self.inline_policies[role_arn]
        document = self.resource_document(action, resource)
        if document is not None:
            yield document.label

    # Selectors the catalogue names its grants with; each fails loudly when the program no longer has it.

    def inline_statement(self, role_arn: str, sid: str) -> StatementRef:
        found = [d for d in self.identity_documents(role_arn) if sid in {r.sid for r in d.refs()}]
        if len(found) != 1:
            raise KeyError(f"{len(found)} policies of {role_arn} have a statement {sid!r}")
        return StatementRef(found[0].label, sid)

    def resource_statement(self, resource_arn: str, sid: str) -> StatementRef:
        label = self.resource_policies.get(resource_arn)
        if label is None:
            raise KeyError(f"{resource_arn} has no resource policy in the graph")
        self.documents[label].statement(sid)
        return StatementRef(label, sid)

    def trust_statement(self, role_arn: str, service: str) -> StatementRef:
        """The one statement of a role's trust policy that names `service` as principal."""
        document = self.documents[self.trust_policies[role_arn]]
        found = [r for r in document.refs() if service in _service_principals(document.statement(r.sid))]
        if len(found) != 1:
            raise KeyError(f"{document.label}: {len(found)} statements trust {service}")
        return found[0]

    def service_statement(self, resource_arn: str, service: str, source_arn: str | None = None) -> StatementRef:
        """The one Allow statement of a resource policy that names `service` (and, if given, that source ARN)."""
        label = self.resource_policies.get(resource_arn)
        if label is None:
            raise KeyError(f"{resource_arn} has no resource policy in the graph")
        document = self.documents[label]
        found = []
        for ref in document.refs():
            statement = document.statement(ref.sid)
            if statement.get("Effect") != "Allow" or service not in _service_principals(statement):
                continue
            arn_like = statement.get("Condition", {}).get("ArnLike", {})
            if source_arn is None or source_arn in _listed(
                arn_like.get("AWS:SourceArn") or arn_like.get("aws:SourceArn")
            ):
                found.append(ref)
        if len(found) != 1:
            raise KeyError(f"{label}: {len(found)} Allow statements name {service} (source {source_arn})")
        return found[0]

    def deny_statement(self, resource_arn: str, sid: str) -> StatementRef:
        ref = self.resource_statement(resource_arn, sid)
        if self.statement(ref).get("Effect") != "Deny":
            raise KeyError(f"{ref} is not a Deny statement")
        return ref

    def account_root_statement(self, key_arn: str) -> StatementRef:
        """The key policy statement that lets the account's IAM policies grant use of the key.

        https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam
        """
        label = self.resource_policies[key_arn]
        document = self.documents[label]
        root = f"arn:{self.partition}:iam::{self.account}:root"
        found = [
            r
            for r in document.refs()
            if document.statement(r.sid).get("Effect") == "Allow"
            and root in _listed(document.statement(r.sid).get("Principal", {}).get("AWS"))
        ]
        if len(found) != 1:
            raise KeyError(f"{label}: {len(found)} statements trust {root}")
        return found[0]


def s3_bucket_arn(partition: str, bucket: str) -> str:
    """A bucket's ARN, which names no region or account: `arn:<partition>:s3:::<bucket>`."""
    return f"arn:{partition}:s3:::{bucket}"


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _service_principals(statement: Statement) -> list[str]:
    principal = statement.get("Principal")
    return _listed(principal.get("Service")) if isinstance(principal, dict) else []
