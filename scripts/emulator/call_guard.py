"""Refuse, with AWS's error, the calls a running handler makes that AWS would deny its execution role.

The decisions were made at deploy (`emulator.authorization`); here they are applied per call. `FunctionHost.invoke`
runs the handler `acting_as` the function's role session, on its own thread; a botocore hook on boto3's default
session (the one `boto3.client` and so the handlers' client caches use) matches each call of that thread against the
role's gates. A denied call never reaches the emulator: botocore raises the service's error from the response the
hook returns, so the handler's failure path (batch item failures, retries, the on-failure destination) runs as it
would in AWS. Calls of other threads (the runtime, producers, scripts) are not checked here.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse, HTTPHeaders

from emulator.authorization import Check, Gate, denied_checks

DENIAL_KEY = "local_authorization_denial"
# The error each service returns when IAM refuses the call itself, and when KMS refuses the request it makes for
# the caller: S3 (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html, AccessDenied 403), SQS
# (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/troubleshooting-access-denied.html),
# Kinesis (GetRecords' KMSAccessDeniedException), and AccessDeniedException (400), the common error of the JSON APIs
# (Firehose, DynamoDB, including a table key it may not use, Kinesis, CloudWatch).
IAM_ERRORS = {"s3": ("AccessDenied", 403), "sqs": ("AccessDenied", 403)}
KMS_ERRORS = {
    "s3": ("AccessDenied", 403),
    "sqs": ("KMS.AccessDeniedException", 400),
    "kinesis": ("KMSAccessDeniedException", 400),
}
DEFAULT_ERROR = ("AccessDeniedException", 400)


@dataclass(frozen=True)
class Principal:
    """The role session a handler runs as, and the gates of its role."""

    session_arn: str
    gates: tuple[Gate, ...]


def denial_message(session_arn: str, check: Check) -> str:
    """IAM's wording (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html)."""
    why = (
        "with an explicit deny"
        if check.decision == "ExplicitlyDenied"
        else f"because no identity-based policy allows the {check.action} action"
    )
    return (
        f"User: {session_arn} is not authorized to perform: {check.action} on resource: {check.resource} {why} "
        f"(local mode, decided at deploy: {check.request})"
    )


def denial_response(service: str, session_arn: str, denied: Sequence[Check]) -> tuple[AWSResponse, dict[str, Any]]:
    """What botocore turns into the service's ClientError, as if the emulator had answered it."""
    first = denied[0]
    errors = KMS_ERRORS if first.action.startswith("kms:") else IAM_ERRORS
    code, status = errors.get(service, DEFAULT_ERROR)
    parsed = {
        "Error": {"Code": code, "Message": denial_message(session_arn, first)},
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}, "RetryAttempts": 0},
    }
    return AWSResponse("", status, HTTPHeaders(), None), parsed


class CallGuard:
    """The process's one guard: the hooks are registered once, the principal is per thread."""

    def __init__(self) -> None:
        self._local = threading.local()

    @contextlib.contextmanager
    def acting_as(self, principal: Principal | None) -> Iterator[None]:
        self.install()
        previous = getattr(self._local, "principal", None)
        self._local.principal = principal
        try:
            yield
        finally:
            self._local.principal = previous

    def install(self) -> None:
        """Register on boto3's default session; a client copies the session's handlers when it is made, so this
        runs before every invocation (a no-op once registered), ahead of the clients the handler creates."""
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        session = boto3.DEFAULT_SESSION
        assert session is not None
        session.events.register("before-parameter-build", self._decide, unique_id="local-authorization-decide")
        refuse: Any = self._refuse  # botocore's stubs type handlers as returning None; before-call may answer
        session.events.register("before-call", refuse, unique_id="local-authorization-refuse")

    def _decide(self, params: Any, model: Any, context: Any = None, **_: Any) -> None:
        principal: Principal | None = getattr(self._local, "principal", None)
        if principal is None or context is None:
            return
        service = str(model.service_model.service_name)
        denied = denied_checks(principal.gates, service, str(model.name), params)
        if denied:
            context[DENIAL_KEY] = denial_response(service, principal.session_arn, denied)

    def _refuse(self, context: Any = None, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if context is None:
            return None
        denial: tuple[AWSResponse, dict[str, Any]] | None = context.pop(DENIAL_KEY, None)
        return denial


GUARD = CallGuard()
