"""A synthetic lake in moto: the Glue table the dev stack's program declares, objects named as Firehose names them.

The table is created from the program's own resource inputs (the dev stack under Pulumi mocks) by the
emulator's provisioner, as `streamctl local up` creates it. Objects follow Firehose's S3 object naming:
`<Prefix><DeliveryStreamName>-<DeliveryStreamVersion>-<YYYY-MM-dd-HH-MM-SS>-<RandomString>[.gz]` under
the Prefix of `infra/components/lake_delivery.py` (https://docs.aws.amazon.com/firehose/latest/dev/s3-object-name.html).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
import pytest
from moto import mock_aws

from emulator.provisioners import ProvisionContext, create_glue_database, create_glue_table
from infra.mock_runtime import ProgramRun
from streamctl import lake_objects
from streamctl.lake_objects import COMPRESSIONS

REGION = "us-east-1"
ACCOUNT = "123456789012"


@dataclass
class SyntheticLake:
    s3: Any
    glue: Any
    database: str
    bucket: str
    written: list[str] = field(default_factory=list)

    def put(
        self,
        tenant: str,
        stream: str,
        arrival: datetime,
        lines: list[dict[str, Any]],
        compress: bool = True,
        compression: str | None = None,
    ) -> str:
        """One Firehose object of `lines` delivered at `arrival` (UTC) under the stream's hour partition,
        compressed and named by `compression` (a Firehose CompressionFormat; GZIP when `compress`)."""
        prefix = f"events/tenant={tenant}/stream={stream}/dt={arrival:%Y-%m-%d}/hour={arrival:%H}/"
        name = f"sp-dev-{tenant}-{stream}-1-{arrival:%Y-%m-%d-%H-%M-%S}-{uuid.uuid4()}"
        body = b"".join(orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE) for line in lines)
        codec = COMPRESSIONS[compression or ("GZIP" if compress else "UNCOMPRESSED")]
        key = prefix + name + codec.extension
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=lake_objects.compress(codec.format, body))
        self.written.append(key)
        return key


def lake_line(
    event_id: str, ingested_at: str, tenant: str = "acme", sequence_number: str = "1", **payload: Any
) -> dict[str, Any]:
    """A lake line as the consumer writes it: the envelope plus the enrichment (docs/events.md)."""
    return {
        "event_id": event_id,
        "tenant": tenant,
        "type": "click",
        "occurred_at": ingested_at,
        "schema_version": 1,
        "payload": payload,
        "ingested_at": ingested_at,
        "arrival_lag_ms": 5,
        "shard_id": "shardId-000000000000",
        "sequence_number": sequence_number,
        "sub_sequence_number": 0,
    }


@pytest.fixture
def synthetic_lake(stack_run: Callable[[str], ProgramRun]) -> Iterator[SyntheticLake]:
    run = stack_run("dev")
    [database] = run.of_type("aws:glue/catalogDatabase:CatalogDatabase")
    [table] = run.of_type("aws:glue/catalogTable:CatalogTable")
    location = table.inputs["parameters"]["storage.location.template"]
    bucket = location.removeprefix("s3://").split("/", 1)[0]
    with mock_aws():
        ctx = ProvisionContext(None, REGION, ACCOUNT)  # type: ignore[arg-type]  # no endpoint: moto in-process
        create_glue_database(ctx, database.name, database.inputs)
        create_glue_table(ctx, table.name, {**table.inputs, "databaseName": database.inputs["name"]})
        ctx.client("s3").create_bucket(Bucket=bucket)
        yield SyntheticLake(ctx.client("s3"), ctx.client("glue"), database.inputs["name"], bucket)
