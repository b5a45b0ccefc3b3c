"""A Lambda handler for runtime tests: records every event and fails as the test script says.

The runtime loads a private copy of this module per function; tests reach that copy through the
FunctionHost `on_load` hook and set `SCRIPT` on it.
"""

from __future__ import annotations

import base64
from typing import Any

EVENTS: list[dict[str, Any]] = []
# data values that make the handler raise (a function error) whenever they are in the batch
SCRIPT: dict[str, Any] = {"raise_on": set(), "report_failure_once": set()}
_reported: set[str] = set()


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    EVENTS.append(event)
    datas = [base64.b64decode(record["kinesis"]["data"]).decode() for record in event["Records"]]
    if any(data in SCRIPT["raise_on"] for data in datas):
        raise RuntimeError("scripted function error")
    failures = []
    for record, data in zip(event["Records"], datas, strict=True):
        if data in SCRIPT["report_failure_once"] and data not in _reported:
            _reported.add(data)
            failures.append({"itemIdentifier": record["kinesis"]["sequenceNumber"]})
    return {"batchItemFailures": failures}
