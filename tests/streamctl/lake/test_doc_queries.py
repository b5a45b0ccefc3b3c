"""Every lake query the docs tell an operator to run fits the workgroup's bytes-scanned cutoff: its dt and hour
predicates reach every scan of the table (by Trino's rules, `pruning.scan_filters`), so it reads hours, not history.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from streamctl.lake.pruning import parse, scan_filters
from streamctl.lake.views import load_views

from .test_view import glue_table

DOCS = Path(__file__).resolve().parents[3] / "docs"
VIEWS = {name: view.select for name, view in load_views().items()}


def doc_queries() -> list[tuple[str, str]]:
    """(doc, SQL) of each `streamctl lake query --sql "..."` and each ```sql block of the docs and runbooks."""
    queries = []
    for path in sorted([*DOCS.glob("*.md"), *(DOCS / "runbooks").glob("*.md")]):
        text = path.read_text()
        for match in re.finditer(r'--sql "((?:[^"\\]|\\\n)*)"', text):
            queries.append((path.name, match.group(1).replace("\\\n", " ")))
        for match in re.finditer(r"```sql\n(.*?)```", text, re.S):
            queries.append((path.name, match.group(1)))
    return queries


def placeholders_filled(sql: str) -> str:
    return re.sub(r"\$[A-Z]+|<[a-z]+>", "x", sql)


def test_the_docs_have_lake_queries() -> None:
    assert {doc for doc, _ in doc_queries()} >= {"architecture.md", "failure-queue-depth.md"}


@pytest.mark.parametrize(("doc", "sql"), doc_queries(), ids=lambda value: value if value.endswith(".md") else "")
def test_a_documented_query_prunes_to_dt_and_hour(doc: str, sql: str) -> None:
    scans = scan_filters(parse(placeholders_filled(sql)), glue_table(), VIEWS)
    assert scans, f"{doc}: the query reads no lake table"
    for scan in scans:
        assert {"dt", "hour"} <= scan.filtered_columns(), f"{doc}: {sql!r} reads every {scan.filtered_columns()}"
