"""`streamctl lake query` on AWS: the calls Athena's API takes, checked against botocore's model (Stubber) and moto."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from streamctl.lake.athena_engine import run_athena_query
from streamctl.lake.pruning import LakeQueryError
from streamctl.lake.views import load_views

WORKGROUP = "sp-dev-lake"
DATABASE = "sp_dev"
SQL = "SELECT tenant, count(*) AS n FROM events WHERE dt = '2026-11-26' GROUP BY tenant"


def column(name: str) -> dict[str, str]:
    return {"Name": name, "Type": "varchar"}


def test_polls_until_done_pages_the_results_and_reports_the_bytes_scanned() -> None:
    athena = boto3.client("athena", region_name="us-east-1")
    stubber = Stubber(athena)
    context = {"QueryString": SQL, "WorkGroup": WORKGROUP, "QueryExecutionContext": {"Database": DATABASE}}
    stubber.add_response("start_query_execution", {"QueryExecutionId": "q-1"}, context)
    for state in ("QUEUED", "RUNNING"):
        stubber.add_response(
            "get_query_execution", {"QueryExecution": {"QueryExecutionId": "q-1", "Status": {"State": state}}}
        )
    stubber.add_response(
        "get_query_execution",
        {
            "QueryExecution": {
                "QueryExecutionId": "q-1",
                "Status": {"State": "SUCCEEDED"},
                "Statistics": {"DataScannedInBytes": 123_456},
            }
        },
        {"QueryExecutionId": "q-1"},
    )
    metadata = {"ColumnInfo": [column("tenant"), column("n")]}
    header = {"Data": [{"VarCharValue": "tenant"}, {"VarCharValue": "n"}]}
    stubber.add_response(
        "get_query_results",
        {
            "ResultSet": {
                "Rows": [header, {"Data": [{"VarCharValue": "acme"}, {"VarCharValue": "7"}]}],
                "ResultSetMetadata": metadata,
            },
            "NextToken": "page-2",
        },
    )
    stubber.add_response(
        "get_query_results",
        {"ResultSet": {"Rows": [{"Data": [{"VarCharValue": "globex"}, {}]}], "ResultSetMetadata": metadata}},
        {"QueryExecutionId": "q-1", "NextToken": "page-2"},
    )
    sleeps: list[float] = []
    with stubber:
        result = run_athena_query(SQL, athena, WORKGROUP, DATABASE, views={}, sleep=sleeps.append)
    stubber.assert_no_pending_responses()

    assert (result.columns, result.rows) == (["tenant", "n"], [("acme", "7"), ("globex", None)])
    assert result.data_scanned_bytes == 123_456
    assert sleeps == [1.0, 1.0]


def test_a_failed_query_says_why() -> None:
    athena = boto3.client("athena", region_name="us-east-1")
    stubber = Stubber(athena)
    stubber.add_response("start_query_execution", {"QueryExecutionId": "q-2"})
    reason = "Query exhausted resources: bytes scanned limit exceeded"
    stubber.add_response(
        "get_query_execution",
        {"QueryExecution": {"QueryExecutionId": "q-2", "Status": {"State": "FAILED", "StateChangeReason": reason}}},
    )
    with stubber, pytest.raises(LakeQueryError) as failure:
        run_athena_query(SQL, athena, WORKGROUP, DATABASE, views={}, sleep=lambda _: None)
    assert str(failure.value) == f"Athena query q-2 in workgroup {WORKGROUP} FAILED: {reason}"


@mock_aws
def test_the_views_a_query_uses_are_created_in_the_workgroup_first() -> None:
    athena = boto3.client("athena", region_name="us-east-1")
    athena.create_work_group(Name=WORKGROUP)
    view = load_views()["events_deduplicated"]

    run_athena_query("SELECT count(*) FROM events_deduplicated WHERE dt = '2026-11-26'", athena, WORKGROUP, DATABASE)

    ids = athena.list_query_executions(WorkGroup=WORKGROUP)["QueryExecutionIds"]
    queries = [athena.get_query_execution(QueryExecutionId=i)["QueryExecution"]["Query"] for i in ids]
    assert sorted(queries) == sorted([view.text, "SELECT count(*) FROM events_deduplicated WHERE dt = '2026-11-26'"])
