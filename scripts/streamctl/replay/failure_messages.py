"""The on-failure messages a Kinesis event source mapping sends to SQS, read without losing any.

Each message describes one batch that gave up (retries or record age exhausted); it holds the range,
not the data: `KinesisBatchInfo` {shardId, startSequenceNumber, endSequenceNumber, batchSize, streamArn,
approximateArrivalOfFirstRecord, approximateArrivalOfLastRecord} plus `requestContext.condition`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

SQS_MAX_MESSAGES_PER_RECEIVE = 10


class KinesisBatchInfo(BaseModel):
    model_config = ConfigDict(extra="ignore")

    shard_id: str = Field(alias="shardId")
    start_sequence_number: str = Field(alias="startSequenceNumber", pattern=r"^[0-9]{1,64}$")
    end_sequence_number: str = Field(alias="endSequenceNumber", pattern=r"^[0-9]{1,64}$")
    batch_size: int = Field(alias="batchSize", ge=0)
    stream_arn: str = Field(alias="streamArn")
    first_arrival: datetime | None = Field(default=None, alias="approximateArrivalOfFirstRecord")
    last_arrival: datetime | None = Field(default=None, alias="approximateArrivalOfLastRecord")


class RequestContext(BaseModel):
    model_config = ConfigDict(extra="ignore")

    condition: str = ""
    approximate_invoke_count: int = Field(default=0, alias="approximateInvokeCount")


class OnFailureRecord(BaseModel):
    """The body of one on-failure message (other fields are ignored)."""

    model_config = ConfigDict(extra="ignore")

    batch: KinesisBatchInfo = Field(alias="KinesisBatchInfo")
    request_context: RequestContext = Field(default_factory=RequestContext, alias="requestContext")


@dataclass(frozen=True)
class FailureMessage:
    message_id: str
    receipt_handle: str
    record: OnFailureRecord | None
    problem: str = ""  # why the body is not an on-failure record


def parse_message(message: dict[str, Any]) -> FailureMessage:
    """The message's on-failure record, or a problem naming the message and the bad field."""
    message_id = message["MessageId"]
    try:
        record = OnFailureRecord.model_validate_json(message["Body"])
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "(body)"
        return FailureMessage(
            message_id, message["ReceiptHandle"], None, f"message {message_id}: {where}: {first['msg']}"
        )
    return FailureMessage(message_id, message["ReceiptHandle"], record)


def receive_messages(sqs: Any, queue_url: str, *, limit: int, visibility_timeout: int) -> Iterator[FailureMessage]:
    """Up to `limit` distinct messages; visibility 0 peeks (a dry run leaves every message in the queue)."""
    seen: set[str] = set()
    while len(seen) < limit:
        response = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=min(SQS_MAX_MESSAGES_PER_RECEIVE, limit - len(seen)),
            VisibilityTimeout=visibility_timeout,
            WaitTimeSeconds=0,
        )
        fresh = [m for m in response.get("Messages", []) if m["MessageId"] not in seen]
        if not fresh:
            return
        for message in fresh:
            seen.add(message["MessageId"])
            yield parse_message(message)
