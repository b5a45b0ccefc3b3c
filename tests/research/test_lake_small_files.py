"""docs/cost.md's small-files table is what scripts/research/lake_small_files.py prints, and its rule holds."""

from __future__ import annotations

import re
from pathlib import Path

from research import lake_small_files
from research.lake_small_files import SmallFiles, render, stack_rows

COST_DOC = Path(__file__).resolve().parents[2] / "docs" / "cost.md"


def test_the_docs_table_is_the_scripts_output() -> None:
    block = re.search(
        r"<!-- lake-small-files:begin -->\n(.*?)\n<!-- lake-small-files:end -->", COST_DOC.read_text(), re.S
    )
    assert block is not None
    assert block.group(1) == render([row for stack in lake_small_files.STACKS for row in stack_rows(stack)])


def test_the_buffer_flushes_at_the_size_or_the_interval_whichever_comes_first() -> None:
    slow = SmallFiles("dev", 1, buffer_mb=8, buffer_seconds=60, compression="GZIP", mb_per_s=0.1)
    fast = SmallFiles("dev", 1, buffer_mb=8, buffer_seconds=60, compression="GZIP", mb_per_s=1.0)
    assert (slow.flushed_by, slow.objects_per_hour) == ("interval", 60)
    assert fast.flushed_by == "size"
    assert fast.seconds_per_object == 8 * 1024**2 / 1e6  # SizeInMBs is MiB
    assert fast.hour_query_requests == (1, 430)
