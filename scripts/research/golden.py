"""Check that the simulator still gives the results it gave: the docs' traces against tests/research/golden/.

    .venv/bin/python scripts/research/golden.py                  # the four traces, every policy (minutes)
    .venv/bin/python scripts/research/golden.py --quick          # the subsample tests/research runs (seconds)
    .venv/bin/python scripts/research/golden.py --update [...]   # rewrite the golden files after a deliberate change

A refactor of the policy must leave every figure of `simulate_scaling.py --json` as it was (but `seconds`,
the wall-clock runtime), and `ours`' every call and capacity (its trail, kept as a sha256) too.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from functions.shard_scaler.policy import DAY_MINUTES
from research.autoscaling.compare import POLICIES, compare
from research.autoscaling.engine import Outcome, SimulationConfig
from research.autoscaling.trace import Demand, load_trace, to_demand

REPO = Path(__file__).resolve().parents[2]
TRACES = REPO / "scripts" / "research" / "traces"
GOLDEN = REPO / "tests" / "research" / "golden"
PEAK_MB_PER_S = 50.0
RECORD_BYTES = 1024
WALL_CLOCK_FIELDS = ("seconds",)
"""Fields of the JSON that time the run rather than describe it."""


@dataclass(frozen=True)
class Case:
    """One simulator run: `simulate_scaling.py --trace <trace> --peak-mb-per-s 50 --record-bytes 1024 --json`,
    over the first `days` of the trace (all of it if None) and for `policies` only."""

    name: str
    trace: str
    days: int | None = None
    policies: tuple[str, ...] = POLICIES

    def demand(self) -> Demand:
        demand = to_demand(load_trace(TRACES / f"{self.trace}.csv"), PEAK_MB_PER_S, RECORD_BYTES)
        if self.days is None:
            return demand
        return Demand(demand.name, demand.start_minute, demand.units[: self.days * DAY_MINUTES], demand.record_bytes)

    @property
    def path(self) -> Path:
        return GOLDEN / f"{self.name}.json"


FULL = tuple(
    Case(trace, trace)
    for trace in ("nyc_taxi", "Twitter_volume_AMZN", "elb_request_count_8c0756", "ec2_network_in_257a54")
)
"""The traces docs/autoscaling.md reports, as the docs run them."""
QUICK = (
    Case("quick_nyc_taxi_21_days", "nyc_taxi", days=21, policies=("ours",)),
    Case("quick_Twitter_volume_AMZN", "Twitter_volume_AMZN", policies=("ours",)),
)
"""What tests/research runs: nyc_taxi's first three weeks (profiles, the weekly one, planned calls) and
Twitter_volume_AMZN (spiky: growth headroom, both mode switches, on-demand rounds)."""


def trail_sha256(outcome: Outcome) -> str:
    """A policy's every call and minute of capacity, as one digest."""
    digest = hashlib.sha256(orjson.dumps([outcome.reshard_minutes, outcome.mode_switch_minutes]))
    digest.update(np.ascontiguousarray(outcome.capacity_units, dtype="<f8").tobytes())
    return digest.hexdigest()


def run(case: Case) -> tuple[dict[str, object], float | None]:
    """The case's golden record, and `ours`' runtime in seconds (None if it did not run)."""
    results, outcomes = compare(case.demand(), SimulationConfig(), case.policies)
    figures = {
        name: {
            k: v for k, v in result.to_json(include_mode_switches=name == "ours").items() if k not in WALL_CLOCK_FIELDS
        }
        for name, result in results.items()
    }
    record: dict[str, object] = {
        "trace": case.trace,
        "days": case.days,
        "peak_mb_per_s": PEAK_MB_PER_S,
        "record_bytes": RECORD_BYTES,
        "results": figures,
    }
    if "ours" in outcomes:
        record["ours_trail_sha256"] = trail_sha256(outcomes["ours"])
    return record, results["ours"].seconds if "ours" in results else None


def load(case: Case) -> dict[str, object]:
    loaded: dict[str, object] = orjson.loads(case.path.read_bytes())
    return loaded


def differences(expected: dict[str, object], actual: dict[str, object]) -> list[str]:
    """Each figure that differs, as `policy.field: golden -> now`."""
    lines = []
    for key in sorted(set(expected) | set(actual)):
        before, after = expected.get(key), actual.get(key)
        if isinstance(before, dict) and isinstance(after, dict):
            lines += [f"{key}.{line}" for line in differences(before, after)]
        elif before != after:
            lines.append(f"{key}: {before!r} -> {after!r}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the subsample the tests run, not the four traces")
    parser.add_argument("--update", action="store_true", help="write the results as the new golden files")
    parser.add_argument("--jobs", type=int, default=1, help="cases run at once (each takes one core)")
    args = parser.parse_args(argv)
    cases = QUICK if args.quick else FULL
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        outputs = list(pool.map(run, cases))
    failed = False
    for case, (record, seconds) in zip(cases, outputs, strict=True):
        timing = f" (ours {seconds:.1f} s)" if seconds is not None else ""
        if args.update:
            case.path.parent.mkdir(parents=True, exist_ok=True)
            case.path.write_bytes(orjson.dumps(record, option=orjson.OPT_INDENT_2) + b"\n")
            print(f"{case.name}: written{timing}")
            continue
        found = differences(load(case), record) if case.path.exists() else [f"no golden file {case.path}"]
        failed = failed or bool(found)
        print(f"{case.name}: {'DIFFERS' if found else 'identical'}{timing}")
        for line in found:
            print(f"  {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
