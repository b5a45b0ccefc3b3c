"""`streamctl local invoke`: run one function once with an event file, like `sam local invoke`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from emulator.function_host import FunctionHost, Invocation


class InvokeError(ValueError):
    """The event file or the function name is not usable; the message says which and why."""


def read_event(path: Path) -> Any:
    if not path.exists():
        raise InvokeError(f"event file {path} does not exist")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise InvokeError(
            f"event file {path} is not JSON: line {error.lineno} column {error.colno}: {error.msg}"
        ) from None


def resolve_function(host: FunctionHost, lambda_client: Any, name: str) -> str:
    """The function's full name; a name without the stack prefix is accepted when it is unambiguous."""
    names = [
        f["FunctionName"]
        for page in lambda_client.get_paginator("list_functions").paginate()
        for f in page["Functions"]
    ]
    if name in names or name.startswith("arn:"):
        return name
    matches = [candidate for candidate in names if candidate.endswith(f"-{name}")]
    if len(matches) == 1:
        return matches[0]
    raise InvokeError(
        f"no single function named {name!r} in the emulator; functions: {', '.join(sorted(names)) or 'none'}"
    )


def invoke_once(host: FunctionHost, function: str, event: Any) -> Invocation:
    try:
        return host.invoke(function, event)
    except ClientError as error:
        raise InvokeError(f"function {function!r}: {error}") from None


def response_document(invocation: Invocation) -> Any:
    """What `aws lambda invoke` writes: the response, or Lambda's error document for a function error."""
    if invocation.error is None:
        return invocation.response
    return {"errorType": type(invocation.error).__name__, "errorMessage": str(invocation.error)}
