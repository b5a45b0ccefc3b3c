"""Summaries of a run and of a verification: the figures the docs explain, as a table or as JSON."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from rich.table import Table

from functions.aws_limits import KINESIS_PUT_PAYLOAD_UNIT_BYTES
from streamctl.loadtest.producer import ProducerStats
from streamctl.loadtest.verify import Verification


def percentile(sorted_values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile of already sorted values; None for no values."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def packing_efficiency(user_bytes: int, payload_units: int) -> float | None:
    """Share of the billed 25 KB PUT payload units filled with event bytes."""
    if payload_units == 0:
        return None
    return user_bytes / (payload_units * KINESIS_PUT_PAYLOAD_UNIT_BYTES)


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    elapsed_s: float
    target_rate: float
    achieved_rate: float
    sent: int
    failed: int
    kinesis_records: int
    calls: int
    call_errors: int
    throttled: int
    retries: int
    put_latency_p50_ms: float | None
    put_latency_p99_ms: float | None
    payload_units: int
    packing_efficiency: float | None

    @classmethod
    def from_stats(cls, run_id: str, stats: ProducerStats, elapsed_s: float, target_rate: float) -> RunSummary:
        latencies = sorted(stats.put_latencies_ms)
        return cls(
            run_id=run_id,
            elapsed_s=elapsed_s,
            target_rate=target_rate,
            achieved_rate=stats.user_records_sent / elapsed_s if elapsed_s > 0 else 0.0,
            sent=stats.user_records_sent,
            failed=stats.user_records_failed,
            kinesis_records=stats.kinesis_records_sent,
            calls=stats.calls,
            call_errors=stats.call_errors,
            throttled=stats.throttled_entries,
            retries=stats.retried_entries,
            put_latency_p50_ms=percentile(latencies, 0.50),
            put_latency_p99_ms=percentile(latencies, 0.99),
            payload_units=stats.payload_units,
            packing_efficiency=packing_efficiency(stats.user_bytes_sent, stats.payload_units),
        )

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f} ms"


def run_summary_table(summary: RunSummary) -> Table:
    table = Table(title=f"load-test run {summary.run_id}", show_header=False)
    efficiency = summary.packing_efficiency
    rows = [
        ("elapsed", f"{summary.elapsed_s:,.1f} s"),
        ("rate (target / achieved)", f"{summary.target_rate:,.0f} / {summary.achieved_rate:,.0f} records/s"),
        ("events sent", f"{summary.sent:,}"),
        ("events failed after retries", f"{summary.failed:,}"),
        ("Kinesis records (aggregates count once)", f"{summary.kinesis_records:,}"),
        ("PutRecords calls (errors)", f"{summary.calls:,} ({summary.call_errors:,})"),
        ("throttled entries", f"{summary.throttled:,}"),
        ("retried entries", f"{summary.retries:,}"),
        ("put latency p50 / p99", f"{_ms(summary.put_latency_p50_ms)} / {_ms(summary.put_latency_p99_ms)}"),
        ("PUT payload units", f"{summary.payload_units:,}"),
        ("packing efficiency (of 25 KB units)", "n/a" if efficiency is None else f"{efficiency:.1%}"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def verification_dict(verification: Verification) -> dict[str, object]:
    latencies = verification.latencies_ms
    return {
        "run_id": verification.run_id,
        "passed": verification.passed,
        "expected": verification.expected,
        "found": verification.found,
        "missing": verification.missing,
        "duplicated_events": verification.duplicated_events,
        "duplicate_copies": verification.duplicate_copies,
        "quarantined": verification.quarantined,
        "unexpected": verification.unexpected,
        "unreadable_lines": verification.unreadable_lines,
        "objects_read": verification.objects_read,
        "latency_p50_ms": percentile(latencies, 0.50),
        "latency_p99_ms": percentile(latencies, 0.99),
        "latency_max_ms": latencies[-1] if latencies else None,
        "iterator_age_max_ms": verification.iterator_age_max_ms,
        "missing_sample": verification.missing_sample,
    }


def verification_table(verification: Verification) -> Table:
    figures = verification_dict(verification)
    table = Table(title=f"verification of run {verification.run_id}", show_header=False)
    for name in (
        "expected",
        "found",
        "missing",
        "duplicated_events",
        "duplicate_copies",
        "quarantined",
        "unexpected",
        "unreadable_lines",
        "objects_read",
    ):
        table.add_row(name.replace("_", " "), f"{figures[name]:,}")
    latencies = verification.latencies_ms
    latency_figures = (
        percentile(latencies, 0.50),
        percentile(latencies, 0.99),
        latencies[-1] if latencies else None,
    )
    table.add_row("end-to-end latency p50 / p99 / max", " / ".join(_ms(value) for value in latency_figures))
    table.add_row("max iterator age", _ms(verification.iterator_age_max_ms))
    if verification.missing_sample:
        table.add_row("first missing", ", ".join(verification.missing_sample))
    table.add_row("result", "[green]PASS[/green]" if verification.passed else "[red]FAIL: events missing[/red]")
    return table
