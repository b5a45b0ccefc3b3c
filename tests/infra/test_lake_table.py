"""The Glue table follows the envelope: docs/events.md, the consumer's lake lines and the table's columns agree.

A field added to (or renamed in) the envelope or the consumer's enrichment without the Glue table would be
invisible to every Athena query; these tests fail first.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from functions.consumer.envelope import ALLOWED_PROPERTIES
from functions.consumer.lake_line import LakeLineEncoder
from functions.consumer.pii import PiiMasker
from infra.lake_table import EVENT_COLUMNS, PARTITION_COLUMNS

EVENTS_DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"
ENVELOPE = (
    b'{"event_id":"e1","tenant":"acme","type":"click","occurred_at":"2026-11-26T11:59:58.120Z",'
    b'"schema_version":1,"payload":{"email":"a@example.com"}}'
)
# Partition columns that come from the S3 path, not from the line (the line's own `tenant` is the partition's).
PATH_ONLY_COLUMNS = {"stream", "dt", "hour"}


def doc_table_fields(heading: str) -> list[str]:
    """The backticked first cells of the first table after `heading` in docs/events.md."""
    text = EVENTS_DOC.read_text()
    section = text[text.index(heading) :]
    table = re.search(r"((?:^\|.*\|\n)+)", section, re.MULTILINE)
    assert table is not None, f"no table after {heading!r} in {EVENTS_DOC}"
    return re.findall(r"^\| `([a-z_]+)` \|", table.group(1), re.MULTILINE)


@pytest.mark.parametrize("pii_fields", [(), ("payload.email",)], ids=["spliced", "re-encoded"])
def test_the_lines_the_consumer_writes_have_exactly_the_fields_docs_events_md_lists(
    pii_fields: tuple[str, ...],
) -> None:
    encoder = LakeLineEncoder("acme", PiiMasker(pii_fields), 1_000_000, "2026-11-26T12:00:00.000Z", 1795694400.0)
    out = io.BytesIO()
    encoder.write_line(
        out, ENVELOPE, "shardId-000000000000", encoder.splice_head("shardId-000000000000"), "49", 0, 1795694399.0
    )
    line = orjson.loads(out.getvalue())

    envelope = doc_table_fields("| Property | Required | Rule |")
    enrichment = doc_table_fields("## What the lake line adds")
    assert set(envelope) == ALLOWED_PROPERTIES
    assert sorted(line) == sorted(envelope + enrichment)


def test_the_glue_table_has_a_column_for_every_field_of_a_lake_line_and_nothing_else() -> None:
    fields = doc_table_fields("| Property | Required | Rule |") + doc_table_fields("## What the lake line adds")
    columns = [name for name, _ in EVENT_COLUMNS + PARTITION_COLUMNS]
    assert sorted(set(columns) - PATH_ONLY_COLUMNS) == sorted(fields)
    assert len(columns) == len(set(columns))


def test_the_documented_duplicate_bound_is_the_default_consumers() -> None:
    from infra import defaults
    from infra.lake_table import duplicate_delay_bound_seconds

    bound = duplicate_delay_bound_seconds(defaults.CONSUMER_MAX_RECORD_AGE_SECONDS, defaults.CONSUMER_TIMEOUT_SECONDS)
    architecture = (EVENTS_DOC.parent / "architecture.md").read_text()
    assert f"{bound:,} s" in architecture


def test_the_firehose_prefix_writes_the_partition_the_glue_template_projects(stack_run: Any) -> None:
    """Firehose's Prefix (evaluated as Firehose does, in UTC at arrival) and the table's location template are two
    spellings of one layout: for a one-digit hour, the object's key lies under the template's (two-digit) partition."""
    from emulator.firehose_prefix import evaluate, evaluate_error
    from infra.lake_table import LOCATION_TEMPLATE_SUFFIX

    delivery = stack_run("dev").named("acme-clicks-delivery-firehose").inputs["extendedS3Configuration"]
    instant = datetime(2026, 12, 8, 3, 59, 59, tzinfo=UTC)
    partition = (
        LOCATION_TEMPLATE_SUFFIX.replace("${tenant}", "acme")
        .replace("${stream}", "clicks")
        .replace("${dt}", "2026-12-08")
        .replace("${hour}", "03")
    )
    assert evaluate(delivery["prefix"], instant) == f"events/{partition}"
    errors = evaluate_error(delivery["prefix"], delivery["errorOutputPrefix"], instant, "processing-failed")
    assert errors.endswith("/processing-failed/dt=2026-12-08/")
