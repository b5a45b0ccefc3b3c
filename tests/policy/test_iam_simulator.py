"""The simulator wrapper decides what AWS decides, including where iam-simulate 0.1.173 needs working around."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from policy import iam_simulator
from policy.access_graph import AccessGraph, UnreadPolicyError
from policy.iam_simulator import Simulation, SimulationError, SimulatorNotInstalled, evaluate

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/acme-lake"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/acme-lake/firehose"
KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROOT_KEY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}
    ],
}
PREFIX_GRANT = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey"],
            "Resource": KEY,
            "Condition": {
                "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"},
                "StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::lake/events/tenant=acme/*"},
            },
        }
    ],
}


def kms_request(context_arn: str, key_policy: dict[str, Any] | None = ROOT_KEY_POLICY) -> Simulation:
    return Simulation(
        principal=SESSION,
        action="kms:GenerateDataKey",
        resource=KEY,
        resource_account=ACCOUNT,
        context={"kms:ViaService": "s3.eu-west-1.amazonaws.com", "kms:EncryptionContext:aws:s3:arn": context_arn},
        identity_policies={"inline": PREFIX_GRANT},
        resource_policy=key_policy,
    )


def test_encryption_context_conditions_are_evaluated_not_dropped() -> None:
    """iam-simulate's validated run drops kms:EncryptionContext:* keys; the wrapper still decides on them."""
    decisions = evaluate(
        [
            kms_request("arn:aws:s3:::lake/events/tenant=acme/a.gz"),
            kms_request("arn:aws:s3:::lake/events/tenant=globex/a.gz"),
            kms_request("arn:aws:s3:::lake"),
        ]
    )
    assert decisions == ["Allowed", "ImplicitlyDenied", "ImplicitlyDenied"]


def test_a_key_policy_that_does_not_trust_the_account_denies_identity_grants() -> None:
    """https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam"""
    other_admin = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/admin"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    allowed = "arn:aws:s3:::lake/events/tenant=acme/a.gz"
    assert evaluate([kms_request(allowed, other_admin), kms_request(allowed, None)]) == [
        "ImplicitlyDenied",
        "ImplicitlyDenied",
    ]


def test_a_service_principal_is_granted_only_by_the_resource_policy() -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "firehose.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
            }
        ],
    }

    def assume(source_account: str) -> Simulation:
        return Simulation(
            "firehose.amazonaws.com", "sts:AssumeRole", ROLE, ACCOUNT, {"aws:SourceAccount": source_account}, {}, trust
        )

    assert evaluate([assume(ACCOUNT), assume("999988887777")]) == ["Allowed", "ImplicitlyDenied"]


def test_an_explicit_deny_in_the_resource_policy_wins() -> None:
    bucket_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "*",
                "Resource": ["arn:aws:s3:::lake", "arn:aws:s3:::lake/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    grant = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}

    def put(secure: str) -> Simulation:
        return Simulation(
            SESSION,
            "s3:PutObject",
            "arn:aws:s3:::lake/events/a.gz",
            ACCOUNT,
            {"aws:SecureTransport": secure},
            {"inline": grant},
            bucket_policy,
        )

    assert evaluate([put("true"), put("false")]) == ["Allowed", "ExplicitlyDenied"]


def test_actions_without_resource_level_permissions_are_decided_on_star() -> None:
    star = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "cloudwatch:GetMetricData", "Resource": "*"}],
    }
    scoped = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "kinesis:UpdateShardCount", "Resource": "arn:aws:kinesis:*:*:stream/s"}
        ],
    }
    decisions = evaluate(
        [
            Simulation(SESSION, "cloudwatch:GetMetricData", "*", ACCOUNT, {}, {"p": star}),
            Simulation(SESSION, "kinesis:UpdateShardCount", "*", ACCOUNT, {}, {"p": scoped}),
        ]
    )
    assert decisions == ["Allowed", "ImplicitlyDenied"]


def test_a_context_key_aws_does_not_send_is_an_error_not_ignored() -> None:
    typo = Simulation("firehose.amazonaws.com", "sts:AssumeRole", ROLE, ACCOUNT, {"aws:SourceAcount": ACCOUNT})
    with pytest.raises(SimulationError, match="aws:SourceAcount"):
        evaluate([typo])


def test_an_unknown_action_is_an_error() -> None:
    with pytest.raises(SimulationError, match=r"invalid\.action"):
        evaluate([Simulation(SESSION, "kinesis:PutRecordz", "arn:aws:kinesis:eu-west-1:1:stream/s", ACCOUNT)])


def test_missing_node_modules_says_to_run_make_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(iam_simulator, "NODE_MODULES", tmp_path / "node_modules")
    with pytest.raises(SimulatorNotInstalled, match="run `make install`"):
        evaluate([kms_request("arn:aws:s3:::lake")])


def test_an_empty_batch_starts_no_node() -> None:
    assert evaluate([]) == []


class Registered:
    def __init__(self, typ: str, name: str, inputs: dict[str, Any], outputs: dict[str, Any] | None = None) -> None:
        self.type, self.name, self.inputs, self.outputs = typ, name, inputs, outputs or {}


@pytest.mark.parametrize(
    "resource",
    [
        Registered("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "attach", {}),
        Registered("aws:kinesis/resourcePolicy:ResourcePolicy", "stream-policy", {}),
        Registered("aws:kms/grant:Grant", "grant", {}),
        Registered("aws:iam/role:Role", "role", {"managedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]}),
        Registered("aws:sqs/queue:Queue", "queue", {"policy": "{}"}),
    ],
    ids=lambda r: r.name,
)
def test_a_graph_granting_access_the_proof_does_not_read_is_refused(resource: Registered) -> None:
    with pytest.raises(UnreadPolicyError, match=resource.name):
        AccessGraph.from_resources([resource], "eu-west-1")
