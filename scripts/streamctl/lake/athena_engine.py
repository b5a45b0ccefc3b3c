"""`streamctl lake query` on AWS: the query in the stack's Athena workgroup, against its Glue database.

Real boto3 calls only (this path runs on AWS; tests drive it against moto's Athena): the views the query uses
are created first from docs/athena/*.sql (`CREATE OR REPLACE VIEW`, DDL Athena does not bill), then
StartQueryExecution, GetQueryExecution polled until a final state, GetQueryResults paginated. The workgroup
enforces its own result location, encryption and the bytes-scanned cutoff, so none is passed here.
`Statistics.DataScannedInBytes` is what the query is billed for
(https://docs.aws.amazon.com/athena/latest/APIReference/API_QueryExecutionStatistics.html).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from streamctl.lake.pruning import LakeQueryError, parse
from streamctl.lake.views import View, load_views, referenced_views

FINAL_STATES = ("SUCCEEDED", "FAILED", "CANCELLED")


@dataclass
class AthenaResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    query_execution_id: str
    data_scanned_bytes: int

    def summary(self) -> str:
        return f"Athena scanned {self.data_scanned_bytes:,} bytes (query {self.query_execution_id})"


def _execute(
    athena: Any, sql: str, workgroup: str, database: str, poll_seconds: float, sleep: Callable[[float], None]
) -> dict[str, Any]:
    """Start one query and wait for its final state; a failed query raises with Athena's reason."""
    query_id = athena.start_query_execution(
        QueryString=sql, WorkGroup=workgroup, QueryExecutionContext={"Database": database}
    )["QueryExecutionId"]
    while True:
        execution: dict[str, Any] = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        status = execution["Status"]
        if status["State"] in FINAL_STATES:
            break
        sleep(poll_seconds)
    if status["State"] != "SUCCEEDED":
        reason = status.get("StateChangeReason") or status.get("AthenaError", {}).get("ErrorMessage", "")
        raise LakeQueryError(f"Athena query {query_id} in workgroup {workgroup} {status['State']}: {reason}")
    return execution


def _cell(datum: dict[str, Any]) -> Any:
    return datum.get("VarCharValue")


def run_athena_query(
    sql: str,
    athena: Any,
    workgroup: str,
    database: str,
    views: dict[str, View] | None = None,
    poll_seconds: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> AthenaResult:
    """Run one Athena SQL statement in the workgroup; rows as Athena returns them (strings, NULL as None)."""
    views = load_views() if views is None else views
    query = parse(sql)
    for view in referenced_views(query, views):
        _execute(athena, view.text, workgroup, database, poll_seconds, sleep)
    execution = _execute(athena, sql, workgroup, database, poll_seconds, sleep)
    query_id = execution["QueryExecutionId"]
    columns: list[str] = []
    rows: list[tuple[Any, ...]] = []
    for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=query_id):
        result_set = page["ResultSet"]
        if not columns:
            columns = [column["Name"] for column in result_set.get("ResultSetMetadata", {}).get("ColumnInfo", [])]
        for row in result_set.get("Rows", []):
            rows.append(tuple(_cell(datum) for datum in row.get("Data", [])))
    # Athena returns a SELECT's column names as its first result row: drop it when it is exactly the header.
    if rows and columns and list(rows[0]) == columns:
        rows = rows[1:]
    scanned = int(execution.get("Statistics", {}).get("DataScannedInBytes", 0))
    return AthenaResult(columns, rows, query_id, scanned)
