"""Read a `timestamp,value` CSV trace and turn it into per-minute demand in shard units."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from functions.shard_scaler.policy import SHARD_WRITE_BYTES_PER_S, SHARD_WRITE_RECORDS_PER_S

MEGABYTE = 1_000_000
MIN_STEP_MINUTES = 1
MAX_STEP_MINUTES = 60


class TraceError(ValueError):
    """A trace file that cannot be replayed; the message names the file and the line."""


@dataclass(frozen=True)
class Trace:
    name: str
    start_minute: int
    step_minutes: int
    offsets: npt.NDArray[np.int64]
    """Minute of each point after the first."""
    values: npt.NDArray[np.float64]
    notes: tuple[str, ...] = ()
    """What loading repaired (rows sharing a timestamp, points off the step), for the user to see."""


@dataclass(frozen=True)
class Demand:
    """Offered load per minute, in shards' worth of write capacity (1 MiB/s or 1,000 records/s)."""

    name: str
    start_minute: int
    units: npt.NDArray[np.float64]
    record_bytes: int

    @property
    def records_per_unit_minute(self) -> float:
        """Records one shard-unit of demand sends in a minute."""
        return 60.0 * shard_records_per_s(self.record_bytes)


def shard_records_per_s(record_bytes: int) -> float:
    """Records per second one shard accepts for records of this size (the tighter of the two limits)."""
    return min(float(SHARD_WRITE_RECORDS_PER_S), SHARD_WRITE_BYTES_PER_S / record_bytes)


def load_trace(path: Path) -> Trace:
    """Parse a trace whose step is regular (a median of 1-60 minutes).

    Real exports are not perfectly regular, and a local-time clock change is the usual culprit (NAB's
    ec2_network_in_5abac7 stamps twelve points 03:00 on the morning clocks went forward). Such points are
    repaired rather than refused: rows sharing a timestamp are averaged into one point, and points off
    the step are kept where they fall, as are gaps (the per-minute interpolation fills both); each repair
    is reported in `notes`. A timestamp earlier than the one before it is an error: the order is unknown.
    """
    try:
        handle = path.open(newline="")
    except OSError as error:
        raise TraceError(f"{path}: cannot read trace: {error}") from error
    stamps: list[int] = []
    values: list[float] = []
    lines: list[int] = []
    with handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or [h.strip().lower() for h in header[:2]] != ["timestamp", "value"]:
            raise TraceError(f"{path}:1: expected header 'timestamp,value', got {header!r}")
        for line_number, row in enumerate(reader, start=2):
            if not row:
                continue
            try:
                stamp = datetime.fromisoformat(row[0].strip())
                value = float(row[1])
            except (ValueError, IndexError) as error:
                raise TraceError(f"{path}:{line_number}: bad row {row!r}: {error}") from error
            if value < 0 or not np.isfinite(value):
                raise TraceError(f"{path}:{line_number}: value must be finite and >= 0, got {value}")
            if stamp.tzinfo is None:
                stamp = stamp.replace(tzinfo=UTC)  # naive stamps are UTC, whatever this machine's zone is
            minute = int(stamp.timestamp()) // 60
            if stamps and minute < stamps[-1]:
                raise TraceError(f"{path}:{line_number}: timestamp {row[0].strip()} is earlier than the row before")
            stamps.append(minute)
            values.append(value)
            lines.append(line_number)
    if len(values) < 2:
        raise TraceError(f"{path}: need at least two rows, got {len(values)}")
    minutes = np.asarray(stamps, dtype=np.int64)
    unique, first_index, counts = np.unique(minutes, return_index=True, return_counts=True)
    notes: list[str] = []
    if unique.size < minutes.size:
        shared = first_index[counts > 1]
        notes.append(
            f"{path}:{lines[int(shared[0]) + 1]}: {_count(minutes.size - unique.size, 'row')} repeating the "
            f"timestamp before ({_count(shared.size, 'timestamp')}); the values at each timestamp are averaged"
        )
    averaged = np.add.reduceat(np.asarray(values, dtype=np.float64), first_index) / counts
    if unique.size < 2:
        raise TraceError(f"{path}: need at least two distinct timestamps, got {unique.size}")
    steps = np.diff(unique)
    step = int(np.median(steps))
    if not MIN_STEP_MINUTES <= step <= MAX_STEP_MINUTES:
        raise TraceError(f"{path}: step must be {MIN_STEP_MINUTES}-{MAX_STEP_MINUTES} minutes, got {step}")
    offsets = unique - unique[0]
    off_step = np.nonzero(offsets % step != 0)[0]
    if off_step.size:
        notes.append(
            f"{path}:{lines[int(first_index[off_step[0]])]}: {_count(off_step.size, 'point')} off the regular "
            f"{step}-minute step, kept as stamped"
        )
    return Trace(path.stem, int(unique[0]), step, offsets, averaged, tuple(notes))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def from_share(trace: Trace, share: float) -> Trace:
    """The trace from `share` of its points on, as a trace of its own: policies start cold at its first point,
    so one file also checks the defaults on a stretch (and a peak) they were not started on."""
    if not 0.0 <= share < 1.0:
        raise TraceError(f"--from-share must be in [0, 1), got {share}")
    first = int(share * len(trace.values))
    if len(trace.values) - first < 2:
        raise TraceError(f"--from-share {share}: fewer than two points of {trace.name} are left")
    if first == 0:
        return trace
    offsets = trace.offsets[first:] - trace.offsets[first]
    name = f"{trace.name} from {share:.0%}"
    start = trace.start_minute + int(trace.offsets[first])
    return Trace(name, start, trace.step_minutes, offsets, trace.values[first:], trace.notes)


def to_demand(trace: Trace, peak_mb_per_s: float, record_bytes: int) -> Demand:
    """Scale the trace so its peak is `peak_mb_per_s` (MB = 10^6 bytes), linearly interpolated per minute."""
    if peak_mb_per_s <= 0:
        raise TraceError(f"--peak-mb-per-s must be positive, got {peak_mb_per_s}")
    if record_bytes <= 0 or record_bytes > SHARD_WRITE_BYTES_PER_S:
        raise TraceError(f"--record-bytes must be 1..{SHARD_WRITE_BYTES_PER_S}, got {record_bytes}")
    peak = float(trace.values.max())
    if peak <= 0:
        raise TraceError(f"trace {trace.name}: every value is zero, nothing to scale")
    minutes = np.arange(0, int(trace.offsets[-1]) + 1)
    per_minute = np.interp(minutes, trace.offsets, trace.values)
    records_per_s = per_minute / peak * peak_mb_per_s * MEGABYTE / record_bytes
    units = records_per_s / shard_records_per_s(record_bytes)
    return Demand(trace.name, trace.start_minute, units, record_bytes)
